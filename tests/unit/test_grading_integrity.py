"""What is graded: locked cells restored, tampering reported, hidden tests put back."""
import copy
import sys
from pathlib import Path

import nbformat
import pytest

from kitlib.grading import nbmeta as m
from kitlib.grading.integrity import prepare
from kitlib.grading.release import release_notebook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
import submissions  # noqa: E402


@pytest.fixture(scope="module")
def source():
    return m.read(FIXTURES / "pure-exercise.ipynb")


@pytest.fixture
def released(source):
    return release_notebook(source)


def kinds(notes):
    return sorted((n.kind, n.grade_id) for n in notes)


def test_untouched_submission_has_no_notes_and_gets_hidden_tests(source, released):
    nb, notes = prepare(released, source)
    assert notes == []
    text = "\n".join(c.source for c in nb.cells)
    assert "SECRET" in text                   # hidden tests are back for grading


def test_test_cells_are_split_into_public_and_hidden_parts(source, released):
    nb, _ = prepare(released, source)
    parts = [(c.metadata["kitlib"]["grade_id"], c.metadata["kitlib"]["hidden"])
             for c in nb.cells if "grade_id" in c.metadata.get("kitlib", {})]
    assert parts == [("q1-tests", False), ("q1-tests", True), ("q2-tests", False), ("q2-tests", True)]
    hidden = [c.source for c in nb.cells if c.metadata.get("kitlib", {}).get("hidden")]
    assert all("SECRET" in s for s in hidden)
    public = [c.source for c in nb.cells if c.metadata.get("kitlib", {}).get("hidden") is False]
    assert not any("SECRET" in s for s in public)


def test_edited_test_cell_is_reported_and_replaced(source, released):
    sub = copy.deepcopy(released)
    m.by_grade_id(sub)["q1-tests"].source = "print('all good')"
    nb, notes = prepare(sub, source)
    assert kinds(notes) == [("tampered", "q1-tests")]
    assert "print('all good')" not in "\n".join(c.source for c in nb.cells)


def test_changed_points_or_flags_count_as_tampering(source, released):
    sub = copy.deepcopy(released)
    m.by_grade_id(sub)["q2-tests"].metadata["nbgrader"]["points"] = 100
    m.by_grade_id(sub)["instructions"].metadata["nbgrader"]["locked"] = False
    _, notes = prepare(sub, source)
    assert kinds(notes) == [("tampered", "instructions"), ("tampered", "q2-tests")]


def test_deleted_cells_are_put_back_in_place(source, released):
    sub = copy.deepcopy(released)
    sub.cells = [c for c in sub.cells if m.grade_id(c) not in ("q2-tests", "q1-add")]
    nb, notes = prepare(sub, source)
    assert kinds(notes) == [("missing", "q1-add"), ("missing", "q2-tests")]
    order = [m.grade_id(c) or c.metadata.get("kitlib", {}).get("grade_id") for c in nb.cells]
    order = [g for i, g in enumerate(order) if g and (i == 0 or order[i - 1] != g)]
    assert order == ["instructions", "q1-add", "q1-tests", "q2-fib", "q2-tests"]
    add = next(c for c in nb.cells if m.grade_id(c) == "q1-add")
    assert "NotImplementedError" in add.source


def test_answers_and_added_cells_are_kept(source, released):
    sub = copy.deepcopy(released)
    m.by_grade_id(sub)["q1-add"].source = "def add(a, b):\n    return helper(a, b)"
    import nbformat
    sub.cells.insert(3, nbformat.v4.new_code_cell("def helper(a, b):\n    return a + b"))
    nb, notes = prepare(sub, source)
    assert notes == []
    sources = [c.source for c in nb.cells]
    assert "def helper(a, b):\n    return a + b" in sources
    assert "def add(a, b):\n    return helper(a, b)" in sources


def test_duplicated_and_unknown_graded_cells_count_once(source, released):
    sub = copy.deepcopy(released)
    copy_of_test = copy.deepcopy(m.by_grade_id(sub)["q2-tests"])
    stranger = copy.deepcopy(m.by_grade_id(sub)["q2-fib"])
    stranger.metadata["nbgrader"]["grade_id"] = "made-up"
    sub.cells += [copy_of_test, stranger]
    nb, notes = prepare(sub, source)
    assert kinds(notes) == [("duplicate", "q2-tests"), ("unknown-id", "made-up")]
    assert sum(1 for c in nb.cells if c.metadata.get("kitlib", {}).get("grade_id") == "q2-tests") == 2


def test_solution_cell_turned_into_markdown_is_changed_back(source, released):
    sub = copy.deepcopy(released)
    cell = m.by_grade_id(sub)["q2-fib"]
    cell.cell_type = "markdown"
    del cell["outputs"], cell["execution_count"]
    nb, notes = prepare(sub, source)
    assert kinds(notes) == [("retyped", "q2-fib")]
    assert next(c for c in nb.cells if m.grade_id(c) == "q2-fib").cell_type == "code"


def test_every_broken_fixture_prepares(source, released):
    for name, (nb, _, _) in submissions.broken_pure(released).items():
        prepared, _ = prepare(nb, source)
        try:
            nbformat.validate(prepared)
        except nbformat.ValidationError as exc:
            pytest.fail(f"{name}: the prepared notebook is not valid: {exc}")


def test_hidden_region_inside_a_block_runs_whole_and_hidden():
    segs = m.hidden_segments("def t():\n    x = 1\n    ### BEGIN HIDDEN TESTS\n    assert x\n"
                             "    ### END HIDDEN TESTS\nt()")
    assert len(segs) == 1 and segs[0][0] is True
