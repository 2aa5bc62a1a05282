"""Chapter 1's graded check, both ways: the chapter's solution passes, wrong answers fail."""
import pytest

from exercises import eras
from exercises.solutions import solution
from kitlib.checks import run_cases
from kitlib.eras import cgroups


@pytest.fixture(scope="module")
def reference():
    return solution("01-deployment-eras", "ch01-cpu-max")["cpu_max_for_limit"]


def _summary(fn, time_limit=5):
    cases = [eras.Case(c.name, c.check, c.points, time_limit=time_limit, hidden=c.hidden)
             for c in eras.cases(fn) + eras.hidden_cases(fn)]
    return run_cases("q", cases, show=False)


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
