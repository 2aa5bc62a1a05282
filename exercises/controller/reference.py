"""Chapter 06's reference ``reconcile``: the chapter's own solution cells (one per step,
grade_ids ``GRADE_IDS``; the last, ``podset-reconcile``, composes the others), run
through ``exercises.solutions`` — there is no other copy. Tests and the controller
benchmark use it; so can
``python -m kitlib.controller --reconcile exercises.controller.reference:reconcile``."""
from __future__ import annotations

import functools

from exercises.solutions import solution

CHAPTER = "06-controller-exercise"
GRADE_IDS = ("podset-owned", "podset-create", "podset-extras", "podset-status", "podset-adopt",
             "podset-sync", "podset-write-status", "podset-reconcile")
GRADE_ID = GRADE_IDS[-1]     # the step whose function is ``reconcile``


@functools.cache
def names() -> dict:
    """Everything the solution cells define, run in order in one namespace."""
    return solution(CHAPTER, *GRADE_IDS)


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
