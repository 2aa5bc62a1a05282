"""The exercise's checks, both ways: the reference solutions in the committed notebook pass
every check (public and hidden), deliberately wrong plugins each fail at least one, the
student version (solutions replaced by ``raise NotImplementedError()``) fails with readable
lines, and broken code (exceptions, wrong types, endless loops) never breaks the checker."""
import ast
import contextlib
import io
import re
from pathlib import Path

import nbformat
import pytest

from exercises.scheduler import checks, reference, stage
from kitlib.checks import run_cases
from kitlib.scheduler import MAX_NODE_SCORE, Status, pod_requests, tolerates

NOTEBOOK = Path(__file__).resolve().parents[2] / "chapters" / "05-scheduler-exercise.ipynb"
OFFLINE = ("q1", "q2", "q3", "q4", "q5", "q6")          # q7 needs the cluster (integration tests)


# ------------------------------------------------------------------ notebook helpers
def strip_solutions(source: str) -> str:
    """What a student sees: each solution region becomes ``raise NotImplementedError()``
    (indented like its BEGIN line) and hidden tests disappear."""
    source = re.sub(r"(?ms)^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION[ \t]*$",
                    lambda m: f"{m.group(1)}raise NotImplementedError()", source)
    return re.sub(r"(?ms)^[ \t]*### BEGIN HIDDEN TESTS\n.*?^[ \t]*### END HIDDEN TESTS[ \t]*\n?", "", source)


def graded_cells(student: bool = False) -> list[tuple[str, str, bool]]:
    """(grade_id, source, is_test) for the offline questions, in notebook order."""
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    out = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if cell.cell_type == "code" and meta and meta["grade_id"].startswith(OFFLINE):
            src = strip_solutions(cell.source) if student else cell.source
            out.append((meta["grade_id"], src, bool(meta.get("grade"))))
    return out


def setup_namespace() -> dict:
    """The notebook's setup cell without the cluster: its imports, and the chapter's
    nodes as built locally instead of read back from the API."""
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code" and "stage.chapter_nodes" in c.source)
    imports = [n for n in ast.parse(setup.source).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    ns: dict = {}
    exec(compile(ast.Module(imports, []), "setup", "exec"), ns)
    ns["nodes"] = stage.chapter_nodes()
    ns["public"] = stage.public_scenarios(ns["nodes"])
    return ns


def run_question(question: str, student: bool = False, override: dict | None = None) -> tuple[bool, str]:
    """Run one question's solution and test cells; (all passed?, printed output)."""
    ns = setup_namespace()
    out = io.StringIO()
    passed = True
    for grade_id, src, is_test in graded_cells(student):
        if not grade_id.startswith(question):
            continue
        with contextlib.redirect_stdout(out):
            if is_test:
                ns.update(override or {})
                try:
                    exec(src, ns)
                except AssertionError:
                    passed = False
            else:
                exec(src, ns)
    return passed, out.getvalue()


# ------------------------------------------------------------------ the reference passes
def test_notebook_has_a_solution_and_a_test_cell_per_question():
    ids = [g for g, _, _ in graded_cells()]
    for q in OFFLINE:
        assert any(g.startswith(q) and not t for g, _, t in graded_cells()), q
        assert any(g.startswith(q) and t for g, _, t in graded_cells()), q
    assert len(ids) == 2 * len(OFFLINE)


@pytest.mark.parametrize("question", OFFLINE)
def test_reference_solution_passes_public_and_hidden(question):
    passed, output = run_question(question)
    assert passed, output
    assert "all checks pass" in output and "hidden:" in output


# ------------------------------------------------------------------ the student version
def test_strip_solutions_keeps_signature_and_indentation():
    src = 'def f(x):\n    """doc"""\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n'
    assert strip_solutions(src) == 'def f(x):\n    """doc"""\n    raise NotImplementedError()\n'
    assert strip_solutions("a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\nc = 3\n") == "a = 1\nc = 3\n"


@pytest.mark.parametrize("question", OFFLINE)
def test_student_version_fails_with_readable_lines(question):
    passed, output = run_question(question, student=True)
    assert not passed
    failing = [line for line in output.splitlines() if line.lstrip().startswith("✘")]
    assert failing and all("not implemented yet" in line for line in failing), output
    assert "hidden:" not in output


# ------------------------------------------------------------------ wrong plugins fail
def _fit_off_by_one(pod, ni):       # rejects an exact fit
    want, a, u = pod_requests(pod), ni.allocatable, ni.requested
    if want.milli_cpu >= a.milli_cpu - u.milli_cpu or want.memory >= a.memory - u.memory:
        return Status.unschedulable("Insufficient cpu")
    return None


def _fit_ignores_pod_count(pod, ni):
    want, a, u = pod_requests(pod), ni.allocatable, ni.requested
    reasons = [r for r, short in (("Insufficient cpu", want.milli_cpu > a.milli_cpu - u.milli_cpu),
                                  ("Insufficient memory", want.memory > a.memory - u.memory)) if short]
    return Status.unschedulable(*reasons) if reasons else None


def _fit_with_defaults(pod, ni):     # filtering must not use the 100m/200Mi defaults
    want, a, u = pod_requests(pod, non_zero=True), ni.allocatable, ni.non_zero_requested
    reasons = ["Too many pods"] if len(ni.pods) + 1 > a.pods else []
    reasons += [r for r, short in (("Insufficient cpu", want.milli_cpu > a.milli_cpu - u.milli_cpu),
                                   ("Insufficient memory", want.memory > a.memory - u.memory)) if short]
    return Status.unschedulable(*reasons) if reasons else None


def _unschedulable_ignoring_tolerations(pod, ni):
    return Status.unresolvable("node(s) were unschedulable") if ni.unschedulable else None


def _taints_ignoring_tolerations(pod, ni):
    bad = [t for t in ni.taints if t["effect"] in ("NoSchedule", "NoExecute")]
    return Status.unresolvable("node(s) had untolerated taint(s)") if bad else None


def _taints_prefer_as_hard(pod, ni):
    tol = pod["spec"].get("tolerations") or []
    bad = [t for t in ni.taints if not any(tolerates(x, t) for x in tol)]
    return Status.unresolvable("node(s) had untolerated taint(s)") if bad else None


def _affinity_terms_anded(pod, ni):
    from kitlib.scheduler.plugins.helpers import requirement_matches
    if any(ni.labels.get(k) != v for k, v in (pod["spec"].get("nodeSelector") or {}).items()):
        return Status.unresolvable("node(s) didn't match Pod's node affinity/selector")
    req = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    terms = (req or {}).get("nodeSelectorTerms") or []
    ok = all(all(requirement_matches(e, ni.labels) for e in t.get("matchExpressions") or []) for t in terms)
    return None if ok else Status.unresolvable("node(s) didn't match Pod's node affinity/selector")


def _affinity_ignores_node_selector(pod, ni):
    return reference.functions()["node_affinity_filter"]({**pod, "spec": {**pod["spec"], "nodeSelector": {}}}, ni)


def _normalize_not_reversed(pod, scores):
    top = max(scores.values(), default=0)
    return {n: (MAX_NODE_SCORE * s // top if top else 0) for n, s in scores.items()}


def _normalize_missing(pod, scores):
    return dict(scores)


def _most_allocated(pod, ni):        # wrong direction: prefers fuller nodes
    return MAX_NODE_SCORE - reference.functions()["least_allocated_score"](pod, ni)


def _least_allocated_real_requests(pod, ni):
    want, have, a = pod_requests(pod), ni.requested, ni.allocatable
    cpu = (a.milli_cpu - have.milli_cpu - want.milli_cpu) * 100 // a.milli_cpu
    mem = (a.memory - have.memory - want.memory) * 100 // a.memory
    return (cpu + mem) // 2


def _least_allocated_float(pod, ni):
    want, have, a = pod_requests(pod, non_zero=True), ni.non_zero_requested, ni.allocatable
    cpu = (a.milli_cpu - have.milli_cpu - want.milli_cpu) * 100 / a.milli_cpu
    mem = (a.memory - have.memory - want.memory) * 100 / a.memory
    return (cpu + mem) / 2


def balanced_resource_score(requested, allocatable):
    f = [min(r / a, 1.0) for r, a in zip(requested, allocatable)]
    return int((1 - abs(f[0] - f[1]) / 2) * MAX_NODE_SCORE)


def _balanced_pre_v1_36(pod, ni):    # the formula before kubernetes PR #135573
    want, have, a = pod_requests(pod), ni.requested, ni.allocatable
    if not (want.milli_cpu or want.memory):
        return 0
    return balanced_resource_score([have.milli_cpu + want.milli_cpu, have.memory + want.memory],
                                   [a.milli_cpu, a.memory])


def _balanced_scores_best_effort(pod, ni):
    want, have, a = pod_requests(pod), ni.requested, ni.allocatable
    w = balanced_resource_score([have.milli_cpu + want.milli_cpu, have.memory + want.memory], [a.milli_cpu, a.memory])
    wo = balanced_resource_score([have.milli_cpu, have.memory], [a.milli_cpu, a.memory])
    return 50 + (50 + w - wo) // 2


WRONG = {
    "fit off by one (>= instead of >)": ("q2", {"node_resources_fit_filter": _fit_off_by_one}),
    "fit ignores the pod count": ("q2", {"node_resources_fit_filter": _fit_ignores_pod_count}),
    "fit filters with the scoring defaults": ("q2", {"node_resources_fit_filter": _fit_with_defaults}),
    "cordon ignores tolerations": ("q1", {"node_unschedulable_filter": _unschedulable_ignoring_tolerations}),
    "taints ignore tolerations": ("q4", {"taint_toleration_filter": _taints_ignoring_tolerations}),
    "PreferNoSchedule treated as NoSchedule": ("q4", {"taint_toleration_filter": _taints_prefer_as_hard}),
    "taint scores not reversed": ("q4", {"taint_toleration_normalize": _normalize_not_reversed}),
    "taint scores not normalized": ("q4", {"taint_toleration_normalize": _normalize_missing}),
    "affinity terms ANDed": ("q3", {"node_affinity_filter": _affinity_terms_anded}),
    "affinity ignores nodeSelector": ("q3", {"node_affinity_filter": _affinity_ignores_node_selector}),
    "score direction reversed (MostAllocated)": ("q5", {"least_allocated_score": _most_allocated}),
    "LeastAllocated without the defaults": ("q5", {"least_allocated_score": _least_allocated_real_requests}),
    "LeastAllocated with float division": ("q5", {"least_allocated_score": _least_allocated_float}),
    "BalancedAllocation before PR #135573": ("q6", {"balanced_allocation_score": _balanced_pre_v1_36}),
    "BalancedAllocation scores best effort": ("q6", {"balanced_allocation_score": _balanced_scores_best_effort}),
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_each_wrong_plugin_fails_a_check(name):
    question, override = WRONG[name]
    passed, output = run_question(question, override=override)
    assert not passed, f"{name} passed every check:\n{output}"
    assert any(line.lstrip().startswith("✘") for line in output.splitlines())


# ------------------------------------------------------------------ broken code is reported
def _one(fn, question="NodeUnschedulable", time_limit=10):
    sc = stage.public_scenarios()[question][:1]
    maker = checks.filter_cases if question in ("NodeUnschedulable", "NodeResourcesFit") else checks.score_cases
    return run_cases("t", maker(fn, question, sc, time_limit=time_limit), show=False).results[0]


def test_exception_is_one_line_with_the_learners_line():
    def broken(pod, ni):
        return pod["spec"]["nope"]
    r = _one(broken)
    assert not r.passed and r.message.startswith("raised KeyError: 'nope'") and 'pod["spec"]["nope"]' in r.message


def test_wrong_return_type_is_named():
    r = _one(lambda pod, ni: "fits")
    assert not r.passed and "returned str" in r.message and "return None" in r.message
    r = _one(lambda pod, ni: 50.0, "LeastAllocated")
    assert not r.passed and "returned float" in r.message and "//" in r.message


def test_endless_loop_is_stopped_by_the_time_limit():
    def spin(pod, ni):
        while True:
            pass
    r = _one(spin, time_limit=0.5)
    assert not r.passed and "took longer than 0.5s" in r.message


def test_wrong_answer_names_node_and_values():
    r = _one(lambda pod, ni: 0, "LeastAllocated")
    assert not r.passed and re.match(r"node ch05-\S+: expected \d+, got 0", r.message)


def test_output_is_deterministic():
    first = run_question("q5")[1]
    assert first == run_question("q5")[1]
