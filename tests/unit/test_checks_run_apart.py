"""The grader runs every test cell in a kernel of its own, with only the learner's answers
brought over (kitlib/grading/answers.py, remote.py). So a test cell must not lean on
anything else the notebook defined: each name it uses is Python's, its own, or an answer."""
from pathlib import Path

import pytest

from kitlib.grading import nbmeta as m
from kitlib.grading.answers import (
    answer_names,
    answers_used,
    borrowed_names,
    checker_names,
    defined_names,
    is_checker_cell,
)

ROOT = Path(__file__).resolve().parents[2]
GRADED = [p for p in sorted((ROOT / "chapters").glob("*.ipynb")) + sorted(
    (ROOT / "tests" / "fixtures" / "grading").glob("*.ipynb")) if m.has_graded_cells(m.read(p))]


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.name)
def test_test_cells_use_only_their_own_names_and_answers(path):
    nb = m.read(path)
    answers = answer_names(nb)
    # a checker cell stands alone; a test cell may also use what checker cells define
    borrowed = {m.grade_id(c): sorted(borrowed_names(c.source, set()))
                for c in nb.cells if is_checker_cell(c)}
    known = answers | checker_names(nb)
    borrowed.update({m.grade_id(c): sorted(borrowed_names(c.source, known))
                     for c in nb.cells if m.is_autograded_test(c)})
    assert {k: v for k, v in borrowed.items() if v} == {}


@pytest.mark.parametrize("path", GRADED, ids=lambda p: p.name)
def test_the_learners_cells_do_not_lean_on_checker_cells(path):
    """When graded, a checker cell runs only in the checker's kernel: what it defines does
    not exist in the learner's, so the learner's cells must define it themselves."""
    nb = m.read(path)
    code = [c for c in nb.cells if c.cell_type == "code" and not m.is_autograded_test(c)]
    learner_defines = set().union(*(defined_names(c.source) for c in code if not is_checker_cell(c)))
    only_checker = checker_names(nb) - learner_defines
    leaning = {i: sorted(borrowed_names(c.source, set()) & only_checker)
               for i, c in enumerate(code) if not is_checker_cell(c)}
    assert {i: names for i, names in leaning.items() if names} == {}


def test_names_are_told_apart():
    answers = defined_names("def add(a, b):\n    return a + b\nlimit = 3\nimport os")
    assert answers == {"add", "limit", "os"}
    test = "from kitlib.checks import run_cases\nx = add(1, 2)\nassert helper(x) and limit\n" \
           "assert all(i for i in range(3))\n"
    assert answers_used(test, answers) == ["add", "limit"]
    assert borrowed_names(test, answers) == {"helper"}


def test_hidden_test_data_is_not_in_library_code():
    """Chapters 1 and 2 keep their hidden cases in the notebooks' hidden blocks (removed
    from the student copies), not in `exercises`, which every learner installs."""
    from exercises import desired, eras
    assert not hasattr(eras, "hidden_cases") and not hasattr(desired, "hidden_plan_cases")
    for chapter in ("01-deployment-eras", "02-desired-state"):
        nb = m.read(ROOT / "chapters" / f"{chapter}.ipynb")
        [cell] = [c for c in nb.cells if m.is_autograded_test(c)]
        hidden = cell.source.split(m.BEGIN_HIDDEN)[1].split(m.END_HIDDEN)[0]
        assert "hidden=True" in hidden and "Case(" in hidden, chapter


def test_only_the_instructors_checker_cells_run_in_the_checker():
    """A submission cannot add a cell of its own to the checker's kernel, nor make its
    answer cell one; the instructor's locked checker cell and the test cell go there."""
    import copy

    from nbformat.v4 import new_code_cell, new_notebook

    from kitlib.grading.answers import route_test_cells
    from kitlib.grading.integrity import prepare

    def graded(cell, gid, **flags):
        cell.metadata["nbgrader"] = {"grade_id": gid, "schema_version": 3, "solution": False,
                                     "grade": False, "locked": False, **flags}
        return cell

    setup = graded(new_code_cell("made = 41"), "setup", locked=True)
    setup.metadata["kitlib"] = {"checker": True}
    answer = graded(new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION"),
                    "answer", solution=True)
    test = graded(new_code_cell("assert f() == made + 1"), "test", grade=True, locked=True, points=1)
    source = new_notebook(cells=[setup, answer, test])
    submission = copy.deepcopy(source)
    submission.cells[1].metadata["kitlib"] = {"checker": True}          # its answer, flagged
    sneaky = new_code_cell("import os")
    sneaky.metadata["kitlib"] = {"checker": True}
    submission.cells.insert(0, sneaky)                                   # a cell of its own
    nb, _ = prepare(submission, source)
    route_test_cells(nb, source)
    where = [(c.source.splitlines()[-1], c.metadata.get("kitlib", {}).get("kernel")) for c in nb.cells]
    assert where == [("import os", None), ("made = 41", "checker"), ("    ### END SOLUTION", None),
                     ("assert f() == made + 1", "checker")]
