"""The scheduling queue (no cluster): priority order, and the back-off of pods that fit
nowhere (the shared ExponentialBackoff: 1s doubling to 10s), reset when a pod goes."""
from exercises.scheduler import scenarios as S
from kitlib.scheduler.queue import SchedulingQueue


def test_higher_priority_first_then_arrival_order():
    q = SchedulingQueue()
    for name, priority in (("a", 0), ("b", 10), ("c", 0)):
        q.add(S.pod(name, priority=priority))
    assert [q.pop(0)["metadata"]["name"] for _ in range(3)] == ["b", "a", "c"]
    assert q.pop(0) is None and q.pending() == 3        # all three in flight until done()


def test_unschedulable_pods_back_off_longer_each_time_and_removal_resets():
    q = SchedulingQueue()
    pod = S.pod("big")
    uid = pod["metadata"]["uid"]
    delays = []
    for _ in range(6):
        q.mark_unschedulable(pod)
        delays.append(q.unschedulable[uid][2])
    assert delays == [1, 2, 4, 8, 10, 10]
    q.remove(uid)
    assert uid not in q.unschedulable and q.backoff.failures(uid) == 0


def test_a_pod_a_plugin_failed_on_returns_after_its_back_off_without_a_cluster_change():
    q = SchedulingQueue(flush_interval=3600)
    fits_nowhere, plugin_failed = S.pod("big"), S.pod("error")
    q.mark_unschedulable(fits_nowhere)
    q.mark_unschedulable(plugin_failed, error=True)
    for entry in q.unschedulable.values():
        entry[1] -= 1.5                       # both back-offs (1s) have passed
    assert q.pop(0)["metadata"]["name"] == "error"
    assert q.pop(0) is None                   # "big" waits for a node or pod to change
    q.on_cluster_event()
    assert q.pop(0)["metadata"]["name"] == "big"
