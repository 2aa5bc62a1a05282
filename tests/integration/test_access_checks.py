"""Chapter 09's least-privilege checks, tested both ways on a real API server: the
reference and differently written right answers earn every point; answers that grant too
much, too little, or to the wrong ServiceAccount do not — each for the reason named."""
import pytest
from kubernetes import client

from exercises import solutions
from exercises.access import checks
from exercises.solutions import solution
from kitlib.grading import nbmeta as m

pytestmark = pytest.mark.cluster

CHAPTER, GRADE_ID, CHECK_ID = "09-who-may-do-what", "report-bot-rbac", "check-report-bot"
RBAC = "rbac.authorization.k8s.io/v1"


def grade(answer) -> dict:
    """Run the test cell as the grader does: public and hidden parts apart, each reporting
    its own summary; returns {"public": Summary, "hidden": Summary | None}."""
    names = {"__name__": "check", "rbac_manifests": answer}
    for _, code in m.hidden_segments(solutions.test_cell(CHAPTER, CHECK_ID)):
        try:
            exec(compile(code, CHECK_ID, "exec"), names)
        except AssertionError:
            pass
    return {"public": names["summary"], "hidden": names.get("hidden")}


def points(result) -> float:
    return result["public"].points + result["hidden"].points


def failed(result) -> set[str]:
    return {r.name for part in result.values() for r in part.failures}


def binding(ns, role, kind="Role", sa="report-bot", name="report-bot"):
    return {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]}


def role(name, rules, kind="Role"):
    return {"apiVersion": RBAC, "kind": kind, "metadata": {"name": name}, "rules": rules}


def rules(pod_verbs=("get", "list", "watch"), logs=True, names=("report-settings",), cm_verbs=("get",)):
    found = [{"apiGroups": [""], "resources": ["pods"], "verbs": list(pod_verbs)},
             {"apiGroups": [""], "resources": ["configmaps"], "verbs": list(cm_verbs),
              **({"resourceNames": list(names)} if names else {})},
             {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}]
    if logs:
        found.append({"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]})
    return found


# ---------------------------------------------------------------- right answers
def yaml_with_a_cluster_role(namespace):
    """YAML text; a ClusterRole granted in the namespace by a RoleBinding."""
    return f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: pod-reporter
rules:
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get]
- apiGroups: [""]
  resources: [pods]
  verbs: [list, watch]
- apiGroups: [""]
  resources: [configmaps]
  resourceNames: [report-settings]
  verbs: [get]
- apiGroups: [""]
  resources: [events]
  verbs: [create]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: report-bot-reports
  namespace: {namespace}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: pod-reporter
subjects:
- kind: ServiceAccount
  name: report-bot
  namespace: {namespace}
"""


def a_role_per_need(namespace):
    needs = {"pods": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]},
                      {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]}],
             "settings": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"],
                           "resourceNames": ["report-settings"]}],
             "events": [{"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}]}
    out = []
    for need, its_rules in needs.items():
        out += [role(f"report-{need}", its_rules), binding(namespace, f"report-{need}", name=f"report-{need}")]
    return out


@pytest.mark.parametrize("answer", [
    lambda ns: solution(CHAPTER, GRADE_ID)["rbac_manifests"](ns),
    yaml_with_a_cluster_role,
    a_role_per_need,
], ids=["reference", "yaml-clusterrole-rolebinding", "role-per-need"])
def test_right_answers_earn_every_point(answer):
    result = grade(answer)
    assert result["public"].all_passed, result["public"].render()
    assert result["hidden"].all_passed, result["hidden"].render()
    assert points(result) == 15


# ---------------------------------------------------------------- wrong answers
def binds_edit(ns):
    return [binding(ns, "edit", kind="ClusterRole")]


def wildcard_verbs(ns):
    return [role("report-bot", [{"apiGroups": [""], "resources": ["pods", "pods/log", "events"], "verbs": ["*"]},
                                *rules()[1:2]]), binding(ns, "report-bot")]


def no_logs(ns):
    return [role("report-bot", rules(logs=False)), binding(ns, "report-bot")]


def every_config_map(ns):
    return [role("report-bot", rules(names=())), binding(ns, "report-bot")]


def cluster_wide(ns):
    crb = {**binding(ns, "report-bot", kind="ClusterRole"), "kind": "ClusterRoleBinding"}
    return [role("report-bot", rules(), kind="ClusterRole"), crb]


def wrong_service_account(ns):
    return [role("report-bot", rules()), binding(ns, "report-bot", sa="reportbot")]


def not_written(ns):
    raise NotImplementedError


def test_binding_edit_is_too_much():
    result = grade(binds_edit)
    assert {"may not get secrets", "may not delete pods", "may not list configmaps",
            "real requests with report-bot's token", "may not create pods/exec",
            "may not get configmaps app-config"} <= failed(result)
    assert "may not list pods -n other" not in failed(result)       # edit bound in one namespace


def test_wildcard_verbs_fail_the_denials_they_open():
    result = grade(wildcard_verbs)
    assert "may not delete pods" in failed(result)
    assert "may not get secrets" not in failed(result)
    assert points(result) < 15


def test_missing_logs_loses_the_row_and_the_denials():
    result = grade(no_logs)
    assert "may get pods/log" in failed(result)
    assert "may get pods" not in failed(result)
    assert any("cannot yet do all of its work" in r.message for r in result["public"].failures)
    assert points(result) == 3.5            # 1 + five of six rows; no denial counts yet


def test_readable_config_maps_are_caught_by_a_hidden_check():
    result = grade(every_config_map)
    assert result["public"].all_passed            # get without resourceNames: list is still denied
    assert failed(result) == {"may not get configmaps app-config"}
    assert points(result) < 15


def test_a_cluster_role_binding_is_refused_and_earns_nothing():
    result = grade(cluster_wide)
    first = result["public"].results[0]
    assert not first.passed and "every namespace" in first.message
    assert points(result) == 0


def test_binding_another_service_account_grants_report_bot_nothing():
    result = grade(wrong_service_account)
    assert {f"may {t}" for t in ("get pods", "list pods", "get pods/log")} <= failed(result)
    assert points(result) == 1                    # accepted, and nothing more


def test_an_unwritten_answer_earns_nothing():
    result = grade(not_written)
    assert points(result) == 0
    assert "not implemented" in result["public"].results[0].message


def test_a_learner_cluster_role_never_replaces_a_built_in_one(api):
    rbac = client.RbacAuthorizationV1Api(api)
    before = rbac.read_cluster_role("view").rules

    def overwrite_view(ns):
        return [role("view", [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}], kind="ClusterRole"),
                binding(ns, "view", kind="ClusterRole")]
    result = grade(overwrite_view)
    assert "may not get secrets" in failed(result)
    assert rbac.read_cluster_role("view").rules == before
    assert not rbac.list_cluster_role(label_selector=checks.RUN_LABEL).items     # cleaned up
