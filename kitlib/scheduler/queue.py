"""kube-scheduler's scheduling queue, kept small: active pods in a heap (higher priority
first, then arrival order), plus pods that fit nowhere for now, waiting for a cluster
change and their back-off (1s doubling to 10s), or ``flush_interval`` seconds; pods whose
cycle a plugin's error ended wait for their back-off only."""
from __future__ import annotations

import heapq
import itertools
import threading
import time

from kitlib.client import ExponentialBackoff


class SchedulingQueue:
    INITIAL_BACKOFF, MAX_BACKOFF = 1.0, 10.0

    def __init__(self, flush_interval: float = 30.0):
        self.cond = threading.Condition()
        self.heap: list = []
        self.active: dict[str, dict] = {}
        self.unschedulable: dict[str, list] = {}    # uid -> [pod, failed at, back-off, event seen]
        self.backoff = ExponentialBackoff(self.INITIAL_BACKOFF, self.MAX_BACKOFF)
        self.in_flight: set[str] = set()
        self.seq = itertools.count()
        self.flush_interval = flush_interval
        self.closed = False

    @staticmethod
    def _priority(pod: dict) -> int:
        return int(pod["spec"].get("priority") or 0)

    def _push(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        self.active[uid] = pod
        heapq.heappush(self.heap, (-self._priority(pod), next(self.seq), uid))
        self.cond.notify()

    def add(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        with self.cond:
            if uid in self.active:
                self.active[uid] = pod
            elif uid in self.unschedulable:
                self.unschedulable[uid][0] = pod
            elif uid not in self.in_flight:
                self._push(pod)

    def remove(self, uid: str) -> None:
        with self.cond:
            self.active.pop(uid, None)        # its heap entry is skipped when popped
            self.unschedulable.pop(uid, None)
            self.backoff.forget(uid)

    def mark_unschedulable(self, pod: dict, error: bool = False) -> None:
        """Put ``pod`` aside until a cluster change and its back-off; with ``error`` (a
        plugin raised: no change in the cluster is needed to try again) after its back-off
        alone, as kube-scheduler's backoffQ does."""
        uid = pod["metadata"]["uid"]
        with self.cond:
            delay = self.backoff.when(uid)    # grows with every failed attempt
            if uid not in self.active:
                self.unschedulable[uid] = [pod, time.monotonic(), delay, error]

    def on_cluster_event(self) -> None:
        """Something changed (a node added or changed, a pod gone): pods that did not
        fit may fit now, once their back-off has passed."""
        with self.cond:
            for entry in self.unschedulable.values():
                entry[3] = True
            self.cond.notify()

    def _move_due(self) -> float:
        """Move pods whose time has come back to active; return seconds to the next one."""
        now, next_due = time.monotonic(), 1.0
        for uid, (pod, failed_at, delay, seen) in list(self.unschedulable.items()):
            due = failed_at + (delay if seen else self.flush_interval)
            if due <= now:
                del self.unschedulable[uid]
                self._push(pod)
            else:
                next_due = min(next_due, due - now)
        return next_due

    def pop(self, timeout: float = 0.5) -> dict | None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.closed:
                wait = self._move_due()
                while self.heap:
                    _, _, uid = heapq.heappop(self.heap)
                    pod = self.active.pop(uid, None)
                    if pod is not None:
                        self.in_flight.add(uid)
                        return pod
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(wait, left))
        return None

    def done(self, uid: str) -> None:
        with self.cond:
            self.in_flight.discard(uid)

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def pending(self) -> int:
        with self.cond:
            return len(self.active) + len(self.unschedulable) + len(self.in_flight)
