"""The two rate limiters of client-go: per-item exponential back-off (workqueue's
ItemExponentialFailureRateLimiter) and a token bucket (flowcontrol's, behind ``qps`` and
``burst`` of every client).

    backoff = ExponentialBackoff(base=0.05, cap=30)
    backoff.when("ns/web")          # 0.05, then 0.1, 0.2, ... for each failure in a row
    backoff.forget("ns/web")        # it worked: start again from 0.05

    writes = TokenBucket(qps=50, burst=100)
    writes.take()                   # returns at once while tokens last, then paces
"""
from __future__ import annotations

import threading
import time
from typing import Callable, Hashable


class ExponentialBackoff:
    """Delay before retrying a key that failed ``n`` times in a row: ``base * 2**n``,
    at most ``cap`` seconds."""

    def __init__(self, base: float = 0.05, cap: float = 30.0):
        if base <= 0 or cap < base:
            raise ValueError("need 0 < base <= cap")
        self.base, self.cap = base, cap
        self._failures: dict[Hashable, int] = {}
        self._lock = threading.Lock()

    def when(self, key: Hashable) -> float:
        """Record one more failure of ``key`` and return how long to wait before retrying."""
        with self._lock:
            n = self._failures.get(key, 0)
            self._failures[key] = n + 1
        if n >= 64:                      # 2**64 overflows any sensible float maths
            return self.cap
        return min(self.cap, self.base * (2 ** n))

    def failures(self, key: Hashable) -> int:
        with self._lock:
            return self._failures.get(key, 0)

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._failures.pop(key, None)


class TokenBucket:
    """``qps`` tokens a second, at most ``burst`` saved up; ``qps <= 0`` means no limit."""

    def __init__(self, qps: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.qps, self.burst = float(qps), int(burst)
        self._clock = clock
        self._tokens, self._last = float(burst), clock()
        self._lock = threading.Lock()

    def _wait_needed(self) -> float:
        """Take a token if there is one (0.0), else return seconds until there is one."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.qps)
            self._last = now
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            return (1 - self._tokens) / self.qps

    def try_take(self) -> bool:
        return self.qps <= 0 or self._wait_needed() == 0.0

    def take(self, stop: threading.Event | None = None) -> None:
        """Take a token, waiting for one if needed; returns early once ``stop`` is set."""
        if self.qps <= 0:
            return
        while (wait := self._wait_needed()) > 0:
            if stop is None:
                time.sleep(wait)
            elif stop.wait(wait):
                return
