"""`kit grade --on`'s parts that need no cluster: what each Job asks of the cluster, how
results come back through a pod's log (and why a learner cannot forge them), and which
clusters it refuses. The Jobs themselves run on kind: tests/integration/test_grading_jobs.py."""
from pathlib import Path

import pytest

from kitlib.cluster.base import ClusterDir, ClusterError, Record
from kitlib.grading import fanout, in_pod
from kitlib.grading.autograde import Options
from kitlib.grading.batch import Submission

ROOT = Path(__file__).resolve().parents[2]
PURE = ROOT / "tests" / "fixtures" / "grading" / "pure-exercise.ipynb"


def job(node=None):
    sub = Submission(PURE, "alice", PURE)
    where = fanout.Target("kitlib/grader:abc", "Never", node)
    return fanout._job(3, sub, where, "n0nce", Options(cell_timeout=30, total_timeout=600),
                       fanout.PodSize("250m", "512Mi", "1Gi"))


def test_a_job_grades_one_submission_with_no_way_back_into_the_cluster():
    spec = job(node="kit-worker")["spec"]
    pod = spec["template"]["spec"]
    [grader] = pod["containers"]
    assert spec["backoffLimit"] == 0 and spec["activeDeadlineSeconds"] == 900
    assert pod["automountServiceAccountToken"] is False and pod["restartPolicy"] == "Never"
    assert pod["nodeSelector"] == {"kubernetes.io/hostname": "kit-worker"}
    assert grader["imagePullPolicy"] == "Never"
    assert grader["resources"] == {"requests": {"cpu": "250m", "memory": "512Mi"},
                                   "limits": {"memory": "1Gi"}}
    args = grader["command"]
    assert args[args.index("--student") + 1] == "alice"
    assert args[args.index("--notebook") + 1] == "pure-exercise.ipynb"
    assert args[args.index("--cell-timeout") + 1] == "30"
    mounts = {m["name"]: m for m in grader["volumeMounts"]}
    assert mounts["sources"]["readOnly"] and mounts["submission"]["readOnly"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["sources"]["secret"] == {"secretName": "sources", "defaultMode": 0o400}
    assert volumes["submission"]["configMap"] == {"name": "submission-3"}
    assert "nodeSelector" not in job()["spec"]["template"]["spec"]


def test_results_come_back_only_between_the_runs_own_markers(tmp_path):
    (tmp_path / "out" / "feedback").mkdir(parents=True)
    (tmp_path / "out" / "grades.json").write_text("[]")
    (tmp_path / "out" / "feedback" / "a.md").write_text("well done")
    (tmp_path / "out" / ".work").mkdir()
    payload = in_pod.pack(tmp_path / "out")
    begin, end = in_pod.markers("real")
    forged_begin, forged_end = in_pod.markers("guess")
    forged = in_pod.pack(tmp_path)           # anything a learner might print instead
    log = "\n".join(["grading...", forged_begin, forged, forged_end,
                     begin, "not ours", end,     # printed by the learner before ours
                     begin, payload[:40], payload[40:], end])
    assert in_pod.unpack(log, "real", tmp_path / "got")
    got = tmp_path / "got"
    assert (got / "feedback" / "a.md").read_text() == "well done"
    assert sorted(p.name for p in got.iterdir()) == ["feedback", "grades.json"]   # no .work
    assert not in_pod.unpack("\n".join([forged_begin, forged, forged_end]), "real", tmp_path / "x")
    assert not in_pod.unpack(f"{begin}\n{payload}\n", "real", tmp_path / "y")    # cut short


def test_outputs_are_dropped_before_a_notebook_is_sent(tmp_path):
    import nbformat
    nb = nbformat.read(str(PURE), as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [nbformat.v4.new_output("stream", text="x" * 100_000)]
    path = tmp_path / "big.ipynb"
    nbformat.write(nb, str(path))
    sent = fanout._without_outputs(path)
    assert len(sent) < path.stat().st_size - 90_000
    assert [c.source for c in nbformat.reads(sent.decode(), as_version=4).cells] == \
        [c.source for c in nb.cells]


@pytest.mark.parametrize("provider, image, says", [
    ("kwok", None, "nodes are simulated and run no pods"),
    ("existing", None, "push it where the nodes pull from and give it with --image"),
])
def test_clusters_it_cannot_use_are_refused_with_what_to_do(tmp_path, monkeypatch, provider, image, says):
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path))
    ClusterDir("room").write(Record("room", provider))
    with pytest.raises(ClusterError, match=says):
        fanout.target("room", image, report=lambda s: None)
    with pytest.raises(ClusterError, match="no cluster 'gone' recorded"):
        fanout.target("gone", image, report=lambda s: None)


def test_an_existing_cluster_pulls_the_image_it_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path))
    ClusterDir("prod").write(Record("prod", "existing"))
    assert fanout.target("prod", "school/grader:1", report=lambda s: None) == \
        fanout.Target("school/grader:1", "IfNotPresent")


def test_the_grader_image_has_the_reference_solutions_where_no_sandbox_sees_them():
    """Chapters 5 and 6 check against reference solutions read from chapters/*.md: the image
    must carry them (without, a solved chapter 5 scored 0 in a pod) and keep them outside
    every folder the learner's sandbox binds (it binds /opt, /usr, ... and the kit's own
    kitlib, exercises and cluster folders)."""
    from kitlib.grading import image, jail
    shipped = {p.relative_to(ROOT).as_posix() for p in image._kit_files()}
    assert "chapters/05-scheduler-exercise.md" in shipped and "chapters/06-controller-exercise.md" in shipped
    assert not any(p.startswith("tests/") or p.endswith(".ipynb") for p in shipped)
    assert not any(image.KIT_HOME == d or image.KIT_HOME.startswith(d + "/") for d in jail.SYSTEM_DIRS)
