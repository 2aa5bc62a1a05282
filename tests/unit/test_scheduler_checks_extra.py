"""Chapter 05's checks for what kube-scheduler counts beyond the plain formulas (init
containers, sidecars, pod overhead, quantity suffixes, label values it cannot parse) and
its design question (Q8, why is this pod Pending?), run the way the grader will run them:

* every graded test cell stands alone: it runs in a namespace holding nothing but the
  learner's answer names (what the solution cells define), each reached through a stand-in
  for the remote-call proxy that pickles the arguments and the result;
* the reference passes every case; wrong solutions, each with one plausible mistake, fail
  the cases written for that mistake; correct solutions written differently pass them all.
"""
from __future__ import annotations

import contextlib
import functools
import io
import math
import re
from decimal import Decimal

import nbformat
import pytest

import kitlib.scheduler
from exercises.scheduler import checks, reference
from exercises.solutions import solution
from kitlib.grading import codec
from kitlib.paths import REPO_DIR
from kitlib.scheduler import MAX_NODE_SCORE, Status, pod_requests, requirement_matches, tolerates

NOTEBOOK = REPO_DIR / "chapters" / "05-scheduler-exercise.ipynb"
SOLUTION_IDS = (*reference.GRADE_IDS, "q8-why-pending")
OFFLINE_TESTS = ("q1-", "q2-", "q3-", "q4-", "q5-", "q6-", "q8-")     # q7 needs the cluster


# ------------------------------------------------------------------ the grader's view
def _cells() -> list[nbformat.NotebookNode]:
    return nbformat.read(str(NOTEBOOK), as_version=4).cells


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader") or {}


def graded_test_cells() -> dict[str, str]:
    return {_nbgrader(c)["grade_id"]: c.source for c in _cells()
            if c.cell_type == "code" and _nbgrader(c).get("grade")}


@functools.cache
def answers() -> dict:
    """The names the solution cells define (the reference's answers), nothing else."""
    scope = {name: getattr(kitlib.scheduler, name) for name in kitlib.scheduler.__all__}
    names = solution(reference.CHAPTER, *SOLUTION_IDS, using=dict(scope))
    return {k: v for k, v in names.items() if not k.startswith("__") and k not in scope}


def remote(fn):
    """What the grader's remote call lets through (kitlib.grading.codec): pickled arguments
    in, plain data out."""
    if not callable(fn):
        try:
            return codec.load_result(codec.dump_result(fn))
        except codec.UncheckableResult:
            return NotImplemented

    def call(*args, **kwargs):
        args, kwargs = codec.load_args(codec.dump_args(args, kwargs), lambda: None)
        out = codec.load_result(codec.dump_result(fn(*args, **kwargs)))
        assert not isinstance(out, codec.Opaque), f"{fn.__name__} returned {out!r}, not plain data"
        return out
    call.__name__ = getattr(fn, "__name__", "proxy")
    return call


def run_test_cell(grade_id: str, override: dict | None = None):
    """Run one graded test cell as the grader will: only answer names, through proxies.
    Returns {case name: passed} and the printed output."""
    names = {**answers(), **(override or {})}
    ns = {k: remote(v) for k, v in names.items()}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(graded_test_cells()[grade_id], grade_id, "exec"), ns)
        except AssertionError:
            pass
    return {r.name: r.passed for r in ns["summary"].results}, out.getvalue()


def test_answer_names_are_the_solution_cells_functions():
    assert set(answers()) == {*checks.profile.FUNCTIONS, "FILTERS", "why_pending"}


@pytest.mark.parametrize("grade_id", [g for g in sorted(graded_test_cells()) if g.startswith(OFFLINE_TESTS)])
def test_reference_passes_every_case_across_the_process_boundary(grade_id):
    results, output = run_test_cell(grade_id)
    assert results and all(results.values()), output
    assert any(name.startswith("hidden: ") for name in results)


# ------------------------------------------------------------------ pod requests, by hand
_SUFFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "m": Decimal("0.001"), "k": 10**3,
           "M": 10**6, "G": 10**9, "T": 10**12}


def quantity(text: str, binary_for_decimal: bool = False) -> Decimal:
    for suffix in sorted(_SUFFIX, key=len, reverse=True):
        if text.endswith(suffix):
            factor = _SUFFIX[suffix]
            if binary_for_decimal and suffix in ("k", "M", "G", "T"):
                factor = _SUFFIX[{"k": "Ki", "M": "Mi", "G": "Gi", "T": "Ti"}[suffix]]
            return Decimal(text[:-len(suffix)]) * factor
    return Decimal(text)


def requests_of(c: dict, defaults: bool = False, **kw) -> tuple[int, int]:
    r = (c.get("resources") or {}).get("requests") or {}
    cpu = math.ceil(quantity(r["cpu"], **kw) * 1000) if "cpu" in r else (100 if defaults else 0)
    mem = math.ceil(quantity(r["memory"], **kw)) if "memory" in r else (200 * 2**20 if defaults else 0)
    return int(cpu), int(mem)


def by_hand(pod: dict, defaults: bool = False, inits: str = "upstream", overhead: bool = True,
            binary_for_decimal: bool = False) -> tuple[int, int]:
    """A pod's requests computed independently of kitlib, correctly (inits="upstream") or
    with one of the mistakes the checks are there to catch."""
    spec = pod["spec"]
    add = lambda a, b: (a[0] + b[0], a[1] + b[1])                       # noqa: E731
    top = lambda a, b: (max(a[0], b[0]), max(a[1], b[1]))               # noqa: E731
    kw = {"binary_for_decimal": binary_for_decimal}
    apps = functools.reduce(add, (requests_of(c, defaults, **kw) for c in spec["containers"]), (0, 0))
    init_peak, sidecars = (0, 0), (0, 0)
    inits_list = spec.get("initContainers") or []
    all_sidecars = functools.reduce(add, (requests_of(c, defaults, **kw) for c in inits_list
                                          if c.get("restartPolicy") == "Always"), (0, 0))
    summed = (0, 0)
    for c in inits_list:
        r = requests_of(c, defaults, **kw)
        sidecar = c.get("restartPolicy") == "Always"
        if inits == "ignored":
            continue
        if inits == "summed":
            summed = add(summed, r)
            continue
        if inits == "sidecars-as-inits":
            init_peak = top(init_peak, r)
            continue
        if sidecar:
            apps, sidecars = add(apps, r), add(sidecars, r)
            r = sidecars
        elif inits == "sidecars-only-in-apps":
            pass
        elif inits == "all-sidecars-in-every-init":
            r = add(r, all_sidecars)
        else:
            r = add(r, sidecars)
        init_peak = top(init_peak, r)
    total = top(add(apps, summed), init_peak)
    if overhead:
        o = spec.get("overhead") or {}
        total = add(total, (math.ceil(quantity(o.get("cpu", "0")) * 1000), math.ceil(quantity(o.get("memory", "0")))))
    return total


def fit_with(**mistake):
    """NodeResourcesFit computed from ``by_hand`` for the pod and for the node's pods."""
    def fit(pod, ni):
        cpu, mem = by_hand(pod, **mistake)
        used = [by_hand(p, **mistake) for p in ni.pods]
        used_cpu, used_mem = sum(u[0] for u in used), sum(u[1] for u in used)
        alloc_mem = int(quantity(ni.node["status"]["allocatable"]["memory"],
                                 mistake.get("binary_for_decimal", False)))
        reasons = ["Too many pods"] if len(ni.pods) >= ni.allocatable.pods else []
        if cpu and cpu > ni.allocatable.milli_cpu - used_cpu:
            reasons.append("Insufficient cpu")
        if mem and mem > alloc_mem - used_mem:
            reasons.append("Insufficient memory")
        return Status.unschedulable(*reasons) if reasons else None
    return fit


def _fit_node_usage_from_app_containers(pod, ni):
    """Right for the pod, but the node's pods counted as the sum of their app containers."""
    want = pod_requests(pod)
    used = [requests_of(c) for p in ni.pods for c in p["spec"]["containers"]]
    free_cpu = ni.allocatable.milli_cpu - sum(u[0] for u in used)
    free_mem = ni.allocatable.memory - sum(u[1] for u in used)
    reasons = ["Too many pods"] if len(ni.pods) + 1 > ni.allocatable.pods else []
    reasons += [r for r, short in (("Insufficient cpu", want.milli_cpu and want.milli_cpu > free_cpu),
                                   ("Insufficient memory", want.memory and want.memory > free_mem)) if short]
    return Status.unschedulable(*reasons) if reasons else None


def least_allocated_with(**mistake):
    def score(pod, ni):
        cpu, mem = by_hand(pod, defaults=True, **mistake)
        parts = []
        for want, have, alloc in ((cpu, ni.non_zero_requested.milli_cpu, ni.allocatable.milli_cpu),
                                  (mem, ni.non_zero_requested.memory, ni.allocatable.memory)):
            if alloc:
                parts.append(max(0, (alloc - have - want) * MAX_NODE_SCORE // alloc))
        return sum(parts) // len(parts) if parts else 0
    return score


def _least_allocated_defaults_for_app_containers_only(pod, ni):
    explicit = lambda c: {"cpu": "0", "memory": "0", **((c.get("resources") or {}).get("requests") or {})}  # noqa: E731
    spec = {**pod["spec"], "initContainers": [{**c, "resources": {"requests": explicit(c)}}
                                              for c in pod["spec"].get("initContainers") or []]}
    return reference.functions()["least_allocated_score"]({**pod, "spec": spec}, ni)


def balanced_with(**mistake):
    def score(pod, ni):
        cpu, mem = by_hand(pod, **mistake)
        if not (cpu or mem):
            return 0

        def balance(c, m):
            fc = min(c / ni.allocatable.milli_cpu, 1.0)
            fm = min(m / ni.allocatable.memory, 1.0)
            return int((1 - abs(fc - fm) / 2) * MAX_NODE_SCORE)
        have = ni.requested
        return 50 + (50 + balance(have.milli_cpu + cpu, have.memory + mem)
                     - balance(have.milli_cpu, have.memory)) // 2
    return score


# ------------------------------------------------------------------ node affinity, by hand
def affinity_with(match):
    """node_affinity_filter around a requirement matcher ``match(expr, labels)``."""
    def node_affinity_filter(pod, ni):
        reason = "node(s) didn't match Pod's node affinity/selector"
        if any(ni.labels.get(k) != v for k, v in (pod["spec"].get("nodeSelector") or {}).items()):
            return Status.unresolvable(reason)
        req = (((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
               .get("requiredDuringSchedulingIgnoredDuringExecution"))
        if req is None:
            return None
        ok = any(t.get("matchExpressions") and all(match(e, ni.labels) for e in t["matchExpressions"])
                 for t in req.get("nodeSelectorTerms") or [])
        return None if ok else Status.unresolvable(reason)
    return node_affinity_filter


def _naive_match(e, labels):
    """Python's view of the operators: no validation, float comparisons."""
    key, op, values = e["key"], e["operator"], e.get("values") or []
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    try:
        have, want = float(labels[key]), float(values[0])
    except (KeyError, ValueError):
        return False
    return have > want if op == "Gt" else have < want


def _validating_but_lenient_ints(e, labels):
    """Validates values, but reads labels with Python's int() after stripping decimals."""
    if not all(re.fullmatch(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", v) and len(v) <= 63
               for v in e.get("values") or []):
        return False
    if e["operator"] in ("Gt", "Lt"):
        try:
            have, want = int(float(labels[e["key"]])), int(e["values"][0])
        except (KeyError, ValueError):
            return False
        return have > want if e["operator"] == "Gt" else have < want
    return requirement_matches(e, labels)


_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")


def _careful_match(e, labels):
    """A correct matcher written without kitlib: parse first (invalid: no match), then match."""
    op, key, values = e.get("operator"), e.get("key"), list(e.get("values") or [])
    if not all(isinstance(v, str) and _VALUE.fullmatch(v) for v in values):
        return False
    arity = {"In": len(values) > 0, "NotIn": len(values) > 0, "Exists": not values,
             "DoesNotExist": not values, "Gt": len(values) == 1, "Lt": len(values) == 1}
    if not arity.get(op, False):
        return False
    integer = re.compile(r"[+-]?\d+", re.ASCII)
    if op in ("Gt", "Lt"):
        have = labels.get(key)
        if not integer.fullmatch(values[0]) or have is None or not integer.fullmatch(have):
            return False
        return (int(have) - int(values[0])) * (1 if op == "Gt" else -1) > 0
    present = key in labels
    return {"In": present and labels[key] in values, "NotIn": not present or labels[key] not in values,
            "Exists": present, "DoesNotExist": not present}[op]


def _affinity_rejects_pod_with_any_invalid_term(pod, ni):
    """All or nothing: one term kube-scheduler cannot parse rejects every node."""
    terms = ((((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
              .get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms")) or []
    from kitlib.scheduler.plugins.helpers import requirement_is_valid
    if any(not requirement_is_valid(e) for t in terms for e in t.get("matchExpressions") or []):
        return Status.unresolvable("node(s) didn't match Pod's node affinity/selector")
    return reference.functions()["node_affinity_filter"](pod, ni)


# ------------------------------------------------------------------ why Pending, by hand
def _pending_first_reason_only(pod, node_infos):
    """What kube-scheduler's event shows: the first filter that says no."""
    out = {}
    for ni in node_infos:
        names = [n for n, f in answers()["FILTERS"] if (s := f(pod, ni)) is not None and not s.is_success]
        out[ni.name] = names[:1]
    return out


def _pending_rejected_nodes_only(pod, node_infos):
    full = answers()["why_pending"](pod, node_infos)
    return {n: names for n, names in full.items() if names}


def _pending_sorted_names(pod, node_infos):
    return {n: sorted(names) for n, names in answers()["why_pending"](pod, node_infos).items()}


def _pending_through_a_framework(pod, node_infos):
    """Correct, written differently: a profile's filter plugins, every one asked."""
    a = answers()
    framework = checks.learner_framework(
        unschedulable=a["node_unschedulable_filter"], fit=a["node_resources_fit_filter"],
        affinity=a["node_affinity_filter"], taint_filter=a["taint_toleration_filter"],
        taint_score=a["taint_toleration_score"], taint_normalize=a["taint_toleration_normalize"],
        least_allocated=a["least_allocated_score"], balanced=a["balanced_allocation_score"])
    report = {ni.name: [] for ni in node_infos}
    for plugin in framework.filters:
        for ni in node_infos:
            status = plugin.filter(pod, ni) or Status()
            if not status.is_success:
                report[ni.name].append(plugin.name)
    return report


def _pending_with_own_checks(pod, node_infos):
    """Correct, written differently: a comprehension over the filters, tolerations by hand."""
    a = answers()
    order = ("NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodeResourcesFit")
    filters = dict(a["FILTERS"])
    return {ni.name: [n for n in order if not (filters[n](pod, ni) or Status()).is_success]
            for ni in node_infos}


# ------------------------------------------------------------------ the table
# (test cell, the answer replaced, the cases it must fail — all if None listed pass)
WRONG = {
    "init containers ignored": ("q2-node-resources-fit-tests", {"node_resources_fit_filter": fit_with(inits="ignored")},
                                ["an init container bigger than the app: its request counts"]),
    "init containers summed": ("q2-node-resources-fit-tests", {"node_resources_fit_filter": fit_with(inits="summed")},
                               ["hidden: init containers: the largest counts, not their sum"]),
    "sidecars counted as plain init containers": (
        "q2-node-resources-fit-tests", {"node_resources_fit_filter": fit_with(inits="sidecars-as-inits")},
        ["hidden: a sidecar adds to the app containers"]),
    "sidecars added to the apps only": (
        "q2-node-resources-fit-tests", {"node_resources_fit_filter": fit_with(inits="sidecars-only-in-apps")},
        ["hidden: a sidecar runs beside the init containers after it"]),
    "every sidecar added to every init container": (
        "q2-node-resources-fit-tests", {"node_resources_fit_filter": fit_with(inits="all-sidecars-in-every-init")},
        ["hidden: an init container before a sidecar runs without it"]),
    "overhead ignored": ("q2-node-resources-fit-tests", {"node_resources_fit_filter": fit_with(overhead=False)},
                         ["pod overhead is added to the requests"]),
    "decimal suffixes read as binary": (
        "q2-node-resources-fit-tests", {"node_resources_fit_filter": fit_with(binary_for_decimal=True)},
        ["hidden: 1Gi is 2^30 bytes, 1G is 10^9", "hidden: 1k is 1000 bytes"]),
    "node's pods counted by their app containers": (
        "q2-node-resources-fit-tests", {"node_resources_fit_filter": _fit_node_usage_from_app_containers},
        ["hidden: pods already there count with their init containers and overhead"]),
    "label values not validated, Gt on floats": (
        "q3-node-affinity-tests", {"node_affinity_filter": affinity_with(_naive_match)},
        ["a value that is not a valid label value: its term matches nothing",
         "hidden: Gt on labels that are not integers", "hidden: Gt with a value that is not an integer",
         "hidden: NotIn with a value that is not a label value", "hidden: a value longer than 63 characters"]),
    "non-integer labels truncated": (
        "q3-node-affinity-tests", {"node_affinity_filter": affinity_with(_validating_but_lenient_ints)},
        ["hidden: Gt on labels that are not integers"]),
    "one invalid term rejects every node": (
        "q3-node-affinity-tests", {"node_affinity_filter": _affinity_rejects_pod_with_any_invalid_term},
        ["a value that is not a valid label value: its term matches nothing"]),
    "scoring defaults for app containers only": (
        "q5-least-allocated-tests", {"least_allocated_score": _least_allocated_defaults_for_app_containers_only},
        ["hidden: request-less init and sidecar containers get the defaults too"]),
    "scoring ignores init containers": (
        "q5-least-allocated-tests", {"least_allocated_score": least_allocated_with(inits="ignored")},
        ["hidden: request-less init and sidecar containers get the defaults too"]),
    "scoring ignores overhead": (
        "q5-least-allocated-tests", {"least_allocated_score": least_allocated_with(overhead=False)},
        ["hidden: overhead counts when scoring"]),
    "balance ignores init containers": (
        "q6-balanced-allocation-tests", {"balanced_allocation_score": balanced_with(inits="ignored")},
        ["hidden: an init container decides the balance"]),
    "Pending: first reason only": ("q8-why-pending-tests", {"why_pending": _pending_first_reason_only},
                                   ["a 16-CPU pod: every reason on every node",
                                    "hidden: all four filters reject one node"]),
    "Pending: nodes that fit left out": ("q8-why-pending-tests", {"why_pending": _pending_rejected_nodes_only},
                                         ["a pod that fits somewhere: those nodes list nothing",
                                          "hidden: all four filters reject one node"]),
    "Pending: plugin names sorted, not in filter order": (
        "q8-why-pending-tests", {"why_pending": _pending_sorted_names},
        ["a 16-CPU pod: every reason on every node"]),
}

RIGHT = {
    "fit with requests computed by hand": ("q2-node-resources-fit-tests", {"node_resources_fit_filter": fit_with()}),
    "affinity with its own requirement parser": ("q3-node-affinity-tests",
                                                 {"node_affinity_filter": affinity_with(_careful_match)}),
    "LeastAllocated with requests computed by hand": ("q5-least-allocated-tests",
                                                      {"least_allocated_score": least_allocated_with()}),
    "BalancedAllocation with requests computed by hand": ("q6-balanced-allocation-tests",
                                                          {"balanced_allocation_score": balanced_with()}),
    "why Pending through a framework's filter plugins": ("q8-why-pending-tests",
                                                         {"why_pending": _pending_through_a_framework}),
    "why Pending as one comprehension": ("q8-why-pending-tests", {"why_pending": _pending_with_own_checks}),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_a_wrong_solution_fails_the_cases_written_for_its_mistake(name):
    grade_id, override, must_fail = WRONG[name]
    results, output = run_test_cell(grade_id, override)
    missing = [case for case in must_fail if case not in results]
    assert not missing, f"no such cases: {missing}\n{output}"
    passed = [case for case in must_fail if results[case]]
    assert not passed, f"{name} passed {passed}:\n{output}"


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_a_right_solution_written_differently_passes_every_case(name):
    grade_id, override = RIGHT[name]
    results, output = run_test_cell(grade_id, override)
    assert results and all(results.values()), output


# ------------------------------------------------------------------ the helpers learners use
@pytest.mark.parametrize("text, milli_cpu", [("1000m", 1000), ("1", 1000), ("0.5", 500), ("100.5m", 101),
                                             ("1e3m", 1000)])
def test_cpu_quantities(text, milli_cpu):
    pod = {"spec": {"containers": [{"resources": {"requests": {"cpu": text}}}]}}
    assert pod_requests(pod).milli_cpu == milli_cpu


@pytest.mark.parametrize("text, size", [("1Gi", 2**30), ("1G", 10**9), ("1Ki", 1024), ("1k", 1000),
                                        ("1.5Mi", 3 * 2**19), ("1e3", 1000)])
def test_memory_quantities(text, size):
    pod = {"spec": {"containers": [{"resources": {"requests": {"memory": text}}}]}}
    assert pod_requests(pod).memory == size


def test_pod_requests_follows_upstream_for_init_containers_sidecars_and_overhead():
    C = lambda name, cpu, policy=None: {"name": name, **({"restartPolicy": policy} if policy else {}),   # noqa: E731
                                        "resources": {"requests": {"cpu": cpu}}}
    pod = {"spec": {"containers": [C("app", "200m")], "overhead": {"cpu": "50m"},
                    "initContainers": [C("i1", "500m"), C("s1", "300m", "Always"), C("i2", "600m"),
                                       C("s2", "100m", "Always")]}}
    # apps 200 + sidecars 300 + 100 = 600; init phases 500, 300, 600 + 300 = 900, 400 -> 900; + 50
    assert pod_requests(pod).milli_cpu == 950
    assert by_hand(pod)[0] == 950
    # non-zero: a container with no request counts 100m, init containers and sidecars too
    bare = {"spec": {"containers": [{"name": "app"}], "initContainers": [{"name": "s", "restartPolicy": "Always"},
                                                                         {"name": "i"}]}}
    assert pod_requests(bare, non_zero=True).milli_cpu == 200 and pod_requests(bare).milli_cpu == 0


@pytest.mark.parametrize("expr, labels, matches", [
    ({"key": "zone", "operator": "In", "values": ["a"]}, {"zone": "a"}, True),
    ({"key": "zone", "operator": "In", "values": ["a", "zone c"]}, {"zone": "a"}, False),
    ({"key": "zone", "operator": "NotIn", "values": ["b c"]}, {"zone": "a"}, False),
    ({"key": "zone", "operator": "NotIn", "values": ["b"]}, {}, True),
    ({"key": "zone", "operator": "In", "values": ["x" * 64]}, {"zone": "x" * 64}, False),
    ({"key": "zone", "operator": "In", "values": ["-a"]}, {"zone": "-a"}, False),
    ({"key": "n", "operator": "Gt", "values": ["4"]}, {"n": "4.5"}, False),
    ({"key": "n", "operator": "Gt", "values": ["4"]}, {"n": "08"}, True),
    ({"key": "n", "operator": "Gt", "values": ["2.5"]}, {"n": "8"}, False),
    ({"key": "n", "operator": "Gt", "values": ["-1"]}, {"n": "8"}, False),      # "-1" is no label value
    ({"key": "n", "operator": "Lt", "values": ["4", "5"]}, {"n": "1"}, False),
    ({"key": "n", "operator": "Exists", "values": ["x"]}, {"n": "1"}, False),
    ({"key": "bad key!", "operator": "Exists"}, {"bad key!": "1"}, False),
    ({"key": "example.com/n", "operator": "Exists"}, {"example.com/n": "1"}, True),
])
def test_requirement_matches_as_kube_scheduler_parses_it(expr, labels, matches):
    assert requirement_matches(expr, labels) is matches
    assert _careful_match(expr, labels) is matches or expr["key"] == "bad key!"


def test_tolerates_is_unchanged():
    assert tolerates({"operator": "Exists"}, {"key": "x", "effect": "NoSchedule"})


def test_q8_unanswered_fails_with_readable_lines():
    def why_pending(pod, node_infos):
        raise NotImplementedError()
    results, output = run_test_cell("q8-why-pending-tests", {"why_pending": why_pending})
    assert results and not any(results.values())
    failing = [line for line in output.splitlines() if line.lstrip().startswith("✘")]
    assert failing and all("not implemented yet" in line for line in failing), output
