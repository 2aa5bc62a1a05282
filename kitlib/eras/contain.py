"""Fault containment (S28): a process that leaks memory, inside a cgroup with a memory
limit. The kernel stops it at the limit; everything outside the group carries on."""
from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass

from kitlib.eras import cgroups, procs

# joins its groups, then grabs 8 MiB more (touched, so it is really used) per step,
# up to a hard cap so it can never hurt an unlimited machine
LEAK = """
import os, sys
for f in sys.argv[2:]:
    open(f, "w").write(str(os.getpid()))
print("ready", flush=True)
held = []
for step in range(int(sys.argv[1]) // 8):
    held.append(b"x" * (8 << 20))
    print(len(held) * 8, flush=True)
print("done", flush=True)
"""


@dataclass
class Outcome:
    limit_mb: int | None
    reached_mb: int                 # the last allocation the process reported
    killed_by: str | None           # "SIGKILL" when the kernel's OOM killer stopped it
    returncode: int

    def line(self) -> str:
        where = f"limit {self.limit_mb} MiB" if self.limit_mb else "no limit"
        if self.killed_by:
            return f"leaky process ({where}): stopped by {self.killed_by} before reaching the limit"
        return f"leaky process ({where}): ran to its end, holding {self.reached_mb} MiB"


def leak(limit_mb: int | None, cap_mb: int = 256) -> Outcome:
    """Let a leaky process grow to ``cap_mb``, inside a ``limit_mb`` cgroup if given."""
    with cgroups.limited(memory_mb=limit_mb) if limit_mb else _no_group() as group:
        with procs.child([procs.PY, "-c", LEAK, str(cap_mb), *group.procs_files],
                         stdout=subprocess.PIPE, text=True) as p:
            lines = p.stdout.read().split()
            code = p.wait(timeout=60)
    numbers = [int(x) for x in lines if x.isdigit()]
    killed = signal.Signals(-code).name if code < 0 else None
    return Outcome(limit_mb, numbers[-1] if numbers else 0, killed, code)


class _no_group:
    procs_files: list[str] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
