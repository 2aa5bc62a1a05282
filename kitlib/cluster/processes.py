"""Find and stop the processes that belong to one cluster of the kit. A process belongs
to a cluster when its command line names a path inside that cluster's state directory,
so processes the kit did not start are never touched."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def processes_under(path: Path) -> list[int]:
    """PIDs whose command line names a file inside ``path``: this cluster's processes only
    (the trailing separator keeps cluster "kit" from matching cluster "kit-2")."""
    needle = (str(path).rstrip(os.sep) + os.sep).encode()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    """Still holding resources? A zombie whose threads have all exited has released its
    files and ports (init reaps it later); while other threads of a Go program are still
    exiting, its sockets stay open, so it still counts as alive."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return False
    return state != "Z" or threads > 1


def terminate(pid: int, grace: float = 15.0) -> None:
    """SIGTERM, wait up to ``grace`` seconds for a clean exit, then SIGKILL."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while _alive(pid):
        if time.monotonic() > deadline:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = float("inf")
        time.sleep(0.05)


def stop_all_under(path: Path) -> None:
    """Stop every process of the cluster whose state directory is ``path``."""
    for pid in processes_under(path):
        terminate(pid)
