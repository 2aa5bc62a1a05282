"""What runs inside a notebook's test cells: check cases with points and time limits, one
line each (``run_cases``), and the namespace a cluster exercise works in. The instructor
tools that release and grade notebooks are ``kitlib.grading``; they read what this prints.

    from kitlib.checks import Case, run_cases
    summary = run_cases("Q1", [Case("fits exactly", check_exact_fit, points=2)])
    assert summary.all_passed
"""
from kitlib.checks.cases import Case, CaseResult, CheckTimeout, Summary, describe_exception, run_cases, time_limit
from kitlib.checks.namespace import cleanup_exercise_namespace, exercise_namespace, grading_namespace

__all__ = ["Case", "CaseResult", "CheckTimeout", "Summary", "describe_exception", "run_cases",
           "time_limit", "exercise_namespace", "cleanup_exercise_namespace", "grading_namespace"]
