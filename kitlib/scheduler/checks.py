"""The scheduler exercise's checks: each learner plugin is compared, node by node, with
the reference (kube-scheduler v1.37.0's behaviour) on scenarios; then the learner's
plugins schedule real pods and the placements are read back from the API.

Every check is a ``kitlib.grading.Case``: one line per case, points, a time limit, and a
one-line reason for a wrong answer, an exception, a wrong type or an endless loop.
"""
from __future__ import annotations

import copy
import time
import uuid
from typing import Callable

from kitlib.grading import Case
from kitlib.scheduler import scenarios as S
from kitlib.scheduler.framework import Framework, FunctionPlugin, NodeInfo, Status
from kitlib.scheduler.plugins import build_framework, reference_plugins
from kitlib.scheduler.scenarios import Scenario, expr, taint, toleration

SCENARIO = "ch05"            # label value of the chapter's simulated nodes


# ------------------------------------------------------------------ the chapter's nodes
def chapter_nodes() -> list[dict]:
    """Five simulated nodes with different sizes, labels and taints."""
    return [
        S.node("ch05-cordoned", cpu="4", memory="8Gi", unschedulable=True,
               labels={"zone": "b", "cpu-count": "4"}),
        S.node("ch05-gpu", cpu="4", memory="16Gi", taints=[taint("gpu", "true", "NoSchedule")],
               labels={"zone": "a", "accelerator": "nvidia", "cpu-count": "4"}),
        S.node("ch05-large", cpu="8", memory="16Gi", labels={"zone": "b", "disktype": "hdd", "cpu-count": "8"}),
        S.node("ch05-small", cpu="2", memory="4Gi", pods=4,
               labels={"zone": "a", "disktype": "ssd", "cpu-count": "2"}),
        S.node("ch05-spot", cpu="4", memory="8Gi", taints=[taint("spot", "true", "PreferNoSchedule")],
               labels={"zone": "c", "lifecycle": "spot", "cpu-count": "4"}),
    ]


def _load(prefix: str, n: int, cpu: str | None = None, memory: str | None = None) -> list[dict]:
    return [S.pod(f"{prefix}-{i}", cpu, memory) for i in range(n)]


def public_scenarios(nodes: list[dict] | None = None) -> dict[str, list[Scenario]]:
    """Public scenarios per question, on ``nodes`` (the chapter's nodes as the API shows
    them, or ``chapter_nodes()`` without a cluster)."""
    nodes = nodes or chapter_nodes()
    sc = lambda name, p, placed=None: Scenario(name, p, nodes, placed or {})
    gpu_tol = toleration("gpu", "true", "NoSchedule", "Equal")
    return {
        "NodeUnschedulable": [
            sc("cordoned node rejects a plain pod", S.pod("plain", "100m", "128Mi")),
            sc("tolerating the cordon taint lets the pod in",
               S.pod("tolerant", "100m", tolerations=[toleration("node.kubernetes.io/unschedulable",
                                                                 operator="Exists", effect="NoSchedule")])),
        ],
        "NodeResourcesFit": [
            sc("small pod fits everywhere", S.pod("small", "500m", "1Gi")),
            sc("exactly the free CPU fits; 1m more does not",
               S.pod("edge", "1500m", "1Gi"), {"ch05-small": _load("busy", 1, "500m", "1Gi"),
                                               "ch05-large": _load("busy", 1, "6501m")}),
            sc("memory too large for some nodes", S.pod("mem", "100m", "10Gi")),
            sc("both CPU and memory short: both reasons", S.pod("big", "6", "12Gi"),
               {"ch05-large": _load("busy", 1, "3", "6Gi")}),
            sc("pod slots full: Too many pods", S.pod("one-more", "100m", "100Mi"),
               {"ch05-small": _load("tiny", 4, "10m", "10Mi")}),
            sc("request-less pod needs only a pod slot", S.pod("nothing"),
               {"ch05-small": _load("tiny", 4), "ch05-large": _load("busy", 1, "8", "16Gi")}),
        ],
        "NodeAffinity": [
            sc("nodeSelector disktype=ssd", S.pod("ssd", node_selector={"disktype": "ssd"})),
            sc("required affinity zone In [a, c]", S.pod("zones", required=[[expr("zone", "In", "a", "c")]])),
            sc("NotIn and DoesNotExist in one term",
               S.pod("no-gpu", required=[[expr("zone", "NotIn", "c"), expr("accelerator", "DoesNotExist")]])),
            sc("terms are ORed", S.pod("either", required=[[expr("disktype", "In", "hdd")],
                                                           [expr("lifecycle", "Exists")]])),
            sc("nodeSelector AND affinity must both hold",
               S.pod("both", node_selector={"zone": "a"}, required=[[expr("cpu-count", "Gt", "2")]])),
        ],
        "TaintToleration.filter": [
            sc("no tolerations: only NoSchedule taints repel", S.pod("plain", "100m")),
            sc("toleration gpu=true:NoSchedule (Equal)", S.pod("gpu", tolerations=[gpu_tol])),
            sc("toleration with the wrong value does not help",
               S.pod("wrong", tolerations=[toleration("gpu", "false", "NoSchedule", "Equal")])),
            sc("Exists with an empty key tolerates every taint",
               S.pod("all", tolerations=[toleration(operator="Exists")])),
        ],
        "TaintToleration.score": [
            sc("no tolerations: the spot node scores lowest", S.pod("plain", "100m")),
            sc("tolerating spot:PreferNoSchedule evens it out",
               S.pod("spot-ok", tolerations=[toleration("spot", "true", "PreferNoSchedule")])),
            sc("NoSchedule tolerations don't count here",
               S.pod("spot-ns", tolerations=[toleration("spot", "true", "NoSchedule"), gpu_tol])),
        ],
        "LeastAllocated": [
            sc("empty nodes, pod 1 CPU / 2Gi", S.pod("p", "1", "2Gi")),
            sc("request-less pod counts as 100m / 200Mi", S.pod("nothing")),
            sc("loaded nodes (some pods request nothing)", S.pod("p", "250m", "512Mi"),
               {"ch05-large": _load("busy", 2, "2", "3Gi") + _load("free", 3),
                "ch05-small": _load("busy", 1, "1", "1Gi"), "ch05-spot": _load("free", 2)}),
        ],
        "BalancedAllocation": [
            sc("balanced pod on empty nodes", S.pod("p", "1", "2Gi")),
            sc("CPU-heavy pod next to memory-heavy load", S.pod("cpu", "2", "256Mi"),
               {"ch05-large": _load("mem", 1, "500m", "8Gi"), "ch05-spot": _load("mem", 1, "100m", "4Gi")}),
            sc("memory-only pod: missing CPU request counts as 0", S.pod("mem", memory="2Gi"),
               {"ch05-large": _load("busy", 1, "4", "2Gi")}),
            sc("best-effort pod (no requests): 0 everywhere", S.pod("nothing")),
        ],
        "decisions": [
            sc("a pod goes to the best-scored node", S.pod("web", "500m", "1Gi")),
            sc("nothing fits: 0/5 nodes are available", S.pod("huge", "16", "1Gi")),
            sc("a tie goes to the first node name", S.pod("p", "250m", "512Mi"),
               {"ch05-large": _load("busy", 2, "2", "3Gi") + _load("free", 3),
                "ch05-small": _load("busy", 1, "1", "1Gi"), "ch05-spot": _load("free", 2)}),
        ],
    }


# ------------------------------------------------------------------ comparisons
def _describe(status) -> str:
    if status is None or (isinstance(status, Status) and status.is_success):
        return "fits"
    return "rejects: " + ", ".join(f'"{r}"' for r in status.reasons) if status.reasons else "rejects (no reason)"


def _learner_filter(fn: Callable, pod: dict, ni: NodeInfo):
    got = fn(copy.deepcopy(pod), _copy_info(ni))
    if got is not None and not isinstance(got, Status):
        raise AssertionError(f"returned {type(got).__name__} {got!r:.40} for node {ni.name}; return "
                             "None when the node fits, or Status.unschedulable(\"reason\")")
    return got


def _learner_score(fn: Callable, pod: dict, ni: NodeInfo) -> int:
    got = fn(copy.deepcopy(pod), _copy_info(ni))
    if isinstance(got, bool) or not isinstance(got, int):
        raise AssertionError(f"returned {type(got).__name__} {got!r:.40} for node {ni.name}; return an "
                             "int (kube-scheduler's integer maths: use //, not /)")
    return got


def _copy_info(ni: NodeInfo) -> NodeInfo:
    return NodeInfo(copy.deepcopy(ni.node), copy.deepcopy(ni.pods))


def _feasible(sc: Scenario) -> list[NodeInfo]:
    ref = build_framework()
    return [ni for ni in sc.node_infos() if ref.run_filters(sc.pod, ni).is_success]


def filter_check(fn: Callable, reference: Callable, sc: Scenario) -> Callable[[], None]:
    def check() -> None:
        for ni in sc.node_infos():
            want = reference(sc.pod, ni)
            got = _learner_filter(fn, sc.pod, ni)
            if _describe(want) != _describe(got):
                raise AssertionError(f"node {ni.name}: expected {_describe(want)}, got {_describe(got)}")
    return check


def score_check(fn: Callable, reference: Callable, sc: Scenario, hint: str) -> Callable[[], None]:
    def check() -> None:
        infos = _feasible(sc)
        for ni in infos:
            want, got = reference(sc.pod, ni), _learner_score(fn, sc.pod, ni)
            if want != got:
                raise AssertionError(f"node {ni.name}: expected {want}, got {got}{hint}")
    return check


def normalize_check(score_fn: Callable, normalize_fn: Callable, ref, sc: Scenario) -> Callable[[], None]:
    def check() -> None:
        infos = _feasible(sc)
        raw = {ni.name: ref.score(sc.pod, ni) for ni in infos}
        want = ref.normalize_score(sc.pod, dict(raw))
        got = normalize_fn(copy.deepcopy(sc.pod), dict(raw))
        if not isinstance(got, dict):
            raise AssertionError(f"returned {type(got).__name__}; return a dict {{node name: score}}")
        if got != want:
            for n in sorted(want):
                if got.get(n) != want[n]:
                    raise AssertionError(f"scores {raw} -> node {n}: expected {want[n]}, got {got.get(n)!r}")
    return check


_FILTERS = {
    "NodeUnschedulable": lambda: reference_plugins()["NodeUnschedulable"].filter,
    "NodeResourcesFit": lambda: reference_plugins()["NodeResourcesFit"].filter,
    "NodeAffinity": lambda: reference_plugins()["NodeAffinity"].filter,
    "TaintToleration.filter": lambda: reference_plugins()["TaintToleration"].filter,
}
_SCORES = {
    "TaintToleration.score": (lambda: reference_plugins()["TaintToleration"].score,
                              " (count untolerated PreferNoSchedule taints)"),
    "LeastAllocated": (lambda: reference_plugins()["NodeResourcesFit"].score,
                       " (per resource (allocatable - requested) * 100 // allocatable, "
                       "requests with 100m/200Mi defaults, pod included; then the mean)"),
    "BalancedAllocation": (lambda: reference_plugins()["NodeResourcesBalancedAllocation"].score,
                           " (50 + (50 + with_pod - without_pod) // 2, v1.37.0)"),
}


def _name(hidden: bool, prefix: str, sc: Scenario) -> str:
    return ("hidden: " if hidden else "") + prefix + sc.name


def filter_cases(fn: Callable, question: str, scenarios: list[Scenario], hidden: bool = False,
                 points: float = 1, prefix: str = "", time_limit: float = 10) -> list[Case]:
    """One case per scenario: ``fn`` must agree with the reference filter on every node."""
    reference = _FILTERS[question]()
    return [Case(_name(hidden, prefix, sc), filter_check(fn, reference, sc),
                 points=points, time_limit=time_limit, hidden=hidden) for sc in scenarios]


def score_cases(fn: Callable, question: str, scenarios: list[Scenario], hidden: bool = False,
                points: float = 1, prefix: str = "", time_limit: float = 10) -> list[Case]:
    """One case per scenario: ``fn`` must give the reference's score on every node that
    passes the reference filters (only feasible nodes are scored)."""
    reference, hint = _SCORES[question][0](), _SCORES[question][1]
    return [Case(_name(hidden, prefix, sc), score_check(fn, reference, sc, hint),
                 points=points, time_limit=time_limit, hidden=hidden) for sc in scenarios]


def normalize_cases(score_fn: Callable, normalize_fn: Callable, scenarios: list[Scenario],
                    hidden: bool = False, points: float = 1, prefix: str = "normalize: ",
                    time_limit: float = 10) -> list[Case]:
    """TaintToleration's NormalizeScore on the reference's raw scores."""
    ref = reference_plugins()["TaintToleration"]
    return [Case(_name(hidden, prefix, sc), normalize_check(score_fn, normalize_fn, ref, sc),
                 points=points, time_limit=time_limit, hidden=hidden) for sc in scenarios]


# ------------------------------------------------------------------ whole framework
def learner_framework(*, unschedulable: Callable, fit: Callable, affinity: Callable,
                      taint_filter: Callable, taint_score: Callable, taint_normalize: Callable,
                      least_allocated: Callable, balanced: Callable,
                      scheduler_name: str = "kit-scheduler") -> Framework:
    """The learner's functions as kube-scheduler's plugins (preferred node affinity, which
    the exercise does not ask for, comes from the reference)."""
    ref_affinity = reference_plugins()["NodeAffinity"]
    return build_framework({
        "NodeUnschedulable": FunctionPlugin("NodeUnschedulable", filter=unschedulable),
        "TaintToleration": FunctionPlugin("TaintToleration", filter=taint_filter, score=taint_score,
                                          normalize_score=taint_normalize),
        "NodeAffinity": FunctionPlugin("NodeAffinity", filter=affinity, score=ref_affinity.score,
                                       normalize_score=ref_affinity.normalize_score),
        "NodeResourcesFit": FunctionPlugin("NodeResourcesFit", filter=fit, score=least_allocated),
        "NodeResourcesBalancedAllocation": FunctionPlugin("NodeResourcesBalancedAllocation",
                                                          score=balanced),
    }, scheduler_name)


def decision_check(framework: Framework, sc: Scenario) -> Callable[[], None]:
    def check() -> None:
        want = build_framework().schedule(sc.pod, sc.node_infos())
        got = framework.schedule(copy.deepcopy(sc.pod), sc.node_infos())
        if got.error:
            raise AssertionError(got.error)
        if got.node != want.node:
            raise AssertionError(f"chose {got.node or 'no node'}, expected {want.node or 'no node'}"
                                 f" (totals {got.totals} vs {want.totals})")
        if not want.node and got.message != want.message:
            raise AssertionError(f'message "{got.message}", expected "{want.message}"')
    return check


def decision_cases(framework: Framework, scenarios: list[Scenario], hidden: bool = False,
                   points: float = 1) -> list[Case]:
    return [Case(_name(hidden, "decision: ", sc), decision_check(framework, sc),
                 points=points, time_limit=10, hidden=hidden) for sc in scenarios]


# ------------------------------------------------------------------ end to end
def e2e_workload(scenario: str = SCENARIO) -> list[dict]:
    """A batch for the end-to-end check: every pod is confined to the scenario's nodes."""
    pods = [
        S.pod("e01-web", "500m", "1Gi"), S.pod("e02-api", "1", "2Gi"),
        S.pod("e03-train", "2", "8Gi", tolerations=[toleration("gpu", "true", "NoSchedule", "Equal")],
              node_selector={"accelerator": "nvidia"}),
        S.pod("e04-db", "1", "2Gi", node_selector={"disktype": "ssd"}),
        S.pod("e05-sidecar"), S.pod("e06-batch", "2", "1Gi", required=[[expr("zone", "In", "b")]]),
        S.pod("e07-cpu", "3", "1Gi"), S.pod("e08-cache", "1500m", "6Gi"),
        S.pod("e09-huge", "100", "1Gi"), S.pod("e10-small", "250m", "256Mi"),
        S.pod("e11-spot", "1", "1Gi", tolerations=[toleration("spot", operator="Exists")],
              preferred=[(50, [expr("lifecycle", "In", "spot")])]),
        S.pod("e12-web", "500m", "1Gi"),
    ]
    for p in pods:
        p["spec"].setdefault("nodeSelector", {})[S.SCENARIO_LABEL] = scenario
    return pods


def simulate(framework: Framework, pods: list[dict], node_infos: list[NodeInfo]) -> dict[str, object]:
    """Schedule ``pods`` one after another on copies of ``node_infos``: name -> node
    (or the Result for a pod that fits nowhere)."""
    infos = [_copy_info(ni) for ni in node_infos]
    by_name = {ni.name: ni for ni in infos}
    out: dict[str, object] = {}
    for p in pods:
        result = framework.schedule(p, infos)
        if result.node:
            by_name[result.node].add_pod({**p, "spec": {**p["spec"], "nodeName": result.node}})
            out[p["metadata"]["name"]] = result.node
        else:
            out[p["metadata"]["name"]] = result
    return out


class EndToEnd:
    """Runs the learner's scheduler once on real pods (lazily, inside the first case, so
    its time limit applies) and lets each case check one aspect of the outcome."""

    def __init__(self, api, framework: Framework, scenario: str = SCENARIO,
                 timeout: float = 60):
        self.api, self.framework, self.scenario, self.timeout = api, framework, scenario, timeout
        self.outcome: dict | None = None
        self.failure: str | None = None

    def _run(self) -> dict:
        if self.failure:
            raise AssertionError(self.failure)
        if self.outcome is not None:
            return self.outcome
        try:
            self.outcome = self._execute()
        except AssertionError as exc:
            self.failure = str(exc)
            raise
        except BaseException as exc:
            from kitlib.grading.cases import describe_exception
            self.failure = "end-to-end run " + describe_exception(exc)
            raise AssertionError(self.failure) from exc
        return self.outcome

    def _execute(self) -> dict:
        from kitlib.kube import delete_namespace
        from kitlib.client import Rest
        from kitlib.scheduler.scheduler import Scheduler
        rest = Rest(self.api)
        pods = e2e_workload(self.scenario)
        all_nodes = rest.get("/api/v1/nodes")["items"]
        infos = [NodeInfo(n) for n in all_nodes]
        # a quick dry run first: code that raises fails here, in a second, not after a timeout
        dry = self.framework.schedule(copy.deepcopy(pods[0]), [_copy_info(i) for i in infos])
        if dry.error:
            raise AssertionError(f"your plugins failed before any pod was created: {dry.error}")
        expected = simulate(build_framework(scheduler_name=self.framework.scheduler_name), pods, infos)
        ns = f"ch05-e2e-{uuid.uuid4().hex[:6]}"
        rest.post("/api/v1/namespaces", {"metadata": {"name": ns, "labels": {"kitlib/temporary": "true"}}})
        try:
            for p in pods:
                p["metadata"]["namespace"] = ns
            S.create_pods(self.api, ns, pods)
            sched = Scheduler(self.api, self.framework)
            names = {p["metadata"]["name"] for p in pods}
            decided = lambda: {k.split("/", 1)[1] for k in sched.placements if k.startswith(ns + "/")} | \
                {k.split("/", 1)[1] for k, r in list(sched.last_results.items())
                 if k.startswith(ns + "/") and not r.node} >= names
            sched.run(until=decided, timeout=self.timeout)
            live = {p["metadata"]["name"]: p for p in S.list_pods(self.api, ns)}
            deadline = time.monotonic() + 15
            while True:
                events = rest.get(f"/apis/events.k8s.io/v1/namespaces/{ns}/events")["items"]
                mine = [e for e in events if e.get("reportingController") == self.framework.scheduler_name]
                if len(mine) >= len(pods) or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            return {"expected": expected, "live": live, "events": mine, "stats": dict(sched.stats),
                    "errors": [r.error for r in sched.last_results.values() if r.error]}
        finally:
            delete_namespace(self.api, ns, wait=True)

    # -- the cases
    def check_placements(self) -> None:
        out = self._run()
        if out["errors"]:
            raise AssertionError(out["errors"][0])
        for name, want in out["expected"].items():
            got = (out["live"].get(name) or {}).get("spec", {}).get("nodeName")
            if isinstance(want, str) and got != want:
                raise AssertionError(f"pod {name}: bound to {got or 'nothing'}, expected {want}")

    def check_pending(self) -> None:
        out = self._run()
        for name, want in out["expected"].items():
            if isinstance(want, str):
                continue
            pod = out["live"].get(name) or {}
            if pod.get("spec", {}).get("nodeName"):
                raise AssertionError(f"pod {name} fits nowhere but was bound to {pod['spec']['nodeName']}")
            notes = [e["note"] for e in out["events"] if e["regarding"]["name"] == name
                     and e["reason"] == "FailedScheduling"]
            if want.message not in notes:
                raise AssertionError(f'pod {name}: expected a FailedScheduling event "{want.message}", '
                                     f"got {notes or 'none'}")

    def check_events(self) -> None:
        out = self._run()
        scheduled = {e["regarding"]["name"] for e in out["events"] if e["reason"] == "Scheduled"}
        missing = sorted(n for n, w in out["expected"].items() if isinstance(w, str) and n not in scheduled)
        if missing:
            raise AssertionError(f"no Scheduled event for {', '.join(missing)}")


def end_to_end_cases(api, framework: Framework, scenario: str = SCENARIO,
                     timeout: float = 60) -> list[Case]:
    run = EndToEnd(api, framework, scenario, timeout)
    return [
        Case("end to end: pods bound where the reference puts them", run.check_placements,
             points=2, time_limit=timeout + 30),
        Case("end to end: unfit pod stays Pending, with reasons",
             run.check_pending, points=1, time_limit=30),
        Case("end to end: a Scheduled event per bound pod", run.check_events,
             points=1, time_limit=30),
    ]
