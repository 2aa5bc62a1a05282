"""A cluster with a name of its own, end to end: after cluster.up(name=...) the notebook
helpers talk to it, and `kit grade --cluster NAME` in another process grades on it."""
import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from kubernetes import client

from kitlib import cluster, kube
from kitlib.grading.release import release_notebook

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "grading"))
from nbbuild import code, graded, notebook  # noqa: E402

pytestmark = pytest.mark.cluster
NAME = "kit-named"


@pytest.fixture(scope="module")
def named():
    try:
        yield cluster.up(provider="kwok", name=NAME, report=lambda line: None)
    finally:
        cluster.down(name=NAME, report=lambda line: None)


def test_the_helpers_talk_to_the_cluster_brought_up(named):
    nodes = [n.metadata.name for n in client.CoreV1Api(kube.api_client()).list_node().items]
    assert sorted(nodes) == [f"{NAME}-control-plane", f"{NAME}-worker", f"{NAME}-worker2"]
    assert cluster.status().name == NAME


@pytest.mark.parametrize("isolation", ["rbac", "none"])
def test_kit_grade_grades_on_the_cluster_it_is_given(named, tmp_path, isolation):
    """The graded cell passes only in a kernel whose API server is NAME's."""
    host = kube.api_client(kube.kubeconfig_path(NAME)).configuration.host
    source = notebook([
        code("from kitlib import cluster\ncluster.up(report=lambda line: None)"),
        graded(code("from kitlib.kube import api_client\n"
                    f"assert api_client().configuration.host == {host!r}, "
                    "api_client().configuration.host"), "which-cluster", grade=True, points=1),
    ])
    nbformat.write(source, str(tmp_path / "where.ipynb"))
    (tmp_path / "submitted" / "alice").mkdir(parents=True)
    nbformat.write(release_notebook(source), str(tmp_path / "submitted" / "alice" / "where.ipynb"))
    # another process, as a user would run it: it does not share this one's default cluster
    run = subprocess.run([sys.executable, "-m", "kitlib.cli", "grade", str(tmp_path / "submitted"),
                          "--source", str(tmp_path / "where.ipynb"), "--out", str(tmp_path / "out"),
                          "--cluster", NAME, "--isolation", isolation, "--timeout", "300"],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    [row] = csv.DictReader(open(tmp_path / "out" / "gradebook.csv"))
    feedback = (tmp_path / "out" / "feedback" / "alice" / "where.md").read_text()
    assert (row["points"], row["status"]) == ("1", "graded"), feedback
