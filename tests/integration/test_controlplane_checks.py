"""Chapter 10's checks ("which part is down?"), tested both ways on a real control plane:
the reference and differently written right answers are right in every state the checks
make; wrong answers are wrong in the states that expose them. Each state is made once and
every candidate is asked in it (a state takes up to ~20 s to show). The chapter's test cell
itself (hidden part included) runs under nbval and in the grading round trip."""
import datetime as dt

import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from exercises import solutions
from exercises.controlplane import checks

pytestmark = pytest.mark.cluster

CHAPTER, GRADE_ID, CHECK_ID = "10-your-control-plane", "components-down", "check-components-down"
WATCHED = ("kube-scheduler", "kube-controller-manager")


def reference():
    return solutions.solution(CHAPTER, GRADE_ID)["components_down"]


# ---------------------------------------------------------------- right answers
def by_probing_the_work(api):
    """Watches whether each part's work gets done (a pod placed, a ReplicaSet's pod made)."""
    import time
    import uuid
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    ns = f"probe-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": ns}})
    try:    # made by the serviceaccount controller, which may be the one that is down
        core.create_namespaced_service_account(ns, {"metadata": {"name": "default"}})
    except ApiException as exc:
        if exc.status != 409:
            raise
    spec = {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}],
            "tolerations": [{"operator": "Exists"}]}
    try:
        core.create_namespaced_pod(ns, {"metadata": {"name": "probe"}, "spec": spec})
        apps.create_namespaced_replica_set(ns, {
            "metadata": {"name": "probe"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"probe": "rs"}},
                     "template": {"metadata": {"labels": {"probe": "rs"}}, "spec": spec}}})
        placed = made = False
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline and not (placed and made):
            placed = placed or bool(core.read_namespaced_pod("probe", ns).spec.node_name)
            made = made or bool(core.list_namespaced_pod(ns, label_selector="probe=rs").items)
            time.sleep(0.3)
        return {name for name, ok in (("kube-scheduler", placed), ("kube-controller-manager", made))
                if not ok}
    finally:
        core.delete_namespace(ns)


def lists_all_leases(api):
    """One list call; renewTime compared in epoch seconds; a list, not a set."""
    leases = client.CoordinationV1Api(api).list_namespaced_lease("kube-system").items
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    alive = [lease.metadata.name for lease in leases
             if lease.spec.holder_identity and lease.spec.renew_time
             and now - lease.spec.renew_time.timestamp() <= lease.spec.lease_duration_seconds]
    return [name for name in WATCHED if name not in alive]


RIGHT = {"reference": reference, "probes the work": lambda: by_probing_the_work,
         "lists all leases": lambda: lists_all_leases}


# ---------------------------------------------------------------- wrong answers
def holder_only(api):
    """Takes a held Lease for a live component: a hung one still holds it."""
    down = set()
    for name in WATCHED:
        try:
            lease = client.CoordinationV1Api(api).read_namespaced_lease(name, "kube-system")
        except ApiException:
            down.add(name)
            continue
        if not lease.spec.holder_identity:
            down.add(name)
    return down


def fixed_fifteen_seconds(api):
    """Ignores the holder and leaseDurationSeconds: a Lease handed back looks fresh."""
    now = dt.datetime.now(dt.timezone.utc)
    return {name for name in WATCHED
            if (now - client.CoordinationV1Api(api).read_namespaced_lease(name, "kube-system")
                .spec.renew_time).total_seconds() > 15}


def mirror_pods(api):
    """Looks for the components' pods in kube-system: the Docker-free cluster has none, and
    on kind a static pod's mirror outlives a frozen process."""
    pods = client.CoreV1Api(api).list_namespaced_pod("kube-system").items
    running = {p.metadata.labels.get("component") for p in pods if p.metadata.labels
               and p.status.phase == "Running"}
    return {name for name in WATCHED if name not in running}


WRONG = {"holder only": (holder_only, {"kube-scheduler hung"}),
         "fixed 15 s": (fixed_fifteen_seconds, {"kube-scheduler stopped"}),
         "always nothing": (lambda api: set(), {"kube-scheduler stopped", "kube-controller-manager stopped",
                                                "kube-scheduler hung", "both stopped"}),
         "mirror pods": (mirror_pods, {"kube-scheduler hung"})}

STATES = [checks.Scenario("nothing down"),
          checks.Scenario("kube-scheduler stopped", stop=("kube-scheduler",)),
          checks.Scenario("kube-controller-manager stopped", stop=("kube-controller-manager",)),
          checks.Scenario("kube-scheduler hung", freeze=("kube-scheduler",)),
          checks.Scenario("both stopped", stop=WATCHED)]


@pytest.fixture(scope="module")
def verdicts(api):
    """{(candidate, state): None if right, else the failure message}, every state made once."""
    candidates = {name: make() for name, make in RIGHT.items()}
    candidates.update({name: fn for name, (fn, _) in WRONG.items()})
    found = {}
    for sc in STATES:
        with checks.in_state(api, sc):
            for name, fn in candidates.items():
                try:
                    checks.verdict(fn, api, sc)
                    found[name, sc.name] = None
                except AssertionError as exc:
                    found[name, sc.name] = str(exc)
    return found


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_right_answers_are_right_in_every_state(verdicts, name):
    wrong = {state: why for (who, state), why in verdicts.items() if who == name and why}
    assert not wrong, f"{name}: {wrong}"


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_answers_fail_where_they_are_wrong(verdicts, name):
    _, exposed_by = WRONG[name]
    failed = {state for (who, state), why in verdicts.items() if who == name and why}
    assert exposed_by <= failed, f"{name} failed only {sorted(failed)}"


def test_odd_return_values_are_explained(api):
    with pytest.raises(AssertionError, match="return a set of component names"):
        checks.verdict(lambda api: "kube-scheduler", api, STATES[0])
    with pytest.raises(AssertionError, match="must be strings"):
        checks.verdict(lambda api: {1}, api, STATES[0])
