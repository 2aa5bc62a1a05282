"""The report on one graded submission: what the worker returns, the feedback shows, and
the gradebook and ``grades.json`` record. Its fields are named here only."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from kitlib.grading import nbmeta as m
from kitlib.grading.integrity import Note
from kitlib.grading.score import AnswerProblem, Part, TestResult

# What a learner reads when the grader itself failed; the details go to the instructor
# (grades.json's warnings and traceback).
GRADER_TROUBLE = ("this notebook could not be graded because of a problem on the grading side, "
                  "not in your code; your instructor can see what happened")


@dataclass
class SubmissionReport:
    student: str
    notebook: str                     # the source notebook's file name
    submission: str                   # the submitted file
    max_points: float
    points: float = 0.0
    tests: list[TestResult] = field(default_factory=list)
    problems: list[AnswerProblem] = field(default_factory=list)   # errors in answer cells
    notes: list[Note] = field(default_factory=list)               # edited protected cells
    run_status: str = ""              # completed | stopped | kernel-failed; "" when not run
    run_message: str = ""             # why execution stopped early
    error: str = ""                   # why it was not graded; "" when it was
    warnings: list[str] = field(default_factory=list)
    feedback: str = ""                # the feedback file written for it
    graded_notebook: str = ""         # the executed notebook (for the instructor)
    digest: str = ""                  # of the feedback text: grading twice gives the same
    traceback: str = ""               # the grader's own failure; kept out of grades.json
    timings: dict = field(default_factory=dict)   # seconds: sandbox, cluster, learner, checks

    @classmethod
    def new(cls, student: str, source: Path | None, submission: Path, **fields) -> SubmissionReport:
        """An empty report for ``submission`` against ``source`` (None: no source matched)."""
        nb = m.read(source) if source else None
        return cls(student=student, notebook=Path(source or submission).name,
                   submission=str(submission),
                   max_points=sum(m.points(c) for c in nb.cells) if nb else 0.0, **fields)

    @property
    def status(self) -> str:
        """The gradebook's status column."""
        if self.error:
            return "not graded"
        if any(n.kind in ("tampered", "missing") for n in self.notes):
            return "tampered"
        return "stopped" if self.run_status not in ("", "completed") else "graded"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionReport:
        tests = [TestResult(**dict(t, parts=[Part(**p) for p in t.get("parts", [])]))
                 for t in data.get("tests", [])]
        return cls(**dict(data, tests=tests,
                          problems=[AnswerProblem(**p) for p in data.get("problems", [])],
                          notes=[Note(**n) for n in data.get("notes", [])]))
