"""`kit workshop status`: the room at a glance — per learner, is their cluster answering,
is their Jupyter server running, how much memory they use, how far they got and how many
graded questions their own last check runs passed (read from their saved notebooks)."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from kitlib import cgroups
from kitlib.learner.progress import NOT_RUN, PASSED, progress
from kitlib.workshop.clusters import healthy
from kitlib.workshop.room import Learner, Room

SERVER = ("jupyterhub.singleuser", "jupyterhub-singleuser")     # how the hub starts a server


@dataclass
class LearnerStatus:
    learner: str
    cluster: str                  # "ready" or why not
    healthy: bool
    jupyter: str                  # "running" or "-"
    memory_mb: int | None
    reached: str                  # the furthest chapter with a cell run and saved
    passed: int                   # graded questions whose last check run passed
    run: int                      # graded questions checked at least once
    questions: list[dict] = field(default_factory=list)


def _server_uids() -> set[int]:
    """The users running a Jupyter server the hub started (one look at the process table)."""
    uids = set()
    for proc in psutil.process_iter(["uids", "cmdline"]):
        try:
            if proc.info["uids"] and any(part in SERVER for part in proc.info["cmdline"] or []):
                uids.add(proc.info["uids"].real)
        except psutil.Error:
            continue
    return uids


def _reached(workspace: Path) -> str:
    import nbformat
    furthest = "-"
    for path in sorted(workspace.glob("[0-9][0-9]-*.ipynb")):
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception:         # noqa: BLE001 - a notebook being saved right now
            continue
        if any(c.cell_type == "code" and c.get("execution_count") for c in nb.cells):
            furthest = path.stem
    return furthest


def learner_status(learner: Learner, servers: set[int]) -> LearnerStatus:
    """One learner's row; ``servers``: the uids running a Jupyter server (_server_uids)."""
    ok, detail = healthy(learner)
    rows = progress(learner.workspace) if learner.workspace.exists() else []
    memory = cgroups.memory_bytes(learner.cgroups)
    return LearnerStatus(
        learner=learner.name, cluster="ready" if ok else detail, healthy=ok,
        jupyter="running" if learner.uid in servers else "-",
        memory_mb=None if memory is None else memory >> 20,
        reached=_reached(learner.workspace),
        passed=sum(r.status == PASSED for r in rows), run=sum(r.status != NOT_RUN for r in rows),
        questions=[{"chapter": r.chapter, "question": r.question, "status": r.status}
                   for r in rows if r.status != NOT_RUN])


def room_status(room: Room) -> list[LearnerStatus]:
    servers = _server_uids()
    return [learner_status(learner, servers) for learner in room.learners]


def table(statuses: list[LearnerStatus]) -> str:
    from kitlib.kube import table as render
    rows = [{"learner": s.learner, "cluster": s.cluster, "jupyter": s.jupyter,
             "memory": "-" if s.memory_mb is None else f"{s.memory_mb} MiB",
             "reached": s.reached, "questions passed": f"{s.passed}/{s.run} checked"}
            for s in statuses]
    return render(rows) if rows else "no learners in this room"


def as_json(statuses: list[LearnerStatus]) -> list[dict]:
    return [dict(asdict(s), at=time.time()) for s in statuses]


def plot(statuses: list[LearnerStatus]):
    """One row per learner: graded questions passed and checked-but-not-passed, the
    learner's name in red when their cluster is not answering."""
    import matplotlib.pyplot as plt
    names = [s.learner for s in statuses]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(statuses) + 1.2))
    ax.barh(names, [s.passed for s in statuses], color="tab:green", label="passed")
    ax.barh(names, [s.run - s.passed for s in statuses], left=[s.passed for s in statuses],
            color="tab:orange", label="checked, not passed yet")
    for label, status in zip(ax.get_yticklabels(), statuses):
        if not status.healthy:
            label.set_color("tab:red")
    ax.invert_yaxis()
    ax.set_xlabel("graded questions (their own last check runs)")
    ax.set_title("the room" + ("  (red: cluster not answering)" if any(not s.healthy for s in statuses) else ""))
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig

