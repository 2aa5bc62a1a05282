"""Authoring and executing the course notebooks.

Cells carry two kinds of metadata:

* nbgrader's (schema 3) on graded cells: ``grade_id``, ``points``, ``solution``, ``grade``,
  ``locked``; solution code sits between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` and
  hidden checks between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``;
* nbval's cell tags: ``nbval-ignore-output`` for cells whose output varies (times, random
  names) — they still run, only their output is not compared.

``python -m kitlib.notebooks chapters/00-*.ipynb`` re-executes notebooks in place on the
kit's cluster so their stored outputs (what nbval compares against) are fresh.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

IGNORE_OUTPUT = "nbval-ignore-output"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"))


def code(source: str, *, ignore_output: bool = False, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cell = new_code_cell(source.strip("\n"))
    all_tags = [*tags, *([IGNORE_OUTPUT] if ignore_output else [])]
    if all_tags:
        cell.metadata["tags"] = all_tags
    return cell


def graded(cell: nbformat.NotebookNode, grade_id: str, *, points: float = 0,
           solution: bool = False, grade: bool = False,
           locked: bool | None = None) -> nbformat.NotebookNode:
    """Attach nbgrader metadata: solution cells (learner writes), grade cells (tests with
    points, locked unless they are also solution cells), or locked read-only cells."""
    if locked is None:
        locked = grade and not solution
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": grade_id, "solution": solution,
                                 "grade": grade, "locked": locked,
                                 **({"points": points} if grade else {})}
    return cell


def notebook(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def write(nb: nbformat.NotebookNode, path: str | Path) -> None:
    nbformat.validate(nb)
    nbformat.write(nb, str(path))


def execute(path: str | Path, timeout: int = 900) -> None:
    """Run a notebook top to bottom in a fresh kernel and store its outputs in place."""
    from nbclient import NotebookClient
    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, str(path))


if __name__ == "__main__":
    from kitlib import cluster
    cluster.up()
    for arg in sys.argv[1:]:
        print(f"executing {arg}", flush=True)
        execute(arg)
