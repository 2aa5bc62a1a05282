"""The kit's scheduler against a real API server: it binds through pods/binding, records
events like kube-scheduler, leaves other schedulers' pods alone, survives binding
conflicts, runs as a process, and the exercise's end-to-end check works both ways."""
import signal
import subprocess
import sys
import time
import uuid

import pytest

from exercises.scheduler import checks, reference, stage
from exercises.scheduler import scenarios as S
from kitlib.client import Rest
from kitlib.kube import delete_namespace, wait_for
from kitlib.scheduler import Framework, FunctionPlugin, Scheduler, SchedulingFailing

pytestmark = pytest.mark.cluster


@pytest.fixture
def pool(api):
    """Two simulated nodes of this test's own, removed afterwards."""
    name = f"it-{uuid.uuid4().hex[:6]}"
    S.create_nodes(api, [S.node(f"{name}-a", cpu="2", memory="4Gi", labels={"pool": name}),
                         S.node(f"{name}-b", cpu="4", memory="8Gi", labels={"pool": name})], name)
    yield name
    S.delete_nodes(api, name)


@pytest.fixture
def ns(api):
    name = f"it-sched-{uuid.uuid4().hex[:6]}"
    Rest(api).post("/api/v1/namespaces", {"metadata": {"name": name}})
    yield name
    delete_namespace(api, name)


def bound(api, ns, name):
    return Rest(api).get(f"/api/v1/namespaces/{ns}/pods/{name}")["spec"].get("nodeName")


def events(api, ns):
    return Rest(api).get(f"/apis/events.k8s.io/v1/namespaces/{ns}/events")["items"]


def test_binds_pods_and_records_events(api, pool, ns):
    pods = [S.pod(f"p{i}", "1", "1Gi", node_selector={"pool": pool}) for i in range(4)]
    pods.append(S.pod("too-big", "16", node_selector={"pool": pool}))
    with Scheduler(api, reference.framework()) as sched:
        S.create_pods(api, ns, pods)
        wait_for(lambda: all(bound(api, ns, f"p{i}") for i in range(4)), timeout=60, what="4 pods bound")
        wait_for(lambda: len(events(api, ns)) >= 5, timeout=30, what="5 events")
    placed = sorted(bound(api, ns, f"p{i}") for i in range(4))
    # LeastAllocated + BalancedAllocation spread: the 4-CPU node takes 3, the 2-CPU node 1
    assert placed == [f"{pool}-a", f"{pool}-b", f"{pool}-b", f"{pool}-b"]
    assert bound(api, ns, "too-big") is None
    evs = events(api, ns)
    scheduled = {e["regarding"]["name"]: e for e in evs if e["reason"] == "Scheduled"}
    assert set(scheduled) == {f"p{i}" for i in range(4)}
    e = scheduled["p0"]
    assert (e["type"], e["action"], e["reportingController"]) == ("Normal", "Binding", "kit-scheduler")
    assert e["note"] == f"Successfully assigned {ns}/p0 to {bound(api, ns, 'p0')}"
    failed = [e for e in evs if e["reason"] == "FailedScheduling"]
    assert len(failed) == 1 and failed[0]["type"] == "Warning"
    assert failed[0]["note"].startswith("0/") and "2 Insufficient cpu" in failed[0]["note"]
    assert sched.stats["scheduled"] == 4


def test_other_schedulers_pods_are_untouched(api, pool, ns):
    S.create_pods(api, ns, [S.pod("default", "100m", scheduler="default-scheduler", node_selector={"pool": pool}),
                            S.pod("someone-else", "100m", scheduler="not-us", node_selector={"pool": pool}),
                            S.pod("ours", "100m", node_selector={"pool": pool})])
    with Scheduler(api, reference.framework()) as sched:
        wait_for(lambda: bound(api, ns, "ours") and bound(api, ns, "default"), timeout=60, what="bindings")
        time.sleep(1)          # give it every chance to (wrongly) touch the others
    assert bound(api, ns, "someone-else") is None
    assert set(sched.placements) == {f"{ns}/ours"}
    by = {(e["regarding"]["name"], e.get("reportingController")) for e in events(api, ns)}
    assert ("ours", "kit-scheduler") in by and ("default", "kit-scheduler") not in by


def test_binding_conflicts_are_survived(api, pool, ns):
    rest = Rest(api)
    sched = Scheduler(api, reference.framework())
    # 1. already bound by someone else
    taken = rest.post(f"/api/v1/namespaces/{ns}/pods", S.strip_for_create(S.pod("taken", scheduler="not-us")))
    rest.post(f"/api/v1/namespaces/{ns}/pods/taken/binding",
              {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "taken", "uid": taken["metadata"]["uid"]},
               "target": {"kind": "Node", "name": f"{pool}-a"}})
    sched._bind(taken, f"{pool}-b")
    # 2. deleted meanwhile
    gone = rest.post(f"/api/v1/namespaces/{ns}/pods", S.strip_for_create(S.pod("gone", scheduler="not-us")))
    rest.call("DELETE", f"/api/v1/namespaces/{ns}/pods/gone", query={"gracePeriodSeconds": "0"})
    sched._bind(gone, f"{pool}-b")
    # 3. deleted and re-created under the same name: the old UID must not bind the new pod
    old = rest.post(f"/api/v1/namespaces/{ns}/pods", S.strip_for_create(S.pod("again", scheduler="not-us")))
    rest.call("DELETE", f"/api/v1/namespaces/{ns}/pods/again", query={"gracePeriodSeconds": "0"})
    wait_for(lambda: "again" not in {p["metadata"]["name"] for p in S.list_pods(api, ns)}, what="old pod gone")
    rest.post(f"/api/v1/namespaces/{ns}/pods", S.strip_for_create(S.pod("again", scheduler="not-us")))
    sched._bind(old, f"{pool}-b")
    assert sched.stats["bind_conflicts"] == 3 and sched.stats["scheduled"] == 0
    assert bound(api, ns, "taken") == f"{pool}-a" and bound(api, ns, "again") is None
    # and a running scheduler carries on after a conflict
    with Scheduler(api, reference.framework()) as running:
        running._binds.put(({**taken, "spec": {**taken["spec"]}}, f"{pool}-b"))
        with running._lock:
            running._binding += 1
        S.create_pods(api, ns, [S.pod("after", "100m", node_selector={"pool": pool})])
        wait_for(lambda: bound(api, ns, "after"), timeout=60, what="pod bound after a conflict")
    assert running.stats["bind_conflicts"] == 1


def test_runs_as_a_process(api, kubeconfig, pool, ns):
    proc = subprocess.Popen([sys.executable, "-m", "kitlib.scheduler", "--kubeconfig", str(kubeconfig),
                             "--framework", "exercises.scheduler.reference:framework"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        S.create_pods(api, ns, [S.pod("via-process", "100m", node_selector={"pool": pool})])
        wait_for(lambda: bound(api, ns, "via-process"), timeout=60, what="pod bound by the process")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "watching pods with spec.schedulerName=kit-scheduler" in out and "1 pods bound" in out


def test_end_to_end_check_passes_for_the_reference(api):
    S.create_nodes(api, stage.chapter_nodes(), "ch05")
    try:
        from kitlib.checks import run_cases
        summary = run_cases("e2e", checks.end_to_end_cases(api, reference.framework()), show=False)
        assert summary.all_passed, summary.render()
    finally:
        S.delete_nodes(api, "ch05")


def test_end_to_end_check_fails_fast_for_the_student_version(api):
    def todo(*args):
        raise NotImplementedError()
    fw = checks.learner_framework(unschedulable=todo, fit=todo, affinity=todo, taint_filter=todo,
                                  taint_score=todo, taint_normalize=todo, least_allocated=todo, balanced=todo)
    from kitlib.checks import run_cases
    summary = run_cases("e2e", checks.end_to_end_cases(api, fw), show=False)
    assert not summary.all_passed
    for r in summary.results:
        assert "your plugins failed before any pod was created" in r.message
        assert "NotImplementedError" in r.message


def test_wait_for_stops_when_the_plugins_cannot_place_the_pods(api, pool, ns):
    """A learner waiting on their scheduler reads the plugin's error at once, not a timeout a
    minute later; a plugin that fails once and then works is waited for."""
    left = {"failures": 1}

    def not_written(pod, node_info):
        raise NotImplementedError()

    def buggy(pod, node_info):
        return {}["cpu"]

    def flaky(pod, node_info):
        if left["failures"] > 0:
            left["failures"] -= 1
            raise RuntimeError("not yet")

    def framework(filter_):
        return Framework(filters=[FunctionPlugin("Mine", filter=filter_)])

    def pods(prefix):
        return [S.pod(f"{prefix}{i}", "100m", node_selector={"pool": pool}) for i in range(3)]

    for prefix, filter_, error in (("a", not_written, "not implemented yet"), ("b", buggy, "KeyError")):
        with Scheduler(api, framework(filter_)) as sched:
            S.create_pods(api, ns, pods(prefix))
            started = time.monotonic()
            with pytest.raises(SchedulingFailing, match=f'"Mine" filter plugin: .*{error}'):
                sched.wait_for(lambda: False, what="pods that will never be bound", timeout=60)
            assert time.monotonic() - started < 20
    with Scheduler(api, framework(flaky)) as sched:
        S.create_pods(api, ns, pods("c"))
        names = [f"{p}{i}" for p in "abc" for i in range(3)]
        assert sched.wait_for(lambda: all(bound(api, ns, n) for n in names), what="9 pods bound", timeout=60)
    assert left["failures"] == 0 and sched.stats["plugin_errors"] == 1
