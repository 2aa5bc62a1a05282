"""Chapter 07's lab, without a cluster: the seeded plan is reproducible, provider-aware
with the same number of faults, and every fault really changes the healthy manifests."""
import copy
import random

import pytest

from exercises.troubleshoot import faults, lab


def kinds(seed, provider):
    return [(name, f.kind if f else None) for name, f, _ in lab.plan(seed, provider)]


@pytest.mark.parametrize("provider", ["kind", "kwok"])
def test_the_same_seed_gives_the_same_lab(provider):
    assert kinds(42, provider) == kinds(42, provider)
    assert len({tuple(kinds(seed, provider)) for seed in range(20)}) > 10


@pytest.mark.parametrize("provider", ["kind", "kwok"])
def test_four_faults_and_one_healthy_workload(provider):
    for seed in range(50):
        plan = kinds(seed, provider)
        assert len(plan) == 5 and len({n for n, _ in plan}) == 5
        broken = [k for _, k in plan if k]
        assert len(broken) == lab.FAULTS_PER_LAB == len(set(broken)) and plan[-1][1] is None


def test_the_docker_free_lab_only_has_faults_the_api_shows():
    container_kinds = {f.kind for f in faults.CONTAINER_FAULTS}
    seen = {k for seed in range(200) for _, k in kinds(seed, "kwok")}
    assert seen and not seen & container_kinds
    assert container_kinds <= {k for seed in range(200) for _, k in kinds(seed, "kind")}


@pytest.mark.parametrize("fault", faults.API_FAULTS + faults.CONTAINER_FAULTS, ids=lambda f: f.kind)
def test_every_fault_changes_the_workload(fault):
    for seed in range(10):
        healthy = faults.workload("checkout")
        broken = copy.deepcopy(healthy)
        fault.breaks(*broken, random.Random(seed))
        assert broken != healthy
        if fault.kind == "selector-typo":
            assert broken[1]["spec"]["selector"]["app"] != "checkout"


def test_a_learner_seed_can_be_set(monkeypatch):
    monkeypatch.setenv(lab.SEED_ENV, "1234")
    assert lab.learner_seed() == 1234
    monkeypatch.delenv(lab.SEED_ENV)
    assert lab.learner_seed() == lab.learner_seed()
