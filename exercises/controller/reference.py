"""Chapter 06's reference ``reconcile``: the chapter's own solution cell (grade_id
``podset-reconcile``), run through ``exercises.solutions`` — there is no other copy. Tests
and the controller benchmark use it; so can
``python -m kitlib.controller --reconcile exercises.controller.reference:reconcile``."""
from __future__ import annotations

import functools

from exercises.solutions import solution

CHAPTER, GRADE_ID = "06-controller-exercise", "podset-reconcile"


@functools.cache
def load():
    """The function the solution cell defines."""
    return solution(CHAPTER, GRADE_ID)["reconcile"]


def reconcile(ctx, key):
    """Make the pods of PodSet ``key`` match its spec (the chapter's solution)."""
    return load()(ctx, key)
