"""Chapter 09's helpers that need no cluster: questions parsed like `kubectl auth can-i`'s,
token claims decoded, Pod Security messages split, and the exercise's answer rules."""
import base64
import json

from exercises.access.checks import _renamed, answer_problems
from kitlib.access import podsecurity, review, tokens


def test_questions_read_like_kubectl_auth_can_i():
    assert review.Ask.parse("get pods/log") == review.Ask("get", "pods", "log")
    assert review.Ask.parse("get configmaps report-settings").name == "report-settings"
    ask = review.Ask.parse("create rolebindings.rbac.authorization.k8s.io -n other")
    assert (ask.resource, ask.group, ask.namespace) == ("rolebindings", "rbac.authorization.k8s.io", "other")
    assert ask.attributes("mine")["namespace"] == "other"
    assert review.Ask.parse("list pods").attributes("mine") == {"verb": "list", "resource": "pods", "namespace": "mine"}


def test_claims_are_the_middle_part_of_the_token():
    payload = {"sub": "system:serviceaccount:a:b", "iat": 0, "exp": 600}
    middle = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    assert tokens.claims(f"head.{middle}.signature") == payload


def test_pod_security_messages_split_into_checks():
    message = ('pods "p" is forbidden: violates PodSecurity "restricted:latest": privileged (container "app" '
               'must not set x), runAsNonRoot != true (pod or container "app" must set y)')
    assert podsecurity.violations(message) == ["privileged", "runAsNonRoot != true"]


def rb(kind="RoleBinding", subject_kind="ServiceAccount", namespace=None, role_kind="Role"):
    meta = {"name": "b", **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": "r"},
            "subjects": [{"kind": subject_kind, "name": "report-bot", "namespace": "ns"}]}


def test_answers_are_refused_for_what_they_would_grant_beyond_the_namespace():
    assert answer_problems([rb()], "ns") == []
    assert "every namespace" in answer_problems([rb(kind="ClusterRoleBinding")], "ns")[0]
    assert "User or Group" in answer_problems([rb(subject_kind="Group")], "ns")[0]
    assert "namespace ns" in answer_problems([rb(namespace="kube-system")], "ns")[0]
    assert "only Role" in answer_problems([{"apiVersion": "v1", "kind": "ServiceAccount",
                                            "metadata": {"name": "report-bot"}}], "ns")[0]
    aggregating = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "x", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}}
    assert "aggregates" in answer_problems([aggregating], "ns")[0]
    assert answer_problems([], "ns")


def test_learner_cluster_roles_get_names_of_their_own_run():
    cluster_role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "view"}, "rules": []}
    renamed = _renamed([cluster_role, rb(role_kind="ClusterRole") | {"roleRef": {
        "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}},
        rb(role_kind="ClusterRole") | {"roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                                   "kind": "ClusterRole", "name": "edit"}}], "abc123")
    assert renamed[0]["metadata"]["name"] == "view-abc123"
    assert renamed[1]["roleRef"]["name"] == "view-abc123"       # points at the learner's own
    assert renamed[2]["roleRef"]["name"] == "edit"              # a built-in one stays
    assert cluster_role["metadata"]["name"] == "view"           # the answer itself untouched
