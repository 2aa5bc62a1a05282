"""The batch's workers: one process per submission, killed past its limit or when the
batch is interrupted (no cluster needed)."""
import threading
from pathlib import Path

from kitlib.cluster.processes import processes_under
from kitlib.grading.autograde import Options
from kitlib.grading.batch import Submission, _Workers
from kitlib.kube import wait_for

PURE = Path(__file__).resolve().parents[1] / "fixtures" / "grading" / "pure-exercise.ipynb"


def workers(tmp_path, hard_limit: float) -> _Workers:
    (tmp_path / "work").mkdir()
    return _Workers(tmp_path / "work", tmp_path / "out", Options(use_cluster=False), "kit",
                    hard_limit=hard_limit)


def test_a_worker_past_its_limit_is_killed_and_reported(tmp_path):
    report = workers(tmp_path, hard_limit=0.01).grade(0, Submission(PURE, "alice", PURE))
    assert report.status == "not graded" and "was stopped" in report.error
    assert "was stopped" in Path(report.feedback).read_text()
    assert processes_under(tmp_path / "work") == []


def test_stopping_the_batch_kills_running_workers(tmp_path):
    w = workers(tmp_path, hard_limit=600)
    results = []
    thread = threading.Thread(target=lambda: results.append(
        w.grade(0, Submission(PURE, "alice", PURE))))
    thread.start()
    wait_for(lambda: processes_under(tmp_path / "work"), timeout=60, what="the worker")
    w.stop()
    thread.join(timeout=120)
    assert not thread.is_alive() and results == [None]
    assert processes_under(tmp_path / "work") == []
    assert w.grade(1, Submission(PURE, "bob", PURE)) is None     # nothing new starts
