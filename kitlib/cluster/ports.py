"""Loopback ports for the servers the kit starts: a Docker-free cluster's components, the
simulated-nodes helper, the kernels `kit grade` runs.

A port from ``bind(("127.0.0.1", 0))`` comes from the ephemeral range, where outgoing
connections draw their local ports too: free a moment ago, it can be taken by a new
connection before the server binds it (seen as "connection refused" on a throwaway
cluster's API port, and kernels dying at start, when two submissions were graded at once).
So the kit picks below the ephemeral range, and records what it handed out in a file its
processes share, under a lock, so two clusters or kernels started at once never get the
same port.
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


def _registry() -> Path:
    return Path(tempfile.gettempdir()) / f"kitlib-ports-{os.getuid()}.json"


def _span() -> tuple[int, int]:
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
