"""Grading throughput on a class built from the real chapters: submissions per minute at
several worker counts, and where one submission's time goes (sandbox, its own cluster,
kernels, the learner's cells, the checks).

    .venv/bin/python benchmarks/grading.py [--count 60] [--jobs 1 2 4] [--chapters 01 02]
                                           [--on NAME] [--source my-exercise.ipynb ...]

With ``--on NAME`` (a kind cluster the kit started) the same class is also graded as
Kubernetes Jobs (`kit grade --on`), in the same run: the image build and load timed apart
from the grading, and the points compared with the local runs'.

With ``--source`` the class is built from notebooks of your own (nbgrader's format) instead
of the chapters: every chapter of the course talks to the cluster, so this is how a
pure-Python exercise, graded without a cluster, is measured.

The class cycles through the graded chapters (or those given) and three kinds of
submission: solved with the reference solutions, handed back untouched, and half done
(the first half of the answer cells solved). Every submission that uses a cluster gets a
throwaway Docker-free cluster, as `kit grade` gives it; no running cluster is needed.
Writes benchmarks/results/grading[-<chapters>].json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = {"mixed_per_minute": 4.0, "pure_per_minute": 30.0}


def graded_chapters(only: list[str]) -> list[Path]:
    from kitlib.grading.release import graded_notebooks
    found = graded_notebooks(ROOT / "chapters")
    return [p for p in found if not only or any(p.name.startswith(c) for c in only)]


def variants(source_path: Path) -> dict:
    """solved / untouched / half-done copies of a chapter's student notebook."""
    import copy

    from kitlib.grading import nbmeta as m
    from kitlib.grading.release import release_notebook
    source = m.read(source_path)
    released = release_notebook(source)
    answers = {m.grade_id(c): c.source for c in source.cells if m.is_solution(c)}
    solved, half = copy.deepcopy(released), copy.deepcopy(released)
    keep = set(list(answers)[: max(1, len(answers) // 2)])
    for nb, ids in ((solved, set(answers)), (half, keep)):
        for cell in nb.cells:
            if m.is_solution(cell) and m.grade_id(cell) in ids:
                cell.source = answers[m.grade_id(cell)]
    return {"solved": solved, "untouched": released, "half": half}


def make_class(folder: Path, sources: list[Path], count: int, only: list[str] | None = None) -> None:
    import nbformat
    kinds = [(s, name, nb) for s in sources for name, nb in variants(s).items()
             if not only or name in only]
    for i in range(count):
        source, kind, nb = kinds[i % len(kinds)]
        path = folder / f"student{i:03d}-{kind}" / source.name
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))


def run_as_jobs(submitted: Path, sources: list[Path], out: Path, cluster: str) -> dict:
    from kitlib.grading import fanout
    began = time.monotonic()
    fanout.target(cluster, None, report=lambda s: None)       # build the image, load it
    prepared = time.monotonic()
    graded = fanout.grade_as_jobs([submitted], sources, out, cluster, report=lambda s: None)
    seconds = time.monotonic() - prepared
    print(f"as Jobs on {cluster}: image ready in {prepared - began:.0f}s, {len(graded)} "
          f"submissions in {seconds:.0f}s = {60 * len(graded) / seconds:.1f}/min", flush=True)
    return {"jobs": f"Kubernetes Jobs on {cluster}", "image_build_and_load_seconds": round(prepared - began, 1),
            "submissions": len(graded), "seconds": round(seconds, 1),
            "submissions_per_minute": round(60 * len(graded) / seconds, 2),
            "not_graded": sum(1 for r in graded if r.error),
            "points": sorted((r.student, r.notebook, r.points) for r in graded)}


PARTS = ("sandbox", "cluster", "kernels", "learner", "checks", "cleanup")


def mean_parts(graded: list) -> dict:
    """Mean seconds per submission of each part, and of all of them together."""
    timed = [r.timings for r in graded if r.timings]
    parts = {key: round(statistics.mean(t.get(key, 0.0) for t in timed), 2) if timed else None
             for key in PARTS}
    parts["total"] = round(sum(v for v in parts.values() if v), 2) if timed else None
    return parts


def run(sources: list[Path], count: int, jobs_list: list[int], on: str | None = None,
        kinds: list[str] | None = None) -> dict:
    from kitlib.grading.autograde import Options
    from kitlib.grading.batch import grade_all
    runs = []
    with tempfile.TemporaryDirectory(prefix="kit-bench-grading-") as tmp:
        tmp = Path(tmp)
        make_class(tmp / "submitted", sources, count, kinds)
        for jobs in jobs_list:
            began = time.monotonic()
            graded = grade_all([tmp / "submitted"], sources, tmp / f"out-{jobs}", jobs=jobs,
                               options=Options(), report=lambda s: None)
            seconds = time.monotonic() - began
            parts = mean_parts(graded)
            by_chapter = {name: mean_parts([r for r in graded if r.notebook == name])
                          for name in sorted({r.notebook for r in graded})}
            by_kind = {kind: mean_parts([r for r in graded if r.student.endswith("-" + kind)])
                       for kind in ("solved", "untouched", "half")}
            runs.append({"jobs": jobs, "submissions": len(graded), "seconds": round(seconds, 1),
                         "submissions_per_minute": round(60 * len(graded) / seconds, 2),
                         "not_graded": sum(1 for r in graded if r.error),
                         "mean_seconds_per_submission": parts,
                         "mean_seconds_per_submission_by_chapter": by_chapter,
                         "mean_seconds_per_submission_by_kind": by_kind,
                         "points": sorted((r.student, r.notebook, r.points) for r in graded)})
            print(f"jobs={jobs}: {len(graded)} submissions in {seconds:.0f}s = "
                  f"{60 * len(graded) / seconds:.1f}/min; per submission {parts}", flush=True)
        if on:
            runs.append(run_as_jobs(tmp / "submitted", sources, tmp / "out-jobs", on))
    first = {(student, notebook): points for student, notebook, points in runs[0]["points"]}
    differ = sorted({f"{student} {notebook}: {first.get((student, notebook))} vs {points} ({r['jobs']})"
                     for r in runs[1:] for student, notebook, points in r["points"]
                     if first.get((student, notebook)) != points})
    for r in runs:
        del r["points"]
    same = not differ if len(runs) > 1 else None          # one run: nothing to compare
    return {"runs": runs, "same_points_at_every_parallelism": same, "points_that_differ": differ}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--chapters", nargs="*", default=[],
                        help="chapter numbers to build the class from (default: every graded one)")
    parser.add_argument("--source", type=Path, nargs="*", default=[],
                        help="instructor notebooks of your own to build the class from, instead "
                             "of the chapters (results: grading-<first source's name>.json)")
    parser.add_argument("--kinds", nargs="*", choices=["solved", "untouched", "half"], default=[],
                        help="only these kinds of submission (default: all three, in turn)")
    parser.add_argument("--on", metavar="NAME", default=None,
                        help="also grade the class as Kubernetes Jobs on the kit's kind cluster NAME")
    args = parser.parse_args()
    os.environ.setdefault("KIT_NO_PULL", "1")
    sources = [p.resolve() for p in args.source] or graded_chapters(args.chapters)
    measured = run(sources, args.count, args.jobs, args.on, args.kinds)
    result = {"benchmark": "grading throughput, a class of " + (
                  "an instructor's own notebooks" if args.source else "the real chapters"),
              "chapters": [s.name for s in sources], "cpus": os.cpu_count(),
              "python": platform.python_version(), "submissions": args.count, **measured,
              "goal": GOAL,
              "notes": "each submission: a worker process, a sandboxed learner kernel, a checker "
                       "kernel, and a throwaway Docker-free cluster when the chapter uses one"}
    named = [sources[0].stem] if args.source else args.chapters
    suffix = ("-" + "-".join(named) if named else "") + ("-jobs" if args.on else "")
    out = ROOT / "benchmarks" / "results" / f"grading{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
