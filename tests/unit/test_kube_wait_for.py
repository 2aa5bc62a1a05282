"""kitlib.kube.wait_for: returns the first truthy value, times out naming what it waited
for, and stops at once when ``give_up`` names a reason."""
import pytest

from kitlib.kube import StoppedWaiting, wait_for


def test_returns_the_first_truthy_value():
    answers = iter([0, None, "ready"])
    assert wait_for(lambda: next(answers), interval=0) == "ready"


def test_times_out_naming_what_it_waited_for():
    with pytest.raises(TimeoutError, match="waiting for the pods"):
        wait_for(lambda: False, timeout=0.05, interval=0.01, what="the pods")


def test_give_up_stops_at_once_with_its_reason_and_the_chosen_exception():
    class Failing(StoppedWaiting):
        pass
    asked = []

    def give_up():
        asked.append(1)
        return "the plugin is not written" if len(asked) >= 2 else None
    with pytest.raises(Failing, match="stopped waiting for the pods: the plugin is not written"):
        wait_for(lambda: False, timeout=60, interval=0, what="the pods", give_up=give_up, stopped=Failing)
    assert len(asked) == 2


def test_give_up_is_not_asked_once_the_value_came():
    assert wait_for(lambda: "done", give_up=lambda: "never asked") == "done"
