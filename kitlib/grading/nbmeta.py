"""nbgrader's cell metadata (schema 3), read and written the way nbgrader does, so a
notebook released by the kit can also be handled by nbgrader itself (and back).

A cell is *graded* when it carries ``metadata.nbgrader``:

* solution cell  ``{solution: true,  grade: false, locked: false}`` — the learner writes here;
* test cell      ``{solution: false, grade: true,  locked: true, points: N}`` — checks with points;
* read-only cell ``{solution: false, grade: false, locked: true}`` — instructions the learner
  must not change.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat

from kitlib.errors import KitError

SCHEMA_VERSION = 3
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"


class NotebookFormatError(KitError, ValueError):
    """A notebook cannot be read, or its graded cells are malformed (unbalanced markers,
    duplicate ids...)."""


def meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader") or {}


def is_graded(cell) -> bool:
    return bool(meta(cell))


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution", False))


def is_grade(cell) -> bool:
    return bool(meta(cell).get("grade", False))


def is_locked(cell) -> bool:
    """nbgrader's rule: solution cells are never locked, grade cells always are, other
    graded cells when they say so."""
    m = meta(cell)
    if not m or m.get("solution", False):
        return False
    if m.get("grade", False):
        return True
    return bool(m.get("locked", False))


def is_autograded_test(cell) -> bool:
    """A code cell with points whose result is decided by running it."""
    return is_grade(cell) and not is_solution(cell) and cell.cell_type == "code"


def is_manual(cell) -> bool:
    """A graded answer (solution and grade): a person decides its points."""
    return is_grade(cell) and is_solution(cell)


def grade_id(cell) -> str | None:
    return meta(cell).get("grade_id")


def points(cell) -> float:
    return float(meta(cell).get("points", 0) or 0) if is_grade(cell) else 0.0


def compute_checksum(cell) -> str:
    """The same MD5 as nbgrader's ``utils.compute_checksum``: source, cell type, the three
    flags as Python bool text, the grade id and (grade cells) the points as a float."""
    digest = hashlib.md5()
    for part in (cell.source, cell.cell_type, str(is_grade(cell)), str(is_solution(cell)),
                 str(is_locked(cell)), meta(cell)["grade_id"]):
        digest.update(part.encode("utf-8"))
    if is_grade(cell):
        digest.update(str(float(meta(cell)["points"])).encode("utf-8"))
    return digest.hexdigest()


def graded_cells(nb) -> list:
    return [c for c in nb.cells if is_graded(c)]


def grade_ids(nb) -> list[str]:
    return [grade_id(c) for c in graded_cells(nb) if grade_id(c)]


def has_graded_cells(nb) -> bool:
    return any(is_grade(c) or is_solution(c) for c in nb.cells)


def by_grade_id(nb) -> dict[str, object]:
    """First cell of each grade id (later duplicates are ignored, as nbgrader does)."""
    found: dict[str, object] = {}
    for cell in graded_cells(nb):
        gid = grade_id(cell)
        if gid and gid not in found:
            found[gid] = cell
    return found


def read(path) -> nbformat.NotebookNode:
    """The notebook at ``path``, or NotebookFormatError saying why it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotebookFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise NotebookFormatError(f"{path} is a directory, not a notebook file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookFormatError(f"{path} cannot be read "
                                  f"({getattr(exc, 'strerror', None) or exc})") from None
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:        # nbformat raises many kinds for what is not a notebook
        why = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise NotebookFormatError(f"{path} is not a Jupyter notebook ({why})") from None


# --- regions -------------------------------------------------------------------------

def _marker(line: str, marker: str) -> bool:
    return line.strip() == marker


def split_regions(source: str, begin: str, end: str) -> list[tuple[bool, list[str]]]:
    """The cell's lines as [(inside_region, lines), ...] in order; the marker lines belong
    to their region. Raises NotebookFormatError on nested or unterminated regions."""
    parts: list[tuple[bool, list[str]]] = []
    inside, current = False, []
    for line in source.split("\n"):
        if _marker(line, begin):
            if inside:
                raise NotebookFormatError(f"nested {begin!r}")
            if current:
                parts.append((False, current))
            inside, current = True, [line]
        elif _marker(line, end):
            if not inside:
                raise NotebookFormatError(f"{end!r} without {begin!r}")
            current.append(line)
            parts.append((True, current))
            inside, current = False, []
        else:
            current.append(line)
    if inside:
        raise NotebookFormatError(f"{begin!r} without {end!r}")
    if current:
        parts.append((False, current))
    return parts


def has_region(source: str, begin: str) -> bool:
    return any(_marker(line, begin) for line in source.split("\n"))


def replace_solutions(source: str, stub: str = CODE_STUB) -> str:
    """Each solution region becomes the stub, indented like its BEGIN line."""
    out: list[str] = []
    for inside, lines in split_regions(source, BEGIN_SOLUTION, END_SOLUTION):
        if inside:
            indent = lines[0][:len(lines[0]) - len(lines[0].lstrip())]
            out.extend(indent + s for s in stub.split("\n"))
        else:
            out.extend(lines)
    return "\n".join(out)


def remove_hidden(source: str) -> str:
    out: list[str] = []
    for inside, lines in split_regions(source, BEGIN_HIDDEN, END_HIDDEN):
        if not inside:
            out.extend(lines)
    return "\n".join(out)


def hidden_segments(source: str) -> list[tuple[bool, str]]:
    """The cell cut at its hidden-test markers: [(hidden, code), ...] without empty parts,
    so public and hidden checks can run (and be reported) separately."""
    parts = split_regions(source, BEGIN_HIDDEN, END_HIDDEN)
    if not any(inside for inside, _ in parts):
        return [(False, source)]
    segments = []
    for inside, lines in parts:
        text = "\n".join(lines)
        if any(line.strip() and not line.strip().startswith("#") for line in lines):
            segments.append((inside, text))
    try:
        for _, text in segments:
            compile(text, "<test cell>", "exec")
    except SyntaxError:
        # hidden checks inside an indented block: run the cell whole, report it as hidden
        return [(True, source)]
    return segments
