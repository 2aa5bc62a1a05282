"""Round trip on every graded notebook, against the cluster: release -> the untouched
student copy scores 0 with clear messages -> the solution pasted back scores full marks.
Runs on the fixtures and on every chapters/*.ipynb that has graded cells when the test runs."""
import sys
from pathlib import Path

import pytest

from kitlib.grading import nbmeta as m
from kitlib.grading.autograde import Options
from kitlib.grading.batch import grade_all
from kitlib.grading.release import graded_notebooks, release

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


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_round_trip(notebook, tmp_path):
    source = m.read(notebook)
    [student_path] = release([notebook], tmp_path / "release", report=lambda s: None)
    released = m.read(student_path)
    secrets = hidden_snippets(source)
    student_text = student_path.read_text()
    assert not [s for s in secrets if s in student_text], "hidden tests leaked into the release"

    subs = submissions.write_all(tmp_path / "submitted", {
        "untouched": released, "solved": submissions.solved(released, source)}, notebook.name)
    results = grade_all([tmp_path / "submitted"], [notebook], tmp_path / "graded", jobs=2,
                        options=Options(cell_timeout=300, total_timeout=1200), report=lambda s: None)
    by_student = {r.student: r for r in results}
    assert set(by_student) == set(subs)
    possible = sum(m.points(c) for c in source.cells if m.is_autograded_test(c))
    untouched, solved = by_student["untouched"], by_student["solved"]

    assert untouched.points == 0, untouched.tests
    untouched_feedback = Path(untouched.feedback).read_text()
    assert "NotImplementedError" in untouched_feedback or "not implemented" in untouched_feedback
    assert all(t.status in ("failed", "manual") for t in untouched.tests)

    assert solved.points == possible, Path(solved.feedback).read_text()
    assert not solved.notes and not solved.error

    for result in results:
        text = Path(result.feedback).read_text()
        assert not [s for s in secrets if s in text], "hidden tests leaked into feedback"
    assert (tmp_path / "graded" / "gradebook.csv").read_text().count("\n") == 3
