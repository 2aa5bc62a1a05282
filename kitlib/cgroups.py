"""Cgroups that limit a group of processes (memory, process count, CPU) and end them as a
whole: a graded submission's sandbox, a workshop learner's cluster and Jupyter server.

Works on cgroup v2 (one group) and v1 (a group per controller, beside the caller's own);
where neither can be made, ``make_cgroups`` returns no groups and callers fall back to
process limits. Groups are named ``kitlib-<name>``.
"""
from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass
class Limits:
    memory_mb: int = 1536           # all the group's processes together
    processes: int = 256            # processes and threads
    cpus: float = 1.0               # cores' worth of CPU time


def _own_cgroup(controller: str) -> str:
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") or (controller == "" and number == "0"):
            return path
    return "/"


def _v1_dir(controller: str, name: str) -> Path | None:
    root = CGROUP_ROOT / controller
    if not (root / "tasks").exists() and not (root / "cgroup.procs").exists():
        return None
    return root / _own_cgroup(controller).lstrip("/") / f"kitlib-{name}"


def write(path: Path, value) -> bool:
    try:
        path.write_text(str(value))
        return True
    except OSError:
        return False


def make_cgroups(name: str, limits: Limits) -> list[str]:
    """Cgroups limiting memory, processes and CPU (v1 controllers, or one v2 group); the
    folders made. Where the machine allows none, the empty list (process limits still apply)."""
    made = []
    if (CGROUP_ROOT / "cgroup.controllers").exists():       # a pure v2 hierarchy
        group = CGROUP_ROOT / _own_cgroup("").lstrip("/") / f"kitlib-{name}"
        try:
            group.mkdir()
        except OSError:
            return []
        write(group / "memory.max", limits.memory_mb << 20)
        write(group / "memory.swap.max", 0)
        write(group / "pids.max", limits.processes)
        write(group / "cpu.max", f"{int(limits.cpus * 100000)} 100000")
        return [str(group)]
    settings = {"memory": {"memory.limit_in_bytes": limits.memory_mb << 20},
                "pids": {"pids.max": limits.processes},
                "cpu": {"cpu.cfs_period_us": 100000, "cpu.cfs_quota_us": int(limits.cpus * 100000)},
                "freezer": {}}
    for controller, values in settings.items():
        group = _v1_dir(controller, name)
        if group is None:
            continue
        try:
            group.mkdir(exist_ok=True)
        except OSError:
            continue
        for key, value in values.items():
            write(group / key, value)
        made.append(str(group))
    return made


def _procs(group: Path) -> list[int]:
    try:
        return [int(p) for p in (group / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def kill_cgroups(groups: list[str]) -> None:
    """SIGKILL every process in the groups (frozen first, so none can fork away), then
    remove them."""
    paths = [Path(g) for g in groups]
    freezer = next((p for p in paths if "freezer" in p.parts), None)
    for group in paths:
        if (group / "cgroup.kill").exists():
            write(group / "cgroup.kill", 1)
    if freezer is not None:
        write(freezer / "freezer.state", "FROZEN")
    for _ in range(50):
        pids = {pid for group in paths for pid in _procs(group)}
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if freezer is not None:
            write(freezer / "freezer.state", "THAWED")
        time.sleep(0.1)
    for group in paths:
        for _ in range(20):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)


def join(groups: list[str], pid: int | None = None) -> None:
    """Move ``pid`` (default: this process) into the groups; its children are born there."""
    for group in groups:
        write(Path(group) / "cgroup.procs", pid or os.getpid())


# Joins the groups named before "--" (quietly, as ``join``), then becomes the command after it.
_JOIN_THEN_EXEC = ('while [ $# -gt 0 ] && [ "$1" != -- ]; do '
                   '{ echo $$ >"$1/cgroup.procs"; } 2>/dev/null; shift; done; shift; exec "$@"')


def command_in(groups: list[str], args: list[str]) -> list[str]:
    """``args`` as a command run inside the groups: a shell joins them, then execs ``args``
    (same process, so all it starts is born there). A ``preexec_fn`` doing ``join`` is not
    safe in a threaded program (the child can deadlock before exec); this is."""
    return ["/bin/sh", "-c", _JOIN_THEN_EXEC, "sh", *groups, "--", *args]


def memory_bytes(groups: list[str]) -> int | None:
    """Memory the groups' processes use now (None where no memory group was made)."""
    for group in map(Path, groups):
        for name in ("memory.current", "memory.usage_in_bytes"):
            try:
                return int((group / name).read_text())
            except (OSError, ValueError):
                continue
    return None
