"""``kit validate NOTEBOOK``: what a learner runs before submitting.

Runs the notebook top to bottom in a fresh kernel (in its own folder, the notebook file
left unchanged) and prints the points of the public checks, plus warnings about edited
or deleted protected cells (they will be replaced by the originals when graded).
"""
from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Callable

from kitlib.checks.namespace import NAMESPACE_ENV
from kitlib.grading import nbmeta as m
from kitlib.grading.execute import Limits, run_notebook
from kitlib.grading.feedback import question_lines
from kitlib.grading.integrity import Context, split_test_cells
from kitlib.grading.score import PASSED, score_notebook


def edited_cells(nb) -> dict[str, str]:
    """Protected cells whose content no longer matches the checksum they were released
    with: grade id -> warning."""
    problems = {}
    for cell in nb.cells:
        stored = m.meta(cell).get("checksum")
        if stored and m.is_locked(cell) and m.compute_checksum(cell) != stored:
            problems[m.grade_id(cell)] = (f"cell {m.grade_id(cell)!r} was edited; the original "
                                          "will be used when your work is graded")
    return problems


def validate(path: Path, limits: Limits | None = None, report: Callable[[str], None] = print,
             use_cluster: bool = True, cluster: str | None = None) -> tuple[float, float]:
    """Run ``path`` and report; returns (points of public checks, points possible).
    ``cluster``: the kit's cluster to give it a namespace on (default: the default one)."""
    from kitlib.cluster import cluster_name
    from kitlib.cluster.health import probe
    from kitlib.grading.sandbox_run import kernel_environment
    from kitlib.kube import kubeconfig_path
    path = Path(path)
    original = m.read(path)
    edited = edited_cells(original)
    for warning in edited.values():
        report(f"warning: {warning}")
    nb = copy.deepcopy(original)
    split_test_cells(nb, Context(source=original, released=original))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    api = name = None
    cluster = cluster_name(cluster)
    with tempfile.TemporaryDirectory(prefix="kit-validate-") as scratch:
        extra = {}
        if use_cluster and probe(kubeconfig_path(cluster))[0]:
            import uuid

            from kitlib.grading import sandbox
            from kitlib.kube import api_client
            api, name = api_client(kubeconfig_path(cluster)), f"validate-{uuid.uuid4().hex[:8]}"
            sandbox.create_namespace(api, name)
            extra = {NAMESPACE_ENV: name}
        try:
            env = kernel_environment(Path(scratch), extra, cluster=cluster)
            env["HOME"] = os.environ.get("HOME", env["HOME"])     # a learner's own machine
            env.pop("IPYTHONDIR", None)
            env.pop("MPLCONFIGDIR", None)
            report(f"running {path.name} in a fresh kernel...")
            info = run_notebook(nb, path.parent, env, limits or Limits())
        finally:
            if api is not None:
                from kitlib.grading import sandbox
                sandbox.remove(api, name)
    if info.message:
        report(f"execution stopped: {info.message}")
    results, problems = score_notebook(nb, original)
    for r in results:        # an edited check proves nothing: it counts 0 here
        if r.grade_id in edited:
            r.points, r.status = 0.0, "edited"
    for p in problems:
        report(f"{p.grade_id}: {p.message}")
    got = sum(r.points for r in results)
    possible = sum(r.max_points for r in results)
    for r in results:
        mark = "✔" if r.status == PASSED else "✘"
        report(f"{mark} {r.grade_id}: {r.points:g}/{r.max_points:g} ({r.status})")
        checks, remarks = question_lines(r)
        for line in checks:
            report(f"    {line}")
        for line in remarks:
            report(f"    {line}")
    report(f"public checks: {got:g}/{possible:g} points"
           + (" — everything passes" if results and all(r.status == PASSED for r in results) else "")
           + ". Hidden tests, if the assignment has any, run when it is graded.")
    return got, possible
