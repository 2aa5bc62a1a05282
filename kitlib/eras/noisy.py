"""The noisy neighbour: a worker that counts as fast as it can, alone or next to a CPU
hog on the same CPU, optionally with the hog inside a CPU-limited cgroup.

Both are real processes. Where the OS allows it both are pinned to one CPU, so "one
server, several applications" is literal; elsewhere one hog per CPU makes the contention.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass

from kitlib.eras import cgroups, procs

# the hog joins its cgroups itself, before it starts burning, then says where it is
HOG = """
import os, sys, time
for f in sys.argv[2:]:
    open(f, "w").write(str(os.getpid()))
if sys.argv[1] != "-":
    os.sched_setaffinity(0, {int(sys.argv[1])})
print("ready", time.process_time(), flush=True)
while True:
    pass
"""
# the worker counts loop rounds for a fixed time and reports the rate and its CPU share
WORKER = """
import os, sys, time
if sys.argv[1] != "-":
    os.sched_setaffinity(0, {int(sys.argv[1])})
seconds = float(sys.argv[2])
n, cpu0, t0 = 0, time.process_time(), time.monotonic()
end = t0 + seconds
while time.monotonic() < end:
    for _ in range(1000):
        pass
    n += 1
wall = time.monotonic() - t0
print(n * 1000 / wall, (time.process_time() - cpu0) / wall)
"""


@dataclass
class Run:
    label: str
    worker_rate: float          # loop steps per second
    worker_cpu: float           # share of one CPU the worker got (0..1)
    hog_cpu: float | None       # share of one CPU the hog(s) got, per hog

    def row(self, baseline: float | None = None) -> dict:
        rel = f"{self.worker_rate / baseline:.0%}" if baseline else "100%"
        return {"scenario": self.label, "worker Msteps/s": f"{self.worker_rate / 1e6:.1f}",
                "worker throughput": rel, "worker CPU": f"{self.worker_cpu:.0%}",
                "hog CPU": "-" if self.hog_cpu is None else f"{self.hog_cpu:.0%}"}


def pinnable() -> bool:
    return hasattr(os, "sched_setaffinity")


def shared_cpu() -> int | None:
    """The CPU both processes are pinned to (the last one this process may use)."""
    return max(os.sched_getaffinity(0)) if pinnable() else None


def measure(label: str, hog: bool = False, hog_cpu_limit: float | None = None,
            seconds: float = 2.0) -> Run:
    """Run the worker for ``seconds``, with or without a hog (limited to
    ``hog_cpu_limit`` CPUs by a cgroup), and report what each got."""
    cpu = shared_cpu()
    where = "-" if cpu is None else str(cpu)
    hogs = (1 if cpu is not None else (os.cpu_count() or 1)) if hog else 0
    with contextlib.ExitStack() as stack:
        files: list[str] = []
        if hog_cpu_limit is not None:
            files = stack.enter_context(cgroups.limited(cpu_cores=hog_cpu_limit)).procs_files
        started = []
        for _ in range(hogs):
            p = stack.enter_context(procs.child([procs.PY, "-c", HOG, where, *files],
                                                stdout=subprocess.PIPE, text=True))
            line = p.stdout.readline().split()      # wait until it burns (inside its group)
            if not line or line[0] != "ready":
                raise RuntimeError("the CPU hog did not start")
            started.append((p, float(line[1]), time.monotonic()))
        out = procs.run([procs.PY, "-c", WORKER, where, str(seconds)], timeout=seconds + 60)
        if out.returncode != 0:
            raise RuntimeError(f"worker failed: {out.stderr.strip()}")
        rate, share = map(float, out.stdout.split())
        hog_shares = []
        for p, cpu_at_ready, ready_at in started:
            wall = time.monotonic() - ready_at
            _, cpu_total = _kill_and_measure(p)
            hog_shares.append((cpu_total - cpu_at_ready) / wall)
    hog_share = sum(hog_shares) / len(hog_shares) if hog_shares else None
    return Run(label, rate, share, hog_share)


def _kill_and_measure(p: subprocess.Popen) -> tuple[int, float]:
    with contextlib.suppress(ProcessLookupError):
        p.kill()
    return procs.wait4(p, timeout=10)


def scenarios(seconds: float = 2.0, limit: float | None = 0.1) -> list[Run]:
    """Alone, next to a hog, and next to a hog limited to ``limit`` CPUs (skipped, with
    the reason printed, where this machine cannot make cgroups)."""
    runs = [measure("worker alone", seconds=seconds),
            measure("worker + CPU hog", hog=True, seconds=seconds)]
    if limit is not None:
        ok, why = can_limit()
        if ok:
            runs.append(measure(f"worker + hog limited to {limit:g} CPU", hog=True,
                                hog_cpu_limit=limit, seconds=seconds))
        else:
            print(f"(no limited run: {why})")
    return runs


def can_limit() -> tuple[bool, str]:
    c, why = cgroups.find("cpu")
    return c is not None, why
