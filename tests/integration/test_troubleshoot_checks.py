"""Chapter 07's lab checks, tested both ways against the real cluster: the reference repair
(the chapter's solution cell) earns every point; deleting and re-creating, scaling to 0,
repairing only some faults, or changing the healthy workload do not."""
import time

import pytest
from kubernetes import client

from exercises.solutions import solution
from exercises.troubleshoot import checks, faults
from exercises.troubleshoot import lab as troubleshoot_lab
from kitlib import cluster
from kitlib.checks import Case, run_cases
from kitlib.grading import nbmeta as m
from kitlib.kube import apply, delete_namespace, new_namespace, wait_for
from kitlib.paths import REPO_DIR
from kitlib.troubleshoot import look

pytestmark = pytest.mark.cluster

CHAPTER, GRADE_ID = "07-when-things-go-wrong", "lab-repair"
NOTEBOOK = REPO_DIR / "chapters" / f"{CHAPTER}.ipynb"
QUICK = 20          # how long the checks wait for a wrong repair to settle (it never does)


@pytest.fixture
def lab(api):
    namespace = new_namespace(api, "ch07-test")
    try:
        # seed 1 mixes pod faults with a Service fault on both providers
        yield troubleshoot_lab.break_namespace(api, namespace, 1, cluster.status().provider,
                                               say=lambda line: None)
    finally:
        delete_namespace(api, namespace)


def hidden_checks(api, lab):
    """The notebook's hidden checks (they live only in the chapter's test cell)."""
    [cell] = [c for c in m.read(NOTEBOOK).cells if m.grade_id(c) == "check-lab"]
    [code] = [text for is_hidden, text in m.hidden_segments(cell.source) if is_hidden]
    names = {"api": api, "lab": lab, "checks": checks, "client": client, "Case": Case,
             "run_cases": run_cases}      # what the public part of the cell imported
    try:
        exec(compile(code, "check-lab (hidden)", "exec"), names)
    except AssertionError:
        pass
    return names["hidden"]


def reference_repair(api, lab):
    solution(CHAPTER, GRADE_ID, using={"api": api, "LAB_NS": lab.namespace,
                                       "client": client, "look": look})


def test_the_lab_starts_broken_and_the_feedback_says_what_not_how(api, lab):
    summary = checks.public(api, lab, settle_timeout=0)
    assert summary.points == 0 and len(summary.results) == 4
    text = summary.render()
    for hint in ("nodeSelector", "affinity", "requests", "image", "command", "targetPort", "selector"):
        assert hint not in text, hint
    assert hidden_checks(api, lab).all_passed          # the healthy one is healthy


def test_a_lab_left_broken_settles_once_nothing_changes_not_after_the_timeout(api, lab):
    started = time.monotonic()
    checks.settle(api, lab, timeout=600, say=lambda line: None, still_for=5)
    assert time.monotonic() - started < 120
    assert not checks.rolling_out(api, lab)
    assert all(checks.problems(api, lab, w) for w in lab.broken)


def test_the_reference_repair_earns_every_point(api, lab):
    reference_repair(api, lab)
    summary, hidden = checks.public(api, lab), hidden_checks(api, lab)
    assert summary.all_passed and summary.points == 8
    assert hidden.all_passed and hidden.points == 2


def test_deleting_and_recreating_earns_nothing(api, lab):
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    for w in lab.broken:
        apps.delete_namespaced_deployment(w.name, lab.namespace)
        core.delete_namespaced_service(w.name, lab.namespace)
    for w in lab.broken:
        wait_for(lambda w=w: not apps.list_namespaced_deployment(
            lab.namespace, field_selector=f"metadata.name={w.name}").items, what="deleted")
        apply(api, list(faults.workload(w.name)), namespace=lab.namespace)   # healthy copies
    summary = checks.public(api, lab, settle_timeout=QUICK)
    assert summary.points == 0
    assert all("not the one the kit created" in r.message for r in summary.results)


def test_scaling_to_zero_earns_nothing(api, lab):
    for w in lab.broken:
        client.AppsV1Api(api).patch_namespaced_deployment_scale(
            w.name, lab.namespace, {"spec": {"replicas": 0}})
    summary = checks.public(api, lab, settle_timeout=QUICK)
    assert summary.points == 0
    assert all("asks for 0 replicas" in r.message for r in summary.results)


def test_repairing_only_the_services_gets_partial_credit(api, lab):
    core = client.CoreV1Api(api)
    service_faults = [w for w in lab.broken if w.symptom in ("no-endpoints", "port")]
    assert service_faults and len(service_faults) < len(lab.broken)
    for w in service_faults:
        core.patch_namespaced_service(w.name, lab.namespace, {"spec": {
            "selector": {"app": w.name}, "ports": [{"port": 80, "targetPort": 80}]}})
    summary = checks.public(api, lab, settle_timeout=QUICK)
    assert summary.points == checks.POINTS_PER_FAULT * len(service_faults)
    still = {r.name.split()[1] for r in summary.failures}
    assert still == {w.name for w in lab.broken} - {w.name for w in service_faults}


def test_changing_the_healthy_workload_fails_the_hidden_check(api, lab):
    reference_repair(api, lab)
    [healthy] = lab.healthy
    client.AppsV1Api(api).patch_namespaced_deployment(
        healthy.name, lab.namespace, {"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.26"}]}}}})
    hidden = hidden_checks(api, lab)
    assert not hidden.all_passed and hidden.points == 0
