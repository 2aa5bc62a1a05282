"""`kit progress` reads what a learner's last check runs showed from their saved workspace
notebooks: run for real in a kernel, with a right, a partly right and an unrun answer."""
import json

import nbformat
from nbclient import NotebookClient

from kitlib import cli
from kitlib.learner.progress import NOT_RUN, PARTIAL, PASSED, progress
from kitlib.learner.workspace import Workspace

CHECKS = """from kitlib.checks import Case, run_cases
def check(x):
    assert {name}(x) == 2 * x, f"{name}({{x}}) is not {{2 * x}}"
summary = run_cases("{title}", [Case(str(x), lambda x=x: check(x)) for x in (1, 2, 3)], out_of={worth})
assert summary.all_passed
### BEGIN HIDDEN TESTS
assert run_cases("hidden", [Case("0", lambda: check(0))], show=False).all_passed
### END HIDDEN TESTS"""


def question(nb, name, title, worth):
    solution = nbformat.v4.new_code_cell(f"def {name}(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n"
                                         "    ### END SOLUTION")
    solution.metadata["nbgrader"] = {"schema_version": 3, "grade_id": name, "solution": True,
                                     "grade": False, "locked": False}
    test = nbformat.v4.new_code_cell(CHECKS.format(name=name, title=title, worth=worth))
    test.metadata["nbgrader"] = {"schema_version": 3, "grade_id": f"{name}-check", "solution": False,
                                 "grade": True, "locked": True, "points": worth}
    nb.cells += [solution, test]


def test_progress_shows_the_last_runs(tmp_path, capsys):
    source = nbformat.v4.new_notebook()
    source.cells = [nbformat.v4.new_markdown_cell("# 01 · Doubling")]
    for name, title in (("double", "Q1 double"), ("twice", "Q2 twice"), ("dbl", "Q3 dbl")):
        question(source, name, title, worth=4)
    (tmp_path / "src").mkdir()
    nbformat.write(source, str(tmp_path / "src" / "01-doubling.ipynb"))
    ws = Workspace(tmp_path / "ws", tmp_path / "src")
    ws.sync()

    mine = ws.root / "01-doubling.ipynb"
    nb = nbformat.read(str(mine), as_version=4)
    nb.cells[1].source = "def double(x):\n    return x + x"             # right, another way
    nb.cells[3].source = "def twice(x):\n    return 2 * x if x < 3 else 0"   # two of three
    nb.cells = nb.cells[:5]                                             # Q3 left unrun
    NotebookClient(nb, timeout=60, allow_errors=True, kernel_name="python3").execute()
    nb.cells += nbformat.read(str(mine), as_version=4).cells[5:]
    nbformat.write(nb, str(mine))

    rows = {r.question: r for r in progress(ws.root)}
    assert (rows["double-check"].status, rows["double-check"].points, rows["double-check"].shown_max) == (PASSED, 3, 3)
    assert (rows["twice-check"].status, rows["twice-check"].points) == (PARTIAL, 2)
    assert rows["dbl-check"].status == NOT_RUN and rows["dbl-check"].worth == 4

    assert cli.main(["progress", "--path", str(ws.root), "--json", "--plot", str(tmp_path / "p.png")]) == 0
    out = capsys.readouterr().out
    data = json.loads(out[:out.rindex("]") + 1])
    assert [d["status"] for d in data] == [PASSED, PARTIAL, NOT_RUN]
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_progress_without_a_workspace_says_how_to_make_one(tmp_path, capsys):
    assert cli.main(["progress", "--path", str(tmp_path / "none")]) == 2
    assert "`kit workspace` makes it" in capsys.readouterr().err
