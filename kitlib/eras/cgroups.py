"""CPU and memory limits from Linux control groups — what a container runtime (and the
kubelet, for ``resources.limits``) sets up for every container.

cgroup v2 has one tree (``/sys/fs/cgroup``; ``cpu.max``, ``memory.max``). Older "hybrid"
machines keep the controllers in v1 trees (``/sys/fs/cgroup/cpu/cpu.cfs_quota_us``,
``/sys/fs/cgroup/memory/memory.limit_in_bytes``); the kernel enforces both the same way.
"""
from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path("/sys/fs/cgroup")
PERIOD_US = 100_000          # the CFS period the kubelet uses too


@dataclass(frozen=True)
class Controller:
    name: str                # "cpu" or "memory"
    version: int             # 2 or 1
    parent: Path             # where a new group is made


def cpu_max(cores: float | None, period_us: int = PERIOD_US) -> str:
    """The cgroup v2 ``cpu.max`` line for a limit of ``cores`` CPUs (None: no limit)."""
    return f"max {period_us}" if cores is None else f"{max(1000, round(cores * period_us))} {period_us}"


def cores(cpu_max_line: str) -> float | None:
    """CPUs a ``cpu.max`` line allows (None: unlimited); the inverse of cpu_max."""
    quota, period = cpu_max_line.split()
    return None if quota == "max" else int(quota) / int(period)


def find(name: str, root: Path = ROOT) -> tuple[Controller | None, str]:
    """Where the ``name`` controller can be used from here, or (None, why not)."""
    if not root.is_dir():
        return None, f"{root} does not exist (not Linux, or cgroups not mounted)"
    for v2 in (root, root / "unified"):
        controllers = v2 / "cgroup.controllers"
        if controllers.is_file() and name in controllers.read_text().split():
            return _writable(Controller(name, 2, v2))
    for v1 in (root / name, *sorted(root.glob(f"*{name}*,*")), *sorted(root.glob(f"*,*{name}*"))):
        if (v1 / "cgroup.procs").is_file() and not (v1 / "cgroup.controllers").exists():
            return _writable(Controller(name, 1, v1))
    return None, f"no cgroup tree offers the {name} controller"


def _writable(c: Controller) -> tuple[Controller | None, str]:
    if not os.access(c.parent, os.W_OK):
        return None, f"{c.parent} is not writable (needs root, or a delegated cgroup)"
    return c, f"cgroup v{c.version} at {c.parent}"


@dataclass
class Group:
    """A cgroup (one directory per controller in use) that processes can join."""
    dirs: list[Path] = field(default_factory=list)

    @property
    def procs_files(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def add(self, pid: int) -> None:
        for f in self.procs_files:
            Path(f).write_text(str(pid))

    def pids(self) -> set[int]:
        found = set()
        for f in self.procs_files:
            with contextlib.suppress(OSError):
                found |= {int(p) for p in Path(f).read_text().split()}
        return found


def _make(c: Controller, name: str) -> Path:
    if c.version == 2:
        enabled = (c.parent / "cgroup.subtree_control").read_text().split()
        if c.name not in enabled:       # let children of this group use the controller
            (c.parent / "cgroup.subtree_control").write_text(f"+{c.name}")
    path = c.parent / name
    path.mkdir(exist_ok=True)
    return path


@contextlib.contextmanager
def limited(cpu_cores: float | None = None, memory_mb: int | None = None,
            prefix: str = "kitlib") -> Iterator[Group]:
    """A fresh cgroup with the given limits; its processes are killed and the group
    removed when the block ends (also on error). Raises PermissionError/RuntimeError with
    a reason when this machine cannot do it."""
    name = f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    group = Group()
    try:
        if cpu_cores is not None:
            c = _require("cpu")
            path = _make(c, name)
            group.dirs.append(path)
            if c.version == 2:
                (path / "cpu.max").write_text(cpu_max(cpu_cores))
            else:
                period, quota = cpu_max(cpu_cores).split()[::-1]
                (path / "cpu.cfs_period_us").write_text(period)
                (path / "cpu.cfs_quota_us").write_text(quota)
        if memory_mb is not None:
            c = _require("memory")
            path = _make(c, name)
            if path not in group.dirs:
                group.dirs.append(path)
            limit = str(memory_mb * 1024 * 1024)
            if c.version == 2:
                (path / "memory.max").write_text(limit)
                if (path / "memory.swap.max").exists():
                    (path / "memory.swap.max").write_text("0")
            else:
                (path / "memory.limit_in_bytes").write_text(limit)
        yield group
    finally:
        _remove(group)


def _require(name: str) -> Controller:
    c, why = find(name)
    if c is None:
        raise PermissionError(why)
    return c


def _remove(group: Group) -> None:
    for _ in range(200):                    # kill members, then rmdir once they are gone
        pids = group.pids()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if not pids:
            break
        time.sleep(0.01)
    for d in reversed(group.dirs):
        for _ in range(100):
            try:
                d.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.02)


def status() -> dict[str, str]:
    """One line per controller: where it is, or why it cannot be used here."""
    return {name: find(name)[1] for name in ("cpu", "memory")}
