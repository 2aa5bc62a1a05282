"""Chapter 1's graded check, both ways: the chapter's solution passes, wrong answers fail."""
import pytest

from exercises import eras
from exercises.solutions import run_test_cell, solution
from kitlib.checks import run_cases
from kitlib.eras import cgroups


@pytest.fixture(scope="module")
def reference():
    return solution("01-deployment-eras", "ch01-cpu-max")["cpu_max_for_limit"]


def _summary(fn, time_limit=5):
    """The public cases (with a shorter time limit) — plus the hidden ones, which live in
    the chapter's test cell only: run it as the grader does, with nothing but the answer."""
    cases = [eras.Case(c.name, c.check, c.points, time_limit=time_limit) for c in eras.cases(fn)]
    public = run_cases("q", cases, show=False)
    if not public.all_passed:
        return public
    try:
        run_test_cell("01-deployment-eras", "ch01-cpu-max-test", {"cpu_max_for_limit": fn})
    except AssertionError:
        return run_cases("q", [eras.Case("hidden", lambda: 1 / 0)], show=False)
    return public


def test_solution_passes_and_matches_the_cgroup_helper(reference):
    assert _summary(reference).all_passed
    for limit, cores in (("500m", 0.5), ("2", 2), ("1m", 0.001)):
        assert reference(limit) == cgroups.cpu_max(cores)
    assert cgroups.cores(reference("250m")) == 0.25
    assert cgroups.cores(reference(None)) is None


@pytest.mark.parametrize("wrong", [
    lambda limit: 50000,                                               # wrong type
    lambda limit: f"{int(limit.rstrip('m'))} 100000",                    # ignores units
    lambda limit: "max 100000" if limit is None else  # no minimum
    f"{round(float(limit.rstrip('m')) / (1000 if limit.endswith('m') else 1) * 100000)} 100000",
    lambda limit: (_ for _ in ()).throw(NotImplementedError()),
    lambda limit: exec("while True: pass"),                            # never returns
])
def test_wrong_answers_fail(wrong):
    assert not _summary(wrong, time_limit=1).all_passed
