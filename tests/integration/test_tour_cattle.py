"""Cattle, not pets: a worker Node is deleted, its pods move, the node comes back."""
import pytest
from kubernetes import client

from kitlib import kube
from kitlib.tour import cattle, controllers, where

pytestmark = pytest.mark.cluster


def test_pods_leave_a_deleted_node_and_the_node_returns(api):
    ns = where.new_namespace(api, "it-cattle")
    try:
        kube.apply(api, controllers.replicaset("herd", replicas=2), namespace=ns)
        before = kube.wait_for(lambda: len(p := controllers.running_pods(api, ns, "herd")) == 2 and p)
        victim = before[0].spec.node_name
        after = cattle.lose_node(api, victim, ns, "herd", replicas=2, say=lambda _: None)
        assert victim not in after.values() and len(after) == 2
        assert set(after.values()) <= {"kit-worker", "kit-worker2"} - {victim}
    finally:
        for name in ("kit-worker", "kit-worker2"):
            if name not in cattle.node_names(api):
                cattle.bring_back(api, name, "kwok")
        kube.delete_namespace(api, ns)
    assert {"kit-control-plane", "kit-worker", "kit-worker2"} <= set(cattle.node_names(api))
    node = client.CoreV1Api(api).read_node(victim)
    assert node.spec.pod_cidr == cattle.node_template(victim)["spec"]["podCIDR"]
