"""Turn a learner's submission into the notebook that is actually graded.

Steps (each ``step(nb, ctx)``, changing ``nb`` in place and adding notes to ``ctx``):

    drop_foreign_ids -> drop_duplicate_ids -> restore_locked_cells -> restore_missing_solutions
    -> insert_hidden_tests -> split_test_cells -> clear_outputs

What the learner wrote in solution cells (and cells they added) is kept; every locked cell
(tests, read-only instructions) comes from the instructor's notebook, and any difference
from the released version is reported as tampering.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import nbformat

from kitlib.grading import nbmeta as m


@dataclass
class Note:
    kind: str          # tampered | missing | duplicate | unknown-id | moved | retyped
    grade_id: str
    message: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "grade_id": self.grade_id, "message": self.message}


@dataclass
class Context:
    source: nbformat.NotebookNode      # the instructor's notebook (solutions, hidden tests)
    released: nbformat.NotebookNode    # what the learner was given
    notes: list[Note] = field(default_factory=list)

    def note(self, kind: str, gid: str, message: str) -> None:
        self.notes.append(Note(kind, gid, message))


def _strip_nbgrader(cell) -> None:
    cell.metadata.pop("nbgrader", None)
    cell.metadata.pop("editable", None)
    cell.metadata.pop("deletable", None)


def drop_foreign_ids(nb, ctx: Context) -> None:
    known = set(m.grade_ids(ctx.source))
    for cell in nb.cells:
        gid = m.grade_id(cell)
        if m.is_graded(cell) and gid not in known:
            ctx.note("unknown-id", str(gid), f"a cell with grade id {gid!r}, which the assignment "
                     "does not have, was treated as an ordinary cell")
            _strip_nbgrader(cell)


def drop_duplicate_ids(nb, ctx: Context) -> None:
    """A copied graded cell counts once: later copies become ordinary cells."""
    seen: set[str] = set()
    for cell in nb.cells:
        gid = m.grade_id(cell)
        if not m.is_graded(cell):
            continue
        if gid in seen:
            ctx.note("duplicate", gid, f"cell {gid!r} appears more than once; the first copy was used")
            _strip_nbgrader(cell)
        seen.add(gid)


def _anchor(nb, released, released_index: int) -> int:
    """Where a missing cell goes: after the cell that precedes it in the released notebook,
    found by grade id or, failing that, by identical source."""
    present = {m.grade_id(c): i for i, c in enumerate(nb.cells) if m.is_graded(c)}
    for j in range(released_index - 1, -1, -1):
        before = released.cells[j]
        gid = m.grade_id(before)
        if gid and gid in present:
            return present[gid] + 1
        for i, cell in enumerate(nb.cells):
            if not m.is_graded(cell) and cell.source.strip() and cell.source.strip() == before.source.strip():
                return i + 1
    return 0


def _same(cell, original) -> bool:
    return (cell.cell_type == original.cell_type and cell.source.rstrip() == original.source.rstrip()
            and m.is_grade(cell) == m.is_grade(original) and m.is_solution(cell) == m.is_solution(original)
            and m.is_locked(cell) == m.is_locked(original)
            and (not m.is_grade(original) or m.points(cell) == m.points(original)))


def _fresh(cell):
    new = copy.deepcopy(cell)
    if new.cell_type == "code":
        new.outputs, new.execution_count = [], None
    return new


def _positions(nb) -> dict:
    """grade_id -> index of each graded cell; recomputed after every insert, which shifts them."""
    return {m.grade_id(c): i for i, c in enumerate(nb.cells) if m.is_graded(c)}


def restore_locked_cells(nb, ctx: Context) -> None:
    """Every locked cell as released; edits and deletions are reported."""
    for index, original in enumerate(ctx.released.cells):
        if not m.is_locked(original):
            continue
        gid = m.grade_id(original)
        where = _positions(nb)
        kind = "test cell" if m.is_grade(original) else "read-only cell"
        if gid not in where:
            nb.cells.insert(_anchor(nb, ctx.released, index), _fresh(original))
            ctx.note("missing", gid, f"the {kind} {gid!r} was deleted (or its grading metadata "
                     "removed); the original was put back")
            continue
        i = where[gid]
        if not _same(nb.cells[i], original):
            ctx.note("tampered", gid, f"the {kind} {gid!r} was changed; the original was used "
                     "instead of your version")
        nb.cells[i] = _fresh(original)


def restore_missing_solutions(nb, ctx: Context) -> None:
    for index, original in enumerate(ctx.released.cells):
        if not m.is_solution(original):
            continue
        gid = m.grade_id(original)
        where = _positions(nb)
        if gid not in where:
            nb.cells.insert(_anchor(nb, ctx.released, index), _fresh(original))
            ctx.note("missing", gid, f"the answer cell {gid!r} was deleted; it was graded as "
                     "unanswered")
            continue
        cell = nb.cells[where[gid]]
        if cell.cell_type != original.cell_type:
            ctx.note("retyped", gid, f"the answer cell {gid!r} was changed from {original.cell_type} "
                     f"to {cell.cell_type}; it was changed back")
            fixed = _fresh(original)
            fixed.source = cell.source
            nb.cells[where[gid]] = fixed
        else:      # the grading metadata is the instructor's, whatever the submission says
            cell.metadata["nbgrader"] = copy.deepcopy(original.metadata["nbgrader"])


def check_order(nb, ctx: Context) -> None:
    expected = [g for g in m.grade_ids(ctx.released)]
    actual = [g for g in m.grade_ids(nb) if g in set(expected)]
    if actual != expected:
        ctx.note("moved", "", "graded cells are not in their original order; they were run in "
                 "the order of your notebook")


def insert_hidden_tests(nb, ctx: Context) -> None:
    """Test cells get the instructor's source back, hidden tests included."""
    originals = m.by_grade_id(ctx.source)
    for cell in nb.cells:
        if m.is_grade(cell) and not m.is_solution(cell):
            cell.source = originals[m.grade_id(cell)].source


def split_test_cells(nb, ctx: Context) -> None:
    """A test cell with hidden tests becomes one cell per public/hidden part, so each
    part's output can be reported (or withheld) on its own. Parts run in order and a part
    runs only when the ones before it passed, as in the single cell."""
    cells = []
    for cell in nb.cells:
        if m.is_autograded_test(cell):
            for number, (hidden, text) in enumerate(m.hidden_segments(cell.source)):
                part = _fresh(cell)
                part.source = text
                part.metadata["kitlib"] = {"grade_id": m.grade_id(cell), "segment": number,
                                           "hidden": hidden}
                if number:
                    part.pop("id", None)
                cells.append(part)
        else:
            cells.append(cell)
    nb.cells = cells


def clear_outputs(nb, ctx: Context) -> None:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None


PIPELINE = [drop_foreign_ids, drop_duplicate_ids, restore_locked_cells, restore_missing_solutions,
            check_order, insert_hidden_tests, split_test_cells, clear_outputs]


def prepare(submission, source, released=None, steps=PIPELINE) -> tuple[nbformat.NotebookNode, list[Note]]:
    """The notebook to execute for ``submission`` (a copy), and what was found on the way."""
    from kitlib.grading.release import release_notebook
    ctx = Context(source=source, released=released or release_notebook(source))
    nb = copy.deepcopy(submission)
    for step in steps:
        step(nb, ctx)
    _fix_cell_ids(nb)
    return nb, ctx.notes


def _fix_cell_ids(nb) -> None:
    """Unique cell ids (nbformat >= 4.5), since cells were copied and split."""
    import uuid
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        for cell in nb.cells:
            cell.pop("id", None)
        return
    seen = set()
    for number, cell in enumerate(nb.cells):
        cid = cell.get("id")
        if not cid or cid in seen:
            cell["id"] = uuid.UUID(int=number + 1).hex[:8] + f"-{number}"
        seen.add(cell["id"])
