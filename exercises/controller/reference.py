"""Chapter 06's reference ``reconcile``: the chapter's own solution cells (one per step,
grade_ids ``GRADE_IDS``; the last, ``podset-reconcile``, composes the others), run
through ``exercises.solutions`` — there is no other copy. Tests and the controller
benchmark use it; so can
``python -m kitlib.controller --reconcile exercises.controller.reference:reconcile``."""
from __future__ import annotations

import functools
import types
from pathlib import Path

from exercises.solutions import solution, test_cell

CHAPTER = "06-controller-exercise"
GRADE_IDS = ("podset-owned", "podset-create", "podset-extras", "podset-status", "podset-adopt",
             "podset-sync", "podset-write-status", "podset-reconcile")
GRADE_ID = GRADE_IDS[-1]     # the step whose function is ``reconcile``
HIDDEN_CHECKS_IN = "check-reconcile"   # the test cell whose hidden tests define ``HIDDEN``


@functools.cache
def names(source: Path | None = None) -> dict:
    """Everything the solution cells define, run in order in one namespace; of the notebook
    ``source`` when given (a learner's copy)."""
    return solution(CHAPTER, *GRADE_IDS, source=source)


@functools.cache
def hidden_rows() -> list:
    """The hidden checks ``(name, check, points)`` as the chapter's test cell defines them
    (its hidden region only; that cell is their one copy): the region is run with a
    ``checks.step`` that records what it was asked to run instead of running it."""
    from kitlib.grading.nbmeta import BEGIN_HIDDEN, END_HIDDEN, split_regions
    regions = split_regions(test_cell(CHAPTER, HIDDEN_CHECKS_IN), BEGIN_HIDDEN, END_HIDDEN)
    [region] = [lines for inside, lines in regions if inside]

    class Recorder:
        @staticmethod
        def step(number, *parts, hidden, **options):
            asked.extend(hidden)
            return types.SimpleNamespace(all_passed=True)
    asked: list = []
    exec(compile("\n".join(region), f"chapters/{CHAPTER}.md#{HIDDEN_CHECKS_IN}", "exec"),
         {"__name__": f"chapters.{CHAPTER}.hidden", "checks": Recorder, "reconcile": None})
    return asked


def load():
    """The ``reconcile`` the last solution cell defines."""
    return names()["reconcile"]


def __getattr__(name: str):
    """``reference.reconcile`` is the solution's own function, loaded when first asked for
    (reading the chapter takes seconds): asked for before a controller starts, never
    inside a reconcile, whose own time is limited."""
    if name == "reconcile":
        return load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
