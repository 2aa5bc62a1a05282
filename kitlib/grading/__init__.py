"""Checks with points for the exercises, and the instructor tools (release, grade,
validate) built on them: ``kit release``, ``kit grade``, ``kit validate``."""
from kitlib.grading.cases import Case, CaseResult, CheckTimeout, Summary, run_cases, time_limit
from kitlib.grading.env import cleanup_exercise_namespace, exercise_namespace, grading_namespace

__all__ = ["Case", "CaseResult", "CheckTimeout", "Summary", "run_cases", "time_limit",
           "exercise_namespace", "cleanup_exercise_namespace", "grading_namespace"]
