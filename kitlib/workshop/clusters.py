"""Each learner's own Docker-free cluster, run as the learner's system user inside the
learner's cgroups: its state (kubeconfig, certificates, etcd data) in their home, its ports
their own, its processes theirs — so chapter 10 can stop their components, and a broken or
runaway cluster costs only its learner. The tools come from the room's shared read-only
cache, filled once from the instructor's. Each learner picks ports from a share of their
own (kitlib.cluster.ports): learners' clusters started at once (``start_all``) never pick
the same port."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from kitlib import cgroups
from kitlib.cluster import ports
from kitlib.cluster.artifacts import link_tree
from kitlib.errors import KitError
from kitlib.workshop.room import Learner, Room, share

TOOL_GROUPS = ("kubernetes", "etcd", "kwok")     # what the Docker-free provider runs
UP_TIMEOUT = 300


SHARED = ("tools", "vm", "images")    # cache parts learners read: cluster tools, chapter 1's
                                     # VM image and container root filesystems


def fill_cache(room: Room, report=print) -> None:
    """The shared parts of the instructor's cache in ``<room>/cache`` (hard links where they
    can be), readable by every learner: the Docker-free cluster's tools (fetched or built
    first if need be) and, where the instructor has them, chapter 1's images."""
    from kitlib.cluster import tools
    from kitlib.paths import cache_dir
    tools.ensure(list(TOOL_GROUPS), report=report)
    wanted = {tools.tool_groups()[name].cache_path.name for name in TOOL_GROUPS}
    for part in SHARED:
        source = cache_dir() / part
        for entry in sorted(source.iterdir()) if source.is_dir() else []:
            target = room.cache_dir / part / entry.name
            if target.exists() or (part == "tools" and entry.name not in wanted):
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            link_tree(entry, target) if entry.is_dir() else os.link(entry, target)
            share(target)                   # only what was linked now: `up` runs again
    for folder in [room.cache_dir, *(room.cache_dir / part for part in SHARED)]:
        if folder.is_dir():
            folder.chmod(folder.stat().st_mode | 0o055)


def give_cache(room: Room, learner: Learner) -> None:
    """The learner's own cache (``~/.cache/kitlib``, theirs to write) with every shared
    entry linked in, so nothing is built twice and what is missing they build themselves."""
    from kitlib.workshop.accounts import own_tree
    own = learner.cache_dir
    for part in SHARED:
        (own / part).mkdir(parents=True, exist_ok=True)
        shared = room.cache_dir / part
        for item in sorted(shared.iterdir()) if shared.is_dir() else []:
            link = own / part / item.name
            if not link.exists() and not link.is_symlink():
                link.symlink_to(item)
    own_tree(own.parent, learner.user)


def environment(room: Room, learner: Learner) -> dict[str, str]:
    """What the learner's processes (cluster, Jupyter, kernels) see: their own state, the
    shared tools, no path into the instructor's home."""
    python = Path(room.python or sys.executable)
    libraries = room.cache_dir / "python" / "lib"     # a room copy of a shared-library Python
    return {
        **({"LD_LIBRARY_PATH": str(libraries)} if libraries.is_dir() else {}),
        "HOME": learner.home,
        "USER": learner.user,
        "LOGNAME": learner.user,
        "PATH": f"{python.parent}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "KIT_STATE_DIR": str(learner.state_dir),
        "KIT_CACHE_DIR": str(learner.cache_dir),
        "KIT_PROVIDER": "kwok",
        ports.PORTS_ENV: ports.share(room.learners.index(learner)),
        "KIT_NO_PULL": "1",
        "MPLCONFIGDIR": str(learner.cache_dir.parent / "matplotlib"),
    }


def run_as(room: Room, learner: Learner, args: list[str], timeout: float = UP_TIMEOUT,
           **kwargs) -> subprocess.CompletedProcess:
    """Run ``args`` as the learner, inside the learner's cgroups, with their environment."""
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    command = cgroups.command_in(learner.cgroups, [runuser, "-u", learner.user, "--", *args])
    return subprocess.run(command, env=environment(room, learner), cwd=learner.home,
                          timeout=timeout, capture_output=True, text=True, **kwargs)


def _kit(room: Room, *args: str) -> list[str]:
    return [room.python or sys.executable, "-m", "kitlib.cli", *args]


def up(room: Room, learner: Learner) -> None:
    try:
        result = run_as(room, learner, _kit(room, "up", "--provider", "kwok"))
    except subprocess.TimeoutExpired:
        raise KitError(f"{learner.name}'s cluster did not start within {UP_TIMEOUT} s") from None
    if result.returncode != 0:
        raise KitError(f"{learner.name}'s cluster did not start:\n"
                       + "\n".join((result.stdout + result.stderr).splitlines()[-15:]))


def start(room: Room, learner: Learner) -> bool:
    """Start the learner's cluster unless it answers already; whether it was started."""
    if healthy(learner)[0]:
        return False
    up(room, learner)
    return True


def start_all(room: Room, learners: Iterable[Learner], parallel: int
              ) -> Iterator[tuple[Learner, float, bool | Exception]]:
    """``start`` each learner's cluster, ``parallel`` at once; as each finishes: the learner,
    its seconds, and whether it was started or what went wrong (one failing stops no other).
    Nothing of the room changes here: the caller alone saves it."""
    def timed(learner: Learner) -> tuple[float, bool | Exception]:
        began = time.monotonic()
        try:
            outcome: bool | Exception = start(room, learner)
        except Exception as exc:        # noqa: BLE001 - reported with the learner's name
            outcome = exc
        return time.monotonic() - began, outcome

    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="kit-up") as pool:
        futures = {pool.submit(timed, learner): learner for learner in learners}
        try:
            for future in as_completed(futures):
                yield futures[future], *future.result()
        finally:                        # stopped early (Ctrl-C): start no more
            for future in futures:
                future.cancel()


def down(room: Room, learner: Learner) -> None:
    """Remove the learner's cluster (theirs only: it lives in their state dir)."""
    if learner.state_dir.exists():
        run_as(room, learner, _kit(room, "down"), timeout=180)


def healthy(learner: Learner, timeout: float = 3.0) -> tuple[bool, str]:
    """Does the learner's API server answer their credentials? (the kit's own probe)"""
    from kitlib.cluster.health import probe
    return probe(learner.kubeconfig, timeout)
