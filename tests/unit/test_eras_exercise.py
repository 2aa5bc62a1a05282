"""Chapter 1's graded check, both ways: the reference passes, wrong answers fail."""
import pytest

from kitlib.eras import cgroups, exercise
from kitlib.checks import run_cases


def _summary(fn):
    return run_cases("q", exercise.cases(fn) + exercise.hidden_cases(fn), show=False)


def test_reference_passes_and_matches_the_cgroup_helper():
    assert _summary(exercise.reference).all_passed
    for limit, cores in (("500m", 0.5), ("2", 2), ("1m", 0.001)):
        assert exercise.reference(limit) == cgroups.cpu_max(cores)
    assert exercise.cores(exercise.reference("250m")) == 0.25
    assert exercise.cores(exercise.reference(None)) is None


@pytest.mark.parametrize("wrong", [
    lambda limit: 50000,                                               # wrong type
    lambda limit: f"{int(limit.rstrip('m'))} 100000",                    # ignores units
    lambda limit: "max 100000" if limit is None else f"{round(float(limit.rstrip('m')) / (1000 if limit.endswith('m') else 1) * 100000)} 100000",  # no minimum
    lambda limit: (_ for _ in ()).throw(NotImplementedError()),
    lambda limit: exec("while True: pass"),                            # never returns
])
def test_wrong_answers_fail(wrong):
    import kitlib.eras.exercise as ex
    cases = [ex.Case(c.name, c.check, c.points, time_limit=1, hidden=c.hidden)
             for c in ex.cases(wrong) + ex.hidden_cases(wrong)]
    summary = run_cases("q", cases, show=False)
    assert not summary.all_passed
