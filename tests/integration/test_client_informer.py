"""The shared informer against the real API server: a relist after 410 Gone reports what
changed while the watch was down, a broken watch resumes without losing an event, and
stop() ends its thread while a watch is open."""
import threading

import pytest
from kubernetes import client

from kitlib.client import Informer, Rest, collection_path
from kitlib.controller import GROUP, PLURAL, VERSION, install_crd, podset
from kitlib.kube import temp_namespace, wait_for

pytestmark = pytest.mark.cluster


class GatedRest(Rest):
    """Rest whose watch requests the test can hold back (the watch is "down") and then
    let through broken or from a resourceVersion the server has forgotten."""

    def __init__(self, api):
        super().__init__(api)
        self.gate = threading.Event()
        self.gate.set()
        self.held = threading.Event()          # a watch request is waiting at the gate
        self.next_watch = None                 # None, "too old" or "broken"

    def watch(self, path, resource_version, timeout_seconds=300, **query):
        if not self.gate.is_set():
            self.held.set()
            self.gate.wait()
        trouble, self.next_watch = self.next_watch, None
        if trouble == "broken":
            raise ConnectionResetError("watch connection reset (injected)")
        if trouble == "too old":
            # A custom resource's watch cache starts at the resourceVersion it was created
            # at, so the API server answers "1" with 410 Gone (too old resource version).
            resource_version = "1"
        return super().watch(path, resource_version, timeout_seconds, **query)


class Recorder:
    def __init__(self):
        self.events, self.lock = [], threading.Lock()

    def __call__(self, kind, old, new):
        with self.lock:
            self.events.append((kind, (new or old)["metadata"]["name"]))

    def since(self, mark):
        with self.lock:
            return self.events[mark:]


@pytest.fixture
def podsets(api):
    install_crd(api)
    custom = client.CustomObjectsApi(api)
    with temp_namespace(api, "it-informer") as ns:
        def create(name):
            custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, podset(name, 0))

        def delete(name):
            custom.delete_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, name)

        def scale(name, replicas):
            custom.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, name,
                                                  {"spec": {"replicas": replicas}})

        def names():
            items = custom.list_namespaced_custom_object(GROUP, VERSION, ns, PLURAL)["items"]
            return sorted(i["metadata"]["name"] for i in items)
        yield ns, create, delete, scale, names


def informer_threads(name):
    return [t.name for t in threading.enumerate() if t.name.startswith(f"informer-{name}")]


def start(api, ns, name, recorder, watch_timeout=1):
    rest = GatedRest(api)
    informer = Informer(rest, collection_path(f"{GROUP}/{VERSION}", PLURAL, ns), recorder,
                        name=name, watch_timeout=watch_timeout).start()
    assert informer.wait_for_sync(30)
    return rest, informer


def hold_watch(rest):
    """Close the gate and wait until the informer's next watch request waits there
    (its current watch ends within watch_timeout)."""
    rest.gate.clear()
    assert rest.held.wait(30)


def test_a_relist_after_410_reports_what_changed_while_the_watch_was_down(api, podsets):
    ns, create, delete, scale, names = podsets
    for name in ("keep", "change", "drop", "again"):
        create(name)
    seen = Recorder()
    rest, informer = start(api, ns, "it-relist", seen)
    try:
        assert sorted(name for _, name in seen.events) == ["again", "change", "drop", "keep"]
        hold_watch(rest)
        mark = len(seen.events)
        create("new")
        scale("change", 2)
        delete("drop")
        delete("again")
        wait_for(lambda: "again" not in names(), what="the old 'again' to be gone")
        create("again")                         # same name, new uid
        rest.next_watch = "too old"
        rest.gate.set()
        wait_for(lambda: informer.relists == 1 and len(seen.since(mark)) >= 5, timeout=30,
                 what="a relist and its events")
        events = seen.since(mark)
        assert sorted(events) == [("ADDED", "again"), ("ADDED", "new"), ("DELETED", "again"),
                                  ("DELETED", "drop"), ("MODIFIED", "change")]
        assert events.index(("DELETED", "again")) < events.index(("ADDED", "again"))
        assert [k.split("/")[1] for k in informer.store.keys()] == names()
        assert informer.store.get(ns, "change")["spec"]["replicas"] == 2
    finally:
        rest.gate.set()
        assert informer.stop()


def test_a_broken_watch_resumes_from_its_resource_version_without_losing_events(api, podsets):
    ns, create, delete, _, names = podsets
    seen = Recorder()
    rest, informer = start(api, ns, "it-resume", seen)
    try:
        hold_watch(rest)
        create("flash")                         # created and deleted while the watch is down:
        delete("flash")                         # a relist would never see it
        wait_for(lambda: "flash" not in names(), what="'flash' to be gone")
        create("stays")
        rest.next_watch = "broken"
        rest.gate.set()
        wait_for(lambda: len(seen.events) >= 3, timeout=30, what="the missed events")
        assert seen.events == [("ADDED", "flash"), ("DELETED", "flash"), ("ADDED", "stays")]
        assert informer.relists == 0
    finally:
        rest.gate.set()
        assert informer.stop()


def test_stop_ends_the_thread_blocked_in_a_watch(api, podsets):
    ns, create, *_ = podsets
    seen = Recorder()
    _, informer = start(api, ns, "it-stop", seen, watch_timeout=240)
    create("late")
    wait_for(lambda: ("ADDED", "late") in seen.events, timeout=30, what="the watch to deliver")
    assert informer_threads("it-stop")
    assert informer.stop()                  # the server would keep this watch open for 240s
    assert not informer_threads("it-stop")
    assert informer.stop()                  # twice is fine
