"""Chapter 2's plain-Python control loop and its graded check (no cluster needed)."""
import pytest

from exercises import desired
from exercises.solutions import run_test_cell, solution
from kitlib.checks import run_cases
from kitlib.desired import reconcile as r


def test_thermostat_reaches_and_recovers_the_desired_temperature():
    rows = r.run_loop(r.Room(15.0), 20.0, 30, {15: -4.0})
    assert rows[0]["action"] == "heat"
    assert any(abs(row["observed"] - 20) <= 0.75 for row in rows[:12])       # converged
    assert rows[15]["observed"] < 17 and rows[15]["action"] == "heat"       # disturbed, reacts
    assert abs(rows[-1]["observed"] - 20) < 1.5                            # converged again


def test_thermostat_decides_from_observation_only():
    assert r.thermostat(20, 18) == "heat" and r.thermostat(20, 22) == "off"
    assert r.thermostat(20, 20.2) == "hold"


def _summary(fn):
    """The public cases, then the chapter's test cell (hidden cases included) run as the
    grader does, with nothing but the answer."""
    public = run_cases("q", desired.plan_cases(fn), show=False)
    if not public.all_passed:
        return public
    try:
        run_test_cell("02-desired-state", "ch02-plan-test", {"plan": fn})
    except AssertionError:
        return run_cases("q", [desired.Case("hidden", lambda: 1 / 0)], show=False)
    return public


def test_the_chapters_solution_passes():
    plan = solution("02-desired-state", "ch02-plan")["plan"]
    assert _summary(plan).all_passed


@pytest.mark.parametrize("wrong", [
    lambda d, pods: {"create": max(0, d - len(pods)), "delete": [p.name for p in pods][d:]},
    lambda d, pods: {"create": d - len([p for p in pods if not p.terminating]), "delete": []},
    lambda d, pods: [d],
    lambda d, pods: 1 / 0,
    # deletes the oldest instead of the youngest
    lambda d, pods: {"create": 0, "delete": sorted(p.name for p in sorted(
        [p for p in pods if not p.terminating], key=lambda p: -p.age)[:max(0, len(pods) - d)])},
])
def test_wrong_plans_fail(wrong):
    assert not _summary(wrong).all_passed
