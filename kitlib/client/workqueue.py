"""A work queue of keys with the semantics of client-go's rate-limited workqueue.

* A key queued several times before a worker takes it is processed **once** (deduplicated).
* A key is never processed by two workers at once. If it is added again while a worker is
  processing it, it is marked dirty and handed out again after ``done(key)``.
* ``add_after(key, delay)`` queues it later; ``add_rate_limited(key)`` queues it after an
  exponential backoff that grows with each failure of that key; ``forget(key)`` resets it.

    q = WorkQueue()
    q.add("default/web"); q.add("default/web")      # one entry
    key = q.get()                                   # "default/web", now processing
    ...                                             # reconcile it
    q.forget(key); q.done(key)                      # success: reset its backoff
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from typing import Callable, Hashable

from kitlib.client.ratelimit import ExponentialBackoff


class WorkQueue:
    def __init__(self, backoff: ExponentialBackoff | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.backoff = backoff or ExponentialBackoff()
        self._clock = clock
        self._queue: deque = deque()       # keys ready to hand out, in order
        self._dirty: set = set()           # keys waiting to be processed (queued or re-added)
        self._processing: set = set()      # keys a worker holds right now
        self._waiting: list = []           # heap of (due, seq, key) for add_after
        self._due: dict = {}               # key -> earliest due time among its delayed adds
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._shutting_down = False
        self.adds = 0                      # how many add() calls (including deduplicated ones)

    # ------------------------------------------------------------------ adding
    def add(self, key: Hashable) -> None:
        with self._cond:
            self._add_locked(key)

    def _add_locked(self, key: Hashable) -> None:
        if self._shutting_down:
            return
        self.adds += 1
        if key in self._dirty:
            return                          # already waiting: deduplicated
        self._dirty.add(key)
        if key in self._processing:
            return                          # handed out again by done()
        self._queue.append(key)
        self._cond.notify()

    def add_after(self, key: Hashable, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if self._shutting_down:
                return
            due = self._clock() + delay
            if key in self._due and self._due[key] <= due:
                return                      # an earlier delayed add already covers it
            self._due[key] = due
            heapq.heappush(self._waiting, (due, next(self._seq), key))
            self._cond.notify()

    def add_rate_limited(self, key: Hashable) -> None:
        self.add_after(key, self.backoff.when(key))

    def forget(self, key: Hashable) -> None:
        self.backoff.forget(key)

    def num_requeues(self, key: Hashable) -> int:
        return self.backoff.failures(key)

    # ------------------------------------------------------------------ taking
    def _promote_due_locked(self) -> float | None:
        """Move delayed keys whose time has come into the queue; return seconds until
        the next one is due (None when there is none)."""
        now = self._clock()
        while self._waiting:
            due, _, key = self._waiting[0]
            if self._due.get(key) != due:          # superseded by an earlier add_after
                heapq.heappop(self._waiting)
                continue
            if due > now:
                return due - now
            heapq.heappop(self._waiting)
            del self._due[key]
            self._add_locked(key)
        return None

    def get(self, timeout: float | None = None) -> Hashable | None:
        """The next key to process (marked as processing), or None after ``timeout``
        seconds or once the queue is shut down."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._cond:
            while True:
                next_due = self._promote_due_locked()
                if self._queue:
                    key = self._queue.popleft()
                    self._processing.add(key)
                    self._dirty.discard(key)
                    return key
                if self._shutting_down:
                    return None
                wait = next_due
                if deadline is not None:
                    left = deadline - self._clock()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)

    def done(self, key: Hashable) -> None:
        """The worker finished ``key``; if it was re-added meanwhile, queue it again."""
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty and not self._shutting_down:
                self._queue.append(key)
                self._cond.notify()

    # ------------------------------------------------------------------ state
    def shut_down(self) -> None:
        """Stop handing out keys: get() returns None, adds are ignored."""
        with self._cond:
            self._shutting_down = True
            self._cond.notify_all()

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    def __len__(self) -> int:
        """Keys ready to be handed out now (not counting delayed ones)."""
        with self._cond:
            return len(self._queue)

    def idle(self) -> bool:
        """Nothing queued, nothing being processed (delayed keys may still be waiting)."""
        with self._cond:
            self._promote_due_locked()
            return not self._queue and not self._processing

    def delayed(self) -> int:
        with self._cond:
            return len(self._due)
