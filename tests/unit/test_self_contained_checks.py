"""The grader will run each graded test cell in a process of its own, where the only names
it gets from the learner's kernel are the answer names — those the chapter's solution cells
define. So every test cell of chapters 00–04 and 07 imports or defines every other name it
uses, and the hidden test data sits in the cells' hidden blocks, not in library code."""
import ast
import builtins

import jupytext
import pytest

from kitlib.paths import REPO_DIR

CHAPTERS = ["00-setup", "01-deployment-eras", "02-desired-state", "03-architecture",
            "04-pods-and-manifests", "07-when-things-go-wrong"]


def nbgrader(cell):
    return cell.metadata.get("nbgrader") or {}


def cells(chapter):
    return jupytext.read(REPO_DIR / "chapters" / f"{chapter}.md").cells


def bound_and_used(source):
    """Names a cell binds anywhere (assignments, imports, defs, arguments) and names it reads."""
    bound, used = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else used).add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return bound, used


def top_level_names(source):
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names


def free_names(source):
    bound, used = bound_and_used(source)
    return used - bound - set(dir(builtins))


def graded(chapter):
    cs = cells(chapter)
    answers = set().union(*[top_level_names(c.source) for c in cs if nbgrader(c).get("solution")])
    return answers, [c for c in cs if nbgrader(c).get("grade")]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_test_cell_uses_only_answer_names_from_the_learner(chapter):
    answers, tests = graded(chapter)
    assert tests, "the chapter has a graded test cell"
    for cell in tests:
        outside = free_names(cell.source) - answers
        assert not outside, (f"{nbgrader(cell)['grade_id']} uses {sorted(outside)}, which the grader's "
                             f"process will not have (answer names: {sorted(answers)})")


def test_the_free_name_finder():
    src = "from x import y\nimport a.b\ndef f(k):\n    return k + z\nq = [i for i in y]\nprint(a, w)"
    assert free_names(src) == {"z", "w"}
    assert top_level_names("def f(): pass\nx, (y, z) = 1, (2, 3)\nif 1:\n    w = 2") == {"f", "x", "y", "z"}


def test_hidden_test_data_is_not_in_library_code():
    from exercises import desired, eras
    assert not hasattr(eras, "hidden_cases") and not hasattr(eras, "HIDDEN")
    assert not hasattr(desired, "hidden_plan_cases")
    for chapter in ("01-deployment-eras", "02-desired-state"):
        [cell] = graded(chapter)[1]
        hidden = cell.source.split("### BEGIN HIDDEN TESTS")[1].split("### END HIDDEN TESTS")[0]
        assert "hidden=True" in hidden and "Case(" in hidden, chapter
