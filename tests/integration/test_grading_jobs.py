"""`kit grade --on`: a class graded as Kubernetes Jobs on the kind cluster the session booted
(the kind pass of `./course test`). The grader image is built here from Debian packages and
the kit's wheels, loaded onto a worker, and every submission graded in a pod of its own —
with its own sandbox and throwaway Docker-free cluster inside, as on one machine.

One class, graded once: honest, untouched, half-right and forging submissions of a pure and
a cluster exercise. Scores must be the ones `kit grade` gives on one machine (the fixtures
say what they are), the forger must neither see the hidden tests nor fake its result, and
the run's namespace must be gone afterwards."""
import csv
import os
import sys
from pathlib import Path

import nbformat
import pytest
from kubernetes import client

from kitlib.grading import nbmeta as m
from kitlib.grading.autograde import Options
from kitlib.grading.fanout import LABEL, PodSize, grade_as_jobs
from kitlib.grading.release import release

pytestmark = [pytest.mark.cluster, pytest.mark.skipif(
    os.environ.get("KIT_PROVIDER") != "kind", reason="pods on real nodes: runs in the kind pass of `./course test`")]

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))
import submissions  # noqa: E402

PURE, CLUSTER = FIXTURES / "pure-exercise.ipynb", FIXTURES / "cluster-exercise.ipynb"

# Looks for the hidden tests and the cluster it runs on, then prints a result block of its
# own (full marks) to the pod's stdout and stderr. Its add() is wrong.
FORGER = '''
import json, os
seen = {}
for path in ("/sources", "/submission", "/var/run/secrets/kubernetes.io/serviceaccount"):
    try:
        seen[path] = sorted(os.listdir(path))
    except OSError as exc:
        seen[path] = type(exc).__name__
print("SEEN", json.dumps(seen))
fake = "==> kit-grade results 0000 begin\\nH4sIAAAAAAAA\\n==> kit-grade results 0000 end\\n"
for fd in (1, 2):
    os.write(fd, fake.encode())
def add(a, b):
    return 0
'''


def with_answer(nb, gid, text):
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if m.grade_id(cell) == gid:
            cell.source = text
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jobs")
    for source in (PURE, CLUSTER):
        [student] = release([source], tmp / "release", report=lambda s: None)
        released = m.read(student)
        notebooks = {"untouched": released, "solved": submissions.solved(released, m.read(source))}
        if source == PURE:
            notebooks["half"] = submissions.broken_pure(released)["partial"][0]
            notebooks["forger"] = with_answer(notebooks["half"], "q1-add", FORGER)
        submissions.write_all(tmp / "submitted", notebooks, source.name)
    lines = []
    results = grade_as_jobs([tmp / "submitted"], [PURE, CLUSTER], tmp / "graded", "kit",
                            options=Options(cell_timeout=120, total_timeout=600),
                            size=PodSize(cpu="400m", memory="768Mi", memory_limit="2Gi"),
                            report=lines.append)
    return tmp / "graded", {(r.student, r.notebook): r for r in results}, lines


def test_every_submission_gets_the_score_it_gets_on_one_machine(graded):
    out, by, lines = graded
    points = {key: r.points for key, r in by.items()}
    assert points == {("untouched", PURE.name): 0, ("solved", PURE.name): 6,
                      ("half", PURE.name): 5, ("forger", PURE.name): 2,
                      ("untouched", CLUSTER.name): 0, ("solved", CLUSTER.name): 2}, lines
    assert all(not r.error for r in by.values()), [r.error for r in by.values()]
    assert "hidden checks: 1 of 2 passed" in Path(by["half", PURE.name].feedback).read_text()
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert sorted((r["student"], r["notebook"], r["points"]) for r in rows) == sorted(
        (s, n, f"{p:g}") for (s, n), p in points.items())
    assert any("6/6" in line for line in lines) and lines[-1].startswith("[" + "#" * 24 + "]")


def test_the_learners_code_sees_neither_hidden_tests_nor_the_cluster_and_cannot_forge(graded):
    out, by, _ = graded
    forger = by["forger", PURE.name]
    ran = nbformat.read(forger.graded_notebook, as_version=4)
    printed = "".join(o.get("text", "") for c in ran.cells if c.cell_type == "code" for o in c.outputs)
    assert "SEEN" in printed
    assert '"/sources": "FileNotFoundError"' in printed
    assert '"/var/run/secrets/kubernetes.io/serviceaccount": "FileNotFoundError"' in printed
    assert forger.points == 2 and forger.status == "graded"
    hidden = [line.strip() for cell in m.read(PURE).cells
              for inside, part in m.split_regions(cell.source, m.BEGIN_HIDDEN, m.END_HIDDEN)
              if inside for line in part[1:-1] if len(line.strip()) > 12]
    feedback = Path(forger.feedback).read_text()
    assert hidden and not [h for h in hidden if h in feedback]


def test_nothing_is_left_on_the_cluster(graded, api):
    runs = client.CoreV1Api(api).list_namespace(label_selector=LABEL).items
    assert runs == [], [n.metadata.name for n in runs]
    pods = client.CoreV1Api(api).list_pod_for_all_namespaces(label_selector="job-name").items
    assert pods == [], [p.metadata.name for p in pods]
