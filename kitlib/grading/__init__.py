"""Checks with points for the exercises, and the instructor tools (release, grade,
validate) built on them."""
from kitlib.grading.cases import Case, CaseResult, CheckTimeout, Summary, run_cases, time_limit

__all__ = ["Case", "CaseResult", "CheckTimeout", "Summary", "run_cases", "time_limit"]
