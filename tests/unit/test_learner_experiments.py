"""Predict-then-run checks without a cluster: a prediction is marked on what the experiment
recorded, must be one of its choices (of the right type), and the namespace is the
grader's when graded."""
import pytest

from kitlib.checks import run_cases
from kitlib.learner import experiments

CHOICES = {"who": ("kube-apiserver", "replicaset-controller"), "replaced?": (True, False)}
SEEN = {"who": "replicaset-controller", "replaced?": False}


def summary(predictions, seen=SEEN):
    return run_cases("q", experiments.prediction_cases(predictions, seen, CHOICES), show=False)


def test_predictions_that_match_what_happened_pass():
    result = summary({"who": "replicaset-controller", "replaced?": False})
    assert result.all_passed and result.points == 3


def test_a_wrong_prediction_costs_its_point_and_says_what_happened():
    result = summary({"who": "kube-apiserver", "replaced?": False})
    failed = [r for r in result.results if not r.passed]
    assert [r.name for r in failed] == ["who: as the cluster did"]
    assert "you predicted 'kube-apiserver'; the cluster did 'replicaset-controller'" in failed[0].message


@pytest.mark.parametrize("predictions,message", [
    ({"who": ..., "replaced?": False}, "is not one of the choices"),      # left unfilled
    ({"who": "replicaset-controller", "replaced?": 0}, "is not one of the choices"),   # 0 is not False
    ({"who": "replicaset-controller"}, "no prediction for ['replaced?']"),
    (["replicaset-controller", False], "should be a dict"),
])
def test_predictions_must_use_the_given_choices(predictions, message):
    result = summary(predictions)
    shape = result.results[0]
    assert not shape.passed and message in shape.message


def test_the_namespace_is_the_graders_when_graded(monkeypatch):
    monkeypatch.delenv("KIT_NAMESPACE", raising=False)
    assert experiments.namespace("ch03-predict") == "ch03-predict"
    monkeypatch.setenv("KIT_NAMESPACE", "submission-7")
    assert experiments.namespace("ch03-predict") == "submission-7"


def test_the_choices_of_the_chapters_are_plain_data():
    for choices in (experiments.CH03_CHOICES, experiments.CH04_CHOICES):
        for allowed in choices.values():
            assert all(isinstance(a, (str, bool)) for a in allowed) and len(allowed) >= 2
