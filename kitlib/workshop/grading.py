"""`kit workshop collect`, `grade` and `return`: the room's notebooks graded with
`kit grade` (each submission in its own sandbox and throwaway cluster, as for any class)
and each learner's feedback put in their workspace.

    <room>/collected/<learner>/<chapter>.ipynb      copies taken at collection time
    <room>/graded/                                   `kit grade`'s gradebook and feedback
    <learner's workspace>/feedback/<chapter>.md      what `return` gives back
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from kitlib.errors import KitError
from kitlib.grading.release import graded_notebooks
from kitlib.workshop import accounts
from kitlib.workshop.room import Room


def collect(room: Room, chapters: list[str] | None = None, report=print) -> Path:
    """Copy every learner's graded chapters (or those named, by number) out of their
    workspace; a later collection replaces the earlier one."""
    target = room.path / "collected"
    shutil.rmtree(target, ignore_errors=True)
    count = 0
    for learner in room.learners:
        for path in graded_notebooks(learner.workspace):
            if chapters and not any(path.name.startswith(c) for c in chapters):
                continue
            (target / learner.name).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / learner.name / path.name)
            count += 1
    report(f"collected {count} notebooks from {len(room.learners)} learners into {target}")
    return target


def grade(room: Room, jobs: int = 2, extra: list[str] | None = None) -> Path:
    """`kit grade` on the collected notebooks; its output streams to this terminal."""
    collected, out = room.path / "collected", room.path / "graded"
    if not collected.exists():
        raise KitError("nothing collected yet: run `kit workshop collect` first")
    command = [sys.executable, "-m", "kitlib.cli", "grade", str(collected), "--out", str(out),
               "--jobs", str(jobs), *(extra or [])]
    code = subprocess.run(command).returncode
    if code != 0:
        raise KitError(f"kit grade ended with exit code {code}; see its output above")
    return out


def give_back(room: Room, report=print) -> int:
    """Put each learner's feedback into ``workspace/feedback/`` (theirs to read)."""
    feedback = room.path / "graded" / "feedback"
    if not feedback.exists():
        raise KitError("nothing graded yet: run `kit workshop grade` first")
    given = 0
    for learner in room.learners:
        for path in sorted((feedback / learner.name).glob("*")) if (feedback / learner.name).exists() else []:
            accounts.give_file(learner, path, learner.workspace / "feedback" / path.name)
            given += 1
    report(f"returned {given} feedback files to {len(room.learners)} learners' workspace/feedback/")
    return given
