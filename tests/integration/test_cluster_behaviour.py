"""The Docker-free cluster behaves like Kubernetes because it is Kubernetes: each test
here exercises one real control-plane component through the API."""
import subprocess
import time

import pytest
import yaml
from kubernetes import client
from netutil import listening

from kitlib.cluster.tools import binary_path

pytestmark = pytest.mark.cluster


def wait_for(predicate, timeout=60, interval=0.5, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_api_reachable_with_pinned_version(api):
    from kitlib.cluster.versions import load
    assert client.VersionApi(api).get_code().git_version == load().kubernetes


def test_three_nodes_ready_named_like_kind(api):
    nodes = client.CoreV1Api(api).list_node().items
    assert sorted(n.metadata.name for n in nodes) == [
        "kit-control-plane", "kit-worker", "kit-worker2"]
    for node in nodes:
        ready = [c for c in node.status.conditions if c.type == "Ready"]
        assert ready and ready[0].status == "True", node.metadata.name


def test_nginx_pod_from_yaml_is_scheduled_and_running(api, namespace, tmp_path):
    manifest = tmp_path / "nginx.yaml"
    manifest.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}))
    from kubernetes import utils
    utils.create_from_yaml(api, str(manifest), namespace=namespace)
    core = client.CoreV1Api(api)
    pod = wait_for(lambda: (p := core.read_namespaced_pod("nginx", namespace)).status.phase == "Running" and p,
                   what="nginx Running")
    assert pod.spec.node_name in ("kit-worker", "kit-worker2")   # control plane is tainted
    events = core.list_namespaced_event(namespace, field_selector="involvedObject.name=nginx").items
    assert any(e.reason == "Scheduled" and e.source.component == "default-scheduler" for e in events) or \
        any(e.reason == "Scheduled" and (e.reporting_component or "") == "default-scheduler" for e in events)


def test_replicaset_recreates_a_deleted_pod(api, namespace):
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    labels = {"app": "web"}
    apps.create_namespaced_replica_set(namespace, {
        "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})
    running = lambda: [p for p in core.list_namespaced_pod(namespace, label_selector="app=web").items
                       if p.status.phase == "Running" and not p.metadata.deletion_timestamp]
    first = wait_for(lambda: len(running()) == 2 and running(), what="2 running pods")
    victim = first[0].metadata.name
    core.delete_namespaced_pod(victim, namespace)
    pods = wait_for(lambda: len(r := running()) == 2 and victim not in {p.metadata.name for p in r} and r,
                    what="a replacement pod")
    assert victim not in {p.metadata.name for p in pods}


def test_new_namespace_gets_default_service_account(api, namespace):
    core = client.CoreV1Api(api)
    sa = wait_for(lambda: core.list_namespaced_service_account(namespace).items, what="default SA")
    assert [s.metadata.name for s in sa] == ["default"]


def test_deleted_pod_disappears(api, namespace):
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(namespace, {"metadata": {"name": "short"},
                                           "spec": {"containers": [{"name": "c", "image": "busybox"}]}})
    wait_for(lambda: core.read_namespaced_pod("short", namespace).status.phase == "Running",
             what="pod Running")
    core.delete_namespaced_pod("short", namespace)
    wait_for(lambda: "short" not in {p.metadata.name for p in core.list_namespaced_pod(namespace).items},
             what="pod gone")


def test_kubectl_works_with_the_kits_kubeconfig(kubeconfig):
    out = subprocess.run([str(binary_path("kubectl")), "--kubeconfig", str(kubeconfig),
                          "get", "nodes", "-o", "name"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "node/kit-worker" in out.stdout


def test_everything_listens_on_loopback_only(kubeconfig):
    from kitlib.cluster.base import ClusterDir
    from kitlib.cluster.processes import processes_under
    pids = set(processes_under(ClusterDir("kit").path))
    assert len(pids) >= 5      # etcd, apiserver, controller-manager, scheduler, kwok
    addresses = listening(pids)
    assert addresses
    assert all(a.startswith("127.0.0.1:") for a in addresses), addresses


def test_scheduler_and_controller_manager_are_running_when_up_returns(api):
    from kitlib.cluster.health import _components_without_leader
    assert _components_without_leader(api) == []
    leases = client.CoordinationV1Api(api).list_namespaced_lease("kube-system").items
    assert {"kube-scheduler", "kube-controller-manager"} <= {lease.metadata.name for lease in leases}
