"""Cattle, not pets: a worker disappears, its pods are made again elsewhere, and a new
node with the same name joins. No one logs into a machine to nurse it.

Deleting a Node object leaves its pods bound to a node that no longer exists; the pod
garbage collector in kube-controller-manager deletes such orphans (after a short
quarantine, about 40 s), and the ReplicaSet controller creates replacements that the
scheduler places on the nodes that remain."""
from __future__ import annotations

import string

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kitlib.kube import wait_for
from kitlib.paths import REPO_CLUSTER_DIR


def node_template(name: str) -> dict:
    """The Docker-free node ``name`` as the kit first made it (cluster/kwok/nodes.yaml)."""
    from kitlib.cluster import cluster_name
    text = string.Template((REPO_CLUSTER_DIR / "kwok" / "nodes.yaml").read_text()).substitute(
        cluster=cluster_name())
    for node in yaml.safe_load_all(text):
        if node and node["metadata"]["name"] == name:
            return node
    raise KeyError(f"no node {name} in cluster/kwok/nodes.yaml")


def placement(api: client.ApiClient, namespace: str, app: str) -> dict[str, str]:
    """{pod: node} for the live (not terminating) pods of ``app``."""
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=f"app={app}").items
    return {p.metadata.name: p.spec.node_name or "(pending)" for p in
            sorted(pods, key=lambda p: p.metadata.name) if not p.metadata.deletion_timestamp}


def lose_node(api: client.ApiClient, node: str, namespace: str, app: str, replicas: int,
              say=print, timeout: float = 180) -> dict[str, str]:
    """Delete Node ``node`` and wait until all ``replicas`` pods of ``app`` run elsewhere."""
    core = client.CoreV1Api(api)
    core.delete_node(node)
    say(f"deleted Node {node}; waiting for its pods to be garbage-collected and replaced")
    seen = set()

    def moved():
        where = placement(api, namespace, app)
        running = [p for p in core.list_namespaced_pod(namespace, label_selector=f"app={app}").items
                   if p.status.phase == "Running" and not p.metadata.deletion_timestamp]
        state = (len(where), sum(n == node for n in where.values()))
        if state not in seen:
            seen.add(state)
            say(f"  {state[1]} pod(s) still bound to {node}, {len(running)}/{replicas} running")
        return (len(running) == replicas and node not in where.values()) and where
    return wait_for(moved, timeout=timeout, interval=1, what=f"pods to leave {node}")


def bring_back(api: client.ApiClient, node: str, provider: str) -> str:
    """Make the node join again. Docker-free: create it from the template (KWOK plays its
    kubelet). kind: restart the kubelet in the node container, which registers it anew."""
    core = client.CoreV1Api(api)
    if provider == "kind":
        from kitlib.tour.where import docker_exec
        docker_exec(node, "systemctl", "restart", "kubelet")
    else:
        try:
            core.create_node(node_template(node))
        except ApiException as exc:
            if exc.status != 409:
                raise
    wait_for(lambda: any(c.type == "Ready" and c.status == "True"
                         for c in (core.read_node(node).status.conditions or [])),
             timeout=120, what=f"{node} Ready again")
    return node


def node_names(api: client.ApiClient) -> list[str]:
    return sorted(n.metadata.name for n in client.CoreV1Api(api).list_node().items)
