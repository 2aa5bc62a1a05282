"""`kit grade --on NAME`: the class graded as Kubernetes Jobs, one per submission.

Each Job's pod runs the grader image (``kitlib.grading.image``) and grades its one
submission exactly as `kit grade` does on one machine: the learner's kernel sandboxed, a
throwaway Docker-free cluster inside the pod, the checks in a process of their own. The
cluster's scheduler decides how many run at once (each pod requests ``cpu`` and
``memory``), so a bigger cluster grades a class faster with no change here.

Everything lives in one namespace made for the run and deleted after it: the instructor's
notebooks (hidden tests) as a Secret only the grader process reads, each submission as a
ConfigMap, one Job each. Results come back through each pod's log (see ``in_pod``); the
gradebook and feedback are written here as `kit grade` writes them.

Pods are privileged: bubblewrap and the throwaway control plane need it. They get no
service account token, so nothing in them can talk to the cluster they run on.
"""
from __future__ import annotations

import base64
import json
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from kitlib.cluster import image_target
from kitlib.cluster.base import ClusterError, Report
from kitlib.cluster.image_target import Target, image_trouble
from kitlib.grading import image as grader_image
from kitlib.grading import nbmeta as m
from kitlib.grading.autograde import Options
from kitlib.grading.batch import Submission, _not_graded, _progress, plan, write_gradebook
from kitlib.grading.in_pod import unpack
from kitlib.grading.report import GRADER_TROUBLE, SubmissionReport

LABEL = "kitlib/grading-run"
STUCK_AFTER = 60                    # seconds with nothing running and a pod unschedulable
CONFIGMAP_LIMIT = 900_000           # bytes; the API server refuses objects over 1 MiB


@dataclass
class PodSize:
    cpu: str = "500m"               # requests: how many pods the scheduler fits at once
    memory: str = "1Gi"
    memory_limit: str = "2Gi"       # the learner's kernel has its own, smaller limit inside


def _without_outputs(path: Path) -> bytes:
    """The notebook as the grader needs it: it runs every cell again, so outputs are dropped
    (they are what makes notebooks large)."""
    nb = m.read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nbformat.writes(nb).encode()


def target(name: str, image: str | None, report: Report) -> Target:
    """Where and with what the Jobs run on the kit's cluster ``name``: on kind the grader
    image is built here and loaded onto one worker; elsewhere ``image`` must name one the
    nodes can pull."""
    return image_target.target(name, image, grader_image.build, grader_image.REPO,
                               "`python -m kitlib.grading.image`", report)


def _job(index: int, sub: Submission, where: Target, nonce: str, opts: Options,
         size: PodSize) -> dict:
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": f"grade-{index}", "labels": {LABEL: "submission"}},
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": int(opts.total_timeout + 300),
            "template": {"spec": {
                "restartPolicy": "Never",
                **({"nodeSelector": {"kubernetes.io/hostname": where.node}} if where.node else {}),
                "automountServiceAccountToken": False,
                "enableServiceLinks": False,
                "containers": [{
                    "name": "grader", "image": where.image, "imagePullPolicy": where.pull,
                    "command": ["python", "-m", "kitlib.grading.in_pod",
                                "--student", sub.student, "--notebook", sub.source.name,
                                "--nonce", nonce, "--cell-timeout", f"{opts.cell_timeout:g}",
                                "--timeout", f"{opts.total_timeout:g}",
                                "--format", opts.feedback_format],
                    "securityContext": {"privileged": True},
                    "resources": {"requests": {"cpu": size.cpu, "memory": size.memory},
                                  "limits": {"memory": size.memory_limit}},
                    "volumeMounts": [{"name": "sources", "mountPath": "/sources", "readOnly": True},
                                     {"name": "submission", "mountPath": "/submission",
                                      "readOnly": True}],
                }],
                "volumes": [
                    {"name": "sources", "secret": {"secretName": "sources", "defaultMode": 0o400}},
                    {"name": "submission", "configMap": {"name": f"submission-{index}"}}],
            }},
        },
    }


class _Run:
    """One run's namespace on the cluster, and reading what its Jobs did."""

    def __init__(self, api, namespace: str):
        from kubernetes import client
        self.api, self.core, self.batch = api, client.CoreV1Api(api), client.BatchV1Api(api)
        self.namespace = namespace

    def create(self, sources: list[Path], notebooks: dict[int, bytes], jobs: list[dict]) -> None:
        ns = self.namespace
        self.core.create_namespace({"metadata": {"name": ns, "labels": {LABEL: "run"}}})
        self.core.create_namespaced_secret(ns, {"metadata": {"name": "sources"}, "data": {
            s.name: base64.b64encode(_without_outputs(s)).decode() for s in sources}})
        for (index, notebook), job in zip(notebooks.items(), jobs):
            self.core.create_namespaced_config_map(ns, {
                "metadata": {"name": f"submission-{index}"},
                "binaryData": {"submission.ipynb": base64.b64encode(notebook).decode()}})
            self.batch.create_namespaced_job(ns, job)

    def finished(self) -> dict[int, str]:
        """{index: "Complete" | "Failed: reason"} for every Job that has ended."""
        done = {}
        for job in self.batch.list_namespaced_job(self.namespace).items:
            index = int(job.metadata.name.rsplit("-", 1)[1])
            for cond in job.status.conditions or []:
                if cond.status == "True" and cond.type in ("Complete", "Failed"):
                    done[index] = cond.type if cond.type == "Complete" else f"Failed: {cond.reason}"
        return done

    def pods(self) -> list:
        return self.core.list_namespaced_pod(self.namespace).items

    def pod_of(self, index: int):
        pods = self.core.list_namespaced_pod(self.namespace, label_selector=f"job-name=grade-{index}")
        return pods.items[0] if pods.items else None

    def log(self, pod) -> str:
        return self.core.read_namespaced_pod_log(pod.metadata.name, self.namespace)

    def delete(self, report: Report, timeout: float = 120) -> None:
        from kitlib.kube import delete_namespace
        try:
            delete_namespace(self.api, self.namespace, wait=True, timeout=timeout)
        except TimeoutError:
            report(f"namespace {self.namespace} is still being deleted; check with "
                   f"`kubectl get ns {self.namespace}`")


def _stuck(pods: list) -> str | None:
    """The scheduler's reason when no grading pod runs and some cannot be placed."""
    if any(p.status.phase == "Running" for p in pods):
        return None
    for pod in pods:
        for cond in pod.status.conditions or []:
            if cond.type == "PodScheduled" and cond.reason == "Unschedulable":
                return cond.message
    return None


def _why_failed(pod, state: str) -> str:
    if pod is not None:
        for status in pod.status.container_statuses or []:
            term = status.state.terminated
            if term and term.reason == "OOMKilled":
                return "the grading pod ran out of memory (give it more with --pod-memory)"
    if "DeadlineExceeded" in state:
        return "grading took longer than its deadline and was stopped"
    return GRADER_TROUBLE


def _result(run: _Run, index: int, sub: Submission, state: str, nonce: str, out: Path,
            opts: Options) -> SubmissionReport:
    """Unpack a finished Job's results into ``out`` and read its one report."""
    pod = run.pod_of(index)
    try:
        log = run.log(pod) if pod is not None else ""
    except Exception:
        log = ""
    landing = out / ".work" / str(index)
    if state == "Complete" and unpack(log, nonce, landing):
        [data] = json.loads((landing / "grades.json").read_text())
        data.pop("status", None)           # derived; grades.json adds it for readers
        for folder in ("feedback", "autograded"):
            if (landing / folder).is_dir():
                for path in (landing / folder).rglob("*"):
                    if path.is_file():
                        dest = out / path.relative_to(landing)
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        path.replace(dest)
        report = SubmissionReport.from_dict(data)
        for attr in ("feedback", "graded_notebook"):
            value = getattr(report, attr)
            if value:
                setattr(report, attr, str(out / Path(value).relative_to("/work/out")))
        return report
    tail = [f"pod log: {line}" for line in log.splitlines()[-15:]]
    return _not_graded(sub, out, opts, _why_failed(pod, state), warnings=tail)


def grade_as_jobs(paths: list[Path], sources: list[Path], out: Path, cluster: str,
                  image: str | None = None, options: Options | None = None,
                  size: PodSize | None = None, report: Report = print) -> list[SubmissionReport]:
    """Grade every submission under ``paths`` as a Job on the kit's cluster ``cluster``."""
    from kitlib.kube import api_client, kubeconfig_path
    opts, size = options or Options(), size or PodSize()
    out = Path(out).resolve()
    (out / ".work").mkdir(parents=True, exist_ok=True)
    subs = plan(paths, sources)
    results: list[SubmissionReport] = []

    def record(result: SubmissionReport) -> None:
        results.append(result)
        line = f"{result.student} {result.notebook}: {result.points:g}/{result.max_points:g}"
        _progress(len(results), len(subs), line + (f" ({result.error})" if result.error else ""), report)

    for sub in subs:
        if sub.source is None:
            record(_not_graded(sub, out, opts, "no source notebook matches this submission "
                               "(by file name or grade ids)"))
    numbered = [(n, s) for n, s in enumerate(subs) if s.source is not None]
    notebooks = {n: _without_outputs(s.path) for n, s in numbered}
    for n, s in numbered:
        if len(notebooks[n]) > CONFIGMAP_LIMIT:
            raise ClusterError(f"{s.path} is larger than a ConfigMap can hold even without outputs")
    where = target(cluster, image, report)
    nonce = secrets.token_hex(16)
    run = _Run(api_client(kubeconfig_path(cluster)), f"kit-grading-{secrets.token_hex(4)}")
    report(f"grading {len(subs)} submission(s) as Jobs in namespace {run.namespace} of "
           f"{cluster!r} (each pod requests {size.cpu} CPU, {size.memory})")
    try:
        run.create(sources, notebooks, [_job(n, s, where, nonce, opts, size) for n, s in numbered])
        pending = dict(numbered)
        stuck_since = None
        while pending:
            pods = run.pods()
            trouble = image_trouble(pods)
            if trouble:
                raise ClusterError(f"the cluster's nodes cannot start the grader image {where.image} "
                                   f"({trouble}); load or push it and try again")
            why = _stuck(pods)
            stuck_since = (stuck_since or time.monotonic()) if why else None
            if why and time.monotonic() - stuck_since > STUCK_AFTER:
                raise ClusterError(f"no node can take a grading pod ({why}); ask for less with "
                                   "--pod-cpu/--pod-memory or add nodes")
            for index, state in sorted(run.finished().items()):
                if index in pending:
                    record(_result(run, index, pending.pop(index), state, nonce, out, opts))
            time.sleep(2)
    finally:
        run.delete(report)
        shutil.rmtree(out / ".work", ignore_errors=True)
    results.sort(key=lambda r: (r.student, r.notebook))
    write_gradebook(results, sources, out)
    return results
