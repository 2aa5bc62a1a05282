"""kit release: the student version of an instructor notebook."""
import copy
import hashlib
import sys
from pathlib import Path

import nbformat
import pytest

from kitlib.grading import nbmeta as m
from kitlib.grading.release import graded_notebooks, release, release_notebook

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
from nbbuild import code, graded, md, notebook  # noqa: E402

PURE = FIXTURES / "pure-exercise.ipynb"


def nbgrader_checksum(cell) -> str:
    """nbgrader's utils.compute_checksum, spelled out independently of kitlib."""
    meta = cell.metadata["nbgrader"]
    grade, solution = bool(meta.get("grade")), bool(meta.get("solution"))
    locked = False if solution else (True if grade else bool(meta.get("locked")))
    h = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(grade), str(solution), str(locked), meta["grade_id"]):
        h.update(part.encode())
    if grade:
        h.update(str(float(meta["points"])).encode())
    return h.hexdigest()


@pytest.fixture
def released():
    return release_notebook(m.read(PURE))


def test_solutions_become_the_nbgrader_stub_keeping_indentation(released):
    add = m.by_grade_id(released)["q1-add"]
    assert add.source == "def add(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    text = nbformat.writes(released)
    assert "BEGIN SOLUTION" not in text and "return a + b" not in text


def test_hidden_tests_are_removed_and_public_ones_kept(released):
    tests = m.by_grade_id(released)["q1-tests"]
    assert "run_cases(\"Q1 add\"" in tests.source
    text = nbformat.writes(released)
    assert "SECRET" not in text and "HIDDEN TESTS" not in text


def test_graded_cells_carry_schema_3_metadata_with_nbgrader_checksums(released):
    for cell in m.graded_cells(released):
        meta = cell.metadata["nbgrader"]
        assert meta["schema_version"] == 3
        assert {"grade_id", "grade", "solution", "locked"} <= set(meta)
        assert meta["checksum"] == nbgrader_checksum(cell)
        assert meta["cell_type"] == cell.cell_type
    tests = m.by_grade_id(released)["q1-tests"]
    assert tests.metadata["nbgrader"]["points"] == 4 and tests.metadata["nbgrader"]["locked"] is True
    assert tests.metadata["editable"] is False and tests.metadata["deletable"] is False
    instructions = m.by_grade_id(released)["instructions"]
    assert instructions.metadata["editable"] is False
    answer = m.by_grade_id(released)["q1-add"]
    assert answer.metadata["deletable"] is False and "editable" not in answer.metadata


def test_checksum_changes_with_any_edit(released):
    cell = copy.deepcopy(m.by_grade_id(released)["q1-tests"])
    before = m.compute_checksum(cell)
    cell.source += "\n# edit"
    assert m.compute_checksum(cell) != before
    cell = copy.deepcopy(m.by_grade_id(released)["q1-tests"])
    cell.metadata["nbgrader"]["points"] = 40
    assert m.compute_checksum(cell) != before


def test_outputs_are_cleared_and_source_untouched(tmp_path):
    source = m.read(PURE)
    first_code = next(c for c in source.cells if c.cell_type == "code")
    first_code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi")]
    first_code.execution_count = 3
    before = copy.deepcopy(source)
    student = release_notebook(source)
    assert source == before
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")


def test_release_writes_a_folder_and_never_the_sources(tmp_path):
    before = PURE.read_bytes()
    written = release([PURE], tmp_path / "release", report=lambda s: None)
    assert written == [tmp_path / "release" / PURE.name]
    assert PURE.read_bytes() == before
    nbformat.validate(m.read(written[0]))


def test_default_set_is_notebooks_with_graded_cells(tmp_path):
    nbformat.write(notebook([md("# plain"), code("x = 1")]), str(tmp_path / "00-plain.ipynb"))
    nbformat.write(m.read(PURE), str(tmp_path / "05-graded.ipynb"))
    assert graded_notebooks(tmp_path) == [tmp_path / "05-graded.ipynb"]


@pytest.mark.parametrize("cells, problem", [
    ([graded(code("x = 1\n### BEGIN SOLUTION\nx = 2"), "a", solution=True)], "without"),
    ([code("### BEGIN SOLUTION\nx = 2\n### END SOLUTION")], "outside a solution cell"),
    ([code("### BEGIN HIDDEN TESTS\nassert 1\n### END HIDDEN TESTS")], "outside a grade cell"),
    ([graded(code("x = 1"), "a", solution=True), graded(code("y = 1"), "a", solution=True)], "duplicate"),
])
def test_malformed_notebooks_are_refused(cells, problem):
    with pytest.raises(m.NotebookFormatError, match=problem):
        release_notebook(notebook(cells))


def test_a_solution_cell_without_markers_is_all_solution():
    nb = release_notebook(notebook([graded(code("def f():\n    return 1"), "f", solution=True),
                                    graded(md("An answer"), "essay", solution=True, grade=True, points=1)]))
    assert nb.cells[0].source == m.CODE_STUB
    assert nb.cells[1].source == m.TEXT_STUB


def test_cli_release_defaults_to_release_folder(tmp_path, monkeypatch):
    from kitlib.cli import main
    monkeypatch.chdir(tmp_path)
    assert main(["release", str(PURE)]) == 0
    assert (tmp_path / "release" / PURE.name).is_file()
