"""Round trip on every graded notebook, against the cluster: release -> the untouched
student copy scores 0 with clear messages -> the solution pasted back scores full marks.
Runs on the fixtures and on every chapters/*.ipynb that has graded cells when the test runs."""
import sys
from pathlib import Path

import nbformat
import pytest

from kitlib.grading import nbmeta as m
from kitlib.grading.autograde import Options
from kitlib.grading.batch import grade_all
from kitlib.grading.execute import OK
from kitlib.grading.release import graded_notebooks, release
from kitlib.notebooks import NOT_RUN

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
import submissions  # noqa: E402

NOTEBOOKS = [FIXTURES / "pure-exercise.ipynb", FIXTURES / "cluster-exercise.ipynb",
             *graded_notebooks(ROOT / "chapters")]


def hidden_snippets(source) -> list[str]:
    """Distinctive lines from the hidden tests (they must not leak)."""
    lines = []
    for cell in source.cells:
        for inside, part in m.split_regions(cell.source, m.BEGIN_HIDDEN, m.END_HIDDEN):
            if inside:
                lines += [line.strip() for line in part[1:-1] if len(line.strip()) > 12]
    return lines


# The whole class at once, as an instructor grades it: every notebook's two submissions in
# one batch, more workers than cores (most of a submission's time is waiting on its cluster).
JOBS = 4


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory):
    """{notebook name: (source, released text, {student: SubmissionReport}, gradebook lines)}
    for every notebook this run selected, graded in one batch of their untouched and solved
    copies."""
    tmp = tmp_path_factory.mktemp("roundtrip")
    chosen = [item.callspec.params["notebook"] for item in request.session.items
              if getattr(item, "originalname", "") == "test_round_trip"]
    released = {}
    for notebook in chosen:
        source = m.read(notebook)
        [student_path] = release([notebook], tmp / "release", report=lambda s: None)
        student = m.read(student_path)
        submissions.write_all(tmp / "submitted", {
            "untouched": student, "solved": submissions.solved(student, source)}, notebook.name)
        released[notebook.name] = (source, student_path.read_text())
    results = grade_all([tmp / "submitted"], chosen, tmp / "graded", jobs=JOBS,
                        options=Options(cell_timeout=300, total_timeout=1200), report=lambda s: None)
    by_notebook: dict = {}
    for r in results:
        by_notebook.setdefault(r.notebook, {})[r.student] = r
    rows = (tmp / "graded" / "gradebook.csv").read_text().count("\n")
    return {name: (*released[name], by_notebook.get(name, {}), rows) for name in released}


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_round_trip(notebook, graded):
    source, student_text, by_student, rows = graded[notebook.name]
    secrets = hidden_snippets(source)
    assert not [s for s in secrets if s in student_text], "hidden tests leaked into the release"
    assert set(by_student) == {"untouched", "solved"}
    possible = sum(m.points(c) for c in source.cells if m.is_autograded_test(c))
    untouched, solved = by_student["untouched"], by_student["solved"]

    assert untouched.points == 0, untouched.tests
    untouched_feedback = Path(untouched.feedback).read_text()
    assert "NotImplementedError" in untouched_feedback or "not implemented" in untouched_feedback
    assert all(t.status in ("failed", "manual") for t in untouched.tests)

    assert solved.points == possible, Path(solved.feedback).read_text()
    assert not solved.notes and not solved.error
    # Every cell of the solved copy ran to its end without an error, as under nbval: where a
    # kind pass follows, this run stands for nbval's on the Docker-free cluster (conftest.py).
    ran = nbformat.read(solved.graded_notebook, as_version=4)
    not_ok = [(i, status, [o.get("ename") for o in c.outputs if o.get("output_type") == "error"])
              for i, c in enumerate(ran.cells)
              if c.cell_type == "code" and not NOT_RUN & set(c.metadata.get("tags", []))
              and (status := c.metadata.get("kitlib", {}).get("run", {}).get("status")) != OK]

    for result in by_student.values():
        text = Path(result.feedback).read_text()
        assert not [s for s in secrets if s in text], "hidden tests leaked into feedback"
    assert rows == 2 * len(graded) + 1         # a gradebook line per submission, and the header
    assert not not_ok, not_ok


def test_a_reconcile_unlike_the_reference_scores_full_marks(tmp_path):
    """Chapter 6's step 8 written another way — none of the steps' parts, adoption by
    strategic merge, status by merge patch (test_controller_checks.functional) — and graded
    across the process boundary gets every point: the checks judge behaviour, not shape."""
    import inspect

    from test_controller_checks import functional

    from exercises.controller.reference import GRADE_ID
    chapter = ROOT / "chapters" / "06-controller-exercise.ipynb"
    source = m.read(chapter)
    [student_path] = release([chapter], tmp_path / "release", report=lambda s: None)
    solved = submissions.solved(m.read(student_path), source)
    own_style = inspect.getsource(functional).replace("def functional(", "def reconcile(", 1)
    submissions.write_all(tmp_path / "submitted", {
        "own-style": submissions._with_answer(solved, GRADE_ID, own_style)}, chapter.name)
    [report] = grade_all([tmp_path / "submitted"], [chapter], tmp_path / "graded", jobs=1,
                         options=Options(cell_timeout=300, total_timeout=1200), report=lambda s: None)
    possible = sum(m.points(c) for c in source.cells if m.is_autograded_test(c))
    assert report.points == possible, Path(report.feedback).read_text()
    assert "def reconcile(ctx, key):" in own_style and "choose_extras" not in own_style
