"""``kit release``: instructor notebooks -> student notebooks.

A pipeline of small steps, each a function ``step(nb) -> None`` that changes the notebook
in place (like nbgrader's preprocessors):

    check_cells -> clear_solutions -> clear_hidden_tests -> clear_outputs -> lock_cells
    -> compute_checksums

The source notebooks are only read, never written.
"""
from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Callable, Iterable

import nbformat

from kitlib.grading import nbmeta as m
from kitlib.grading.nbmeta import NotebookFormatError

Step = Callable[[nbformat.NotebookNode], None]


def check_cells(nb) -> None:
    """Every graded cell has a unique grade id and consistent flags; solution and hidden
    markers are balanced and sit in the right kind of cell."""
    seen: set[str] = set()
    for index, cell in enumerate(nb.cells):
        where = f"cell {index}"
        if m.is_graded(cell):
            gid = m.grade_id(cell)
            if not gid:
                raise NotebookFormatError(f"{where}: nbgrader metadata without a grade_id")
            if gid in seen:
                raise NotebookFormatError(f"{where}: duplicate grade_id {gid!r}")
            seen.add(gid)
            if m.is_grade(cell) and "points" not in m.meta(cell):
                raise NotebookFormatError(f"{where} ({gid}): a grade cell needs points")
            where = f"{where} ({gid})"
        has_solution = m.has_region(cell.source, m.BEGIN_SOLUTION) or m.has_region(cell.source, m.END_SOLUTION)
        has_hidden = m.has_region(cell.source, m.BEGIN_HIDDEN) or m.has_region(cell.source, m.END_HIDDEN)
        if has_solution:
            m.split_regions(cell.source, m.BEGIN_SOLUTION, m.END_SOLUTION)
            if not m.is_solution(cell):
                raise NotebookFormatError(f"{where}: a solution region outside a solution cell "
                                          "(it would be released to students)")
        if has_hidden:
            m.split_regions(cell.source, m.BEGIN_HIDDEN, m.END_HIDDEN)
            if not m.is_grade(cell):
                raise NotebookFormatError(f"{where}: hidden tests outside a grade cell "
                                          "(they would be released to students)")


def clear_solutions(nb) -> None:
    for cell in nb.cells:
        if not m.is_solution(cell):
            continue
        stub = m.CODE_STUB if cell.cell_type == "code" else m.TEXT_STUB
        if m.has_region(cell.source, m.BEGIN_SOLUTION):
            cell.source = m.replace_solutions(cell.source, stub)
        else:
            cell.source = stub      # a solution cell without markers is all solution


def clear_hidden_tests(nb) -> None:
    for cell in nb.cells:
        if m.has_region(cell.source, m.BEGIN_HIDDEN):
            cell.source = m.remove_hidden(cell.source).rstrip("\n")


def clear_outputs(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
    nb.metadata.pop("widgets", None)


def lock_cells(nb) -> None:
    """The same editable/deletable flags as nbgrader's LockCells defaults."""
    for cell in nb.cells:
        if m.is_solution(cell):
            cell.metadata["deletable"] = False
        elif m.is_locked(cell):
            if m.is_grade(cell):
                cell.metadata["nbgrader"]["locked"] = True    # as nbgrader treats it anyway
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False


def compute_checksums(nb) -> None:
    for cell in nb.cells:
        if m.is_grade(cell) or m.is_solution(cell) or m.is_locked(cell):
            nbm = cell.metadata["nbgrader"]
            nbm["schema_version"] = m.SCHEMA_VERSION
            nbm["checksum"] = m.compute_checksum(cell)
            nbm["cell_type"] = cell.cell_type


PIPELINE: list[Step] = [check_cells, clear_solutions, clear_hidden_tests, clear_outputs,
                        lock_cells, compute_checksums]


def release_notebook(source: nbformat.NotebookNode, steps: Iterable[Step] = PIPELINE
                     ) -> nbformat.NotebookNode:
    """The student version of ``source`` (a copy; ``source`` is left as it was)."""
    nb = copy.deepcopy(source)
    for step in steps:
        step(nb)
    nbformat.validate(nb)
    return nb


def graded_notebooks(folder: Path) -> list[Path]:
    """The default release set: every notebook in ``folder`` with graded cells."""
    found = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        try:
            if m.has_graded_cells(m.read(path)):
                found.append(path)
        except Exception:       # an unreadable notebook is not a graded one
            continue
    return found


def release(paths: Iterable[Path], out: Path, report: Callable[[str], None] = print,
            copy_support: bool = True) -> list[Path]:
    """Write the student version of each notebook into ``out`` (same file name), plus a
    chapter's supporting folder (``NN-name/``) when it has one. Returns the written paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        path = Path(path)
        student = release_notebook(m.read(path))
        target = out / path.name
        if target.resolve() == path.resolve():
            raise NotebookFormatError(f"{path}: the release folder must not be the source folder")
        nbformat.write(student, str(target))
        support = path.with_suffix("")
        if copy_support and support.is_dir():
            shutil.copytree(support, out / support.name, dirs_exist_ok=True)
        cells = [c for c in student.cells if m.is_graded(c)]
        total = sum(m.points(c) for c in cells)
        report(f"released {path.name}: {sum(map(m.is_solution, cells))} solution cell(s), "
               f"{sum(map(m.is_grade, cells))} test cell(s), {total:g} points -> {target}")
        written.append(target)
    return written
