"""Checks for chapter 09's exercise, run in the grader's own kernel.

For each run: a fresh namespace (report-bot's) and a second one, the ServiceAccount, the
ConfigMaps and a Secret; then the learner's objects — ``rbac_manifests(namespace)``, a
list of manifest dicts or YAML text — are checked and applied. Accepted: Roles,
RoleBindings and ClusterRoles for that namespace. Rejected: anything else, and every
ClusterRoleBinding (it grants its role in every namespace, and report-bot works in one),
a RoleBinding to a User or Group (``system:serviceaccounts:<ns>`` would be every
ServiceAccount there), and a ClusterRole that aggregates into others. The learner's ClusterRoles are applied under
a name of the run's own (references rewritten), so they can never replace a built-in role
or another learner's; everything made is removed at the end.

Each question is a SubjectAccessReview for ``system:serviceaccount:<ns>:report-bot`` and its
groups, and one case makes real requests with a TokenRequest token. Feedback names the
request that is wrong, never the fix. Denials and the real requests count only once
report-bot can do all of its work (an answer that grants nothing denies everything)."""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from exercises.access import reportbot
from kitlib.access import review, tokens
from kitlib.checks import Case, Summary, run_cases
from kitlib.kube import apply, delete_namespace, load_manifests, wait_for

ACCEPTED = {"Role", "RoleBinding", "ClusterRole"}
RBAC_API = "rbac.authorization.k8s.io/v1"
RUN_LABEL = "kitlib/access-check"
SENTINEL = "kit-check-sentinel"


@dataclass
class Trial:
    namespace: str
    other: str
    problems: list[str] = field(default_factory=list)
    _can_work: bool | None = None

    @property
    def applied(self) -> bool:
        return not self.problems

    def user(self) -> tuple[str, list[str]]:
        return tokens.username(self.namespace, reportbot.SERVICE_ACCOUNT), tokens.groups(self.namespace)

    def ask(self, api: client.ApiClient, text: str) -> bool:
        ask = review.Ask.parse(text)
        if ask.namespace == "other":
            ask = ask.in_namespace(self.other)
        return review.subject_review(api, *self.user(), ask, self.namespace)


def answer_problems(manifests: list, namespace: str) -> list[str]:
    """Why these objects are not accepted (empty: they are)."""
    found = []
    if not manifests:
        return ["no objects: report-bot needs some permissions"]
    for m in manifests:
        if not isinstance(m, dict):
            found.append(f"not a manifest: {type(m).__name__}")
            continue
        kind, name = m.get("kind"), (m.get("metadata") or {}).get("name")
        label = f"{kind} {name}"
        if kind == "ClusterRoleBinding":
            found.append(f"{label}: a ClusterRoleBinding grants its role in every namespace; "
                         "report-bot works in one")
        elif kind not in ACCEPTED:
            found.append(f"{label}: only Role, RoleBinding and ClusterRole are accepted here")
        elif m.get("apiVersion") != RBAC_API:
            found.append(f"{label}: apiVersion should be {RBAC_API}")
        elif not name:
            found.append(f"{kind} without metadata.name")
        elif kind != "ClusterRole" and (m["metadata"].get("namespace") or namespace) != namespace:
            found.append(f"{label}: belongs in namespace {namespace}")
        elif kind == "RoleBinding" and any(subject.get("kind") != "ServiceAccount"
                                           for subject in m.get("subjects") or []):
            found.append(f"{label}: grants to a User or Group, not only to a ServiceAccount")
        elif kind == "ClusterRole" and (m.get("aggregationRule") or any(
                "aggregate-to" in k for k in (m["metadata"].get("labels") or {}))):
            found.append(f"{label}: aggregates into other roles (or them into it)")
    return found


def _renamed(manifests: list[dict], run: str) -> list[dict]:
    """The learner's ClusterRoles under names of this run, and bindings pointing at them."""
    mine = {m["metadata"]["name"] for m in manifests if m["kind"] == "ClusterRole"}
    out = []
    for m in manifests:
        m = {**m, "metadata": dict(m["metadata"])}
        if m["kind"] == "ClusterRole":
            m["metadata"]["name"] = f"{m['metadata']['name']}-{run}"
            m["metadata"]["labels"] = {**(m["metadata"].get("labels") or {}), RUN_LABEL: run}
        if m["kind"] == "RoleBinding" and (m.get("roleRef") or {}).get("kind") == "ClusterRole" \
                and m["roleRef"]["name"] in mine:
            m["roleRef"] = {**m["roleRef"], "name": f"{m['roleRef']['name']}-{run}"}
        out.append(m)
    return out


def _world(api: client.ApiClient, namespace: str) -> None:
    """What report-bot's namespace holds before the learner's objects arrive."""
    core = client.CoreV1Api(api)
    tokens.service_account(api, namespace, reportbot.SERVICE_ACCOUNT)
    for name in (reportbot.SETTINGS, reportbot.OTHER_CONFIG):
        core.create_namespaced_config_map(namespace, {"metadata": {"name": name}, "data": {"k": "v"}})
    core.create_namespaced_secret(namespace, {"metadata": {"name": reportbot.SECRET},
                                              "stringData": {"password": "not-for-report-bot"}})


def _settled(api: client.ApiClient, trial: Trial) -> None:
    """Wait until the authorizer has seen the learner's objects: a Role and RoleBinding of
    the checks' own, applied after them, must take effect (it lets report-bot read its own
    ServiceAccount, which no question asks about)."""
    sa = reportbot.SERVICE_ACCOUNT
    apply(api, [{"apiVersion": RBAC_API, "kind": "Role", "metadata": {"name": SENTINEL},
                 "rules": [{"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get"],
                            "resourceNames": [sa]}]},
                {"apiVersion": RBAC_API, "kind": "RoleBinding", "metadata": {"name": SENTINEL},
                 "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SENTINEL},
                 "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": trial.namespace}]}],
          namespace=trial.namespace)
    wait_for(lambda: trial.ask(api, f"get serviceaccounts {sa}"), timeout=20, what="RBAC to take effect")
    time.sleep(0.5)


def start(api: client.ApiClient, rbac_manifests) -> Trial:
    """Fresh namespaces, the learner's objects checked and applied (see the module's doc)."""
    run = uuid.uuid4().hex[:6]
    core = client.CoreV1Api(api)
    trial = Trial(f"ch09-check-{run}", f"ch09-other-{run}")
    for ns in (trial.namespace, trial.other):
        core.create_namespace({"metadata": {"name": ns, "labels": {"kitlib/temporary": "true", RUN_LABEL: run}}})
        _world(api, ns)
    try:
        manifests = load_manifests(rbac_manifests(trial.namespace))
    except Exception as exc:                       # the learner's function raised
        from kitlib.checks import describe_exception
        trial.problems = [f"rbac_manifests({trial.namespace!r}) {describe_exception(exc)}"]
        return trial
    trial.problems = answer_problems(manifests, trial.namespace)
    if trial.problems:
        return trial
    for m in _renamed(manifests, run):
        try:
            apply(api, m, namespace=trial.namespace)
        except ApiException as exc:
            trial.problems.append(f"{m['kind']} {m['metadata']['name']}: the API server refused it "
                                  f"({exc.status} {exc.reason})")
    if not trial.problems:
        _settled(api, trial)
    return trial


def remove(api: client.ApiClient, trial: Trial) -> None:
    """Delete the run's namespaces and the ClusterRoles it made (without waiting)."""
    run = trial.namespace.rsplit("-", 1)[-1]
    rbac = client.RbacAuthorizationV1Api(api)
    for cr in rbac.list_cluster_role(label_selector=f"{RUN_LABEL}={run}").items:
        rbac.delete_cluster_role(cr.metadata.name)
    for ns in (trial.namespace, trial.other):
        delete_namespace(api, ns)


def _need_applied(trial: Trial) -> None:
    assert trial.applied, "not checked: your objects were not accepted (see the first line)"


def _can_work(api: client.ApiClient, trial: Trial) -> bool:
    if trial._can_work is None:
        trial._can_work = all(trial.ask(api, text) for text in reportbot.MUST_ALLOW)
    return trial._can_work


def _need_work(api, trial: Trial) -> None:
    assert _can_work(api, trial), "not counted: report-bot cannot yet do all of its work"


def allowed_case(api, trial: Trial, text: str, points: float, hidden: bool = False) -> Case:
    def check():
        _need_applied(trial)
        assert trial.ask(api, text), f"report-bot may not: {text}"
    return Case(f"may {text}", check, points=points, hidden=hidden)


def denied_case(api, trial: Trial, text: str, points: float, hidden: bool = False) -> Case:
    def check():
        _need_applied(trial)
        _need_work(api, trial)
        assert not trial.ask(api, text), f"report-bot may: {text}"
    return Case(f"may not {text}", check, points=points, hidden=hidden)


def real_requests_case(api, trial: Trial, points: float) -> Case:
    """With a TokenRequest token, as report-bot itself: list pods here (200), read the
    Secret (403), list pods in the other namespace (403)."""
    def check():
        _need_applied(trial)
        _need_work(api, trial)
        bot = tokens.client_with_token(api, tokens.request_token(api, trial.namespace, reportbot.SERVICE_ACCOUNT))
        core = client.CoreV1Api(bot)
        try:
            core.list_namespaced_pod(trial.namespace)
        except ApiException as exc:
            raise AssertionError(f"as report-bot, listing pods got {exc.status} {exc.reason}") from None
        for what, call in (("reading a Secret", lambda: core.read_namespaced_secret(reportbot.SECRET, trial.namespace)),
                           ("listing pods in another namespace", lambda: core.list_namespaced_pod(trial.other))):
            try:
                call()
            except ApiException as exc:
                if exc.status == 403:
                    continue
                raise
            raise AssertionError(f"as report-bot, {what} succeeded")
    return Case("real requests with report-bot's token", check, points=points)


def public(api: client.ApiClient, rbac_manifests) -> Summary:
    """The public checks (10 points); everything made is removed afterwards."""
    trial = start(api, rbac_manifests)
    try:
        def accepted():
            assert trial.applied, "; ".join(trial.problems)
        cases = [Case("objects accepted and applied", accepted, points=1)]
        cases += [allowed_case(api, trial, text, 0.5) for text in reportbot.MUST_ALLOW]
        cases += [denied_case(api, trial, text, 1) for text in reportbot.MUST_DENY]
        cases.append(real_requests_case(api, trial, 2))
        return run_cases("report-bot: least privilege", cases, out_of=15)
    finally:
        remove(api, trial)


def denials(api: client.ApiClient, rbac_manifests, title: str, texts: list[str],
            points: float = 1, hidden: bool = True) -> Summary:
    """More questions report-bot must be denied, in a run of their own."""
    trial = start(api, rbac_manifests)
    try:
        return run_cases(title, [denied_case(api, trial, t, points, hidden) for t in texts])
    finally:
        remove(api, trial)
