"""A batch of bad submissions is graded without crashing; each gets the right message and
score, none changes another's, and grading is deterministic."""
import csv
import sys
from pathlib import Path

import pytest
from kubernetes import client

from kitlib.grading import nbmeta as m
from kitlib.grading.autograde import Options
from kitlib.grading.batch import grade_all
from kitlib.grading.release import release_notebook

pytestmark = pytest.mark.cluster

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
import submissions  # noqa: E402

PURE, CLUSTER = FIXTURES / "pure-exercise.ipynb", FIXTURES / "cluster-exercise.ipynb"
OPTIONS = Options(cell_timeout=10, total_timeout=180)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every broken pure-exercise submission, plus a solved cluster exercise graded in the
    same batch as the one that tries to delete every namespace."""
    tmp = tmp_path_factory.mktemp("broken")
    released = release_notebook(m.read(PURE))
    cases = submissions.broken_pure(released)
    submissions.write_all(tmp / "submitted", {k: v[0] for k, v in cases.items()}, PURE.name)
    (tmp / "submitted" / "garbage").mkdir()
    (tmp / "submitted" / "garbage" / PURE.name).write_text("{ not a notebook")
    cluster_src = m.read(CLUSTER)
    solved = submissions.solved(release_notebook(cluster_src), cluster_src)
    submissions.write_all(tmp / "submitted", {"deleter": solved, "good": solved}, CLUSTER.name)
    results = grade_all([tmp / "submitted"], [PURE, CLUSTER], tmp / "out", jobs=2,
                        options=OPTIONS, report=lambda s: None)
    return tmp, cases, {(r.student, r.notebook): r for r in results}


def test_each_bad_submission_gets_its_score_and_message(graded):
    _, cases, results = graded
    for name, (_, message, points) in cases.items():
        result = results[(name, PURE.name)]
        feedback = Path(result.feedback).read_text()
        assert result.points == points, (name, feedback)
        assert message in feedback, (name, feedback)


def test_unreadable_submission_is_reported_not_fatal(graded):
    result = graded[2][("garbage", PURE.name)]
    assert result.points == 0 and "could not be read" in Path(result.feedback).read_text()


def test_the_deleter_harmed_no_one(graded, api):
    _, _, results = graded
    assert results[("good", CLUSTER.name)].points == 2
    assert results[("deleter", CLUSTER.name)].points == 2
    ns = {n.metadata.name for n in client.CoreV1Api(api).list_namespace().items}
    assert {"default", "kube-system", "kube-public"} <= ns


def test_hidden_tests_never_reach_feedback(graded):
    tmp = graded[0]
    for path in (tmp / "out" / "feedback").rglob("*.md"):
        assert "SECRET" not in path.read_text(), path


def test_gradebook_has_one_row_per_submission(graded):
    tmp, cases, _ = graded
    rows = list(csv.DictReader(open(tmp / "out" / "gradebook.csv")))
    assert len(rows) == len(cases) + 3
    edited = next(r for r in rows if r["student"] == "edited-test")
    assert edited["status"] == "tampered" and edited["pure-exercise:q2-tests"] == "2"


def test_grading_namespaces_are_removed(graded, api):
    from kitlib.grading.sandbox import LABEL
    core, rbac = client.CoreV1Api(api), client.RbacAuthorizationV1Api(api)
    live = [n for n in core.list_namespace(label_selector=LABEL).items
            if n.status.phase != "Terminating"]
    assert live == []
    assert rbac.list_cluster_role_binding(label_selector=LABEL).items == []


def test_grading_twice_gives_the_same_result(graded, tmp_path):
    tmp, _, first = graded
    again = grade_all([tmp / "submitted" / "partial", tmp / "submitted" / "edited-test"], [PURE],
                      tmp_path / "again", jobs=2, options=OPTIONS, report=lambda s: None)
    for r in again:
        before = first[(r.student, r.notebook)]
        assert (r.points, r.digest) == (before.points, before.digest)
