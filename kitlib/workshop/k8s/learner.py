"""A learner's server pod starts here (KubeSpawner's command), as an ordinary user:

1. the home (the learner's claim) gets their workspace — new chapters added, their own
   notebooks never overwritten — and a cache linking the image's cluster tools;
2. their own Docker-free control plane (etcd, kube-apiserver, kube-controller-manager,
   kube-scheduler, KWOK) starts inside the pod, its state on the claim, its ports on the
   pod's loopback, which no other pod shares;
3. the Jupyter server takes the process over, with the arguments KubeSpawner gave.

A cluster that does not start leaves the server starting anyway: chapter 0's checks say
what is wrong, and `kit up` in a terminal tries again.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kitlib.paths import REPO_DIR

IMAGE_CACHE = Path("/opt/kit-cache")
UP_TIMEOUT = 300


def _workspace() -> Path:
    return Path(os.environ.get("KIT_WORKSPACE", Path(os.environ["HOME"]) / "workspace"))


def _kit(*args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kitlib.cli", *args], check=check, timeout=UP_TIMEOUT)


def link_tools(image_cache: Path, own_cache: Path) -> None:
    """The image's tools, read-only, seen from the learner's own (writable) cache."""
    for entry in sorted((image_cache / "tools").iterdir()) if (image_cache / "tools").is_dir() else []:
        target = own_cache / "tools" / entry.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            target.symlink_to(entry)


def status() -> dict:
    """This learner's row of `kit workshop status`, seen from inside their pod (printed as
    JSON by ``--status``): their cluster, memory (the pod's cgroup), progress."""
    from dataclasses import asdict

    import psutil

    from kitlib.workshop.room import Learner
    from kitlib.workshop.status import learner_status
    home = os.environ["HOME"]
    me = Learner(name=os.environ.get("JUPYTERHUB_USER", "-"), user="kit", uid=os.getuid(),
                 home=home, password_hash="",
                 cgroups=["/sys/fs/cgroup", "/sys/fs/cgroup/memory"])   # cgroup v2, v1
    running = any("jupyterhub-singleuser" in " ".join(p.info["cmdline"] or [])
                  for p in psutil.process_iter(["cmdline"]))
    return asdict(learner_status(me, {os.getuid()} if running else set()))


def collect(chapters: list[str]) -> dict[str, str]:
    """The learner's graded notebooks (those of ``chapters``, by number, or all), base64:
    what `kit workshop collect` takes out of the pod."""
    import base64

    from kitlib.grading.release import graded_notebooks
    return {p.name: base64.b64encode(p.read_bytes()).decode() for p in graded_notebooks(_workspace())
            if not chapters or any(p.name.startswith(c) for c in chapters)}


def give(name: str, data: str) -> None:
    """One feedback file into ``workspace/feedback/`` (`kit workshop return`)."""
    import base64
    folder = _workspace() / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / Path(name).name).write_bytes(base64.b64decode(data))


def reset() -> None:
    """A fresh cluster for this learner (`kit workshop reset`): theirs removed with its state,
    a new one started; their notebooks stay."""
    _kit("down", check=True)
    _kit("up", "--provider", "kwok", check=True)


def main(argv: list[str]) -> None:
    import json
    if argv == ["--reset"]:
        reset()
        return
    if argv == ["--status"]:
        print(json.dumps(status()))
        return
    if argv[:1] == ["--collect"]:
        print(json.dumps(collect(argv[1:])))
        return
    if argv[:1] == ["--give"]:
        give(*argv[1:])
        return
    from kitlib.learner.workspace import Workspace
    home = Path(os.environ["HOME"])
    # Every learner's pod runs as the image's one user; their name tells them apart (chapter
    # 7's lab is seeded from it, as each learner's system user does on one machine).
    os.environ["USER"] = os.environ["LOGNAME"] = os.environ.get("JUPYTERHUB_USER", "kit")
    link_tools(IMAGE_CACHE, Path(os.environ.get("KIT_CACHE_DIR", home / ".cache" / "kitlib")))
    Workspace(_workspace(), REPO_DIR / "chapters").sync()
    print("starting this learner's cluster (kit up --provider kwok)", flush=True)
    try:
        up = _kit("up", "--provider", "kwok")
        if up.returncode != 0:
            print(f"kit up failed ({up.returncode}); the server starts anyway", flush=True)
    except subprocess.TimeoutExpired:
        print(f"kit up took over {UP_TIMEOUT}s; the server starts anyway", flush=True)
    os.execvp("jupyterhub-singleuser", ["jupyterhub-singleuser", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
