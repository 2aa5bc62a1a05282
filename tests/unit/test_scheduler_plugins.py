"""Chapter 05's reference plugins (its solution cells) against values worked out by hand
from kube-scheduler v1.37.0's formulas (pkg/scheduler/framework/plugins), and the
framework's rules."""
import pytest

from exercises.scheduler import profile, reference
from exercises.scheduler import scenarios as S
from exercises.scheduler.scenarios import expr, taint, toleration
from kitlib.scheduler import NodeInfo, Status, build_framework, default_framework
from kitlib.scheduler.plugins import helpers
from kitlib.scheduler.plugins.nodeaffinity import PreferredNodeAffinity, term_matches
from kitlib.scheduler.resources import int_value, milli_value, pod_requests

REF = reference.functions()
fit_filter, least_allocated_score = REF["node_resources_fit_filter"], REF["least_allocated_score"]
balanced_allocation_score = REF["balanced_allocation_score"]

Gi, Mi = 2**30, 2**20


def info(node, *pods):
    return NodeInfo(node, [{**p, "spec": {**p["spec"], "nodeName": node["metadata"]["name"]}} for p in pods])


# ------------------------------------------------------------------ quantities and requests
@pytest.mark.parametrize("text, milli", [("100m", 100), ("0.5", 500), ("2", 2000), ("1.0001", 1001),
                                         ("1e3", 1_000_000)])
def test_cpu_quantities(text, milli):
    assert milli_value(text) == milli


@pytest.mark.parametrize("text, value", [("1Gi", Gi), ("1.5Gi", 3 * Gi // 2), ("200Mi", 200 * Mi), ("1G", 10**9),
                                         ("128974848", 128974848), ("1k", 1000)])
def test_memory_quantities(text, value):
    assert int_value(text) == value


def test_pod_requests_real_and_non_zero():
    p = S.pod("p", containers=[{"name": "a", "resources": {"requests": {"cpu": "250m"}}}, {"name": "b"}])
    assert (pod_requests(p).milli_cpu, pod_requests(p).memory) == (250, 0)
    nz = pod_requests(p, non_zero=True)          # a: memory default; b: both defaults
    assert (nz.milli_cpu, nz.memory) == (350, 400 * Mi)


def test_pod_requests_init_containers_and_overhead():
    p = S.pod("p", "100m", "100Mi")
    p["spec"]["initContainers"] = [{"name": "init", "resources": {"requests": {"cpu": "2", "memory": "50Mi"}}}]
    p["spec"]["overhead"] = {"cpu": "10m"}
    r = pod_requests(p)
    assert (r.milli_cpu, r.memory) == (2010, 100 * Mi)


# ------------------------------------------------------------------ NodeResourcesFit
def test_fit_exact_and_one_milli_over():
    node = S.node("n", cpu="2", memory="4Gi")
    ni = info(node, S.pod("a", "500m", "1Gi"))
    assert fit_filter(S.pod("p", "1500m", "3Gi"), ni) is None
    assert fit_filter(S.pod("p", "1501m"), ni) == Status.unschedulable("Insufficient cpu")


def test_fit_reports_every_reason_in_order():
    ni = info(S.node("n", cpu="1", memory="1Gi", pods=1), S.pod("a", "1", "1Gi"))
    got = fit_filter(S.pod("p", "1", "1Gi"), ni)
    assert got.reasons == ["Too many pods", "Insufficient cpu", "Insufficient memory"]


def test_fit_ignores_defaults_for_request_less_pods():
    ni = info(S.node("n", cpu="1", memory="1Gi"), S.pod("a", "1", "1Gi"))
    assert fit_filter(S.pod("p"), ni) is None   # needs only a pod slot


def test_least_allocated_by_hand():
    node = S.node("n", cpu="8", memory="16Gi")
    # (8000-1000)*100//8000 = 87 ; (16-2)*100//16 = 87 (87.5) -> (87+87)//2
    assert least_allocated_score(S.pod("p", "1", "2Gi"), info(node)) == 87
    # request-less: 100m -> 7900*100//8000 = 98 ; 200Mi -> (16384-200)*100//16384 = 98
    assert least_allocated_score(S.pod("p"), info(node)) == 98
    # request-less pods already there count 100m/200Mi each: cpu (8000-1000-300)*100//8000 = 83,
    # memory (16Gi-2Gi-600Mi)*100//16Gi = 83 (83.8)
    assert least_allocated_score(S.pod("p", "1", "2Gi"), info(node, S.pod("a"), S.pod("b"), S.pod("c"))) == 83
    # CPU over-requested scores 0 for that resource: (0 + 93) // 2
    assert least_allocated_score(S.pod("p", "9", "1Gi"), info(node)) == 46


def test_balanced_allocation_v1_37_formula_by_hand():
    node = S.node("n", cpu="8", memory="16Gi")
    ni = info(node, S.pod("mem", "500m", "8Gi"))
    # before: 0.0625 vs 0.5 -> std 0.21875 -> 78 ; after: 0.3125 vs 0.515625 -> 89
    # v1.37.0: 50 + (50 + 89 - 78) // 2 = 80   (before PR #135573 it was just 89)
    assert balanced_allocation_score(S.pod("p", "2", "256Mi"), ni) == 80


def test_balanced_allocation_empty_node_and_best_effort():
    node = S.node("n", cpu="4", memory="8Gi")
    assert balanced_allocation_score(S.pod("p", "1", "2Gi"), info(node)) == 75   # 50 + (50+100-100)//2
    assert balanced_allocation_score(S.pod("p"), info(node)) == 0                # best effort: skipped
    # memory only: missing CPU request counts as 0 (real requests): after 0 vs .25 -> 87
    assert balanced_allocation_score(S.pod("p", memory="2Gi"), info(node)) == 68  # 50 + (50+87-100)//2


# ------------------------------------------------------------------ taints and tolerations
@pytest.mark.parametrize("tol, ok", [
    (toleration("k", "v", "NoSchedule"), True), (toleration("k", "v"), True),          # empty effect: all
    (toleration("k", "x", "NoSchedule"), False), (toleration("k", operator="Exists"), True),
    (toleration(operator="Exists"), True), (toleration("k", "v", "NoExecute"), False),
    (toleration("other", operator="Exists"), False)])
def test_tolerates(tol, ok):
    assert helpers.tolerates(tol, taint("k", "v", "NoSchedule")) is ok


def test_taint_filter_and_reverse_normalize():
    flt, score, normalize = (REF[f"taint_toleration_{part}"] for part in ("filter", "score", "normalize"))
    ni = info(S.node("n", taints=[taint("a", "1", "PreferNoSchedule"), taint("b", "1", "NoExecute")]))
    assert flt(S.pod("p"), ni) == Status.unresolvable("node(s) had untolerated taint(s)")
    assert flt(S.pod("p", tolerations=[toleration("b", operator="Exists")]), ni) is None
    assert score(S.pod("p"), ni) == 1
    assert score(S.pod("p", tolerations=[toleration("a", "1", "NoSchedule")]), ni) == 1
    assert normalize(None, {"x": 3, "y": 1, "z": 0}) == {"x": 0, "y": 67, "z": 100}
    assert normalize(None, {"x": 0, "y": 0}) == {"x": 100, "y": 100}


def test_node_unschedulable():
    ni = info(S.node("n", unschedulable=True))
    flt = REF["node_unschedulable_filter"]
    assert flt(S.pod("p"), ni) == Status.unresolvable("node(s) were unschedulable")
    tol = toleration("node.kubernetes.io/unschedulable", operator="Exists", effect="NoSchedule")
    assert flt(S.pod("p", tolerations=[tol]), ni) is None


# ------------------------------------------------------------------ node affinity
NODE = S.node("n1", labels={"zone": "a", "cores": "8"})


@pytest.mark.parametrize("pod, ok", [
    (S.pod("p", node_selector={"zone": "a"}), True), (S.pod("p", node_selector={"zone": "b"}), False),
    (S.pod("p", required=[[expr("zone", "In", "a", "b")]]), True),
    (S.pod("p", required=[[expr("disk", "NotIn", "ssd")]]), True),          # missing label: NotIn holds
    (S.pod("p", required=[[expr("cores", "Gt", "7")]]), True),
    (S.pod("p", required=[[expr("cores", "Lt", "8")]]), False),
    (S.pod("p", required=[[expr("cores", "Gt", "x")]]), False),            # malformed: matches nothing
    (S.pod("p", required=[[]]), False),                                    # empty term matches nothing
    (S.pod("p", required=[[expr("zone", "In", "b")], [expr("cores", "Exists")]]), True),   # ORed
    (S.pod("p", node_selector={"zone": "a"}, required=[[expr("zone", "In", "b")]]), False)])
def test_node_affinity_filter(pod, ok):
    assert (REF["node_affinity_filter"](pod, info(NODE)) is None) is ok


@pytest.mark.parametrize("term, ok", [
    ({"matchFields": [expr("metadata.name", "In", "n1")]}, True),
    ({"matchFields": [expr("metadata.name", "NotIn", "n1")]}, False),
    ({"matchExpressions": [expr("zone", "In", "a")], "matchFields": [expr("metadata.name", "In", "n2")]}, False),
    ({}, None)])                                                           # empty: ignored
def test_preferred_terms_match_fields_too(term, ok):
    assert term_matches(term, NODE) is ok


def test_node_affinity_preferred_score_normalized():
    na = PreferredNodeAffinity()
    p = S.pod("p", preferred=[(30, [expr("zone", "In", "a")]), (20, [expr("cores", "Gt", "4")])])
    assert na.score(p, info(NODE)) == 50
    assert na.normalize_score(p, {"n1": 50, "n2": 20, "n3": 0}) == {"n1": 100, "n2": 40, "n3": 0}


# ------------------------------------------------------------------ the framework
def test_failed_scheduling_message_counts_and_sorts_reasons():
    nodes = [S.node("a", cpu="1"), S.node("b", cpu="1"), S.node("c", taints=[taint("x")]),
             S.node("d", unschedulable=True)]
    result = reference.framework().schedule(S.pod("p", "2"), [NodeInfo(n) for n in nodes])
    assert result.node is None
    assert result.message == ("0/4 nodes are available: 1 node(s) had untolerated taint(s), "
                              "1 node(s) were unschedulable, 2 Insufficient cpu.")


def test_ties_go_to_first_name_and_weights_apply():
    nodes = [NodeInfo(S.node(n)) for n in ("b", "c", "a")]
    result = reference.framework().schedule(S.pod("p", "1", "1Gi"), nodes)
    assert result.node == "a"
    # 4 CPU / 8Gi nodes, pod 1 CPU / 1Gi: TaintToleration 100*3 + NodeAffinity 0*2
    # + LeastAllocated (75 + 87)//2 = 81 + BalancedAllocation 50 + (50 + 93 - 100)//2 = 71
    assert result.totals == {"a": 452, "b": 452, "c": 452}


def test_one_feasible_node_skips_scoring():
    calls = []
    fw = profile.framework({**REF, "balanced_allocation_score": lambda p, n: calls.append(n) or 0})
    result = fw.schedule(S.pod("p", "1"), [NodeInfo(S.node("a")), NodeInfo(S.node("b", cpu="0"))])
    assert result.node == "a" and calls == []


@pytest.mark.parametrize("function, bad, message", [
    ("node_unschedulable_filter", lambda p, n: 1 / 0, 'running "NodeUnschedulable" filter plugin: ZeroDivisionError'),
    ("node_unschedulable_filter", lambda p, n: True, "returned bool, want Status or None"),
    ("balanced_allocation_score", lambda p, n: 101, "invalid score 101"),
    ("balanced_allocation_score", lambda p, n: 7.5, "returned float 7.5, want int")])
def test_bad_plugins_end_the_cycle_with_an_error(function, bad, message):
    result = profile.framework({**REF, function: bad}).schedule(
        S.pod("p", "1"), [NodeInfo(S.node("a")), NodeInfo(S.node("b"))])
    assert result.node is None and message in result.error


def test_the_framework_ships_no_exercise_plugins():
    with pytest.raises(ValueError, match="NodeResourcesFit"):
        build_framework({})
    with pytest.raises(LookupError, match="exercises.scheduler.reference"):
        default_framework()
