"""Chapter 05's reference plugins: the chapter's own solution cells, run through
``exercises.solutions`` — the checks compare learners with these, and the benchmark and
``python -m kitlib.scheduler --framework exercises.scheduler.reference:framework`` schedule
with them. There is no other copy."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

import kitlib.scheduler
from exercises.scheduler import profile
from exercises.solutions import solution
from kitlib.scheduler import Framework

CHAPTER = "05-scheduler-exercise"
GRADE_IDS = ("q1-node-unschedulable", "q2-node-resources-fit", "q3-node-affinity",
             "q4-taint-toleration", "q5-least-allocated", "q6-balanced-allocation")


@functools.cache
def functions(source: Path | None = None) -> dict[str, Callable]:
    """The chapter's solutions by function name (see profile.FUNCTIONS); from the notebook
    ``source`` when given (a learner's copy). They run with kitlib.scheduler's public names
    in scope, as the chapter's setup cell imports them."""
    scope = {name: getattr(kitlib.scheduler, name) for name in kitlib.scheduler.__all__}
    names = solution(CHAPTER, *GRADE_IDS, using=scope, source=source)
    return {name: names[name] for name in profile.FUNCTIONS}


def framework(scheduler_name: str = "kit-scheduler") -> Framework:
    return profile.framework(functions(), scheduler_name)
