"""The tool cache: downloads verified by checksum, builds used as fallback, nothing
half-installed left behind, and no work on the second run."""
import hashlib
import http.server
import threading
from functools import partial
from pathlib import Path

import pytest

from kitlib.cluster import tools


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def release_server(tmp_path):
    """A tiny HTTP server on loopback standing in for a release page."""
    root = tmp_path / "www"
    root.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fake_group(name="kind"):
    return tools.ToolGroup(name, "sigs.k8s.io/kind", "v0.0.1", (("kind", "sigs.k8s.io/kind"),))


def serve_release(root: Path, base: str, body: bytes, digest: str, monkeypatch):
    (root / "kind-linux-amd64").write_bytes(body)
    (root / "kind-linux-amd64.sha256sum").write_text(f"{digest}  kind-linux-amd64\n")
    monkeypatch.setattr(tools, "_release_urls", lambda g: {
        "kind": (f"{base}/kind-linux-amd64", f"{base}/kind-linux-amd64.sha256sum")})


def test_download_verifies_checksum(cache, release_server, monkeypatch, tmp_path):
    root, base = release_server
    body = b"#!/bin/sh\necho kind\n"
    serve_release(root, base, body, hashlib.sha256(body).hexdigest(), monkeypatch)
    dest = tmp_path / "out"
    dest.mkdir()
    tools.download_group(fake_group(), dest, report=lambda m: None)
    assert (dest / "kind").read_bytes() == body
    assert (dest / "kind").stat().st_mode & 0o111


def test_download_with_wrong_checksum_is_discarded(cache, release_server, monkeypatch, tmp_path):
    root, base = release_server
    serve_release(root, base, b"tampered", "0" * 64, monkeypatch)
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(tools.ToolError, match="checksum mismatch"):
        tools.download_group(fake_group(), dest, report=lambda m: None)
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("text, expected", [
    ("abc123\n", "abc123"),
    ("111  other\n222  etcd-v3.7.0-linux-amd64.tar.gz\n", "222"),
    ("333 *kind-linux-amd64\n", "333"),
])
def test_checksum_file_formats(text, expected):
    name = "etcd-v3.7.0-linux-amd64.tar.gz" if "etcd" in text else "kind-linux-amd64"
    assert tools.expected_sha256(text, name) == expected


def test_auto_falls_back_to_build_and_installs_atomically(cache, monkeypatch):
    group = fake_group()
    calls = []

    def no_download(g, dest, report):
        calls.append("download")
        raise OSError("network unreachable")

    def build(g, dest, report):
        calls.append("build")
        (dest / "kind").write_text("built")

    monkeypatch.setattr(tools, "download_group", no_download)
    monkeypatch.setattr(tools, "build_group", build)
    monkeypatch.setattr(tools, "tool_groups", lambda: {"kind": group})
    messages = []
    paths = tools.ensure(["kind"], report=messages.append)
    assert calls == ["download", "build"]
    assert paths["kind"].read_text() == "built"
    assert any("building instead" in m for m in messages)
    # Second run: already cached, no work at all.
    calls.clear()
    tools.ensure(["kind"], report=messages.append)
    assert calls == []
    # No temporary directories left beside the installed group.
    assert [p.name for p in group.cache_path.parent.iterdir() if p.is_dir()] == [group.cache_path.name]


def test_failed_build_leaves_nothing_and_says_why(cache, monkeypatch):
    group = fake_group()

    def broken(g, dest, report):
        (dest / "kind").write_text("half")
        raise tools.ToolError("compiler exploded")

    monkeypatch.setattr(tools, "build_group", broken)
    monkeypatch.setattr(tools, "tool_groups", lambda: {"kind": group})
    with pytest.raises(tools.ToolError, match="compiler exploded"):
        tools.ensure(["kind"], source="build", report=lambda m: None)
    assert not group.installed()
    assert [p for p in group.cache_path.parent.iterdir() if p.is_dir()] == []


def test_leftovers_of_a_killed_install_are_cleaned(cache, monkeypatch):
    group = fake_group()
    stale = group.cache_path.parent / f".{group.cache_path.name}.abc123"
    (stale / "bin").mkdir(parents=True)
    monkeypatch.setattr(tools, "build_group", lambda g, d, r: (d / "kind").write_text("ok"))
    monkeypatch.setattr(tools, "tool_groups", lambda: {"kind": group})
    tools.ensure(["kind"], source="build", report=lambda m: None)
    assert not stale.exists() and group.installed()


def test_unknown_source_is_rejected(cache):
    with pytest.raises(tools.ToolError, match="auto, download or build"):
        tools.ensure(["kind"], source="carrier-pigeon")


def test_cache_is_keyed_by_version_and_platform(cache):
    g = tools.tool_groups()["kubernetes"]
    assert g.version in g.cache_path.name
    assert str(g.cache_path).startswith(str(cache))


def test_kubernetes_binaries_get_their_version_stamped():
    flags = tools.tool_groups()["kubernetes"].ldflags
    version = tools.tool_groups()["kubernetes"].version
    assert f"k8s.io/component-base/version.gitVersion={version}" in flags
    assert f"k8s.io/client-go/pkg/version.gitVersion={version}" in flags
