"""Chapter 0's graded check, both ways on a real API server: right answers written in
different styles pass; a hard-coded list, the control plane left in, unsorted names or node
objects fail."""
import pytest
from kubernetes import client

from exercises.solutions import test_cell as cell_source

pytestmark = pytest.mark.cluster


def passes(worker_names) -> bool:
    names = {"worker_names": worker_names}
    try:
        exec(compile(cell_source("00-setup", "ch00-worker-names-check"), "ch00", "exec"), names)
        return True
    except AssertionError:
        return False


def _nodes(api):
    return client.CoreV1Api(api).list_node().items


def by_label(api):
    return sorted(n.metadata.name for n in _nodes(api)
                  if "node-role.kubernetes.io/control-plane" not in (n.metadata.labels or {}))


def by_taint_free_loop(api):
    names = []
    for node in _nodes(api):
        labels = node.metadata.labels or {}
        if not any(key.startswith("node-role.kubernetes.io/control-plane") for key in labels):
            names.append(node.metadata.name)
    names.sort()
    return names


@pytest.mark.parametrize("right", [by_label, by_taint_free_loop])
def test_right_answers_pass(right):
    assert passes(right)


@pytest.mark.parametrize("wrong", [
    lambda api: ["node-a", "node-b"],                                               # hard-coded
    lambda api: sorted(n.metadata.name for n in _nodes(api)),                      # control plane in
    lambda api: sorted(by_label(api), reverse=True),                               # not sorted
    lambda api: [n for n in _nodes(api) if n.metadata.name in by_label(api)],      # objects
], ids=["hard-coded", "control-plane-included", "unsorted", "node-objects"])
def test_wrong_answers_fail(wrong):
    assert not passes(wrong)
