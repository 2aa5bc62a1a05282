"""Chapter 04's manifest helpers against the real API server."""
import pytest
from kubernetes import client

from kitlib import kube
from kitlib.pods import advantages, manifests, multicontainer

pytestmark = pytest.mark.cluster
FILE = lambda name: manifests.chapter_file("04-pods-and-manifests", name)


@pytest.fixture
def ns(namespace):
    return namespace


def test_reapplying_the_same_manifest_does_not_write(api, ns):
    manifests.apply_and_version(api, FILE("nginx-pod.yaml"), ns)
    # let KWOK finish writing the pod's status first: those writes change resourceVersion too
    kube.wait_for(lambda: kube.pod_phase(api, ns, "nginx") == "Running")
    first = manifests.apply_and_version(api, FILE("nginx-pod.yaml"), ns)
    second = manifests.apply_and_version(api, FILE("nginx-pod.yaml"), ns)
    assert first == second
    changed = manifests.with_changes(manifests.load(FILE("nginx-pod.yaml")), labels={"tier": "x"})
    assert manifests.apply_and_version(api, changed, ns) != second
    assert manifests.live_view(api, ns, "nginx")["metadata"]["labels"] == {"app": "nginx", "tier": "x"}


def test_kubectl_dry_run_creates_nothing_and_matches_the_python_client(api, ns):
    template = manifests.kubectl_run_template("nginx", "nginx")
    py = manifests.to_manifest(manifests.python_client_pod("nginx", "nginx", {"run": "nginx"}))
    assert {r["field"] for r in manifests.diff(template, py)} <= {
        "spec.containers[0].resources", "spec.dnsPolicy", "spec.restartPolicy", "status"}
    assert client.CoreV1Api(api).list_namespaced_pod(ns).items == []


def test_multi_container_pod_shares_node_ip_and_volume(api, ns):
    kube.apply(api, FILE("web-and-sidecar.yaml"), namespace=ns)
    kube.wait_for(lambda: kube.pod_phase(api, ns, "web-and-sidecar") == "Running")
    pod = client.CoreV1Api(api).read_namespaced_pod("web-and-sidecar", ns)
    rows = multicontainer.container_rows(pod)
    assert rows[0]["state"].startswith("terminated: Completed")
    assert multicontainer.shared_volumes(pod) == {"html": ["prepare", "web", "refresher"]}
    ip, cidr, inside = multicontainer.ip_in_node_range(api, pod)
    assert inside, (ip, cidr)


def test_rollout_and_rollback_keep_history(api, ns):
    kube.apply(api, advantages.deployment("roll", "nginx:1.26", replicas=2), namespace=ns)
    advantages.wait_rolled_out(api, ns, "roll")
    advantages.set_image(api, ns, "roll", "nginx:1.27")
    advantages.wait_rolled_out(api, ns, "roll")
    history = advantages.rollout_history(api, ns, "roll")
    assert [(r["revision"], r["image"], r["replicas"]) for r in history] == [
        (1, "nginx:1.26", 0), (2, "nginx:1.27", 2)]


def test_static_pv_binds_to_the_claim(api, ns):
    # a PV of its own name, so the test never meets the chapter's
    core = client.CoreV1Api(api)
    pv = {"metadata": {"name": f"{ns}-pv", "labels": {"kitlib/chapter": "04"}},
          "spec": {"storageClassName": f"{ns}-manual", "capacity": {"storage": "1Gi"},
                   "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp/x"}}}
    core.create_persistent_volume(pv)
    try:
        core.create_namespaced_persistent_volume_claim(ns, {
            "metadata": {"name": "data"},
            "spec": {"storageClassName": f"{ns}-manual", "accessModes": ["ReadWriteOnce"],
                     "resources": {"requests": {"storage": "100Mi"}}}})
        assert advantages.wait_bound(api, ns, "data")["volume"] == f"{ns}-pv"
    finally:
        core.delete_namespaced_persistent_volume_claim("data", ns)   # the PV is protected while claimed
        kube.wait_for(lambda: not core.list_namespaced_persistent_volume_claim(ns).items)
        advantages.ensure_absent_pv(api, f"{ns}-pv")
