"""The architecture tour against the real (Docker-free) cluster."""
import pytest
from kubernetes import client

from kitlib import kube
from kitlib.tour import apiserver, controllers, etcd, nodes, where

pytestmark = pytest.mark.cluster


@pytest.fixture
def ns(namespace):
    return namespace


def test_three_ways_give_the_same_version(api, kubeconfig):
    answers = apiserver.version_three_ways(api, kubeconfig)
    assert len(answers) == 3 and len(set(answers.values())) == 1
    assert set(answers.values()) == {client.VersionApi(api).get_code().git_version}


def test_raw_https_lists_the_same_groups_as_the_client(api, kubeconfig):
    raw = {g["name"] for g in apiserver.raw_get("/apis", kubeconfig)["groups"]}
    assert raw == {g["group"] for g in apiserver.api_groups(api)[1:]}
    assert {"apps", "coordination.k8s.io", "discovery.k8s.io"} <= raw


def test_etcd_holds_a_key_for_a_new_pod(api, ns):
    client.CoreV1Api(api).create_namespaced_pod(ns, {
        "metadata": {"name": "keyed"}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    keys = etcd.registry_keys()
    assert f"/registry/pods/{ns}/keyed" in keys
    assert f"/registry/namespaces/{ns}" in keys
    assert etcd.etcd_http_url().startswith("http://127.0.0.1:")


def test_control_plane_runs_without_cloud_controller_manager(api):
    running = where.running_components(api)
    assert {"etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"} <= set(running)
    assert "cloud-controller-manager" not in running
    assert "cloud-controller-manager" not in {row["lease"] for row in controllers.component_leases(api)}
    assert len(apiserver.apiserver_identities(api)) == 1


def test_controllers_replace_pods_and_fill_endpoints_and_tokens(api, ns):
    kube.apply(api, controllers.replicaset("web", replicas=2), namespace=ns)
    kube.apply(api, controllers.service("web", app="web"), namespace=ns)
    gone, new = controllers.replace_one_pod(api, ns, "web", replicas=2)
    assert gone != new
    rows = controllers.wait_endpoints(api, ns, "web", count=2)
    assert gone not in {r["pod"] for r in rows}
    assert {"default-scheduler", "replicaset-controller"} <= {r["reporter"] for r in controllers.event_rows(api, ns)}
    token = controllers.request_token(api, ns)
    assert token["claims"]["sub"] == f"system:serviceaccount:{ns}:default"
    legacy = controllers.legacy_token_secret(api, ns)
    assert legacy["keys filled in by the controller"] == ["ca.crt", "namespace", "token"]


def test_node_controller_lifts_the_not_ready_taint_and_the_stand_in_goes(api):
    timeline = nodes.node_controller_timeline(api, simulated=True)
    assert "node.kubernetes.io/not-ready:NoSchedule" in timeline[0]["taints"]
    assert timeline[-1] == {**timeline[-1], "Ready": "True", "taints": "(none)"}
    assert not [n for n in client.CoreV1Api(api).list_node().items
                if n.metadata.name.startswith("ch03-standin-")]


def test_allocation_sums_requests_per_node(api, ns):
    before = {r["node"]: r for r in nodes.allocation_rows(api)}
    client.CoreV1Api(api).create_namespaced_pod(ns, {
        "metadata": {"name": "greedy"},
        "spec": {"nodeName": "kit-worker2", "containers": [
            {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "300m", "memory": "64Mi"}}}]}})
    after = {r["node"]: r for r in nodes.allocation_rows(api)}
    cpu = lambda row: int(row["CPU requested/allocatable"].split("m")[0])
    assert cpu(after["kit-worker2"]) - cpu(before["kit-worker2"]) == 300
    assert after["kit-worker2"]["pods"] == before["kit-worker2"]["pods"] + 1
