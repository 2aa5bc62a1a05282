"""kit validate: what a learner runs before submitting."""
from pathlib import Path

import nbformat
import pytest

from kitlib.cli import main
from kitlib.grading import nbmeta as m
from kitlib.grading.release import release_notebook

pytestmark = pytest.mark.cluster

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "grading"


def student_copy(tmp_path, solved: bool, name="cluster-exercise.ipynb") -> Path:
    source = m.read(FIXTURES / name)
    nb = release_notebook(source)
    if solved:
        originals = m.by_grade_id(source)
        for cell in nb.cells:
            if m.is_solution(cell):
                cell.source = originals[m.grade_id(cell)].source
    path = tmp_path / name
    nbformat.write(nb, str(path))
    return path


def test_validate_a_finished_notebook(tmp_path, capsys):
    path = student_copy(tmp_path, solved=True)
    before = path.read_bytes()
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "public checks: 2/2 points" in out and "SECRET" not in out
    assert path.read_bytes() == before          # the learner's file is left as it was


def test_validate_an_unfinished_and_edited_notebook(tmp_path, capsys):
    path = student_copy(tmp_path, solved=False, name="pure-exercise.ipynb")
    nb = m.read(path)
    m.by_grade_id(nb)["q2-tests"].source = "pass"
    nbformat.write(nb, str(path))
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert "public checks: 0/6 points" in out
    assert "not implemented" in out
    assert "'q2-tests' was edited" in out and "q2-tests: 0/2 (edited)" in out
