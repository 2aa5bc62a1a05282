"""Run check cases against a learner's code and print one compact, deterministic line per
case — like Otter's ``grader.check("q1")`` — without ever hanging or crashing.

    summary = run_cases("Q1 resource fit", [
        Case("fits when requests equal allocatable", check_exact_fit, points=1),
        Case("rejects 1m too much CPU", check_cpu_overflow, points=1),
    ])
    assert summary.all_passed      # the nbgrader test cell fails if any case failed

A case is a function that raises ``AssertionError("what was wrong")`` to fail. Exceptions
from the learner's code, infinite loops (a time limit per case) and wrong return types
all turn into a failed case with a one-line reason.
"""
from __future__ import annotations

import contextlib
import re
import signal
import threading
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterator

from kitlib.paths import PACKAGE_DIR, REPO_DIR

DEFAULT_TIME_LIMIT = 20.0
# Frames from these folders are the kit's (checks, frameworks, exercises), not the learner's.
_KIT_CODE = (str(PACKAGE_DIR), str(REPO_DIR / "exercises"))


class CheckTimeout(Exception):
    """A case ran past its time limit (an infinite loop, or waiting for something that
    never happens)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` with CheckTimeout (main thread only; elsewhere
    the block runs without a limit, since Python cannot interrupt another thread)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise CheckTimeout(f"took longer than {seconds:g}s (an infinite loop?)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Case:
    name: str
    check: Callable[[], None]
    points: float = 1
    time_limit: float = DEFAULT_TIME_LIMIT
    hidden: bool = False        # counted, but its details are withheld from feedback


@dataclass
class CaseResult:
    name: str
    passed: bool
    points: float
    max_points: float
    message: str = ""
    hidden: bool = False

    def line(self, show_hidden_details: bool = True) -> str:
        mark = "✔" if self.passed else "✘"
        pts = f"{_fmt(self.points)}/{_fmt(self.max_points)}"
        text = f"  {mark} {self.name:<52} {pts:>7}"
        if not self.passed:
            reason = self.message if (show_hidden_details or not self.hidden) else "(hidden test)"
            text += f"  {reason}"
        return text


@dataclass
class Summary:
    title: str
    results: list[CaseResult] = field(default_factory=list)
    out_of: float | None = None    # what the question is worth in the gradebook

    @property
    def points(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_points(self) -> float:
        return sum(r.max_points for r in self.results)

    @property
    def all_passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def undecided(self) -> float:
        """Points of the question that checks not run here (the hidden ones) decide."""
        return max(0.0, (self.out_of or 0) - self.max_points)

    def render(self, show_hidden_details: bool = True) -> str:
        head = f"{self.title}: {_fmt(self.points)}/{_fmt(self.max_points)} points"
        if self.all_passed:
            head += " — all checks pass"
        if self.undecided:
            head += (f"; {_fmt(self.undecided)} more of its {_fmt(self.out_of)} points are "
                     "decided by hidden checks when it is graded")
        return "\n".join([head, *(r.line(show_hidden_details) for r in self.results)])

    def __str__(self) -> str:
        return self.render()


def _fmt(x: float) -> str:
    return f"{x:g}"


_HEADER = re.compile(r"^(?P<title>\S.*?): (?P<points>[\d.]+)/(?P<max>[\d.]+) points", re.M)


def shown_scores(text: str) -> list[tuple[str, float, float]]:
    """(title, points, max points) of every summary ``render`` printed into ``text``: how
    ``kit progress`` reads a learner's last check run from a saved notebook."""
    return [(m["title"], float(m["points"]), float(m["max"])) for m in _HEADER.finditer(text)]


NOT_IMPLEMENTED = "not implemented yet (the cell still raises NotImplementedError)"


def describe_exception(exc: BaseException) -> str:
    """One line about an exception raised by the learner's code: type, message and the
    innermost line of their code that raised it."""
    if isinstance(exc, NotImplementedError):
        return NOT_IMPLEMENTED
    if isinstance(exc, CheckTimeout):
        return str(exc)
    frames = traceback.extract_tb(exc.__traceback__)
    learner = [f for f in frames if not f.filename.startswith(_KIT_CODE) and "site-packages" not in f.filename]
    where = f" (line {learner[-1].lineno}: {learner[-1].line.strip()})" if learner and learner[-1].line else ""
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"raised {type(exc).__name__}{': ' + message if message else ''}{where}"


def run_case(case: Case) -> CaseResult:
    try:
        with time_limit(case.time_limit):
            case.check()
    except AssertionError as exc:
        message = str(exc).splitlines()[0] if str(exc) else "check failed"
        return CaseResult(case.name, False, 0, case.points, message, case.hidden)
    except SystemExit as exc:
        return CaseResult(case.name, False, 0, case.points,
                          f"called sys.exit({exc.code!r}); return a value instead", case.hidden)
    except Exception as exc:   # learner code must never crash the checker
        return CaseResult(case.name, False, 0, case.points, describe_exception(exc), case.hidden)
    return CaseResult(case.name, True, case.points, case.points, "", case.hidden)


SUMMARY_MIME = "application/vnd.kitlib.grading.summary+json"
GRADING_ENV = "KIT_GRADING"


def summary_record(summary: Summary) -> dict:
    """The summary as plain data (what the grader reads for partial credit)."""
    return {"title": summary.title, "points": summary.points, "max_points": summary.max_points,
            "results": [{"name": r.name, "passed": r.passed, "points": r.points,
                         "max_points": r.max_points, "message": r.message, "hidden": r.hidden}
                        for r in summary.results]}


def _publish(summary: Summary) -> None:
    """While ``kit grade``/``kit validate`` runs the notebook, also hand the summary to the
    grader as a display output of its own type (invisible to nbgrader and learners)."""
    import os
    if not os.environ.get(GRADING_ENV):
        return
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is not None:
        display({SUMMARY_MIME: summary_record(summary)}, raw=True)


def run_cases(title: str, cases: list[Case], show: bool = True,
              out_of: float | None = None) -> Summary:
    """Run every case (a failure never stops the rest), print the summary, return it.
    ``out_of``: the question's points in the gradebook, when hidden checks (not run in a
    learner's copy) decide part of them; the summary then says how many are still open.
    Case points are gradebook points: a question's public and hidden cases add up to it."""
    summary = Summary(title, [run_case(c) for c in cases], out_of)
    if show:
        print(summary.render())
    _publish(summary)
    return summary
