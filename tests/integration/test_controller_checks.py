"""Chapter 06's checks, tested both ways against the real cluster: the reference reconcile
passes every check; deliberately wrong controllers, buggy code and the student version
(solution removed) fail with a readable one-line reason."""
import re
import threading

import nbformat
import pytest

from exercises.controller import checks, reference
from exercises.solutions import solution_cells
from kitlib.paths import REPO_DIR

pytestmark = pytest.mark.cluster

NOTEBOOK = REPO_DIR / "chapters" / "06-controller-exercise.ipynb"


def variant(*edits):
    """The chapter's solution with textual edits (old, new); each must apply once."""
    [(_, source)] = solution_cells(reference.CHAPTER, reference.GRADE_ID)
    for old, new in edits:
        assert source.count(old) == 1, f"edit no longer applies: {old!r}"
        source = source.replace(old, new)
    namespace = {}
    exec(compile(source, "<wrong controller>", "exec"), namespace)
    return namespace["reconcile"]


WRONG = {
    # reacts only to spec changes (generation), not to what happens to its pods
    "edge-triggered only": (variant((
        '    if meta.get("deletionTimestamp"):\n        return None\n',
        '    if meta.get("deletionTimestamp"):\n        return None\n'
        '    if (podset.get("status") or {}).get("observedGeneration") == meta["generation"]:\n'
        '        return None\n')), "self-healing"),
    # counts pods by labels and never sets ownerReferences
    "no ownerReferences": (variant(
        ('if not is_active(pod) or (owner is not None and owner["uid"] != meta["uid"]):',
         'if not is_active(pod) or not matches(spec["selector"], pod["metadata"].get("labels")):'),
        ("        if owner is None:\n", "        if False:\n"),
        ('"ownerReferences": [ref],', '')), "deleting the PodSet"),
    # trusts the cache, no expectations
    "creates duplicates": (variant(("    if ctx.expectations.satisfied(key):\n", "    if True:\n")),
                           "no duplicate pods"),
    # swallows 409 Conflict on the status write
    "ignores conflicts": (variant(("            if exc.status != 409 or attempt == 4:\n",
                                   "            if exc.status == 409:\n                return None\n"
                                   "            if True:\n")), "409 Conflict"),
    # writes the status on every call
    "writes every loop": (variant((
        "        if all(current.get(k) == v for k, v in status.items()):\n            return None\n",
        "")), "no API writes"),
    "never deletes extras": (variant(("        elif diff < 0:\n", "        elif False:\n")), "scale down"),
}


def only(name_part):
    rows = [row for row in checks.ALL if name_part in row[0]]
    assert len(rows) == 1, name_part
    return [rows[0][0]]


def test_reference_passes_every_check(api):
    summary = checks.run_all(reference.reconcile, api=api)
    assert summary.all_passed, summary.render()
    assert summary.points == summary.max_points == 18


@pytest.mark.parametrize("name", sorted(WRONG))
def test_each_wrong_controller_fails_a_check(api, name):
    reconcile, case = WRONG[name]
    summary = checks.run_all(reconcile, api=api, only=only(case), show=False)
    assert not summary.all_passed, f"{name} passed {case!r}"
    failure = summary.failures[0]
    assert failure.message and "\n" not in failure.message
    print(name, "->", failure.line())


def test_buggy_code_gets_a_clear_message_quickly(api):
    def raises(ctx, key):
        return {}["spec"]

    def loops(ctx, key):
        while True:
            pass

    def wrong_return(ctx, key):
        reference.reconcile(ctx, key)
        return "done"

    expected = {raises: "raised KeyError: 'spec' (line", loops: "did not return within",
                wrong_return: "reconcile returned 'done' (str)"}
    for func, text in expected.items():
        summary = checks.basics(func, api=api, only=["scale up: creates pods up to spec.replicas"],
                                show=False)
        assert not summary.all_passed
        assert text in summary.failures[0].message, summary.render()
    # the infinite loop was interrupted: no worker thread is left spinning
    assert not [t for t in threading.enumerate() if "podset-controller" in t.name]


def strip_solutions(source: str) -> str:
    """What nbgrader's release does to a solution cell (kit release lives elsewhere)."""
    pattern = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n?", re.S | re.M)
    return pattern.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()\n",
                       source)


def test_student_version_fails_every_check_with_readable_messages(api):
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution"))
    student = strip_solutions(cell.source)
    assert "NotImplementedError" in student and "create_namespaced_pod" not in student
    namespace = {}
    exec(compile(student, "<student cell>", "exec"), namespace)
    summary = checks.run_all(namespace["reconcile"], api=api, show=False)
    assert summary.points == 0 and len(summary.failures) == len(checks.ALL)
    for result in summary.failures:
        assert "not implemented yet" in result.message, result.line()
    print(summary.render())
