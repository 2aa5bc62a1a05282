"""Find and stop the processes that belong to one cluster of the kit. A process belongs
to a cluster when its command line names a path inside that cluster's state directory,
so processes the kit did not start are never touched."""
from __future__ import annotations

import os
import time
from pathlib import Path

import psutil


def processes_under(path: Path) -> list[int]:
    """PIDs whose command line names a file inside ``path``: this cluster's processes only
    (the trailing separator keeps cluster "kit" from matching cluster "kit-2")."""
    needle = str(path).rstrip(os.sep) + os.sep
    return [p.pid for p in psutil.process_iter(["cmdline"])
            if p.pid != os.getpid() and needle in "\0".join(p.info["cmdline"] or [])]


def _holding_resources(proc: psutil.Process) -> bool:
    """A zombie whose threads have all exited has released its files and ports (whoever
    reaps it may never do so in a container); while other threads of a Go program are
    still exiting, its sockets stay open, so it still counts."""
    try:
        return proc.status() != psutil.STATUS_ZOMBIE or proc.num_threads() > 1
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


def _wait(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait up to ``timeout`` seconds for ``procs`` to exit; return those still there."""
    deadline = time.monotonic() + timeout
    alive = [p for p in procs if _holding_resources(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if _holding_resources(p)]
    return alive


def _signal(procs: list[psutil.Process], send) -> None:
    for proc in procs:
        try:
            send(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass


def stop(pids: list[int], grace: float = 15.0, kill_wait: float = 5.0) -> list[int]:
    """SIGTERM, up to ``grace`` seconds for a clean exit, then SIGKILL and up to
    ``kill_wait`` more. Returns the PIDs that survived even SIGKILL (a process stuck in
    the kernel, in uninterruptible sleep): every wait is bounded."""
    procs = []
    for pid in dict.fromkeys(pids):
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    _signal(procs, psutil.Process.terminate)
    alive = _wait(procs, grace)
    _signal(alive, psutil.Process.kill)
    return [p.pid for p in _wait(alive, kill_wait)]


def terminate(pid: int, grace: float = 15.0) -> list[int]:
    """``stop`` for one process."""
    return stop([pid], grace)


def stop_all_under(path: Path, also: list[int] = ()) -> None:
    """Stop every process of the cluster whose state directory is ``path`` (and ``also``).
    Raise ClusterError naming any that survived SIGKILL, so the caller keeps its record
    and a later ``kit down`` tries again."""
    from kitlib.cluster.base import ClusterError
    survivors = stop([*also, *processes_under(path)])
    if survivors:
        raise ClusterError(f"still running after SIGKILL: {describe(survivors)} (stuck in the "
                           "kernel?); run `kit down` again once they have exited")


def describe(pids: list[int]) -> str:
    """``123 (etcd), 456 (kube-apiserver)`` for a message."""
    def name(pid: int) -> str:
        try:
            return psutil.Process(pid).name()
        except psutil.Error:
            return "?"
    return ", ".join(f"{pid} ({name(pid)})" for pid in pids)
