"""nbgrader's own tools on the kit's notebooks (what README and docs/instructors.md claim):
`nbgrader generate_assignment` releases an instructor notebook exactly as `kit release`
does, and `nbgrader autograde` scores a kit-released submission as `kit grade` does."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from kitlib import cli
from kitlib.grading import nbmeta as m
from kitlib.grading.release import release_notebook

PURE = Path(__file__).resolve().parents[1] / "fixtures" / "grading" / "pure-exercise.ipynb"
BIN = Path(sys.executable).parent          # nbgrader and the alembic it calls live here


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def course(tmp_path: Path) -> Path:
    root = tmp_path / "course"
    (root / "source" / "ps1").mkdir(parents=True)
    shutil.copy(PURE, root / "source" / "ps1" / PURE.name)
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        "c.CourseDirectory.db_assignments = [dict(name='ps1')]\n"
        "c.CourseDirectory.db_students = [dict(id='alice')]\n")
    nbgrader(root, "db", "student", "add", "alice")
    nbgrader(root, "generate_assignment", "ps1", "--force")
    return root


def submission() -> nbformat.NotebookNode:
    """A kit-released notebook: q1 answered right, q2 wrong."""
    source = m.read(PURE)
    nb = release_notebook(source)
    reference = m.by_grade_id(source)
    for cell in nb.cells:
        if m.grade_id(cell) == "q1-add":
            cell.source = "\n".join(line for line in reference["q1-add"].source.splitlines()
                                    if "SOLUTION" not in line)
        elif m.grade_id(cell) == "q2-fib":
            cell.source = "def fib(n):\n    return 0"
    return nb


def test_nbgrader_releases_what_kit_release_makes(tmp_path):
    root = course(tmp_path)
    theirs = m.by_grade_id(m.read(root / "release" / "ps1" / PURE.name))
    ours = m.by_grade_id(release_notebook(m.read(PURE)))
    assert sorted(theirs) == sorted(ours) and len(ours) >= 4
    for gid, cell in ours.items():
        assert cell.source == theirs[gid].source, gid
        assert cell.metadata["nbgrader"]["checksum"] == theirs[gid].metadata["nbgrader"]["checksum"], gid


def test_nbgrader_autograde_and_kit_grade_agree(tmp_path, capsys):
    root = course(tmp_path)
    submitted = root / "submitted" / "alice" / "ps1"
    submitted.mkdir(parents=True)
    nbformat.write(submission(), str(submitted / PURE.name))
    nbgrader(root, "autograde", "ps1", "--force")
    nbgrader(root, "export", "--to", str(root / "grades.csv"))
    row = next(csv.DictReader((root / "grades.csv").open()))
    points = sum(m.points(c) for c in m.read(PURE).cells if m.is_grade(c))
    assert float(row["max_score"]) == points
    assert 0 < float(row["score"]) < points                 # q1 right, q2 wrong

    kit_in = tmp_path / "kit" / "alice"
    kit_in.mkdir(parents=True)
    nbformat.write(submission(), str(kit_in / PURE.name))
    out = tmp_path / "graded"
    assert cli.main(["grade", str(kit_in.parent), "--source", str(PURE), "--out", str(out),
                     "--no-cluster"]) == 0
    kit_row = next(csv.DictReader((out / "gradebook.csv").open()))
    assert float(kit_row["points"]) == float(row["score"]), (kit_row, row)
    assert float(kit_row["max_points"]) == float(row["max_score"])
