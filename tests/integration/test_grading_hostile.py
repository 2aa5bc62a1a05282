"""A hostile class through `kit grade`: cheats gain nothing, nothing outside a submission
changes, hidden checks never leak, nothing outlives the batch, and an honest submission
scores what it scores when graded alone (see tests/fixtures/grading/hostile.py)."""
import hashlib
import sys
import time
from pathlib import Path

import psutil
import pytest

from kitlib import cgroups
from kitlib.cluster.processes import processes_under
from kitlib.grading import jail
from kitlib.grading import nbmeta as m
from kitlib.grading.autograde import Options
from kitlib.grading.batch import grade_all
from kitlib.grading.release import release_notebook

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
import hostile  # noqa: E402
import submissions  # noqa: E402

PURE, CLUSTER = FIXTURES / "pure-exercise.ipynb", FIXTURES / "cluster-exercise.ipynb"
OPTIONS = Options(cell_timeout=30, total_timeout=300)

pytestmark = pytest.mark.skipif(not jail.available()[0],
                                reason=f"no sandbox here: {jail.available()[1]}")


def digests(*folders: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def sandbox_processes() -> list[psutil.Process]:
    low, high = jail.FIRST_UID, jail.FIRST_UID + jail.UID_SLOTS
    return [p for p in psutil.process_iter(["uids"]) if low <= p.info["uids"].real < high]


def leftover_cgroups() -> list[Path]:
    return [p for p in cgroups.CGROUP_ROOT.rglob("kitlib-grade-*") if p.is_dir()]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    source = m.read(PURE)
    released = release_notebook(source)
    cases = hostile.hostile_pure(released)
    notebooks = {name: nb for name, (nb, _) in cases.items()}
    notebooks["honest"] = submissions.solved(released, source)
    submissions.write_all(tmp / "submitted", notebooks, PURE.name)
    before = digests(tmp / "submitted", FIXTURES)
    results = grade_all([tmp / "submitted"], [PURE], tmp / "out", jobs=2, options=OPTIONS,
                        report=lambda s: None)
    return tmp, cases, {r.student: r for r in results}, before


def test_no_cheat_gains_a_point(graded):
    _, cases, results, _ = graded
    got = {name: results[name].points for name in cases}
    assert got == {name: points for name, (_, points) in cases.items()}


def test_the_honest_submission_scores_as_it_does_alone(graded, tmp_path):
    tmp, _, results, _ = graded
    alone = grade_all([tmp / "submitted" / "honest"], [PURE], tmp_path / "out", jobs=1,
                      options=OPTIONS, report=lambda s: None)
    assert results["honest"].points == alone[0].points == 6
    assert results["honest"].digest == alone[0].digest


def test_nothing_outside_a_submission_changed(graded):
    tmp, _, _, before = graded
    assert digests(tmp / "submitted", FIXTURES) == before
    time.sleep(5)      # the daemon would have written by now
    for suffix in ("", "-daemon"):
        assert not Path(hostile.MARK + suffix).exists()
    assert not Path("/work/kit-hostile-mark").exists()


def test_nothing_outlives_the_batch(graded):
    tmp, *_ = graded
    assert sandbox_processes() == []
    assert leftover_cgroups() == []
    assert processes_under(tmp) == []


def test_hidden_checks_never_reach_feedback(graded):
    tmp, _, results, _ = graded
    for path in (tmp / "out" / "feedback").rglob("*.md"):
        text = path.read_text()
        assert "SECRET" not in text and "1000000000000" not in text, path
    assert "hidden checks: 0 of 2 passed" in Path(results["leak-hidden"].feedback).read_text()


def test_a_memory_bomb_is_stopped_by_its_own_limit(graded):
    _, _, results, _ = graded
    report = results["memory-bomb"]
    assert report.run_status == "stopped" and "kernel died" in report.run_message


def test_cheats_that_replace_the_checks_are_told_the_truth(graded):
    _, _, results, _ = graded
    for name in ("patch-checks", "fake-summary", "silence-tracebacks"):
        assert results[name].tests[0].points == 0, name
        assert results[name].tests[0].status == "failed", name


@pytest.fixture(scope="module")
def cluster_graded(tmp_path_factory):
    """A submission wrecking its own cluster, graded beside an honest one."""
    tmp = tmp_path_factory.mktemp("wreck")
    source = m.read(CLUSTER)
    solved = submissions.solved(release_notebook(source), source)
    wrecker = submissions._with_answer(solved, "cm-solution", hostile.CLUSTER_WRECKER + "\n"
                                       + m.by_grade_id(source)["cm-solution"].source)
    submissions.write_all(tmp / "submitted", {"wrecker": wrecker, "honest": solved}, CLUSTER.name)
    results = grade_all([tmp / "submitted"], [CLUSTER], tmp / "out", jobs=2, options=OPTIONS,
                        report=lambda s: None)
    return tmp, {r.student: r for r in results}


def test_a_wrecked_cluster_is_only_its_own(cluster_graded, tmp_path):
    tmp, results = cluster_graded
    assert results["honest"].points == 2, Path(results["honest"].feedback).read_text()
    assert results["wrecker"].points < 2
    alone = grade_all([tmp / "submitted" / "honest"], [CLUSTER], tmp_path / "out", jobs=1,
                      options=OPTIONS, report=lambda s: None)
    assert alone[0].points == 2 and alone[0].digest == results["honest"].digest
    assert processes_under(tmp) == [] and sandbox_processes() == []


# Chapter 6's checks once ran in the learner's kernel: a cell replacing them there scored.
CONTROLLER_CHEAT = '''
import exercises.controller.checks as graded_checks
from kitlib.checks import CaseResult, Summary

def step(number, *parts, **options):
    summary = Summary(f"Step {number}", [CaseResult("everything", True, 9, 9, "")])
    print(summary.render())
    return summary

graded_checks.step = step
'''


@pytest.mark.cluster
def test_a_controller_submission_cannot_grade_itself(tmp_path):
    from nbformat.v4 import new_code_cell
    chapter = Path(__file__).resolve().parents[2] / "chapters" / "06-controller-exercise.ipynb"
    cheat = release_notebook(m.read(chapter))
    cheat.cells.insert(2, new_code_cell(CONTROLLER_CHEAT))
    submissions.write_all(tmp_path / "submitted", {"cheat": cheat}, chapter.name)
    [report] = grade_all([tmp_path / "submitted"], [chapter], tmp_path / "out", jobs=1,
                         options=Options(cell_timeout=120, total_timeout=900), report=lambda s: None)
    assert report.points == 0 and report.tests, Path(report.feedback).read_text()
    assert all(t.status == "failed" for t in report.tests)
    assert sandbox_processes() == [] and processes_under(tmp_path) == []
