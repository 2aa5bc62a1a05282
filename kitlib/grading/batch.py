"""``kit grade``: many submissions, each graded in a process of its own, a few at a time.

A worker that crashes, hangs past its deadline or is killed only costs its own
submission: the batch records "not graded" with the reason and moves on. Results go to
``OUT/gradebook.csv`` (one row per submission, one column per question),
``OUT/grades.json``, ``OUT/feedback/<student>/<notebook>.md`` and
``OUT/autograded/<student>/<notebook>.ipynb`` (the executed notebook, for the instructor).
"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from kitlib.grading import nbmeta as m
from kitlib.grading.autograde import Job, Options, finish
from kitlib.grading.report import GRADER_TROUBLE, SubmissionReport

Report = Callable[[str], None]


# --- which submission belongs to which source -----------------------------------------

@dataclass
class Submission:
    path: Path
    student: str
    source: Path | None


def find_notebooks(paths: list[Path]) -> list[tuple[Path, Path | None]]:
    """(notebook, the folder it was found under) for each argument: files as given,
    folders searched recursively (checkpoints skipped)."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            for nb in sorted(p.rglob("*.ipynb")):
                if ".ipynb_checkpoints" not in nb.parts:
                    found.append((nb, p))
        else:
            found.append((p, None))
    return found


def match_source(path: Path, sources: dict[Path, set[str]]) -> Path | None:
    """By file name first, else the source sharing the most grade ids."""
    for source in sources:
        if path.name == source.name:
            return source
    for source in sources:
        if path.stem.startswith(source.stem) or path.stem.endswith(source.stem):
            return source
    try:
        ids = set(m.grade_ids(m.read(path)))
    except Exception:
        return None
    best, score = None, 0.0
    for source, src_ids in sorted(sources.items()):
        if ids and src_ids:
            overlap = len(ids & src_ids) / len(ids | src_ids)
            if overlap > score:
                best, score = source, overlap
    return best if score >= 0.5 else None


def student_id(path: Path, root: Path | None, source: Path | None) -> str:
    """Named like the source: the folders it sits in (below the given folder) name the
    student — ``submitted/alice/05-x.ipynb`` is alice's. Otherwise the file name does —
    ``alice.ipynb`` or ``05-x-alice.ipynb``."""
    if source is not None and path.name == source.name:
        if root is not None:
            rel = path.parent.relative_to(root).parts
            if rel:
                return "/".join(rel)
        return path.parent.name or "student"
    stem = path.stem
    if source is not None:
        for cut in (source.stem + "-", source.stem + "_", "-" + source.stem, "_" + source.stem):
            stem = stem.replace(cut, "")
    return stem or "student"


def plan(paths: list[Path], sources: list[Path]) -> list[Submission]:
    index = {}
    for s in sources:
        index[Path(s)] = set(m.grade_ids(m.read(s)))
    subs = []
    for path, root in find_notebooks(paths):
        source = match_source(path, index)
        subs.append(Submission(path, student_id(path, root, source), source))
    seen: dict[tuple[str, str], int] = {}
    for sub in subs:       # two files for the same student and notebook: keep both apart
        key = (sub.student, sub.source.name if sub.source else sub.path.name)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            sub.student = f"{sub.student}-{seen[key]}"
    return subs


# --- running workers --------------------------------------------------------------------

class _Workers:
    """Runs one worker process per submission, each in a session of its own so that its
    whole process group (and the kernel's) can be killed: past ``hard_limit`` seconds, or
    when the batch is interrupted."""

    def __init__(self, work: Path, out: Path, opts: Options, cluster: str, hard_limit: float):
        self.work, self.out, self.opts, self.cluster = work, out, opts, cluster
        self.hard_limit = hard_limit
        self._lock = threading.Lock()
        self._running: dict[subprocess.Popen, Path] = {}
        self._stopping = False

    def grade(self, number: int, sub: Submission) -> SubmissionReport | None:
        """Grade ``sub`` in a worker process; None when the batch was interrupted."""
        workdir = self.work / f"{number:04d}"
        workdir.mkdir()
        job = Job(submission=str(Path(sub.path).resolve()), source=str(Path(sub.source).resolve()),
                  student=sub.student, out=str(self.out), workdir=str(workdir),
                  options=asdict(self.opts), cluster=self.cluster)
        (workdir / "job.json").write_text(json.dumps(asdict(job)))
        with open(workdir / "worker.log", "wb") as log, self._lock:
            if self._stopping:
                return None
            proc = subprocess.Popen([sys.executable, "-m", "kitlib.grading.worker",
                                     str(workdir / "job.json")], stdout=log, stderr=log,
                                    stdin=subprocess.DEVNULL, start_new_session=True,
                                    cwd=str(workdir))
            self._running[proc] = workdir
        late = False
        try:
            code = proc.wait(timeout=self.hard_limit)
        except subprocess.TimeoutExpired:
            late = True
            _kill(proc, workdir)
            code = proc.wait()
        finally:
            with self._lock:
                del self._running[proc]
        if self._stopping:
            _cleanup_namespace(workdir)
            _leftovers(workdir)
            return None
        return _collect(sub, workdir, self.out, self.opts, late, code)

    def stop(self) -> None:
        """Kill every running worker (and its kernel); start no more."""
        with self._lock:
            self._stopping = True
            running = dict(self._running)
        for proc, workdir in running.items():
            _kill(proc, workdir)


def _kill(proc: subprocess.Popen, workdir: Path) -> None:
    """The worker, its kernels, the sandbox's cgroups and the submission's cluster."""
    from kitlib.grading.execute import kill_process_group
    kill_process_group(proc.pid)
    pid_file = workdir / "kernel.pid"
    if pid_file.exists():
        try:
            kill_process_group(int(pid_file.read_text().strip() or 0))
        except ValueError:
            pass
    _leftovers(workdir)


def _leftovers(workdir: Path) -> None:
    """What a worker that did not finish leaves: its sandbox's processes and its cluster."""
    from kitlib import cgroups
    from kitlib.cluster.processes import stop_all_under
    from kitlib.grading import jail
    spec_file = workdir / "jail.json"
    if spec_file.exists():
        try:
            cgroups.kill_cgroups(jail.Spec.load(spec_file).cgroups)
        except (OSError, ValueError, TypeError):
            pass
    try:
        stop_all_under(workdir)
    except Exception:
        pass


def _not_graded(sub: Submission, out: Path, opts: Options, why: str, **fields) -> SubmissionReport:
    report = SubmissionReport.new(sub.student, sub.source, sub.path, error=why, **fields)
    return finish(report, out, opts.feedback_format)


def _progress(done: int, total: int, line: str, report: Report) -> None:
    width = 24
    filled = int(width * done / total) if total else width
    report(f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {line}")


def _exclusive(subs: list[Submission], opts: Options, report: Report, cluster: str | None) -> set[Path]:
    """Sources whose notebooks make their own namespaces: each of their submissions is
    graded alone, with your credentials, so whatever it deletes cannot touch another's."""
    from kitlib.grading.autograde import effective_isolation
    if not (opts.use_cluster and opts.isolation == "auto" and cluster):
        return set()
    alone = set()
    for source in dict.fromkeys(s.source for s in subs if s.source is not None):
        if effective_isolation(opts.isolation, m.read(source)) == "none":
            alone.add(source)
            report(f"{source.name} makes its own namespaces (it does not use $KIT_NAMESPACE): "
                   "each of its submissions runs alone, with your credentials")
    return alone


def grade_all(paths: list[Path], sources: list[Path], out: Path, jobs: int = 2,
              options: Options | None = None, report: Report = print,
              keep_workdirs: bool = False, cluster: str | None = None) -> list[SubmissionReport]:
    """Grade every submission under ``paths`` against ``sources``; write the gradebook.
    Submissions that use a cluster each get a Docker-free cluster of their own, made for
    them and removed after them; with ``cluster`` (a cluster the kit manages, named by the
    instructor) they get a namespace on it instead."""
    from kitlib.kube import kubeconfig_path
    opts = options or Options()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    if opts.use_cluster and cluster:
        opts.use_cluster = _cluster_answers(kubeconfig_path(cluster), report)
    subs = plan(paths, sources)
    total = len(subs)
    report(f"grading {total} submission(s) with {jobs} worker(s); cell limit "
           f"{opts.cell_timeout:g}s, notebook limit {opts.total_timeout:g}s")
    results: list[SubmissionReport] = []

    def record(result: SubmissionReport, line: str) -> None:
        results.append(result)
        _progress(len(results), total, line, report)

    for sub in subs:
        if sub.source is None:
            record(_not_graded(sub, out, opts, "no source notebook matches this submission "
                               "(by file name or grade ids)"), f"{sub.path}: not matched")
    alone = _exclusive(subs, opts, report, cluster)
    numbered = [(n, s) for n, s in enumerate(subs) if s.source is not None]
    rounds = [([(n, s) for n, s in numbered if s.source not in alone], max(1, jobs)),
              ([(n, s) for n, s in numbered if s.source in alone], 1)]
    workers = _Workers(work, out, opts, cluster, hard_limit=opts.total_timeout + 180)
    try:
        for batch, parallel in rounds:
            with ThreadPoolExecutor(parallel, thread_name_prefix="kit-grade") as pool:
                try:
                    for future in as_completed([pool.submit(workers.grade, n, s) for n, s in batch]):
                        r = future.result()
                        record(r, f"{r.student} {r.notebook}: {r.points:g}/{r.max_points:g}"
                               + (f" ({r.error}{'; ' + r.warnings[0] if r.warnings else ''})"
                                  if r.error else ""))
                except BaseException:      # interrupted: leave nothing running behind
                    pool.shutdown(wait=False, cancel_futures=True)
                    workers.stop()
                    raise
    finally:
        if not keep_workdirs:
            shutil.rmtree(work, ignore_errors=True)
    results.sort(key=lambda r: (r.student, r.notebook))
    write_gradebook(results, sources, out)
    return results


def _cluster_answers(kubeconfig: Path, report: Report) -> bool:
    from kitlib.cluster.health import probe
    alive, detail = probe(kubeconfig)
    if not alive:
        report(f"no cluster answers ({detail}): submissions run without a namespace of their "
               "own, and cells that need the cluster will fail. Start it with `kit up`.")
    return alive


def _cleanup_namespace(workdir: Path) -> None:
    """A worker killed before its cleanup leaves its namespace: remove it from here."""
    try:
        job = Job(**json.loads((workdir / "job.json").read_text()))
        if not job.options.get("use_cluster"):
            return
        from kitlib.grading import sandbox
        from kitlib.kube import api_client, kubeconfig_path
        name = sandbox.namespace_name(job.student, Path(job.source).stem,
                                      Path(job.submission).read_bytes())
        sandbox.remove(api_client(kubeconfig_path(job.cluster)), name)
    except Exception:
        pass


def _collect(sub: Submission, workdir: Path, out: Path, opts: Options, late: bool,
             code: int | None) -> SubmissionReport:
    result_file = workdir / "result.json"
    if result_file.exists() and not late:
        try:
            result = SubmissionReport.from_dict(json.loads(result_file.read_text()))
        except (ValueError, TypeError) as exc:
            return _not_graded(sub, out, opts, GRADER_TROUBLE,
                               warnings=[f"the worker's result could not be read: {exc}", *_log_tail(workdir)])
        if not result.feedback:        # the grader failed: say so in the feedback
            result = _not_graded(sub, out, opts, result.error or "not graded",
                                 traceback=result.traceback, warnings=result.warnings)
        return result
    _cleanup_namespace(workdir)
    _leftovers(workdir)
    if late:
        return _not_graded(sub, out, opts, f"grading took longer than {opts.total_timeout + 180:g}s "
                           "and was stopped", warnings=_log_tail(workdir))
    return _not_graded(sub, out, opts, GRADER_TROUBLE,
                       warnings=[f"the worker ended with exit code {code}", *_log_tail(workdir)])


def _log_tail(workdir: Path, lines: int = 20) -> list[str]:
    try:
        text = (workdir / "worker.log").read_text(errors="replace").splitlines()
    except OSError:
        return []
    return ["worker log: " + line for line in text[-lines:]]


def write_gradebook(results: list[SubmissionReport], sources: list[Path], out: Path) -> Path:
    """``gradebook.csv``: student, notebook, points, max_points, status, then one column per
    question (``notebook:grade_id``) in the sources' order. Also ``grades.json``."""
    columns = []
    for s in sources:
        for cell in m.read(s).cells:
            if m.is_grade(cell):
                columns.append(f"{Path(s).stem}:{m.grade_id(cell)}")
    path = Path(out) / "gradebook.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "notebook", "points", "max_points", "status", *columns])
        for r in results:
            per = {f"{Path(r.notebook).stem}:{t.grade_id}": t.points for t in r.tests}
            writer.writerow([r.student, r.notebook, f"{r.points:g}", f"{r.max_points:g}",
                             r.status, *(f"{per[c]:g}" if c in per else "" for c in columns)])
    public = [dict(r.to_dict(), status=r.status) for r in results]
    for entry in public:
        del entry["traceback"]
    (Path(out) / "grades.json").write_text(json.dumps(public, indent=1))
    return path
