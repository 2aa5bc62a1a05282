"""Points from executed parts, and feedback that never shows hidden tests."""
from kitlib.grading.feedback import render
from kitlib.grading.integrity import Note
from kitlib.grading.report import SubmissionReport
from kitlib.grading.score import AnswerProblem, Part, score_test


def summary(passed: int, total: int, title="checks", hidden=False, name="case"):
    results = [{"name": f"{name} {i}", "passed": i < passed, "points": 1 if i < passed else 0,
                "max_points": 1, "message": "" if i < passed else f"wrong {i}", "hidden": hidden}
               for i in range(total)]
    return {"title": title, "points": passed, "max_points": total, "results": results}


def test_all_parts_ok_gives_full_points():
    r = score_test("q", 4, [Part(False, "ok"), Part(True, "ok")])
    assert (r.points, r.status) == (4, "passed")


def test_a_raising_part_without_summary_scores_zero():
    r = score_test("q", 4, [Part(False, "ok"), Part(True, "error", "AssertionError: x")])
    assert (r.points, r.status) == (0, "failed")


def test_failed_summaries_give_partial_credit():
    parts = [Part(False, "ok", summaries=[summary(2, 2)]),
             Part(True, "error", "AssertionError", summaries=[summary(1, 2)])]
    r = score_test("q", 4, parts)
    assert (r.points, r.status) == (3, "partial")


def test_summary_passed_but_cell_raised_scores_zero():
    r = score_test("q", 4, [Part(False, "error", "NameError: x", summaries=[summary(2, 2)])])
    assert (r.points, r.status) == (0, "failed")


def test_timeouts_and_parts_not_run_score_zero():
    assert score_test("q", 2, [Part(False, "timeout", "interrupted")]).points == 0
    r = score_test("q", 2, [Part(False, "not-run", "stopped"), Part(True, "not-run", "stopped")])
    assert (r.points, r.status) == (0, "not run")
    assert score_test("q", 2, []).status == "not run"


def report(tests, fmt="md"):
    return render(SubmissionReport(
        student="alice", notebook="nb.ipynb", submission="nb.ipynb",
        points=sum(t.points for t in tests), max_points=sum(t.max_points for t in tests),
        tests=tests, problems=[AnswerProblem("q1-add", "raised <ValueError>")],
        notes=[Note("tampered", "q1-tests", "the test cell 'q1-tests' was changed")]), fmt)


def test_feedback_shows_public_checks_and_withholds_hidden_ones():
    parts = [Part(False, "error", "AssertionError", summaries=[summary(1, 2, "public")]),
             Part(True, "error", "AssertionError: SECRET message",
                  summaries=[summary(0, 2, "SECRET title", hidden=True, name="SECRET case")])]
    tests = [score_test("q1-tests", 4, parts), score_test("q2-tests", 2, [Part(True, "error", "SECRET")])]
    for fmt in ("md", "html"):
        text = report(tests, fmt)
        assert "SECRET" not in text
        assert "public: 1/2 points" in text and "wrong 1" in text
        assert "hidden checks: 0 of 2 passed" in text      # counted, never named
        assert "hidden checks: 0 of 1 passed" in text      # a hidden part without cases is one
        assert "was changed" in text
    assert "&lt;ValueError&gt;" in report(tests, "html")


def test_hidden_cases_in_public_parts_are_nameless():
    s = summary(0, 1, "public", hidden=True, name="SECRET case")
    text = report([score_test("q", 1, [Part(False, "error", "AssertionError", summaries=[s])])])
    assert "SECRET" not in text and "(hidden case)" in text


def test_a_report_survives_the_workers_json_and_keeps_its_status():
    import json
    tests = [score_test("q", 2, [Part(False, "error", "AssertionError", summaries=[summary(1, 2)])])]
    r = SubmissionReport("bob", "nb.ipynb", "sub/bob/nb.ipynb", max_points=2, points=1.0,
                         tests=tests, notes=[Note("tampered", "q", "changed")],
                         run_status="completed")
    back = SubmissionReport.from_dict(json.loads(json.dumps(r.to_dict())))
    assert back == r and back.status == "tampered"
    assert report(back.tests) == report(tests)
    assert SubmissionReport("x", "nb.ipynb", "s", 2, error="unreadable").status == "not graded"
    assert SubmissionReport("x", "nb.ipynb", "s", 2, run_status="stopped").status == "stopped"
    assert SubmissionReport("x", "nb.ipynb", "s", 2, run_status="completed").status == "graded"


def test_hidden_counts_say_how_many_passed_and_when_none_ran():
    from kitlib.grading.feedback import hidden_state
    assert hidden_state([Part(False, "ok")]) is None
    assert hidden_state([Part(True, "ok", summaries=[summary(2, 3)])]) == "2 of 3 passed"
    # every case passed but the part still raised: its own assert counts as a failed check
    assert hidden_state([Part(True, "error", "x", summaries=[summary(2, 2)])]) == "2 of 3 passed"
    assert hidden_state([Part(True, "ok"), Part(True, "error", "x")]) == "1 of 2 passed"
    assert hidden_state([Part(True, "skipped")]).startswith("not run, because")
    assert hidden_state([Part(True, "not-run")]) == "not run"
    # a hidden block that only adds cases to the public run (chapter 5's style): the hidden
    # cases are counted where they ran, not the block as one passing check
    public = summary(2, 2)
    public["results"] += [{"name": "h", "passed": False, "points": 0, "max_points": 1, "hidden": True}] * 3
    assert hidden_state([Part(True, "ok"), Part(False, "error", "x", summaries=[public])]) == "0 of 3 passed"
