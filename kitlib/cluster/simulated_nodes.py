"""Simulated (KWOK) nodes on any provider, for exercises that need nodes of chosen sizes,
labels and taints.

On the Docker-free provider the cluster's own kwok-controller already plays every node.
On kind (or an existing cluster) the kit runs the same `kwok` program as a local process
that plays only the nodes annotated ``kwok.x-k8s.io/node: fake``, so real nodes are left
to their kubelets. The process belongs to the cluster's state directory, so `kit down`
stops it with everything else.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kitlib.cluster import tools
from kitlib.cluster.base import ClusterDir, ClusterError
from kitlib.cluster.ports import loopback_ports
from kitlib.paths import REPO_CLUSTER_DIR

FAKE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
# Set by the grader for a learner's kernel: the throwaway cluster it sees as "existing" is a
# Docker-free one, whose kwok-controller already plays every node.
CLUSTER_PLAYS_NODES_ENV = "KIT_CLUSTER_PLAYS_NODES"


def node_manifest(name: str, cpu: str = "4", memory: str = "8Gi", pods: str = "110",
                  labels: dict | None = None, taints: list[dict] | None = None,
                  unschedulable: bool = False) -> dict:
    """A Node object that KWOK will mark Ready, with the given capacity."""
    resources = {"cpu": str(cpu), "memory": str(memory), "pods": str(pods)}
    spec: dict = {}
    if taints:
        spec["taints"] = [dict(t) for t in taints]
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "annotations": {FAKE_ANNOTATION[0]: FAKE_ANNOTATION[1]},
                     # no kubernetes.io/os label: DaemonSets that select Linux nodes (kube-proxy,
                     # the pod network) stay off simulated nodes on kind
                     "labels": {"kubernetes.io/hostname": name, "kubernetes.io/arch": "amd64",
                                **(labels or {})}},
        "spec": spec,
        "status": {"capacity": dict(resources), "allocatable": dict(resources)},
    }


STAGES = REPO_CLUSTER_DIR / "kwok" / "stages.yaml"     # kwok's defaults, as kwokctl uses them


def controller_command(kwok: Path, kubeconfig: Path, port: int) -> list[str]:
    return [str(kwok), "--kubeconfig", str(kubeconfig), "--config", str(STAGES),
            "--manage-all-nodes=false",
            f"--manage-nodes-with-annotation-selector={FAKE_ANNOTATION[0]}={FAKE_ANNOTATION[1]}",
            "--node-lease-duration-seconds=40", f"--server-address=127.0.0.1:{port}"]


def ensure(cluster: ClusterDir | None = None) -> str:
    """Make sure simulated nodes will come to life on the kit's cluster; say how."""
    from kitlib.cluster import cluster_name
    cluster = cluster or ClusterDir(cluster_name())
    record = cluster.read()
    if record is None:
        raise ClusterError(f"no cluster {cluster.name!r} recorded: run `kit up` first")
    if record.provider == "kwok" or os.environ.get(CLUSTER_PLAYS_NODES_ENV) == "1":
        return "the Docker-free cluster's kwok-controller plays all nodes"
    pid_file = cluster.path / "simulated-nodes.pid"
    if pid_file.exists() and _running(int(pid_file.read_text() or 0)):
        return "kwok is already playing the simulated nodes"
    kwok = tools.ensure(["kwok"], report=lambda m: None)["kwok"]
    log = open(cluster.path / "simulated-nodes.log", "a")
    proc = subprocess.Popen(controller_command(kwok, cluster.kubeconfig, loopback_ports(1)[0]),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    pid_file.write_text(str(proc.pid))
    return f"started kwok (pid {proc.pid}) to play nodes annotated {FAKE_ANNOTATION[0]}={FAKE_ANNOTATION[1]}"


def _running(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def remove_node(api, name: str) -> None:
    """Delete a simulated node, then at once the pods bound to it (DaemonSet pods, ours and
    kube-system's): no kubelet is left to confirm their end, and the pod garbage collector
    would take a minute or more, holding up the deletion of their namespaces."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException
    core = client.CoreV1Api(api)
    try:
        core.delete_node(name)       # first: no DaemonSet makes a new pod for it after this
    except ApiException as exc:
        if exc.status != 404:        # gone already: its pods may still be there
            raise
    for pod in core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={name}").items:
        try:
            core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0)
        except ApiException as exc:
            if exc.status != 404:
                raise
