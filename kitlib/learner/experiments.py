"""Predict, then run: graded questions that check understanding rather than typing.

The learner writes predictions (a dict of plain values) in a solution cell; a locked cell
runs an experiment on the live cluster and records what happened in a ConfigMap of the
experiment's namespace; the test cell — which may run in another process, seeing only the
learner's answer names — reads that record back and compares.

    ns = experiments.namespace("ch03-predict")            # $KIT_NAMESPACE when graded
    experiments.fresh(api, ns)
    seen = experiments.ch03_who_does_what(api, ns)        # runs it, records it, returns it
    ...
    cases = experiments.prediction_cases(predictions, experiments.recorded(api, ns), CH03_CHOICES)

What the right answers are is not in this module: the public checks compare a prediction
with what the cluster did; the notebooks' hidden tests compare it with the known answer.
"""
from __future__ import annotations

import json
import time
from typing import Any

from kubernetes import client
from kubernetes.client.rest import ApiException

from kitlib.checks import Case, grading_namespace
from kitlib.kube import apply, delete_namespace, wait_for

RECORD = "kit-observed"          # the ConfigMap an experiment writes what it saw into

# The choices a prediction may take, per question (shown to the learner in the chapter).
CH03_CHOICES = {
    "creates the new pod": ("kube-apiserver", "default-scheduler", "replicaset-controller",
                            "deployment-controller", "kubelet"),
    "chooses its node": ("kube-apiserver", "default-scheduler", "replicaset-controller",
                         "deployment-controller", "kubelet"),
    "bare pod deleted: replaced?": (True, False),
    "ReplicaSet deleted: its pods": ("deleted", "kept"),
}
CH04_CHOICES = {
    "change the image": ("updated in place", "replaced by a new pod", "rejected"),
    "change the containerPort": ("updated in place", "replaced by a new pod", "rejected"),
    "add a second container": ("updated in place", "replaced by a new pod", "rejected"),
    "delete the pod: recreated?": (True, False),
}


def namespace(name: str) -> str:
    """The experiment's namespace: the grader's when graded (``$KIT_NAMESPACE``), else
    ``name`` — a literal, so a test cell run in another process finds the same one."""
    return grading_namespace() or name


def fresh(api: client.ApiClient, name: str) -> str:
    """An empty namespace ``name`` (a leftover from an interrupted run is removed first);
    the grader's own namespace is used as it is."""
    if name != grading_namespace():
        delete_namespace(api, name, wait=True)
        client.CoreV1Api(api).create_namespace(
            {"metadata": {"name": name, "labels": {"kitlib/temporary": "true"}}})
    return name


def record(api: client.ApiClient, ns: str, data: dict[str, Any], name: str = RECORD) -> None:
    """Keep plain data (JSON) in a ConfigMap of ``ns``, replacing an earlier record."""
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
            "data": {"record.json": json.dumps(data, sort_keys=True)}}
    core = client.CoreV1Api(api)
    try:
        core.replace_namespaced_config_map(name, ns, body)
    except ApiException as exc:
        if exc.status != 404:
            raise
        core.create_namespaced_config_map(ns, body)


def recorded(api: client.ApiClient, ns: str, name: str = RECORD) -> dict[str, Any]:
    """What ``record`` kept; a clear error when the experiment has not run."""
    try:
        cm = client.CoreV1Api(api).read_namespaced_config_map(name, ns)
    except ApiException as exc:
        if exc.status == 404:
            raise LookupError(f"no record {name!r} in namespace {ns!r}: run the experiment "
                              "cell above first") from None
        raise
    return json.loads((cm.data or {}).get("record.json", "{}"))


# --- the chapters' experiments ---------------------------------------------------------------

def _reporters(api: client.ApiClient, ns: str, reason: str, name_prefix: str) -> list[str]:
    events = client.CoreV1Api(api).list_namespaced_event(ns).items
    return sorted({(e.reporting_component or (e.source.component if e.source else "") or "?")
                   for e in events if e.reason == reason
                   and (e.involved_object.name or "").startswith(name_prefix)})


def _pod(name: str, image: str = "nginx:1.27") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"containers": [{"name": "web", "image": image, "ports": [{"containerPort": 80}],
                                     "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}],
                     "terminationGracePeriodSeconds": 0}}


def _pods(api: client.ApiClient, ns: str, selector: str) -> list:
    return [p for p in client.CoreV1Api(api).list_namespaced_pod(ns, label_selector=selector).items
            if not p.metadata.deletion_timestamp]


def ch03_who_does_what(api: client.ApiClient, ns: str, settle: float = 5) -> dict[str, Any]:
    """Scale a ReplicaSet from 1 to 2 and see who signs the new pod's events; delete a bare
    pod and see whether anything replaces it; delete the ReplicaSet and see its pods go."""
    from kitlib.tour.controllers import replicaset
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    rs = replicaset("trial", replicas=1)
    rs["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "10m"}}
    apply(api, rs, namespace=ns)
    wait_for(lambda: len(_pods(api, ns, "app=trial")) == 1, timeout=120, what="1 trial pod")
    apps.patch_namespaced_replica_set("trial", ns, {"spec": {"replicas": 2}})
    wait_for(lambda: len(_pods(api, ns, "app=trial")) == 2, timeout=120, what="2 trial pods")
    creators = wait_for(lambda: _reporters(api, ns, "SuccessfulCreate", "trial"), what="create events")
    placers = wait_for(lambda: _reporters(api, ns, "Scheduled", "trial-"), what="Scheduled events")

    apply(api, _pod("loner"), namespace=ns)
    wait_for(lambda: _pods(api, ns, "app=loner"), timeout=120, what="the pod loner")
    core.delete_namespaced_pod("loner", ns, grace_period_seconds=0)
    wait_for(lambda: not _pods(api, ns, "app=loner"), timeout=60, what="loner to go")
    time.sleep(settle)                  # time enough for any controller to act
    replaced = bool(_pods(api, ns, "app=loner"))

    apps.delete_namespaced_replica_set("trial", ns)
    try:
        wait_for(lambda: not _pods(api, ns, "app=trial"), timeout=60, what="the trial pods to go")
    except TimeoutError:
        pass
    seen = {"creates the new pod": creators[0] if len(creators) == 1 else creators,
            "chooses its node": placers[0] if len(placers) == 1 else placers,
            "bare pod deleted: replaced?": replaced,
            "ReplicaSet deleted: its pods": "kept" if _pods(api, ns, "app=trial") else "deleted"}
    record(api, ns, seen)
    return seen


def _outcome(change) -> str:
    try:
        change()
    except ApiException as exc:
        if exc.status in (403, 422):
            return "rejected"
        raise
    return "updated in place"


def ch04_change_a_pod(api: client.ApiClient, ns: str, settle: float = 5) -> dict[str, Any]:
    """Make a bare pod ``hello``, then try three changes on the live object and delete it."""
    core = client.CoreV1Api(api)
    apply(api, _pod("hello"), namespace=ns)
    uid = wait_for(lambda: _pods(api, ns, "app=hello")[0].metadata.uid, timeout=120, what="pod hello")

    def same_pod(outcome: str) -> str:
        now = _pods(api, ns, "app=hello")
        return outcome if now and now[0].metadata.uid == uid else "replaced by a new pod"

    seen = {
        "change the image": same_pod(_outcome(lambda: core.patch_namespaced_pod(
            "hello", ns, {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}))),
        "change the containerPort": same_pod(_outcome(lambda: core.patch_namespaced_pod(
            "hello", ns, {"spec": {"containers": [{"name": "web", "ports": [{"containerPort": 8080}]}]}}))),
        "add a second container": same_pod(_outcome(lambda: core.patch_namespaced_pod(
            "hello", ns, {"spec": {"containers": [{"name": "extra", "image": "nginx:1.27"}]}}))),
    }
    core.delete_namespaced_pod("hello", ns, grace_period_seconds=0)
    wait_for(lambda: not _pods(api, ns, "app=hello"), timeout=60, what="hello to go")
    time.sleep(settle)
    seen["delete the pod: recreated?"] = bool(_pods(api, ns, "app=hello"))
    record(api, ns, seen)
    return seen


# --- checks ----------------------------------------------------------------------------------

def _shape(predictions: Any, choices: dict[str, tuple]) -> None:
    assert isinstance(predictions, dict), f"predictions should be a dict, not {type(predictions).__name__}"
    missing = [k for k in choices if k not in predictions]
    assert not missing, f"no prediction for {missing}"
    for key, allowed in choices.items():
        value = predictions[key]
        assert type(value) is type(allowed[0]) and value in allowed, (
            f"{key!r}: {value!r} is not one of the choices {list(allowed)}")


def prediction_cases(predictions: Any, seen: dict[str, Any], choices: dict[str, tuple]) -> list[Case]:
    """One case per prediction, compared with what the experiment recorded; the first checks
    that every prediction is one of its choices. (A prediction is marked on what happened:
    whether it is also the expected answer is the hidden tests' business.)"""
    def shape():
        _shape(predictions, choices)

    def matches(key: str):
        def check():
            assert isinstance(predictions, dict) and key in predictions, f"no prediction for {key!r}"
            assert key in seen, f"the experiment recorded nothing for {key!r}: run it again"
            assert predictions[key] == seen[key], (
                f"you predicted {predictions[key]!r}; the cluster did {seen[key]!r} — why?")
        return check
    return [Case("predictions are recorded with the given choices", shape)] + [
        Case(f"{key}: as the cluster did", matches(key)) for key in choices]


def ch04_broken_pod(api: client.ApiClient, ns: str, timeout: float = 60) -> str:
    """A pod ``web`` made from a manifest with a mistake in it: it asks for a node labelled
    ``disktype=ssd``, which no node has, so it stays Pending. Returns the scheduler's
    message, once it has one."""
    pod = _pod("web")
    pod["spec"]["nodeSelector"] = {"disktype": "ssd"}
    apply(api, pod, namespace=ns)

    def message():
        p = client.CoreV1Api(api).read_namespaced_pod("web", ns)
        return next((c.message for c in p.status.conditions or []
                     if c.type == "PodScheduled" and c.status == "False" and c.message), None)
    return wait_for(message, timeout=timeout, what="the scheduler's verdict on pod web")
