"""The shared client layer's parts that need no cluster: the token bucket, what a relist
reports, API errors and the event recorder. (The work queue: test_client_workqueue.py.)"""
import re

from kubernetes.client.exceptions import ApiException

from kitlib.client import ApiError, EventRecorder, Rest, TokenBucket, collection_path
from kitlib.client.informer import replace_events


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class AdvancingStop:
    """Stands in for the stop event of TokenBucket.take: waiting moves the fake clock."""

    def __init__(self, clock):
        self.clock, self.waits = clock, []

    def wait(self, seconds):
        self.waits.append(round(seconds, 6))
        self.clock.now += seconds
        return False


def test_token_bucket_allows_a_burst_then_paces_at_qps():
    clock = FakeClock()
    bucket = TokenBucket(qps=10, burst=3, clock=clock)
    assert [bucket.try_take() for _ in range(4)] == [True, True, True, False]
    clock.now += 0.1                        # one token a tenth of a second
    assert bucket.try_take() and not bucket.try_take()
    clock.now += 10                         # saved up, but never more than the burst
    assert [bucket.try_take() for _ in range(4)] == [True, True, True, False]


def test_token_bucket_take_waits_for_the_next_token():
    clock = FakeClock()
    bucket = TokenBucket(qps=2, burst=1, clock=clock)
    stop = AdvancingStop(clock)
    bucket.take(stop)
    assert stop.waits == []                 # the burst token
    bucket.take(stop)
    assert stop.waits == [0.5]              # then 1/qps seconds
    assert TokenBucket(qps=0, burst=0).try_take()    # qps 0: no limit


def obj(name, uid, rv, created="2026-01-01T00:00:00Z", namespace="ns"):
    return {"metadata": {"name": name, "namespace": namespace, "uid": uid,
                         "resourceVersion": rv, "creationTimestamp": created}}


def test_a_relist_reports_every_difference_deletions_first():
    before = {"ns/keep": obj("keep", "u1", "1"), "ns/change": obj("change", "u2", "2"),
              "ns/gone": obj("gone", "u3", "3"), "ns/again": obj("again", "u4", "4")}
    after = {"ns/keep": obj("keep", "u1", "1"),
             "ns/change": obj("change", "u2", "7"),
             "ns/again": obj("again", "u9", "8", created="2026-01-01T00:00:05Z"),
             "ns/new-b": obj("new-b", "u6", "6", created="2026-01-01T00:00:03Z"),
             "ns/new-a": obj("new-a", "u5", "5", created="2026-01-01T00:00:04Z")}
    events = [(t, (old or new)["metadata"]["name"], (new or old)["metadata"]["uid"])
              for t, old, new in replace_events(before, after)]
    assert events[:2] == [("DELETED", "gone", "u3"), ("DELETED", "again", "u4")]
    # then additions and updates, oldest first; a re-created object is a new one
    assert events[2:] == [("MODIFIED", "change", "u2"), ("ADDED", "new-b", "u6"),
                          ("ADDED", "new-a", "u5"), ("ADDED", "again", "u9")]
    assert replace_events(after, after) == []


def test_api_errors_read_the_status_and_are_api_exceptions():
    exc = ApiError(409, {"kind": "Status", "reason": "Conflict", "message": "pod is bound"})
    assert isinstance(exc, ApiException)
    assert (exc.status, exc.reason, str(exc)) == (409, "Conflict", "409 Conflict: pod is bound")
    assert str(ApiError(502, "bad gateway")) == "502 : bad gateway"
    assert collection_path("v1", "pods", "a") == "/api/v1/namespaces/a/pods"
    assert collection_path("apps/v1", "deployments") == "/apis/apps/v1/deployments"


class RecordingRest(Rest):
    def __init__(self):
        self.posts = []

    def post(self, path, body):
        self.posts.append((path, body))
        return body


def test_event_recorder_sends_events_k8s_io_events_once_per_repeat():
    rest = RecordingRest()
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web", "namespace": "demo", "uid": "u1", "resourceVersion": "5"}}
    events = EventRecorder(rest, "kit-scheduler").start()
    events.record(pod, "Warning", "FailedScheduling", "Scheduling", "0/3 nodes are available")
    events.record(pod, "Warning", "FailedScheduling", "Scheduling", "0/3 nodes are available")
    events.record(pod, "Normal", "Scheduled", "Binding", "Successfully assigned demo/web to n1")
    assert events.stop()                    # sends what is queued first
    assert [b["reason"] for _, b in rest.posts] == ["FailedScheduling", "Scheduled"]
    path, body = rest.posts[1]
    assert path == "/apis/events.k8s.io/v1/namespaces/demo/events"
    assert body["regarding"] == {"apiVersion": "v1", "kind": "Pod", "name": "web",
                                 "namespace": "demo", "uid": "u1", "resourceVersion": "5"}
    assert (body["type"], body["action"], body["reportingController"]) == \
        ("Normal", "Binding", "kit-scheduler")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", body["eventTime"])
    assert events.sent == 2
