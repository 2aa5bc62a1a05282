"""Loopback ports for the servers the kit starts: a Docker-free cluster's components, the
simulated-nodes helper, the kernels `kit grade` runs.

A port from ``bind(("127.0.0.1", 0))`` comes from the ephemeral range, where outgoing
connections draw their local ports too: free a moment ago, it can be taken by a new
connection before the server binds it (seen as "connection refused" on a throwaway
cluster's API port, and kernels dying at start, when two submissions were graded at once).
So the kit picks below the ephemeral range, and records what it handed out in a file its
processes share, under a lock, so two clusters or kernels started at once never get the
same port.

The record is per user (a file one user makes in /tmp, the others cannot write), so two
users' processes could still pick the same port and both find it free: a workshop's learners
starting their clusters at once. Each learner's processes therefore get a share of the span
of their own (``KIT_PORTS=LOW-HIGH``, see ``share``), disjoint from every other learner's.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import socket
import tempfile
import time
from pathlib import Path

HOLD = 600          # seconds a port handed out stays reserved: until its server has bound it
PORTS_ENV = "KIT_PORTS"     # LOW-HIGH: where this process's ports come from (default: the span)
SHARE_WIDTH = 200   # ports in one workshop learner's share: a cluster takes 7 for HOLD seconds


def _registry() -> Path:
    return Path(tempfile.gettempdir()) / f"kitlib-ports-{os.getuid()}.json"


def _span() -> tuple[int, int]:
    """This process's ports: its share (``KIT_PORTS``) or the machine's span."""
    given = os.environ.get(PORTS_ENV)
    if not given:
        return _machine_span()
    try:
        low, high = (int(part) for part in given.split("-"))
    except ValueError:
        raise OSError(f"{PORTS_ENV}={given!r}: expected two port numbers, LOW-HIGH") from None
    if not 1024 <= low <= high <= 65535:
        raise OSError(f"{PORTS_ENV}={given!r}: expected 1024 <= LOW <= HIGH <= 65535")
    return low, high


def share(index: int, width: int = SHARE_WIDTH) -> str:
    """The ``index``-th slice of the machine's span, ``width`` ports wide, as ``KIT_PORTS``
    takes it: a workshop learner's own. Beyond the span's last slice the shares repeat (the
    record and the bind check still apply, only learners at once may meet again)."""
    low, high = _machine_span()
    count = max(1, (high - low + 1) // width)
    start = low + (index % count) * width
    return f"{start}-{min(start + width, high + 1) - 1}"


def _machine_span() -> tuple[int, int]:
    """Ports below the ephemeral range (Linux's default starts at 32768)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return (10000, low - 1) if low > 12000 else (1024, low - 1)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


@contextlib.contextmanager
def _reserved():
    path = _registry()
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            taken = {int(p): t for p, t in json.loads(path.read_text()).items()}
        except (OSError, ValueError):
            taken = {}
        now = time.time()
        taken = {p: t for p, t in taken.items() if now - t < HOLD}
        yield taken
        path.write_text(json.dumps(taken))


def loopback_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1, none handed out by the kit lately."""
    low, high = _span()
    chosen: list[int] = []
    with _reserved() as taken:
        for _ in range(50 * count):
            port = random.randint(low, high)
            if port not in taken and port not in chosen and _bindable(port):
                chosen.append(port)
                if len(chosen) == count:
                    break
        else:
            raise OSError(f"no {count} free loopback ports between {low} and {high}")
        now = time.time()
        taken.update({p: now for p in chosen})
    return chosen
