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
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from kitlib.grading import nbmeta as m
from kitlib.grading.autograde import Job, Options, feedback_path
from kitlib.grading.feedback import render

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

@dataclass
class _Running:
    sub: Submission
    proc: subprocess.Popen
    workdir: Path
    deadline: float
    log: object


def _kill(run: _Running) -> None:
    from kitlib.grading.execute import kill_process_group
    try:
        os.killpg(run.proc.pid, signal.SIGKILL)
    except OSError:
        pass
    pid_file = run.workdir / "kernel.pid"
    if pid_file.exists():
        try:
            kill_process_group(int(pid_file.read_text().strip() or 0))
        except ValueError:
            pass


def _not_graded(sub: Submission, out: Path, opts: Options, why: str) -> dict:
    source = m.read(sub.source) if sub.source else None
    report = {"student": sub.student, "notebook": sub.source.name if sub.source else sub.path.name,
              "submission": str(sub.path), "points": 0.0,
              "max_points": sum(m.points(c) for c in source.cells) if source else 0.0,
              "tests": [], "problems": [], "notes": [], "run": {}, "error": why}
    text = render(dict(report, tests=[], problems=[], notes=[]), opts.feedback_format)
    path = feedback_path(out, report["student"], report["notebook"], opts.feedback_format)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    report["feedback"] = str(path)
    return report


def _progress(done: int, total: int, line: str, report: Report) -> None:
    width = 24
    filled = int(width * done / total) if total else width
    report(f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {line}")


def grade_all(paths: list[Path], sources: list[Path], out: Path, jobs: int = 2,
              options: Options | None = None, report: Report = print,
              keep_workdirs: bool = False) -> list[dict]:
    """Grade every submission under ``paths`` against ``sources``; write the gradebook."""
    opts = options or Options()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    if opts.use_cluster:
        opts.use_cluster = _cluster_answers(report)
    subs = plan(paths, sources)
    results: list[dict] = []
    pending = list(enumerate(subs))
    running: list[_Running] = []
    hard_limit = opts.total_timeout + 180          # setup, namespace, teardown on top
    total = len(subs)
    report(f"grading {total} submission(s) with {jobs} worker(s); cell limit "
           f"{opts.cell_timeout:g}s, notebook limit {opts.total_timeout:g}s")
    exclusive = {}
    for sub in subs:      # notebooks that make their own namespaces: each submission alone
        if sub.source is not None and sub.source not in exclusive:
            from kitlib.grading.autograde import effective_isolation
            exclusive[sub.source] = effective_isolation(opts.isolation, m.read(sub.source)) == "none" \
                and opts.use_cluster and opts.isolation == "auto"
            if exclusive[sub.source]:
                report(f"{sub.source.name} makes its own namespaces (it does not use $KIT_NAMESPACE): "
                       "each of its submissions runs alone, with your credentials")
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                # A submission graded with your credentials runs alone: nothing else runs
                # beside it, so whatever it deletes cannot touch another's namespace.
                if any(exclusive.get(r.sub.source) for r in running):
                    break
                pick = next((k for k, (_, s) in enumerate(pending)
                             if not (running and exclusive.get(s.source))), None)
                if pick is None:
                    break
                number, sub = pending.pop(pick)
                if sub.source is None:
                    results.append(_not_graded(sub, out, opts, "no source notebook matches this "
                                               "submission (by file name or grade ids)"))
                    _progress(len(results), total, f"{sub.path}: not matched", report)
                    continue
                workdir = work / f"{number:04d}"
                workdir.mkdir()
                job = Job(submission=str(Path(sub.path).resolve()), source=str(Path(sub.source).resolve()),
                          student=sub.student, out=str(out), workdir=str(workdir), options=asdict(opts))
                (workdir / "job.json").write_text(json.dumps(asdict(job)))
                log = open(workdir / "worker.log", "wb")
                proc = subprocess.Popen([sys.executable, "-m", "kitlib.grading.worker",
                                         str(workdir / "job.json")], stdout=log, stderr=log,
                                        stdin=subprocess.DEVNULL, start_new_session=True,
                                        cwd=str(workdir))
                running.append(_Running(sub, proc, workdir, time.monotonic() + hard_limit, log))
            time.sleep(0.2)
            for run in list(running):
                code = run.proc.poll()
                late = code is None and time.monotonic() > run.deadline
                if code is None and not late:
                    continue
                if late:
                    _kill(run)
                    run.proc.wait()
                running.remove(run)
                run.log.close()
                result = _collect(run, out, opts, late, code)
                results.append(result)
                _progress(len(results), total, f"{result['student']} {result['notebook']}: "
                          f"{result['points']:g}/{result['max_points']:g}"
                          + (f" ({result['error']})" if result.get("error") else ""), report)
    finally:
        for run in running:        # interrupted: leave nothing running behind
            _kill(run)
            run.proc.wait()
            run.log.close()
            _cleanup_namespace(run)
        if not keep_workdirs:
            shutil.rmtree(work, ignore_errors=True)
    results.sort(key=lambda r: (r["student"], r["notebook"]))
    write_gradebook(results, sources, out)
    return results


def _cluster_answers(report: Report) -> bool:
    from kitlib.cluster.health import probe
    from kitlib.kube import kubeconfig_path
    alive, detail = probe(kubeconfig_path())
    if not alive:
        report(f"no cluster answers ({detail}): submissions run without a namespace of their "
               "own, and cells that need the cluster will fail. Start it with `kit up`.")
    return alive


def _cleanup_namespace(run: _Running) -> None:
    """A worker killed before its cleanup leaves its namespace: remove it from here."""
    try:
        job = json.loads((run.workdir / "job.json").read_text())
        if not job["options"].get("use_cluster"):
            return
        from kitlib.grading import sandbox
        from kitlib.kube import api_client
        name = sandbox.namespace_name(job["student"], Path(job["source"]).stem,
                                      Path(job["submission"]).read_bytes())
        sandbox.remove(api_client(), name)
    except Exception:
        pass


def _collect(run: _Running, out: Path, opts: Options, late: bool, code: int | None) -> dict:
    result_file = run.workdir / "result.json"
    if result_file.exists() and not late:
        result = json.loads(result_file.read_text())
        if "feedback" not in result:
            result = dict(_not_graded(run.sub, out, opts, result.get("error", "not graded")),
                          traceback=result.get("traceback", ""))
        return result
    _cleanup_namespace(run)
    why = (f"grading took longer than {opts.total_timeout + 180:g}s and was stopped" if late
           else f"the grading process ended unexpectedly (exit code {code}); see its log")
    return _not_graded(run.sub, out, opts, why)


def write_gradebook(results: list[dict], sources: list[Path], out: Path) -> Path:
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
            per = {f"{Path(r['notebook']).stem}:{t['grade_id']}": t["points"] for t in r.get("tests", [])}
            status = ("not graded" if r.get("error") else
                      "tampered" if any(n["kind"] in ("tampered", "missing") for n in r.get("notes", []))
                      else "stopped" if r.get("run", {}).get("status") not in (None, "completed")
                      else "graded")
            writer.writerow([r["student"], r["notebook"], f"{r['points']:g}", f"{r['max_points']:g}",
                             status, *(f"{per[c]:g}" if c in per else "" for c in columns)])
    public = [{k: v for k, v in r.items() if k not in ("traceback",)} for r in results]
    (Path(out) / "grades.json").write_text(json.dumps(public, indent=1))
    return path
