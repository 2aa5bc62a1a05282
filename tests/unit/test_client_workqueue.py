"""The shared work queue and its per-key back-off (no cluster)."""
import threading
import time

import pytest

from kitlib.client import ExponentialBackoff, WorkQueue


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_key_queued_twice_is_processed_once():
    q = WorkQueue()
    for key in ("ns/a", "ns/a", "ns/b"):
        q.add(key)
    assert len(q) == 2
    assert [q.get(timeout=0), q.get(timeout=0)] == ["ns/a", "ns/b"]
    assert q.get(timeout=0) is None


def test_a_key_re_added_while_processing_is_processed_again_after_done():
    q = WorkQueue()
    q.add("ns/a")
    key = q.get(timeout=0)
    q.add("ns/a")
    q.add("ns/a")
    assert len(q) == 0                      # not handed to a second worker meanwhile
    assert q.get(timeout=0) is None
    q.done(key)
    assert q.get(timeout=0) == "ns/a"       # exactly once more
    q.done("ns/a")
    assert q.get(timeout=0) is None


def test_done_without_re_add_does_not_requeue():
    q = WorkQueue()
    q.add("k")
    q.done(q.get(timeout=0))
    assert q.idle() and q.get(timeout=0) is None


def test_two_workers_never_hold_the_same_key():
    q = WorkQueue()
    held, overlaps, lock = set(), [], threading.Lock()

    def worker():
        while (key := q.get(timeout=0.5)) is not None:
            with lock:
                if key in held:
                    overlaps.append(key)
                held.add(key)
            time.sleep(0.001)
            with lock:
                held.discard(key)
            q.done(key)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(300):
        q.add(f"k{i % 3}")
    for t in threads:
        t.join(5)
    assert not overlaps


def test_add_after_waits_and_keeps_the_earliest_due_time():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    q.add_after("k", 10)
    q.add_after("k", 5)                     # earlier: replaces
    q.add_after("k", 20)                    # later: ignored
    assert q.delayed() == 1
    assert q.get(timeout=0) is None
    clock.now += 5
    assert q.get(timeout=0) == "k"
    q.done("k")
    clock.now += 30
    assert q.get(timeout=0) is None         # the superseded entries do not fire again


def test_add_after_really_wakes_a_waiting_worker():
    q = WorkQueue()
    q.add_after("k", 0.05)
    assert q.get(timeout=5) == "k"


def test_delayed_key_already_queued_is_deduplicated():
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    q.add("k")
    q.add_after("k", 1)
    clock.now += 2
    assert q.get(timeout=0) == "k"
    assert q.get(timeout=0) is None


def test_rate_limited_requeue_backs_off_exponentially_and_forget_resets():
    clock = FakeClock()
    q = WorkQueue(ExponentialBackoff(base=1, cap=8), clock=clock)
    waits = []
    for _ in range(5):
        q.add_rate_limited("k")
        start = clock.now
        while q.get(timeout=0) is None:
            clock.now += 0.5
        waits.append(clock.now - start)
        q.done("k")
    assert waits == [1, 2, 4, 8, 8]
    assert q.num_requeues("k") == 5
    q.forget("k")
    assert q.num_requeues("k") == 0


def test_backoff_per_key_and_capped():
    b = ExponentialBackoff(base=0.05, cap=1)
    assert [b.when("a") for _ in range(6)] == [0.05, 0.1, 0.2, 0.4, 0.8, 1]
    assert b.when("b") == 0.05              # keys are independent
    for _ in range(200):
        b.when("c")
    assert b.when("c") == 1                 # no overflow after many failures
    b.forget("a")
    assert b.when("a") == 0.05


def test_backoff_rejects_nonsense():
    with pytest.raises(ValueError):
        ExponentialBackoff(base=0)
    with pytest.raises(ValueError):
        ExponentialBackoff(base=2, cap=1)


def test_shut_down_wakes_workers_and_ignores_adds():
    q = WorkQueue()
    got = []
    t = threading.Thread(target=lambda: got.append(q.get()))
    t.start()
    time.sleep(0.05)
    q.shut_down()
    t.join(5)
    assert got == [None] and not t.is_alive()
    q.add("k")
    assert len(q) == 0
