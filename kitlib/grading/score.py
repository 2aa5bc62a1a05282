"""Points from an executed notebook.

A test cell scores its full points when every part of it ran without an error, and 0 when
a part raised — except that parts which failed because a ``run_cases`` summary failed give
partial credit: the cell's points times the share of case points that passed. Parts that
were not run (the notebook was stopped earlier) score 0.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from kitlib.checks.cases import SUMMARY_MIME
from kitlib.grading import nbmeta as m
from kitlib.grading.execute import ERROR, NOT_RUN, OK, SKIPPED, TIMEOUT

PASSED, PARTIAL, FAILED, NOT_RUN_STATUS, MANUAL = "passed", "partial", "failed", "not run", "manual"


@dataclass
class Part:
    hidden: bool
    status: str                       # ok | error | timeout | not-run
    error: str = ""                   # one line: what went wrong
    summaries: list[dict] = field(default_factory=list)


@dataclass
class TestResult:
    grade_id: str
    points: float
    max_points: float
    status: str                       # passed | partial | failed | not run | manual
    parts: list[Part] = field(default_factory=list)

    @property
    def has_hidden(self) -> bool:
        return any(p.hidden for p in self.parts)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class AnswerProblem:
    grade_id: str
    message: str


def _round(x: float) -> float:
    return round(x + 0.0, 2)


def error_line(cell) -> str:
    run = cell.metadata.get("kitlib", {}).get("run", {})
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = out.get("ename", "Error"), (out.get("evalue") or "").strip()
            if ename == "NotImplementedError":
                return "not answered yet: a cell it depends on still raises NotImplementedError"
            if ename == "KeyboardInterrupt" and run.get("status") == TIMEOUT:
                return run.get("message", "timed out")
            if ename == "SystemExit":
                return f"the code called sys.exit({evalue}); return a value instead"
            first = evalue.splitlines()[0] if evalue else ""
            return f"{ename}: {first[:300]}" if first else ename
    return run.get("message", "")


def summaries(cell) -> list[dict]:
    found = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "display_data" and SUMMARY_MIME in out.get("data", {}):
            data = out["data"][SUMMARY_MIME]
            if isinstance(data, dict) and isinstance(data.get("results"), list):
                found.append(data)
    return found


def _part(cell) -> Part:
    info = cell.metadata.get("kitlib", {})
    status = info.get("run", {}).get("status", NOT_RUN)
    error = "" if status == OK else (error_line(cell) if status not in (NOT_RUN, SKIPPED)
                                     else info.get("run", {}).get("message") or "not run")
    return Part(hidden=bool(info.get("hidden")), status=status, error=error, summaries=summaries(cell))


def _fraction(parts: list[Part]) -> float | None:
    """Share of case points passed, if every failing part is explained by a failed summary."""
    parts = [p for p in parts if p.status != SKIPPED]
    for part in parts:
        if part.status != OK:
            if part.status != ERROR or not part.summaries:
                return None
            if all(s.get("points", 0) >= s.get("max_points", 0) for s in part.summaries):
                return None       # its summaries passed, so something else failed
    got = sum(float(s.get("points", 0)) for p in parts for s in p.summaries)
    out_of = sum(float(s.get("max_points", 0)) for p in parts for s in p.summaries)
    return got / out_of if out_of > 0 else None


def score_test(grade_id: str, max_points: float, parts: list[Part]) -> TestResult:
    if parts and all(p.status == OK for p in parts):
        return TestResult(grade_id, _round(max_points), max_points, PASSED, parts)
    if not parts or all(p.status == NOT_RUN for p in parts):
        return TestResult(grade_id, 0.0, max_points, NOT_RUN_STATUS, parts)
    fraction = _fraction(parts)
    if fraction:
        return TestResult(grade_id, _round(max_points * min(fraction, 1.0)), max_points, PARTIAL, parts)
    return TestResult(grade_id, 0.0, max_points, FAILED, parts)


def score_notebook(nb, source) -> tuple[list[TestResult], list[AnswerProblem]]:
    """One result per grade cell of ``source`` (in its order), and the errors raised by
    answer cells (context for the learner)."""
    parts: dict[str, list[Part]] = {}
    problems: list[AnswerProblem] = []
    for cell in nb.cells:
        info = cell.metadata.get("kitlib", {})
        if cell.cell_type == "code" and "grade_id" in info:
            parts.setdefault(info["grade_id"], []).append(_part(cell))
        elif m.is_solution(cell) and cell.cell_type == "code":
            status = info.get("run", {}).get("status")
            if status in (ERROR, TIMEOUT):
                problems.append(AnswerProblem(m.grade_id(cell), error_line(cell)))
    results = []
    for cell in source.cells:
        if not m.is_grade(cell):
            continue
        gid = m.grade_id(cell)
        if m.is_manual(cell) or cell.cell_type != "code":
            results.append(TestResult(gid, 0.0, m.points(cell), MANUAL))
        else:
            results.append(score_test(gid, m.points(cell), parts.get(gid, [])))
    return results, problems
