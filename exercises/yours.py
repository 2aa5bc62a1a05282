"""Your chapter-5 plugins and chapter-6 ``reconcile``, taken from your own notebooks, so that
chapter 10 can run them as processes of their own — the way kube-scheduler and
kube-controller-manager run:

    python -m kitlib.scheduler --name default-scheduler --framework exercises.yours:framework
    python -m kitlib.controller --reconcile exercises.yours:reconcile

Both read the notebooks in the folder ``$KIT_YOUR_NOTEBOOKS`` (chapter 10's own folder: your
workspace, or ``chapters/`` for an instructor). A chapter with a question still unanswered
(its cell still raises NotImplementedError) is replaced by the reference, and
:func:`describe` says so: your scheduler needs all six plugins to place anything.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from exercises.controller import reference as controller_reference
from exercises.scheduler import reference as scheduler_reference
from exercises.solutions import SolutionNotFound, solution_cells
from kitlib.controlplane.takeover import FOLDER_ENV  # the folder the processes are told

UNANSWERED = "raise NotImplementedError"


@dataclass
class Found:
    chapter: str
    notebook: Path | None      # None: the reference is used
    why: str                   # why the reference is used ("" when it is not)

    @property
    def yours(self) -> bool:
        return self.notebook is not None

    def line(self, what: str) -> str:
        if self.yours:
            return f"{what}: yours, from {self.notebook.name}"
        return f"{what}: the reference ({self.why})"


def find(chapter: str, grade_ids: tuple[str, ...], folder: Path | None = None) -> Found:
    """Your notebook of ``chapter`` in ``folder`` when all its ``grade_ids`` are answered."""
    folder = Path(folder or os.environ.get(FOLDER_ENV) or Path.cwd())
    notebook = folder / f"{chapter}.ipynb"
    if not notebook.is_file():
        return Found(chapter, None, f"no {notebook.name} in {folder}")
    try:
        cells = solution_cells(chapter, *grade_ids, source=notebook)
    except SolutionNotFound as exc:
        return Found(chapter, None, str(exc))
    open_ = [grade_id for grade_id, code in cells if UNANSWERED in code]
    if open_:
        return Found(chapter, None, f"{len(open_)} of the {len(cells)} answers in "
                                    f"{notebook.name} are still to write")
    return Found(chapter, notebook, "")


def scheduler(folder: Path | None = None) -> Found:
    return find(scheduler_reference.CHAPTER, scheduler_reference.GRADE_IDS, folder)


def controller(folder: Path | None = None) -> Found:
    return find(controller_reference.CHAPTER, controller_reference.GRADE_IDS, folder)


def describe(folder: Path | None = None) -> list[str]:
    return [scheduler(folder).line("scheduler plugins (chapter 5)"),
            controller(folder).line("PodSet reconcile (chapter 6)")]


def framework(scheduler_name: str = "kit-scheduler"):
    """For ``python -m kitlib.scheduler --framework exercises.yours:framework``."""
    from exercises.scheduler import profile
    found = scheduler()
    functions = scheduler_reference.functions(found.notebook)
    return profile.framework(functions, scheduler_name)


def __getattr__(name: str):
    """``exercises.yours:reconcile`` (for ``python -m kitlib.controller``): your ``reconcile``,
    read from your notebook when first asked for — before the controller starts."""
    if name == "reconcile":
        return controller_reference.names(controller().notebook)["reconcile"]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
