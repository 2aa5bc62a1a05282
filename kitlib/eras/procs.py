"""Start child processes, measure them, and never leave one behind."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

PY = sys.executable


@dataclass
class Measured:
    """One finished child: wall time and its CPU time (from wait4)."""
    returncode: int
    seconds: float
    cpu_seconds: float
    stdout: str
    stderr: str


@contextlib.contextmanager
def child(cmd: Sequence[str], **popen) -> Iterator[subprocess.Popen]:
    """A child process that is killed (with its process group) when the block ends."""
    proc = subprocess.Popen(list(cmd), start_new_session=True, **popen)
    try:
        yield proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    # the whole session: whatever the child started goes too
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    proc.wait()
    for stream in (proc.stdout, proc.stderr, proc.stdin):
        if stream:
            stream.close()


def wait4(proc: subprocess.Popen, timeout: float) -> tuple[int, float]:
    """Wait for ``proc`` (killing it after ``timeout``); return (returncode, CPU seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.002)


def run(cmd: Sequence[str], timeout: float = 30, **popen) -> Measured:
    """Run ``cmd`` to the end and measure it (output captured as text)."""
    started = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, **popen)
    # threads drain the pipes, so a chatty child never blocks and wait4 keeps its timeout
    chunks: dict[str, bytes] = {}
    readers = [threading.Thread(target=lambda n=n, s=s: chunks.__setitem__(n, s.read()), daemon=True)
               for n, s in (("out", proc.stdout), ("err", proc.stderr))]
    try:
        for r in readers:
            r.start()
        code, cpu = wait4(proc, timeout)
        seconds = time.perf_counter() - started
        for r in readers:
            r.join(5)
    finally:
        stop(proc)
    return Measured(code, seconds, cpu, chunks.get("out", b"").decode(errors="replace"),
                    chunks.get("err", b"").decode(errors="replace"))


# Memory. wait4's ru_maxrss is useless here: a child forked from this (large) Python
# process keeps the parent's high-water mark across exec. /proc/PID/status is exact.

def _status(pid: int, field: str) -> int:
    """A ``kB`` field of /proc/PID/status (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def footprint_mb(cmd: Sequence[str], payload: str = "sleep", timeout: float = 30) -> float:
    """Resident memory of everything ``cmd`` runs (summed VmRSS of its process tree), read
    once the ``payload`` process is running inside it."""
    with child(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            pids = tree(proc.pid)
            if any(comm(p) == payload for p in pids):
                time.sleep(0.05)            # let it settle after exec
                return sum(_status(p, "VmRSS") for p in tree(proc.pid)) / 1024
            time.sleep(0.005)
    raise RuntimeError(f"{payload} never ran inside {cmd[0]}")


def peak_while_running(proc: subprocess.Popen, interval: float = 0.01) -> float:
    """Poll ``proc``'s peak resident memory (VmHWM) until it exits; MiB."""
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _status(proc.pid, "VmHWM"))
        time.sleep(interval)
    return peak / 1024
