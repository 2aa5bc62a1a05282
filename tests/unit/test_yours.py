"""exercises.yours: chapter 10 runs the learner's own chapter-5 plugins and chapter-6
reconcile when their notebooks are answered, and says why the reference stands in when not."""
import shutil

from exercises import yours
from exercises.scheduler import profile
from kitlib.grading.release import release
from kitlib.paths import REPO_DIR

CHAPTERS = REPO_DIR / "chapters"


def test_no_notebook_means_the_reference_and_says_where_it_looked(tmp_path):
    found = yours.scheduler(tmp_path)
    assert not found.yours
    assert found.line("plugins") == f"plugins: the reference (no 05-scheduler-exercise.ipynb in {tmp_path})"


def test_an_unanswered_release_is_replaced_by_the_reference(tmp_path):
    release([CHAPTERS / "05-scheduler-exercise.ipynb", CHAPTERS / "06-controller-exercise.ipynb"],
            tmp_path, report=lambda line: None)
    assert "6 of the 6 answers in 05-scheduler-exercise.ipynb are still to write" in yours.scheduler(tmp_path).why
    assert "8 of the 8 answers" in yours.controller(tmp_path).why


def test_answered_notebooks_are_used_and_load(tmp_path, monkeypatch):
    for name in ("05-scheduler-exercise.ipynb", "06-controller-exercise.ipynb"):
        shutil.copy(CHAPTERS / name, tmp_path / name)
    assert [line.split(": ")[1] for line in yours.describe(tmp_path)] == [
        "yours, from 05-scheduler-exercise.ipynb", "yours, from 06-controller-exercise.ipynb"]
    monkeypatch.setenv(yours.FOLDER_ENV, str(tmp_path))
    assert yours.framework("default-scheduler") is not None
    assert callable(yours.reconcile)
    from exercises.scheduler import reference
    assert set(reference.functions(tmp_path / "05-scheduler-exercise.ipynb")) == set(profile.FUNCTIONS)
