"""What only real nodes can do, on the kind cluster the session booted (the second CI run,
KIT_PROVIDER=kind): real containers on both workers, pod-to-pod traffic across nodes, a
ClusterIP Service through kube-proxy, CoreDNS names, and a dynamically provisioned volume
that outlives its pod. All traffic starts inside a pod (``kubectl exec``); nothing on the
host connects to a pod or node address."""
import os
import subprocess

import pytest
from kubernetes import client

from kitlib import kube

pytestmark = [pytest.mark.cluster, pytest.mark.skipif(
    os.environ.get("KIT_PROVIDER") != "kind", reason="real nodes: runs in the kind pass of `./course test`")]


def kubectl(*args, timeout=120):
    out = subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout


def pod(name, node, image, command=None, labels=None):
    spec = {"nodeName": node, "containers": [{"name": "main", "image": image,
                                               "imagePullPolicy": "Never"}]}
    if command:
        spec["containers"][0]["command"] = command
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {}}, "spec": spec}


def running(api, ns, name):
    return kube.wait_for(lambda: kube.pod_phase(api, ns, name) == "Running", timeout=180)


def test_nodes_are_real_machines_with_a_container_runtime(api):
    nodes = client.CoreV1Api(api).list_node().items
    assert sorted(n.metadata.name for n in nodes) == ["kit-control-plane", "kit-worker", "kit-worker2"]
    for n in nodes:
        assert n.status.node_info.container_runtime_version.startswith("containerd://")
        assert n.status.node_info.kubelet_version == "v1.37.0"
        assert "kwok" not in n.status.node_info.kubelet_version


def test_pods_talk_across_nodes_through_a_service_and_dns(api, namespace):
    ns = namespace
    kube.apply(api, [pod("web-1", "kit-worker", "nginx:1.27", labels={"app": "web"}),
                     pod("web-2", "kit-worker2", "nginx:1.27", labels={"app": "web"}),
                     pod("client", "kit-worker", "busybox:1.36", ["sleep", "3600"])], namespace=ns)
    kube.apply(api, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}, namespace=ns)
    for name in ("web-1", "web-2", "client"):
        running(api, ns, name)
    core = client.CoreV1Api(api)
    remote_ip = core.read_namespaced_pod("web-2", ns).status.pod_ip
    # pod to pod, worker -> worker2, by IP: no port forwarding
    page = kubectl("exec", "-n", ns, "client", "--", "timeout", "5", "wget", "-qO-", f"http://{remote_ip}/")
    assert "Welcome to nginx" in page
    # through the Service's DNS name and ClusterIP (CoreDNS + kube-proxy)
    kube.wait_for(lambda: subprocess.run(
        ["kubectl", "exec", "-n", ns, "client", "--", "timeout", "3", "wget", "-qO-", "http://web/"],
        capture_output=True).returncode == 0, timeout=60, interval=1)
    lookup = kubectl("exec", "-n", ns, "client", "--", "nslookup", f"web.{ns}.svc.cluster.local")
    assert core.read_namespaced_service("web", ns).spec.cluster_ip in lookup
    # the container really is a process with its own hostname: the pod's name
    assert kubectl("exec", "-n", ns, "client", "--", "hostname").strip() == "client"


def test_a_dynamic_volume_binds_and_outlives_its_pod(api, namespace):
    ns = namespace
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
             "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "16Mi"}}}}

    def writer(name, command):      # placed by the scheduler: WaitForFirstConsumer needs it
        p = pod(name, None, "busybox:1.36", ["sh", "-c", command])
        del p["spec"]["nodeName"]
        p["spec"]["restartPolicy"] = "Never"
        p["spec"]["containers"][0]["volumeMounts"] = [{"name": "d", "mountPath": "/data"}]
        p["spec"]["volumes"] = [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]
        return p

    kube.apply(api, [claim, writer("first", "echo kept > /data/note")], namespace=ns)
    kube.wait_for(lambda: kube.pod_phase(api, ns, "first") == "Succeeded", timeout=180)
    core = client.CoreV1Api(api)
    assert core.read_namespaced_persistent_volume_claim("data", ns).status.phase == "Bound"
    core.delete_namespaced_pod("first", ns)
    kube.apply(api, writer("second", "cat /data/note"), namespace=ns)
    kube.wait_for(lambda: kube.pod_phase(api, ns, "second") == "Succeeded", timeout=180)
    assert core.read_namespaced_pod_log("second", ns).strip() == "kept"
