"""The progress report chapter 00 prints (and `kit progress` too): the table, then totals."""
from kitlib.learner import progress
from kitlib.learner.progress import NOT_RUN, PASSED, Row


def test_report_totals_and_not_run_count():
    rows = [Row("00-setup", "ch00-check", 3, 3, 3, PASSED),
            Row("01-deployment-eras", "ch01-test", 0, 0, 7, NOT_RUN)]
    text = progress.report(rows)
    assert "ch00-check" in text and "ch01-test" in text
    assert text.splitlines()[-1] == "3 of 10 points shown by your last check runs; 1 questions not run yet"


def test_report_without_graded_questions(tmp_path):
    assert progress.report([], tmp_path) == f"no chapters with graded questions in {tmp_path}"
    assert progress.report([]) == "no graded questions yet"
