"""``kit progress``: what the learner's last check runs scored, read from the saved
notebooks of their workspace — per chapter and question, as a table and a small chart.

A question's row: the points its last run showed (public checks only in a learner's copy),
what the question is worth, and a status: not run, passed, partial or failed."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kitlib.checks.cases import shown_scores
from kitlib.grading import nbmeta as m

NOT_RUN, PASSED, PARTIAL, FAILED = "not run", "passed", "partial", "failed"


@dataclass
class Row:
    chapter: str
    question: str          # the test cell's grade id
    points: float          # shown by the last run (public checks)
    shown_max: float       # the most those checks could show
    worth: float           # the question's points in the gradebook
    status: str


def question_rows(notebook: Path) -> list[Row]:
    nb = m.read(notebook)
    rows = []
    for cell in nb.cells:
        if not m.is_grade(cell):
            continue
        text = "".join(o.get("text", "") for o in cell.get("outputs", [])
                       if o.get("output_type") == "stream")
        scores = shown_scores(text)
        errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        got = sum(s[1] for s in scores)
        most = sum(s[2] for s in scores)
        if not cell.get("outputs"):
            status = NOT_RUN
        elif scores and got >= most and not errored:
            status = PASSED
        elif got > 0:
            status = PARTIAL
        else:
            status = FAILED
        rows.append(Row(notebook.stem, m.grade_id(cell) or "?", got, most, m.points(cell), status))
    return rows


def progress(workspace: Path) -> list[Row]:
    return [row for path in sorted(Path(workspace).glob("[0-9][0-9]-*.ipynb"))
            if ".mine-" not in path.name for row in question_rows(path)]


def table(rows: list[Row]) -> list[dict]:
    return [{"chapter": r.chapter, "question": r.question, "status": r.status,
             "points shown": f"{r.points:g}/{r.shown_max:g}" if r.status != NOT_RUN else "-",
             "worth": f"{r.worth:g}"} for r in rows]


def plot(rows: list[Row]):
    """One bar per chapter: share of its points the last runs showed, and of those
    not yet run."""
    import matplotlib.pyplot as plt
    chapters = sorted({r.chapter for r in rows})
    shown = [sum(r.points for r in rows if r.chapter == c) / max(1e-9, sum(r.worth for r in rows if r.chapter == c))
             for c in chapters]
    unrun = [sum(r.worth for r in rows if r.chapter == c and r.status == NOT_RUN)
             / max(1e-9, sum(r.worth for r in rows if r.chapter == c)) for c in chapters]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(chapters) + 1))
    ax.barh(chapters, shown, color="tab:green", label="points shown by your last check run")
    ax.barh(chapters, unrun, left=[1 - u for u in unrun], color="lightgray", label="checks not run yet")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("share of the chapter's points")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def report(rows: list[Row], folder: Path | None = None) -> str:
    """What ``kit progress`` prints: the table, then the totals (as a notebook cell shows it)."""
    from kitlib.kube import table as render
    if not rows:
        return f"no chapters with graded questions in {folder}" if folder else "no graded questions yet"
    shown = sum(r.points for r in rows)
    return (render(table(rows)) + f"\n\n{shown:g} of {sum(r.worth for r in rows):g} points shown by your "
            f"last check runs; {sum(r.status == NOT_RUN for r in rows)} questions not run yet")
