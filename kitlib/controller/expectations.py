"""Expectations: what a controller has asked for and not yet seen in its cache.

A cache lags behind the API server. Right after creating three pods, the cache may still
show none; a controller that trusted it would create three more. The ReplicaSet
controller therefore records "I expect 3 creations" before it creates them, the pod
informer counts them down as it sees them, and the controller does not act on that
PodSet again until the count is zero (or the record is older than ``ttl``, in case an
event was lost).

    if ctx.expectations.satisfied(key):
        ctx.expectations.expect(key, creations=3)
        ... create 3 pods ...
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Iterable


@dataclass
class _Record:
    creations: int = 0
    deletions: set = field(default_factory=set)      # names of pods we asked to delete
    since: float = field(default_factory=time.monotonic)


class Expectations:
    def __init__(self, ttl: float = 60.0):
        self.ttl = ttl
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()
        self._unsatisfied_at_start: set[str] = set()   # keys whose reconcile began unsatisfied

    def begin(self, key: str) -> None:
        """A reconcile of ``key`` begins (the framework calls it). Until it ends, satisfied(key)
        answers as now, if now is "no": the caches it reads during the reconcile may predate
        the moment the last pod it waits for was seen. (kube's ReplicaSet controller asks
        for expectations before it lists pods, for the same reason.)"""
        with self._lock:
            if not self._satisfied(key):
                self._unsatisfied_at_start.add(key)

    def end(self, key: str) -> None:
        with self._lock:
            self._unsatisfied_at_start.discard(key)

    def expect(self, key: str, creations: int = 0, deletions: Iterable[str] = ()) -> None:
        """Record that we are about to create ``creations`` pods and delete the pods
        named in ``deletions`` for ``key`` (replaces an older record)."""
        with self._lock:
            self._records[key] = _Record(max(0, int(creations)), set(deletions))
            self._unsatisfied_at_start.discard(key)

    def creation_observed(self, key: str) -> None:
        """One expected pod was seen in the cache (or its creation failed)."""
        with self._lock:
            record = self._records.get(key)
            if record and record.creations > 0:
                record.creations -= 1

    def deletion_observed(self, key: str, pod_name: str) -> None:
        """A pod we expected to go is going (or its deletion failed)."""
        with self._lock:
            record = self._records.get(key)
            if record:
                record.deletions.discard(pod_name)

    def satisfied(self, key: str) -> bool:
        """True when the cache has caught up with everything we did for ``key`` (during a
        reconcile of ``key``: had caught up when it began; see ``begin``)."""
        with self._lock:
            return key not in self._unsatisfied_at_start and self._satisfied(key)

    def _satisfied(self, key: str) -> bool:
        record = self._records.get(key)
        if record is None:
            return True
        if record.creations <= 0 and not record.deletions:
            return True
        return time.monotonic() - record.since > self.ttl

    def pending(self, key: str) -> tuple[int, int]:
        """(creations, deletions) still awaited for ``key``."""
        with self._lock:
            record = self._records.get(key)
            return (record.creations, len(record.deletions)) if record else (0, 0)

    def forget(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)
            self._unsatisfied_at_start.discard(key)
