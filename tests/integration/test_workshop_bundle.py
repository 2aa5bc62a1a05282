"""`kit workshop bundle` / `unbundle`: a room's day without internet. The bundle is made from
this machine's cache and the package index (wheels), then checked the way the day uses it:
pip resolves every package from its wheels alone, a fresh cache filled from it has the
very tools this one has, and a bundle changed by one byte (or one file) is refused whole.
Images (`docker save`) are left out here: the Docker-free day needs none."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kitlib import wheelhouse
from kitlib.cluster import tools
from kitlib.workshop import bundle

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bundle") / "kit-bundle"
    lines = []
    bundle.make(folder, images=False, report=lines.append)
    return folder, json.loads((folder / bundle.MANIFEST).read_text()), lines


def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KIT_TOOLS_SOURCE", "download")     # never a Go build: the bundle has them
    return tmp_path / "cache"


def test_every_python_package_installs_from_the_bundle_alone(made):
    folder, manifest, _ = made
    report = folder.parent / "pip-report.json"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
                           "--no-index", "--find-links", str(folder / "wheels"), "--quiet",
                           "--report", str(report), "-e", f"{ROOT}[test,workshop]"],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    assert proc.returncode == 0, proc.stderr[-2000:]
    chosen = {i["metadata"]["name"].lower().replace("_", "-"): i["metadata"]["version"]
              for i in json.loads(report.read_text())["install"]}
    here = dict(p.lower().replace("_", "-").split("==") for p in wheelhouse.installed_versions())
    for name in ("kubernetes", "jupyterhub", "nbclient", "ipykernel", "pytest", "matplotlib"):
        assert chosen[name] == here[name], name            # the versions the kit is tested with
    assert manifest["python"] == ".".join(map(str, sys.version_info[:3]))


def test_a_fresh_cache_gets_the_same_tools_and_needs_nothing_else(made, tmp_path, monkeypatch):
    folder, manifest, _ = made
    apiserver = tools.binary_path("kube-apiserver")
    cache = fresh_cache(tmp_path, monkeypatch)
    said = []
    bundle.unbundle(folder, report=said.append)
    assert any("ready" in line for line in said), said
    for name in ("kube-apiserver", "etcd", "kwok", "kwokctl", "kind", "kubectl"):
        got = tools.binary_path(name)
        assert got.is_relative_to(cache) and got.is_file() and os.access(got, os.X_OK), got
    assert tools.binary_path("kube-apiserver").read_bytes() == apiserver.read_bytes()
    tools.ensure(["kubernetes", "etcd", "kwok", "kind"], report=said.append)   # nothing to fetch
    assert not any("download" in line or "build" in line for line in said[-4:]), said
    assert tools.binary_path("kubectl").stat().st_ino != apiserver.with_name("kubectl").stat().st_ino  # a copy
    again = []
    bundle.unbundle(folder, report=again.append)
    assert again == [f"the bundle in {folder} is already in place"]


def test_a_changed_or_added_file_and_nothing_is_used(made, tmp_path, monkeypatch):
    folder, manifest, _ = made
    cache = fresh_cache(tmp_path, monkeypatch)
    requirements = folder / "wheels" / "requirements.txt"
    original = requirements.read_bytes()
    try:
        requirements.write_bytes(original + b"evil-package\n")
        with pytest.raises(bundle.BundleError, match="wheels/requirements.txt missing or changed"):
            bundle.unbundle(folder, report=lambda s: None)
        requirements.write_bytes(original)
        (folder / "cache" / "tools" / "extra").write_text("#!/bin/sh\n")
        with pytest.raises(bundle.BundleError, match="cache/tools/extra was not in it"):
            bundle.unbundle(folder, report=lambda s: None)
    finally:
        requirements.write_bytes(original)
        (folder / "cache" / "tools" / "extra").unlink(missing_ok=True)
    assert not cache.exists()
    assert bundle.verify(folder)["files"] == manifest["files"]


def test_a_bundle_is_made_only_into_an_empty_folder(made):
    folder, _, _ = made
    with pytest.raises(bundle.BundleError, match="is not an empty folder"):
        bundle.make(folder, images=False, report=lambda s: None)
