"""Grading throughput: submissions per minute for a batch of generated submissions, at
parallelism 1, 2 and 4, plus what one submission costs (kernel start, namespace setup).

    .venv/bin/python benchmarks/grading.py [--count 8] [--jobs 1 2 4]

Uses the running course cluster if one answers in $KIT_STATE_DIR; otherwise it boots a
Docker-free cluster in a private state directory and removes it afterwards.
Writes benchmarks/results/grading.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "grading"
sys.path.insert(0, str(FIXTURES))


def make_submissions(folder: Path, count: int) -> list[Path]:
    """``count`` submissions, alternating the pure and the cluster exercise, and
    alternating solved, untouched and partly right."""
    import submissions

    from kitlib.grading import nbmeta as m
    from kitlib.grading.release import release_notebook
    kinds = []
    for name in ("pure-exercise.ipynb", "cluster-exercise.ipynb"):
        source = m.read(FIXTURES / name)
        released = release_notebook(source)
        kinds.append((name, [submissions.solved(released, source), released]))
    pure_partial = submissions.broken_pure(release_notebook(m.read(FIXTURES / "pure-exercise.ipynb")))["partial"][0]
    kinds[0][1].append(pure_partial)
    for i in range(count):
        name, variants = kinds[i % 2]
        submissions.write_all(folder, {f"student{i:03d}": variants[(i // 2) % len(variants)]}, name)
    return [FIXTURES / "pure-exercise.ipynb", FIXTURES / "cluster-exercise.ipynb"]


def cost_of_parts(repeat: int = 3) -> dict:
    """Seconds for a kernel to start, run one cell and stop; and for a namespace with its
    credentials to be made and removed."""
    from nbformat.v4 import new_code_cell, new_notebook

    from kitlib.grading import sandbox
    from kitlib.grading.execute import run_notebook
    from kitlib.kube import api_client
    kernel, namespace = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            nb = new_notebook(cells=[new_code_cell("import kitlib.checks, kubernetes")])
            t = time.monotonic()
            run_notebook(nb, Path(tmp))
            kernel.append(time.monotonic() - t)
            api = api_client()
            t = time.monotonic()
            with sandbox.submission_namespace(api, f"bench-ns-{i}", Path(tmp)):
                pass
            namespace.append(time.monotonic() - t)
    return {"kernel_start_run_stop_s": round(min(kernel), 2),
            "namespace_setup_and_removal_s": round(min(namespace), 2)}


def run(count: int, jobs_list: list[int]) -> dict:
    from kitlib.grading.autograde import Options
    from kitlib.grading.batch import grade_all
    results = []
    with tempfile.TemporaryDirectory(prefix="kit-bench-grading-") as tmp:
        tmp = Path(tmp)
        sources = make_submissions(tmp / "submitted", count)
        for jobs in jobs_list:
            out = tmp / f"out-{jobs}"
            t = time.monotonic()
            graded = grade_all([tmp / "submitted"], sources, out, jobs=jobs,
                               options=Options(cell_timeout=60, total_timeout=300),
                               report=lambda s: None)
            seconds = time.monotonic() - t
            failures = [r for r in graded if r.error]
            results.append({"jobs": jobs, "submissions": len(graded), "seconds": round(seconds, 1),
                            "submissions_per_minute": round(60 * len(graded) / seconds, 1),
                            "not_graded": len(failures),
                            "points": sorted((r.student, r.points) for r in graded)})
            print(f"jobs={jobs}: {len(graded)} submissions in {seconds:.1f}s = "
                  f"{60 * len(graded) / seconds:.1f}/min", flush=True)
    same = len({json.dumps(r.pop("points")) for r in results}) == 1
    return {"runs": results, "same_points_at_every_parallelism": same}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()

    from kitlib.cluster.health import probe
    from kitlib.kube import kubeconfig_path
    private = None
    if not probe(kubeconfig_path())[0]:
        private = Path(tempfile.mkdtemp(prefix="kit-bench-state-"))
        os.environ["KIT_STATE_DIR"] = str(private)
        os.environ.pop("KIT_CLUSTER", None)
        os.environ.setdefault("KIT_PROVIDER", "kwok")
        os.environ["KIT_NO_PULL"] = "1"
    from kitlib import cluster
    try:
        if private:
            cluster.up(report=lambda s: None)
        status = cluster.status()
        parts = cost_of_parts()
        measured = run(args.count, args.jobs)
    finally:
        if private:
            cluster.down(report=lambda s: None)
            shutil.rmtree(private, ignore_errors=True)
    result = {"benchmark": "grading throughput", "provider": status.provider,
              "cpus": os.cpu_count(), "python": platform.python_version(),
              "submissions": args.count, **parts, **measured,
              "notes": "each submission: a worker process, a fresh kernel, a namespace with "
                       "RBAC credentials; fixtures from tests/fixtures/grading"}
    out = ROOT / "benchmarks" / "results" / "grading.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
