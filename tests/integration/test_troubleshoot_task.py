"""Chapter 4's troubleshooting task, checked both ways against the real cluster: the
reference repair and one written differently pass; doing nothing, changing the workload,
or labelling a node instead of repairing the pod do not."""
import threading
import time

import pytest
from kubernetes import client

from exercises.solutions import solution
from exercises.solutions import test_cell as cell_source
from kitlib import kube
from kitlib.checks.namespace import NAMESPACE_ENV
from kitlib.kube import StoppedWaiting, delete_namespace, new_namespace
from kitlib.learner import experiments

pytestmark = pytest.mark.cluster

CHAPTER = "04-pods-and-manifests"


@pytest.fixture
def broken(api, monkeypatch):
    namespace = new_namespace(api, "ch04-fix-test")
    monkeypatch.setenv(NAMESPACE_ENV, namespace)     # the test cell finds it as the grader's
    experiments.ch04_broken_pod(api, namespace)
    try:
        yield namespace
    finally:
        delete_namespace(api, namespace)


def check(namespace) -> tuple[bool, bool]:
    """(public checks passed, hidden checks passed) of the chapter's test cell."""
    names: dict = {}
    try:
        exec(compile(cell_source(CHAPTER, "ch04-fix-test"), "ch04-fix-test", "exec"), names)
        return True, True
    except AssertionError:
        return bool(names.get("summary") and names["summary"].all_passed), False


def reference_fix(api):
    """The chapter's solution cell, as it runs there: it ends by calling fix on the
    exercise's namespace (here the test's, as $KIT_NAMESPACE)."""
    solution(CHAPTER, "ch04-fix", using={"client": client, "kube": kube, "api": api,
                                         "experiments": experiments})


def recreate_without_selector(api, namespace, image=None):
    """Another correct style: the pod as it is, minus the selector, via read -> dict."""
    core = client.CoreV1Api(api)
    old = api.sanitize_for_serialization(core.read_namespaced_pod("web", namespace))
    containers = [{k: v for k, v in c.items() if k != "volumeMounts"}     # the token mount
                  for c in old["spec"]["containers"]]                      # is the server's
    spec = {"containers": containers}
    if image:
        spec["containers"][0]["image"] = image
    core.delete_namespaced_pod("web", namespace, grace_period_seconds=0)
    kube.wait_for(lambda: kube.pod_phase(api, namespace, "web") is None, what="the old pod to go")
    core.create_namespaced_pod(namespace, {"metadata": {"name": "web", "labels": old["metadata"]["labels"]},
                                           "spec": spec})


def test_the_reference_repair_passes(api, broken):
    reference_fix(api)
    assert check(broken) == (True, True)


def test_a_repair_written_differently_passes(api, broken):
    recreate_without_selector(api, broken)
    assert check(broken) == (True, True)


def test_doing_nothing_fails_with_the_schedulers_reason_without_waiting_out_the_minute(api, broken):
    started = time.monotonic()
    assert check(broken) == (False, False)
    assert time.monotonic() - started < 50      # the pod stays unschedulable: no 60 s wait
    with pytest.raises(StoppedWaiting, match="pod web cannot be scheduled: 0/3 nodes are available"):
        kube.wait_for_running(api, broken, "web", timeout=60, stuck_after=2)


def test_a_pod_that_becomes_schedulable_while_waited_for_is_waited_for(api, broken):
    core = client.CoreV1Api(api)
    node = next(n.metadata.name for n in core.list_node().items
                if "node-role.kubernetes.io/control-plane" not in (n.metadata.labels or {}))
    later = threading.Timer(5, core.patch_node, (node, {"metadata": {"labels": {"disktype": "ssd"}}}))
    later.start()
    try:
        assert kube.wait_for_running(api, broken, "web", timeout=60).spec.node_name == node
    finally:
        later.join()
        core.patch_node(node, {"metadata": {"labels": {"disktype": None}}})


def test_changing_the_workload_fails(api, broken):
    recreate_without_selector(api, broken, image="nginx:1.26")
    assert check(broken) == (False, False)


def test_labelling_a_node_instead_fails_the_hidden_check(api, broken):
    core = client.CoreV1Api(api)
    node = next(n.metadata.name for n in core.list_node().items
                if "node-role.kubernetes.io/control-plane" not in (n.metadata.labels or {}))
    core.patch_node(node, {"metadata": {"labels": {"disktype": "ssd"}}})
    try:
        assert check(broken) == (True, False)
    finally:
        core.patch_node(node, {"metadata": {"labels": {"disktype": None}}})
