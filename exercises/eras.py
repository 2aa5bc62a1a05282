"""Chapter 01's check: turn a Kubernetes CPU limit (``resources.limits.cpu``) into the
cgroup v2 ``cpu.max`` line the kubelet writes for the container — the same mechanism that
tamed the noisy neighbour. The expected lines are worked out by hand:
quota = cores x 100000 µs, at least 1000 µs (the kubelet's minimum). The hidden cases
are in the chapter's test cell (its hidden-test block), not here."""
from __future__ import annotations

from typing import Callable

from kitlib.checks import Case

PUBLIC = [("500m (half a CPU)", "500m", "50000 100000"),
          ("1 (a whole CPU)", "1", "100000 100000"),
          ("2 (two CPUs)", "2", "200000 100000"),
          ("1.5 (decimal cores)", "1.5", "150000 100000"),
          ("None (no limit)", None, "max 100000")]


def expect(fn: Callable, limit: str | None, want: str) -> Callable[[], None]:
    def check() -> None:
        got = fn(limit)
        assert isinstance(got, str), f"return a str like {want!r}, not {type(got).__name__} {got!r}"
        assert got == want, f"for {limit!r} expected {want!r}, got {got!r}"
    return check


def cases(fn: Callable) -> list[Case]:
    return [Case(name, expect(fn, limit, want), time_limit=5) for name, limit, want in PUBLIC]

