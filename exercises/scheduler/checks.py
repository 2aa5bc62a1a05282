"""Chapter 05's checks: each learner plugin is compared, node by node, with the chapter's
reference (kube-scheduler v1.37.0's behaviour) on scenarios, and the learner's whole
profile must make the reference's decisions. (The end-to-end check on real pods is
``end_to_end``; the nodes and public scenarios are ``stage``.)

Every check is a ``kitlib.checks.Case``: one line per case, points, a time limit, and a
one-line reason for a wrong answer, an exception, a wrong type or an endless loop.
"""
from __future__ import annotations

import copy
from typing import Callable

from exercises.scheduler import profile, reference
from exercises.scheduler.end_to_end import end_to_end_cases, simulate  # noqa: F401  (Q7, the demo)
from exercises.scheduler.scenarios import Scenario, copy_info
from kitlib.checks import Case
from kitlib.scheduler import Framework, NodeInfo, Status


def _describe(status) -> str:
    if status is None or (isinstance(status, Status) and status.is_success):
        return "fits"
    return "rejects: " + ", ".join(f'"{r}"' for r in status.reasons) if status.reasons else "rejects (no reason)"


def _learner_filter(fn: Callable, pod: dict, ni: NodeInfo):
    got = fn(copy.deepcopy(pod), copy_info(ni))
    if got is not None and not isinstance(got, Status):
        raise AssertionError(f"returned {type(got).__name__} {got!r:.40} for node {ni.name}; return "
                             "None when the node fits, or Status.unschedulable(\"reason\")")
    return got


def _learner_score(fn: Callable, pod: dict, ni: NodeInfo) -> int:
    got = fn(copy.deepcopy(pod), copy_info(ni))
    if isinstance(got, bool) or not isinstance(got, int):
        raise AssertionError(f"returned {type(got).__name__} {got!r:.40} for node {ni.name}; return an "
                             "int (kube-scheduler's integer maths: use //, not /)")
    return got


def _feasible(sc: Scenario) -> list[NodeInfo]:
    ref = reference.framework()
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


def normalize_check(normalize_fn: Callable, sc: Scenario) -> Callable[[], None]:
    def check() -> None:
        ref = reference.functions()
        infos = _feasible(sc)
        raw = {ni.name: ref["taint_toleration_score"](sc.pod, ni) for ni in infos}
        want = ref["taint_toleration_normalize"](sc.pod, dict(raw))
        got = normalize_fn(copy.deepcopy(sc.pod), dict(raw))
        if not isinstance(got, dict):
            raise AssertionError(f"returned {type(got).__name__}; return a dict {{node name: score}}")
        if got != want:
            for n in sorted(want):
                if got.get(n) != want[n]:
                    raise AssertionError(f"scores {raw} -> node {n}: expected {want[n]}, got {got.get(n)!r}")
    return check


# question -> the reference function it is compared with (and, for scores, a hint)
_FILTERS = {
    "NodeUnschedulable": "node_unschedulable_filter",
    "NodeResourcesFit": "node_resources_fit_filter",
    "NodeAffinity": "node_affinity_filter",
    "TaintToleration.filter": "taint_toleration_filter",
}
_SCORES = {
    "TaintToleration.score": ("taint_toleration_score", " (count untolerated PreferNoSchedule taints)"),
    "LeastAllocated": ("least_allocated_score",
                       " (per resource (allocatable - requested) * 100 // allocatable, "
                       "requests with 100m/200Mi defaults, pod included; then the mean)"),
    "BalancedAllocation": ("balanced_allocation_score", " (50 + (50 + with_pod - without_pod) // 2, v1.37.0)"),
}


def _name(hidden: bool, prefix: str, sc: Scenario) -> str:
    return ("hidden: " if hidden else "") + prefix + sc.name


def filter_cases(fn: Callable, question: str, scenarios: list[Scenario], hidden: bool = False,
                 points: float = 1, prefix: str = "", time_limit: float = 10) -> list[Case]:
    """One case per scenario: ``fn`` must agree with the reference filter on every node."""
    ref = reference.functions()[_FILTERS[question]]
    return [Case(_name(hidden, prefix, sc), filter_check(fn, ref, sc),
                 points=points, time_limit=time_limit, hidden=hidden) for sc in scenarios]


def score_cases(fn: Callable, question: str, scenarios: list[Scenario], hidden: bool = False,
                points: float = 1, prefix: str = "", time_limit: float = 10) -> list[Case]:
    """One case per scenario: ``fn`` must give the reference's score on every node that
    passes the reference filters (only feasible nodes are scored)."""
    name, hint = _SCORES[question]
    ref = reference.functions()[name]
    return [Case(_name(hidden, prefix, sc), score_check(fn, ref, sc, hint),
                 points=points, time_limit=time_limit, hidden=hidden) for sc in scenarios]


def normalize_cases(score_fn: Callable, normalize_fn: Callable, scenarios: list[Scenario],
                    hidden: bool = False, points: float = 1, prefix: str = "normalize: ",
                    time_limit: float = 10) -> list[Case]:
    """TaintToleration's NormalizeScore on the reference's raw scores (``score_fn`` is
    accepted so the notebook cell names both halves it checks)."""
    return [Case(_name(hidden, prefix, sc), normalize_check(normalize_fn, sc),
                 points=points, time_limit=time_limit, hidden=hidden) for sc in scenarios]


# ------------------------------------------------------------------ whole framework
def learner_framework(*, unschedulable: Callable, fit: Callable, affinity: Callable,
                      taint_filter: Callable, taint_score: Callable, taint_normalize: Callable,
                      least_allocated: Callable, balanced: Callable,
                      scheduler_name: str = "kit-scheduler") -> Framework:
    """The learner's functions as kube-scheduler's plugins (preferred node affinity, which
    the exercise does not ask for, comes from kitlib)."""
    return profile.framework({
        "node_unschedulable_filter": unschedulable, "node_resources_fit_filter": fit,
        "node_affinity_filter": affinity, "taint_toleration_filter": taint_filter,
        "taint_toleration_score": taint_score, "taint_toleration_normalize": taint_normalize,
        "least_allocated_score": least_allocated, "balanced_allocation_score": balanced,
    }, scheduler_name)


def decision_check(framework: Framework, sc: Scenario) -> Callable[[], None]:
    def check() -> None:
        want = reference.framework().schedule(sc.pod, sc.node_infos())
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


# ------------------------------------------------------------------ why is it Pending?
# the filters of kube-scheduler's default profile, in its order, and the reference
# function each one is compared with
FILTER_PLUGINS = (("NodeUnschedulable", "node_unschedulable_filter"),
                  ("TaintToleration", "taint_toleration_filter"),
                  ("NodeAffinity", "node_affinity_filter"),
                  ("NodeResourcesFit", "node_resources_fit_filter"))


def rejections(pod: dict, node_infos: list[NodeInfo]) -> dict[str, list[str]]:
    """What the reference says: node name -> the filter plugins that reject the node, every
    one of them (kube-scheduler stops at the first), in the profile's order."""
    ref = reference.functions()
    out = {}
    for ni in sorted(node_infos, key=lambda ni: ni.name):
        out[ni.name] = [plugin for plugin, fn in FILTER_PLUGINS
                        if _describe(ref[fn](pod, ni)) != "fits"]
    return out


def pending_check(fn: Callable, sc: Scenario) -> Callable[[], None]:
    def check() -> None:
        infos = sc.node_infos()
        want = rejections(sc.pod, infos)
        got = fn(copy.deepcopy(sc.pod), [copy_info(ni) for ni in infos])
        if not isinstance(got, dict):
            raise AssertionError(f"returned {type(got).__name__} {got!r:.40}; return a dict "
                                 "{node name: [plugin names]}")
        if set(got) != set(want):
            missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
            raise AssertionError("every node needs an entry, even one no plugin rejects"
                                 + (f"; missing {', '.join(missing)}" if missing else "")
                                 + (f"; not a node: {', '.join(map(str, extra))}" if extra else ""))
        for node in sorted(want):
            if not isinstance(got[node], (list, tuple)) or list(got[node]) != want[node]:
                raise AssertionError(f"node {node}: expected {want[node]}, got {got[node]!r}")
    return check


def pending_cases(fn: Callable, scenarios: list[Scenario], hidden: bool = False,
                  points: float = 1, time_limit: float = 10) -> list[Case]:
    """One case per scenario: ``fn(pod, node_infos)`` must name, for every node, every
    filter plugin that rejects it, in the profile's filter order."""
    return [Case(_name(hidden, "", sc), pending_check(fn, sc), points=points,
                 time_limit=time_limit, hidden=hidden) for sc in scenarios]
