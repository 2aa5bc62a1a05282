"""The pieces around reconcile that need no cluster: expectations, pod helpers, write
counting, error descriptions, the CRD file, and the chapter's solution cell."""
import time

import nbformat
import pytest
from kubernetes.client.exceptions import ApiException

from kitlib.controller import CRD_NAME, Expectations, controller_of, crd_manifest, is_active, is_ready, matches, podset
from kitlib.controller.counting import parse
from kitlib.controller.framework import (
    GIVE_UP_AFTER,
    ControllerStopped,
    ReconcileTimeout,
    WrongReturn,
    _hopeless,
    describe,
)
from kitlib.paths import REPO_DIR

NOTEBOOK = REPO_DIR / "chapters" / "06-controller-exercise.ipynb"


def test_expectations_count_down_and_expire():
    e = Expectations(ttl=60)
    assert e.satisfied("ns/a")
    e.expect("ns/a", creations=2)
    assert not e.satisfied("ns/a")
    e.creation_observed("ns/a")
    assert e.pending("ns/a") == (1, 0) and not e.satisfied("ns/a")
    e.creation_observed("ns/a")
    e.creation_observed("ns/a")             # never below zero
    assert e.satisfied("ns/a")
    e.expect("ns/a", deletions=["p1", "p2"])
    e.deletion_observed("ns/a", "p1")
    e.deletion_observed("ns/a", "p1")       # the same pod twice counts once
    assert not e.satisfied("ns/a")
    e.deletion_observed("ns/a", "p2")
    assert e.satisfied("ns/a")
    short = Expectations(ttl=0.01)
    short.expect("k", creations=1)
    time.sleep(0.02)
    assert short.satisfied("k")             # a lost event does not block forever
    e.expect("ns/b", creations=1)
    e.forget("ns/b")
    assert e.satisfied("ns/b")


def test_a_reconcile_that_began_unsatisfied_stays_so():
    """The pods a reconcile lists may predate the event that satisfies its expectations
    (listed, then the last pod seen, then asked): it must not act on that stale list."""
    e = Expectations(ttl=60)
    e.expect("ns/a", creations=1)
    e.begin("ns/a")                          # the reconcile starts and lists (stale) pods
    e.creation_observed("ns/a")              # the informer sees the last pod meanwhile
    assert not e.satisfied("ns/a")           # as when it began: no creating from a stale list
    assert e.satisfied("ns/b")               # other keys answer live
    e.end("ns/a")
    assert e.satisfied("ns/a")               # the next reconcile lists the new pod: acts
    e.begin("ns/a")                          # began satisfied: answers live from then on
    e.expect("ns/a", creations=2)
    assert not e.satisfied("ns/a")
    e.creation_observed("ns/a")
    e.creation_observed("ns/a")
    assert e.satisfied("ns/a")
    e.end("ns/a")


def test_pod_helpers():
    assert matches({"matchLabels": {"app": "web"}}, {"app": "web", "x": "y"})
    assert not matches({"matchLabels": {"app": "web"}}, {"app": "db"})
    assert not matches({"matchLabels": {}}, {"app": "web"})     # empty selects nothing
    assert not matches(None, {"app": "web"})
    pod = {"metadata": {"ownerReferences": [{"uid": "1"}, {"uid": "2", "controller": True}]},
           "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    assert controller_of(pod)["uid"] == "2"
    assert is_active(pod) and is_ready(pod)
    assert not is_active({**pod, "metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}})
    assert not is_active({**pod, "status": {"phase": "Succeeded"}})
    assert not is_ready({"metadata": {}, "status": {}})
    assert controller_of({"metadata": {}}) is None


def test_write_paths_are_parsed():
    w = parse("PUT", "https://127.0.0.1:6443/apis/course.kitlib.dev/v1alpha1/namespaces/a/podsets/x/status")
    assert (w.kind, w.namespace, w.name) == ("PUT podsets/status", "a", "x")
    assert parse("POST", "https://127.0.0.1:6443/api/v1/namespaces/a/pods").kind == "POST pods"
    assert parse("DELETE", "https://h/api/v1/namespaces/a/pods/p?gracePeriodSeconds=0").name == "p"


def test_errors_are_described_in_one_line():
    def learner():
        return 1 / 0
    try:
        learner()
    except ZeroDivisionError as exc:
        text = describe(exc)
    assert text.startswith("reconcile raised ZeroDivisionError") and "return 1 / 0" in text
    assert "not implemented yet" in describe(NotImplementedError())
    assert "within 5s" in describe(ReconcileTimeout(), reconcile_timeout=5)
    assert describe(WrongReturn("reconcile returned 'ok' (str); ...")).startswith("reconcile returned 'ok'")
    assert describe(ApiException(status=409, reason="Conflict")) == "reconcile got API error 409 Conflict"


def test_waiting_gives_up_on_errors_retrying_cannot_fix():
    """Controller.wait_for's rule: code not written yet at once, other errors of the code's
    own once repeated, API errors and a stop never."""
    assert _hopeless(NotImplementedError(), 1)
    assert not _hopeless(KeyError("spec"), GIVE_UP_AFTER - 1) and _hopeless(KeyError("spec"), GIVE_UP_AFTER)
    assert _hopeless(ReconcileTimeout(), GIVE_UP_AFTER)
    assert not _hopeless(ApiException(status=409, reason="Conflict"), 50)
    assert not _hopeless(ControllerStopped(), 50)


def test_crd_file_defines_podsets_with_status_and_columns():
    crd = crd_manifest()
    assert crd["metadata"]["name"] == CRD_NAME == "podsets.course.kitlib.dev"
    version = crd["spec"]["versions"][0]
    assert "status" in version["subresources"]
    assert [c["name"] for c in version["additionalPrinterColumns"]][:3] == ["Desired", "Current", "Ready"]
    props = version["schema"]["openAPIV3Schema"]["properties"]
    assert set(props["spec"]["properties"]) == {"replicas", "selector", "template"}
    assert {"replicas", "readyReplicas"} <= set(props["status"]["properties"])
    manifest = podset("web", 3, namespace="ns")
    assert manifest["spec"]["selector"]["matchLabels"] == manifest["spec"]["template"]["metadata"]["labels"]


def _cells(kind=None):
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    return [c for c in nb.cells if kind is None or c.cell_type == kind]


def test_chapter_opens_with_objectives_time_and_covers_and_boots_the_cluster():
    first = _cells()[0]
    assert first.cell_type == "markdown"
    assert "Objectives" in first.source and "Estimated time" in first.source
    assert "Covers: S06, S07, S14, S16" in first.source
    boot = _cells("code")[0]
    assert "cluster.up()" in boot.source and "nbval-ignore-output" in boot.metadata.get("tags", [])
    assert "Key points" in _cells("markdown")[-1].source
    assert "delete_namespace" in _cells("code")[-1].source


def test_each_step_has_a_solution_cell_then_its_check_cell_then_hints():
    """Eight graded steps: a solution cell (one function), its check cell worth the points
    of the checks it runs, and a hints cell; the last step's reconcile composes the rest."""
    from exercises.controller import checks, reference
    cells = _cells("code")
    solutions = [i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("solution")]
    assert [cells[i].metadata.nbgrader["grade_id"] for i in solutions] == list(reference.GRADE_IDS)
    assert callable(reference.load())      # the cells run and define reconcile
    for number, i in enumerate(solutions, start=1):
        src, test, hint = cells[i].source, cells[i + 1], cells[i + 2]
        assert src.count("### BEGIN SOLUTION") == src.count("### END SOLUTION") == 1
        for part in checks.STEPS[number][1]:
            assert f"def {part}(" in src, (number, part)
        meta = test.metadata.get("nbgrader", {})
        assert meta.get("grade") and meta["locked"] and meta["schema_version"] == 3
        assert f"checks.step({number}," in test.source and "assert" in test.source
        assert meta["points"] == (checks.points(checks.STEPS[number][2])
                                  + checks.HIDDEN_POINTS.get(number, 0)), number
        assert "hints(" in hint.source and "nbgrader" not in hint.metadata
    for number, hidden_points in checks.HIDDEN_POINTS.items():
        test = cells[solutions[number - 1] + 1]
        assert "### BEGIN HIDDEN TESTS" in test.source and "hidden=HIDDEN" in test.source
        assert sum(row[2] for row in reference.hidden_rows()) == hidden_points


def test_step_checks_say_what_is_wrong_with_a_part():
    """Steps 1 and 3 are checked on plain data, without a cluster."""
    from exercises.controller import checks
    summary = checks.step(1, lambda podset, pods: pods, show=False)
    assert not summary.all_passed
    assert "counted a pod being deleted" in summary.failures[0].message
    wrong_type = checks.step(1, lambda podset, pods: len(pods), show=False)
    assert "returned int, want a list of pods" in wrong_type.failures[0].message
    with pytest.raises(TypeError, match="takes 2 functions"):
        checks.step(2, lambda podset, pods: pods)


def test_a_cells_checks_share_one_budget(monkeypatch):
    """Checks that each run into their own limit still end, together, within the budget:
    later ones get what is left, or fail without running; each failure is one line."""
    import time

    from exercises.controller import checks
    from kitlib.checks import Case
    monkeypatch.setattr(checks, "CLEANUP_RESERVE", 0.2)
    monkeypatch.setattr(checks, "MIN_CASE_TIME", 0.5)

    def endless():
        while True:
            time.sleep(0.01)
    cases = [Case(f"check {i}", endless, 1, 60) for i in range(6)]
    started = time.monotonic()
    summary = checks.run_within("Q", cases, budget=3, show=False)
    assert time.monotonic() - started < 3.5
    assert summary.points == 0 and len(summary.failures) == 6
    messages = [r.message for r in summary.results]
    assert messages[0].startswith("took longer than the") and "of this cell's 3s" in messages[0]
    assert all(m.startswith(("took longer than the", "not run: the checks before it used up "
                                          "this cell's 3s")) for m in messages), messages


def test_step_8_keeps_part_of_the_cell_for_its_hidden_checks():
    from exercises.controller import checks
    assert checks.HIDDEN_BUDGET < checks.CELL_BUDGET < 120
    assert list(checks.HIDDEN_POINTS) == [8]


def test_hidden_checks_are_written_only_in_the_chapter():
    """The library a learner installs holds no hidden check: the chapter's test cell does,
    and tests read them from there."""
    from exercises.controller import checks, reference
    [(name, check, points)] = reference.hidden_rows()
    assert name.startswith("restart mid-way") and points == 2
    assert check.__name__ == "check_restart" and not hasattr(checks, "check_restart")
    assert all(not row[3] for row in checks.ALL)
