"""The learner workspace: student copies made once, never overwritten, upstream changes
reported, one exercise reset alone — on a small notebook and on the real chapters."""
import json

import nbformat
import pytest

from kitlib.grading import nbmeta as m
from kitlib.learner.workspace import Workspace, WorkspaceError
from kitlib.paths import REPO_DIR


def graded(source, gid, solution, points=0):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"schema_version": 3, "grade_id": gid, "solution": solution,
                                 "grade": not solution, "locked": not solution,
                                 **({"points": points} if not solution else {})}
    return cell


def write_chapter(folder, body="return 42"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 · A chapter"),
                graded(f"def f():\n    ### BEGIN SOLUTION\n    {body}\n    ### END SOLUTION", "f", True),
                graded("assert f() == 42\n### BEGIN HIDDEN TESTS\nassert f() != 41\n### END HIDDEN TESTS",
                       "f-check", False, points=2),
                graded("def g():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", "g", True)]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="all checks pass\n")]
    folder.mkdir(exist_ok=True)
    nbformat.write(nb, str(folder / "01-a-chapter.ipynb"))
    (folder / "01-a-chapter").mkdir(exist_ok=True)
    (folder / "01-a-chapter" / "pod.yaml").write_text("kind: Pod\n")


@pytest.fixture
def ws(tmp_path):
    write_chapter(tmp_path / "src")
    return Workspace(tmp_path / "ws", tmp_path / "src")


def edit(path, gid, text):
    nb = m.read(path)
    m.by_grade_id(nb)[gid].source = text
    nbformat.write(nb, str(path))


def test_first_sync_makes_student_copies_without_spoilers(ws):
    result = ws.sync()
    assert result.added == ["01-a-chapter"] and not result.changed
    copy = m.read(ws.root / "01-a-chapter.ipynb")
    text = json.dumps(copy)
    assert "return 42" not in text and "HIDDEN" not in text and "f() != 41" not in text
    assert "all checks pass" not in text                  # no stored pass under a check
    assert (ws.root / "01-a-chapter" / "pod.yaml").read_text() == "kind: Pod\n"


def test_sync_never_overwrites_and_reports_upstream_changes(ws):
    ws.sync()
    mine = ws.root / "01-a-chapter.ipynb"
    edit(mine, "f", "def f():\n    return 6 * 7")
    assert ws.sync().kept == ["01-a-chapter"]
    write_chapter(ws.sources, body="return 40 + 2")        # the solution changed upstream
    (ws.sources / "01-a-chapter.ipynb").write_text(
        (ws.sources / "01-a-chapter.ipynb").read_text().replace("# 01 · A chapter", "# 01 · A better chapter"))
    result = ws.sync()
    assert result.changed == ["01-a-chapter"] and not result.added
    assert "6 * 7" in mine.read_text()                    # still the learner's

    new, old = ws.fresh("01")
    assert "6 * 7" in old.read_text() and "6 * 7" not in new.read_text()
    assert "A better chapter" in new.read_text()
    assert ws.sync().kept == ["01-a-chapter"]             # current again


def test_reset_one_exercise_keeps_the_others(ws):
    ws.sync()
    mine = ws.root / "01-a-chapter.ipynb"
    edit(mine, "f", "def f():\n    return 6 * 7")
    edit(mine, "g", "def g():\n    return 1")
    backup = ws.reset("01-a-chapter", "f")
    cells = m.by_grade_id(m.read(mine))
    assert "6 * 7" not in cells["f"].source and "raise NotImplementedError" in cells["f"].source
    assert cells["g"].source == "def g():\n    return 1"
    assert "6 * 7" in backup.read_text()


def test_reset_puts_back_a_deleted_exercise_in_place(ws):
    ws.sync()
    mine = ws.root / "01-a-chapter.ipynb"
    nb = m.read(mine)
    nb.cells = [c for c in nb.cells if m.grade_id(c) != "f"]
    nbformat.write(nb, str(mine))
    ws.reset("01", "f")
    assert [m.grade_id(c) for c in m.read(mine).cells] == [None, "f", "f-check", "g"]


@pytest.mark.parametrize("call, message", [
    (lambda ws: ws.fresh("99"), "no single chapter '99'"),
    (lambda ws: ws.reset("01", "nope"), "no exercise 'nope'; its exercises: f, g"),
])
def test_bad_requests_say_what_exists(ws, call, message):
    ws.sync()
    with pytest.raises(WorkspaceError, match=message):
        call(ws)


def test_reset_before_the_workspace_exists_says_how_to_make_it(ws):
    with pytest.raises(WorkspaceError, match="kit workspace"):
        ws.reset("01", "f")


def test_the_real_chapters_have_no_solutions_hidden_tests_or_outputs(tmp_path):
    ws = Workspace(tmp_path / "ws", REPO_DIR / "chapters")
    result = ws.sync()
    assert len(result.added) == len(ws.chapters()) >= 7
    for path in sorted(ws.root.glob("*.ipynb")):
        nb = m.read(path)
        sources = "\n".join(c.source for c in nb.cells)
        assert "BEGIN SOLUTION" not in sources and "BEGIN HIDDEN TESTS" not in sources, path.name
        assert not any(c.get("outputs") for c in nb.cells), path.name


def test_lab_opens_the_first_chapter_of_the_folder_it_is_given(tmp_path):
    from kitlib.learner.lab import FIRST_CHAPTER, lab_command
    command = lab_command(tmp_path, headless=True)
    assert f"--notebook-dir={tmp_path}" in command and "--no-browser" in command
    assert f"--LabApp.default_url=/lab/tree/{FIRST_CHAPTER}" in command
    assert (REPO_DIR / "chapters" / FIRST_CHAPTER).is_file()


def test_kit_workspace_makes_resets_and_refuses_bad_requests(tmp_path, capsys, monkeypatch):
    from kitlib import cli
    ws = tmp_path / "ws"
    assert cli.main(["workspace", "--path", str(ws)]) == 0
    assert "added: 00-setup" in capsys.readouterr().out
    assert cli.main(["workspace", "--path", str(ws), "--reset", "06", "nope"]) == 2
    assert "its exercises:" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert cli.main(["workspace", "--path", str(tmp_path / "file")]) == 2
    monkeypatch.setenv("COURSE_DRY_RUN", "1")
    assert cli.main(["workspace", "--path", str(ws), "--lab", "--instructor"]) == 0
    assert f"--notebook-dir={REPO_DIR / 'chapters'}" in capsys.readouterr().out
