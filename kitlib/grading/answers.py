"""Which names are the learner's answers, and which of them a test cell uses.

An *answer name* is a name a solution cell of the instructor's notebook defines (a
function, a class, an assignment, an import). A test cell that runs in the checker's
kernel may use only answer names and names it defines or imports itself: everything else
it relies on would come from the learner's kernel, where the learner could change it.

A *checker cell* is a locked, read-only cell the author marks ``{"kitlib": {"checker":
true}}``: it runs in the checker's kernel too (in the grader's hands, not the learner's),
e.g. to set up a seeded lab and remember what it made, so the checks never trust a record
the learner could edit. Test cells may use the names checker cells define.
"""
from __future__ import annotations

import ast
import builtins

from kitlib.grading import nbmeta as m

_IPYTHON = {"get_ipython", "display", "In", "Out", "exit", "quit"}


def _parse(source: str) -> ast.Module | None:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def defined_names(source: str) -> set[str]:
    """Names bound at the top level of ``source`` (def, class, assignment, import, for, with)."""
    tree = _parse(source)
    if tree is None:
        return set()
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in node.names)
        else:
            for sub in ast.walk(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    found.add(sub.id)
    return found


def used_names(source: str) -> set[str]:
    tree = _parse(source)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _locals_anywhere(source: str) -> set[str]:
    """Every name bound anywhere in ``source`` (parameters, comprehension variables, ...)."""
    tree = _parse(source)
    if tree is None:
        return set()
    found = defined_names(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
    return found


def answer_names(source_nb) -> set[str]:
    names: set[str] = set()
    for cell in source_nb.cells:
        if cell.cell_type == "code" and m.is_solution(cell):
            names |= defined_names(cell.source)
    return names


def borrowed_names(test_source: str, answers: set[str]) -> set[str]:
    """Names a test cell uses that are neither answers, nor its own, nor Python's."""
    own = _locals_anywhere(test_source) | set(dir(builtins)) | _IPYTHON
    return used_names(test_source) - own - answers


def is_checker_cell(cell) -> bool:
    """A locked cell its author marked to run in the checker's kernel."""
    return (cell.cell_type == "code" and m.is_locked(cell) and not m.is_grade(cell)
            and bool(cell.metadata.get("kitlib", {}).get("checker")))


def checker_names(source_nb) -> set[str]:
    names: set[str] = set()
    for cell in source_nb.cells:
        if is_checker_cell(cell):
            names |= defined_names(cell.source)
    return names


def answers_used(test_source: str, answers: set[str]) -> list[str]:
    """The answer names a test cell uses and does not define itself, sorted."""
    own = defined_names(test_source)
    return sorted((used_names(test_source) & answers) - own)


def bind_line(names: list[str]) -> str:
    """The checker-side line that brings the learner's ``names`` into a test cell."""
    return f'__import__("kitlib.grading.remote", fromlist=["bind"]).bind(globals(), {names!r})'


def route_test_cells(nb, source_nb) -> None:
    """Mark each part of a test cell, and each checker cell, to run in the checker's kernel;
    a test part first binds the answer names it uses (see remote.bind). Only cells the
    instructor's notebook marks count: a submission cannot add a checker cell."""
    answers = answer_names(source_nb)
    checkers = {m.grade_id(c) for c in source_nb.cells if is_checker_cell(c)}
    for cell in nb.cells:
        info = cell.metadata.get("kitlib", {})
        if m.grade_id(cell) in checkers and m.is_locked(cell) and cell.cell_type == "code":
            cell.metadata.setdefault("kitlib", {})["kernel"] = "checker"
            continue
        if cell.cell_type == "code" and info.get("grade_id"):
            info["kernel"] = "checker"
            used = answers_used(cell.source, answers)
            if used:
                cell.source = bind_line(used) + "\n" + cell.source
