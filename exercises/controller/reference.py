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


def reconcile(ctx, key):
    """Make the pods of PodSet ``key`` match its spec (the chapter's solution)."""
    return load()(ctx, key)
