"""Grade one submission: the pipeline ``kit grade`` runs for each notebook, in a process
of its own (``python -m kitlib.grading.worker``).

    read -> prepare (restore locked cells, re-insert hidden tests) -> namespace
         -> execute (fresh kernel, limits) -> score -> write feedback + graded notebook
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from kitlib.grading import nbmeta as m
from kitlib.grading.execute import Limits, run_notebook
from kitlib.grading.feedback import render
from kitlib.grading.integrity import prepare
from kitlib.grading.release import release_notebook
from kitlib.grading.report import GRADER_TROUBLE, SubmissionReport
from kitlib.grading.score import score_notebook

FEEDBACK_EXT = {"md": ".md", "html": ".html"}


@dataclass
class Options:
    cell_timeout: float = 120
    total_timeout: float = 900
    max_output_chars: int = 200_000
    isolation: str = "auto"            # auto | rbac | none (see sandbox.py, effective_isolation)
    use_cluster: bool = True           # False: no namespace is made (no cluster running)
    feedback_format: str = "md"

    def limits(self) -> Limits:
        return Limits(cell_timeout=self.cell_timeout, total_timeout=self.total_timeout,
                      max_output_chars=self.max_output_chars)


@dataclass
class Job:
    submission: str
    source: str
    student: str
    out: str                   # the grading output folder
    workdir: str               # scratch folder for this submission
    options: dict = field(default_factory=dict)
    cluster: str | None = None  # the kit's cluster to grade on (None: the default one)


def namespace_aware(source) -> bool:
    """Does the notebook work in the namespace the grader gives it ($KIT_NAMESPACE)?"""
    return any("KIT_NAMESPACE" in c.source or "exercise_namespace(" in c.source for c in source.cells)


CLUSTER_MARKERS = ("cluster.up(", "api_client(", "kubernetes", "kubectl", "KUBECONFIG")


def uses_cluster(source) -> bool:
    """Does the notebook itself talk to the cluster (beyond importing the checks)?"""
    return any(marker in c.source for c in source.cells if c.cell_type == "code"
               for marker in CLUSTER_MARKERS)


def effective_isolation(isolation: str, source) -> str:
    """``auto``: RBAC-limited credentials for notebooks that use $KIT_NAMESPACE or do not
    use the cluster at all; the instructor's own only for notebooks that make their own
    namespaces (each of those submissions is then graded alone, see batch.py)."""
    if isolation != "auto":
        return isolation
    return "none" if uses_cluster(source) and not namespace_aware(source) else "rbac"


def safe_part(text: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip("._")
    return keep or "unknown"


def feedback_path(out: Path, student: str, notebook: str, fmt: str) -> Path:
    return Path(out) / "feedback" / safe_part(student) / (Path(notebook).stem + FEEDBACK_EXT[fmt])


def graded_path(out: Path, student: str, notebook: str) -> Path:
    return Path(out) / "autograded" / safe_part(student) / Path(notebook).name


def _cluster_plan(job: Job, opts: Options, source) -> str:
    """none | throwaway (a Docker-free cluster made for this submission alone) | shared
    (a namespace on the cluster the instructor named)."""
    if not opts.use_cluster or not uses_cluster(source):
        return "none"
    return "shared" if job.cluster else "throwaway"


def grade(job: Job) -> SubmissionReport:
    """Grade ``job.submission``; write its feedback and graded notebook; return the report."""
    from kitlib.grading.answers import route_test_cells
    from kitlib.grading.sandbox_run import SubmissionRun
    opts = Options(**job.options)
    source_path, sub_path = Path(job.source), Path(job.submission)
    out, workdir = Path(job.out), Path(job.workdir)
    source = m.read(source_path)
    report = SubmissionReport.new(job.student, source_path, sub_path)
    try:
        raw = sub_path.read_bytes()
        submission = nbformat.reads(raw.decode("utf-8"), as_version=4)
    except Exception as exc:
        report.error = f"the submission could not be read as a notebook ({type(exc).__name__})"
        return finish(report, out, opts.feedback_format)
    released = release_notebook(source)
    nb, report.notes = prepare(submission, source, released)
    route_test_cells(nb, source)
    run = SubmissionRun(job, opts, workdir, _cluster_plan(job, opts, source), content=raw,
                        isolation=effective_isolation(opts.isolation, source))
    try:
        run.start(support=source_path.with_suffix(""))
        info = run_notebook(nb, run.run_dir, run.learner_env, opts.limits(),
                            pid_file=workdir / "kernel.pid", plan=run.kernel_plan())
    finally:
        report.warnings += run.stop()
    report.warnings += run.notices
    report.timings = {k: round(v, 2) for k, v in {
        **run.timings, "learner": info.learner_seconds, "checks": info.checker_seconds,
        "kernels": info.seconds - info.learner_seconds - info.checker_seconds}.items()}
    report.run_status, report.run_message = info.status, info.message
    report.tests, report.problems = score_notebook(nb, source)
    report.points = round(sum(r.points for r in report.tests), 2)
    return finish(report, out, opts.feedback_format, nb)


def finish(report: SubmissionReport, out: Path, fmt: str, nb=None) -> SubmissionReport:
    """Write the report's feedback (and the graded notebook, if any) under ``out``."""
    text = render(report, fmt)
    path = feedback_path(out, report.student, report.notebook, fmt)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    report.feedback = str(path)
    if nb is not None:
        graded = graded_path(out, report.student, report.notebook)
        graded.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(graded))
        report.graded_notebook = str(graded)
    report.digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return report


def run_job_file(path: Path) -> int:
    """The worker's entry: read a job, grade it, write ``result.json`` next to it."""
    path = Path(path)
    job = Job(**json.loads(path.read_text()))
    result_file = path.with_name("result.json")
    try:
        report = grade(job)
    except Exception as exc:
        import traceback

        report = SubmissionReport.new(
            job.student, Path(job.source), Path(job.submission), error=GRADER_TROUBLE,
            warnings=[f"the grader failed: {type(exc).__name__}: {exc}"],
            traceback=traceback.format_exc())
    tmp = result_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(report.to_dict(), indent=1))
    os.replace(tmp, result_file)
    return 0
