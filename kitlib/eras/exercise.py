"""Chapter 1's check: turn a Kubernetes CPU limit (``resources.limits.cpu``) into the
cgroup v2 ``cpu.max`` line the kubelet writes for the container — the same mechanism that
tamed the noisy neighbour."""
from __future__ import annotations

from typing import Callable

from kitlib.checks import Case

PERIOD = 100_000


def reference(limit: str | None) -> str:
    """The answer: quota = cores x period, at least 1000 µs (the kubelet's minimum)."""
    if limit is None:
        return f"max {PERIOD}"
    cores = int(limit[:-1]) / 1000 if limit.endswith("m") else float(limit)
    return f"{max(1000, round(cores * PERIOD))} {PERIOD}"


def cores(cpu_max_line: str) -> float | None:
    """CPUs allowed by a ``cpu.max`` line (None: unlimited)."""
    quota, period = cpu_max_line.split()
    return None if quota == "max" else int(quota) / int(period)


def _expect(fn: Callable, limit: str | None) -> Callable[[], None]:
    def check() -> None:
        got, want = fn(limit), reference(limit)
        assert isinstance(got, str), f"return a str like {want!r}, not {type(got).__name__} {got!r}"
        assert got == want, f"for {limit!r} expected {want!r}, got {got!r}"
    return check


def cases(fn: Callable) -> list[Case]:
    return [Case("500m (half a CPU)", _expect(fn, "500m"), time_limit=5),
            Case("1 (a whole CPU)", _expect(fn, "1"), time_limit=5),
            Case("2 (two CPUs)", _expect(fn, "2"), time_limit=5),
            Case("1.5 (decimal cores)", _expect(fn, "1.5"), time_limit=5),
            Case("None (no limit)", _expect(fn, None), time_limit=5)]


def hidden_cases(fn: Callable) -> list[Case]:
    return [Case("250m", _expect(fn, "250m"), time_limit=5, hidden=True),
            Case("1m (below the kubelet's minimum)", _expect(fn, "1m"), time_limit=5, hidden=True)]
