"""The reference solutions, taken from where they are written: the solution cells of the
chapter sources (``chapters/NN-name.md``, nbgrader metadata ``solution: true``), found by
``grade_id``. There is no other copy to keep in step.

    names = solution("06-controller-exercise", "podset-reconcile")
    reconcile = names["reconcile"]

A released (student) chapter has no solutions, so this only works in the course's own
repository.
"""
from __future__ import annotations

from pathlib import Path

from kitlib.paths import REPO_DIR

CHAPTERS = REPO_DIR / "chapters"


class SolutionNotFound(LookupError):
    pass


def solution_cells(chapter: str, *grade_ids: str, source: Path | None = None) -> list[tuple[str, str]]:
    """(grade_id, source) of each named solution cell of ``chapters/<chapter>.md``, in the
    order asked for; of the notebook ``source`` instead when given (a learner's copy)."""
    import jupytext
    path = source or CHAPTERS / f"{chapter}.md"
    if not path.is_file():
        raise SolutionNotFound(f"{path} does not exist: the reference solutions are in the "
                               "course's chapter sources only")
    cells = {}
    for cell in jupytext.read(path).cells:
        meta = cell.metadata.get("nbgrader") or {}
        if meta.get("solution"):
            cells[meta["grade_id"]] = cell.source
    missing = [g for g in grade_ids if g not in cells]
    if missing:
        raise SolutionNotFound(f"{path.name} has no solution cell {', '.join(missing)}")
    return [(g, cells[g]) for g in grade_ids]


def solution(chapter: str, *grade_ids: str, using: dict | None = None,
             source: Path | None = None) -> dict:
    """Run the named solution cells, in order, in a fresh namespace that starts with
    ``using`` (the names earlier cells of the chapter define); return what they define.
    ``source``: a notebook to take them from instead of the chapter's source."""
    names = dict(using or {})
    names.setdefault("__name__", f"chapters.{chapter}")
    where = source or Path("chapters", chapter + ".md")
    for grade_id, code in solution_cells(chapter, *grade_ids, source=source):
        # The file name in tracebacks says which cell failed.
        exec(compile(code, f"{where}#{grade_id}", "exec"), names)
    return names


def test_cell(chapter: str, grade_id: str) -> str:
    """The source of the graded test cell ``grade_id`` of ``chapters/<chapter>.md``, hidden
    tests included (they are only in the course's sources)."""
    import jupytext
    path = CHAPTERS / f"{chapter}.md"
    for cell in jupytext.read(path).cells:
        meta = cell.metadata.get("nbgrader") or {}
        if meta.get("grade") and meta.get("grade_id") == grade_id:
            return cell.source
    raise SolutionNotFound(f"{path.name} has no test cell {grade_id}")


def run_test_cell(chapter: str, grade_id: str, answers: dict) -> dict:
    """Run a test cell as the grader will: in a namespace holding only the learner's answer
    names (``answers``). Raises what the cell raises; returns the names it ends with."""
    names = {"__name__": f"chapters.{chapter}.check", **answers}
    exec(compile(test_cell(chapter, grade_id), f"{Path('chapters', chapter + '.md')}#{grade_id}",
                 "exec"), names)
    return names
