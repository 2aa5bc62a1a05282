"""The points a check cell shows are the points the gradebook gives: a question's public
and hidden cases add up to its nbgrader points, and a learner's copy (hidden checks
removed) says how many points are still to be decided by them."""
import re

import pytest

from kitlib.checks import Case, run_cases
from kitlib.grading import nbmeta as m
from kitlib.paths import REPO_DIR

HEADER = re.compile(r"^(?P<title>\S.*?): (?P<got>[\d.]+)/(?P<max>[\d.]+) points", re.M)
OUT_OF = re.compile(r"out_of=(?P<n>[\d.]+)")


def grade_cells():
    for path in sorted((REPO_DIR / "chapters").glob("[0-9][0-9]-*.ipynb")):
        for cell in m.read(path).cells:
            if m.is_grade(cell):
                yield pytest.param(cell, id=f"{path.stem}:{m.grade_id(cell)}")


@pytest.mark.parametrize("cell", list(grade_cells()))
def test_shown_points_add_up_to_the_gradebooks(cell):
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
    shown = sum(float(h["max"]) for h in HEADER.finditer(text))
    points = m.points(cell)
    assert shown, "the stored output shows no check summary"
    declared = {float(n) for n in OUT_OF.findall(cell.source)}
    assert declared <= {points}, f"out_of={declared} but the question is worth {points:g}"
    hidden_silently = "show=False" in cell.source
    if hidden_silently or shown < points:
        # part of the points come from checks whose summary is not shown: the public
        # summary must say how many (out_of), so a learner's copy tells the truth
        assert declared == {points} or "more of its" in text, "the public summary hides the remainder"
    else:
        assert shown == points, f"the summaries show {shown:g} points, the gradebook gives {points:g}"


def test_a_learners_copy_says_what_hidden_checks_still_decide():
    summary = run_cases("Q1", [Case("a", lambda: None, points=2)], show=False, out_of=5)
    assert summary.undecided == 3
    assert summary.render().splitlines()[0] == (
        "Q1: 2/2 points — all checks pass; 3 more of its 5 points are decided by hidden checks "
        "when it is graded")
    full = run_cases("Q1", [Case("a", lambda: None, points=5)], show=False, out_of=5)
    assert full.undecided == 0 and "hidden" not in full.render()


def test_the_student_copy_of_chapter_5_shows_the_remainder():
    from kitlib.grading.release import release_notebook
    student = release_notebook(m.read(REPO_DIR / "chapters" / "05-scheduler-exercise.ipynb"))
    for cell in student.cells:
        if m.is_grade(cell) and "run_cases" in cell.source:
            assert f"out_of={m.points(cell):g}" in cell.source, m.grade_id(cell)

