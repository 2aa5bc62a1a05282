"""Simulated nodes and pods for chapter 05: its stage, its checks, the race, the tests and
the scheduler benchmark.

Builders return API-shaped dicts; ``create_nodes`` adds nodes to whichever cluster is
running (KWOK makes them Ready and "runs" the pods bound to them: the Docker-free
cluster's kwok-controller, or on kind a local KWOK the kit starts), labelled
``kit.course/scenario=<name>`` so ``delete_nodes`` removes exactly them.
"""
from __future__ import annotations

import copy
import json
import time
import uuid
from dataclasses import dataclass, field

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kitlib.cluster import simulated_nodes
from kitlib.cluster.base import ClusterError
from kitlib.scheduler import SCHEDULER_NAME, NodeInfo

SCENARIO_LABEL = "kit.course/scenario"
_NOT_READY_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")


def node(name: str, cpu: str = "4", memory: str = "8Gi", pods: int = 110,
         labels: dict | None = None, taints: list[dict] = (), unschedulable: bool = False) -> dict:
    """A simulated (KWOK) node with the given capacity, labels and taints."""
    return simulated_nodes.node_manifest(name, cpu, memory, pods, labels, list(taints), unschedulable)


def taint(key: str, value: str = "", effect: str = "NoSchedule") -> dict:
    return {"key": key, **({"value": value} if value else {}), "effect": effect}


def toleration(key: str | None = None, value: str | None = None, effect: str | None = None,
               operator: str | None = None) -> dict:
    out = {"key": key, "operator": operator, "value": value, "effect": effect}
    return {k: v for k, v in out.items() if v is not None}


def expr(key: str, operator: str, *values: str) -> dict:
    return {"key": key, "operator": operator, **({"values": list(values)} if values else {})}


def container(name: str = "app", cpu: str | None = None, memory: str | None = None,
              restart_policy: str | None = None) -> dict:
    """One container requesting ``cpu``/``memory`` (None: no request). For an init
    container, ``restart_policy="Always"`` makes it a sidecar (a restartable init container)."""
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {"name": name, "image": "registry.k8s.io/pause:3.10",
            **({"restartPolicy": restart_policy} if restart_policy else {}),
            **({"resources": {"requests": requests}} if requests else {})}


def pod(name: str, cpu: str | None = None, memory: str | None = None, *,
        containers: list[dict] | None = None, init_containers: list[dict] | None = None,
        overhead: dict | None = None, node_selector: dict | None = None,
        required: list[list[dict]] | None = None, preferred: list[tuple[int, list[dict]]] | None = None,
        tolerations: list[dict] = (), namespace: str = "default",
        scheduler: str = SCHEDULER_NAME, priority: int | None = None, labels: dict | None = None,
        uid: str | None = None) -> dict:
    """A pod with one container requesting ``cpu``/``memory`` (None: no request), or
    ``containers``; ``init_containers`` (see ``container``) and ``overhead`` (what a
    RuntimeClass adds, e.g. {"cpu": "250m"}) as the API shows them.
    ``required``: node-selector terms, each a list of ``expr(...)`` (ORed terms);
    ``preferred``: (weight, [expr...]) pairs."""
    if containers is None:
        containers = [container("app", cpu, memory)]
    spec: dict = {"schedulerName": scheduler, "containers": containers}
    if init_containers:
        spec["initContainers"] = [dict(c) for c in init_containers]
    if overhead:
        spec["overhead"] = dict(overhead)
    if node_selector:
        spec["nodeSelector"] = dict(node_selector)
    affinity: dict = {}
    if required is not None:
        affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [{"matchExpressions": list(t)} if isinstance(t, list) else t
                                  for t in required]}
    if preferred:
        affinity["preferredDuringSchedulingIgnoredDuringExecution"] = [
            {"weight": w, "preference": {"matchExpressions": list(t)}} for w, t in preferred]
    if affinity:
        spec["affinity"] = {"nodeAffinity": affinity}
    if tolerations:
        spec["tolerations"] = [dict(t) for t in tolerations]
    if priority is not None:
        spec["priority"] = priority
    meta = {"name": name, "namespace": namespace,
            "uid": uid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"kit/{namespace}/{name}"))}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
            "status": {"phase": "Pending"}}


def strip_for_create(p: dict) -> dict:
    """The pod without the fields the API server sets (uid, status)."""
    meta = {k: v for k, v in p["metadata"].items() if k not in ("uid", "namespace")}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": p["spec"]}


@dataclass
class Scenario:
    """A pod to schedule, the nodes, and the pods already on them (by node name)."""
    name: str
    pod: dict
    nodes: list[dict]
    placed: dict[str, list[dict]] = field(default_factory=dict)

    def node_infos(self) -> list[NodeInfo]:
        infos = []
        for n in self.nodes:
            name = n["metadata"]["name"]
            running = [{**p, "spec": {**p["spec"], "nodeName": name}}
                       for p in self.placed.get(name, [])]
            infos.append(NodeInfo(n, running))
        return sorted(infos, key=lambda ni: ni.name)


def copy_info(ni: NodeInfo) -> NodeInfo:
    """A NodeInfo a plugin may modify without changing the scenario."""
    return NodeInfo(copy.deepcopy(ni.node), copy.deepcopy(ni.pods))


# ------------------------------------------------------------------ in the cluster
def as_json(call, *args, **kwargs) -> dict:
    """What an API call returns, as the JSON the server sent (plain dicts, camelCase keys:
    what NodeInfo and the builders above use), not the client's model objects."""
    return json.loads(call(*args, _preload_content=False, **kwargs).data)


def create_nodes(api, nodes: list[dict], scenario: str, timeout: float = 60) -> list[str]:
    """Create (or replace) simulated nodes labelled ``kit.course/scenario=<scenario>``
    and wait until each is Ready with exactly the taints it was given."""
    _simulated_nodes_played()
    core = client.CoreV1Api(api)
    names = []
    for n in nodes:
        n = {**n, "metadata": {**n["metadata"],
                               "labels": {**n["metadata"].get("labels", {}), SCENARIO_LABEL: scenario}}}
        name = n["metadata"]["name"]
        try:
            core.create_node(n)
        except ApiException as exc:
            if exc.status != 409:
                raise
            core.delete_node(name)
            _wait(lambda name=name: _gone(core, name), timeout, f"old node {name} to go")
            core.create_node(n)
        names.append(name)
    # a cordoned node also gets node.kubernetes.io/unschedulable:NoSchedule from the
    # node-lifecycle controller; a new node's not-ready taint must be gone
    want = {n["metadata"]["name"]: sorted(
        [(t["key"], t["effect"]) for t in n.get("spec", {}).get("taints", [])]
        + ([("node.kubernetes.io/unschedulable", "NoSchedule")]
           if n.get("spec", {}).get("unschedulable") else [])) for n in nodes}

    def ready() -> bool:
        by_name = {i["metadata"]["name"]: i for i in read_nodes(api, scenario)}
        for name in names:
            item = by_name.get(name)
            if item is None:
                return False
            conds = {c["type"]: c["status"] for c in item.get("status", {}).get("conditions") or []}
            taints = sorted((t["key"], t["effect"]) for t in item.get("spec", {}).get("taints") or [])
            if conds.get("Ready") != "True" or taints != want[name]:
                return False
        return True
    _wait(ready, timeout, f"scenario nodes {', '.join(names)} to be Ready")
    return names


def _simulated_nodes_played() -> None:
    """On kind (or an existing cluster) start the local KWOK that plays simulated nodes;
    the Docker-free cluster's own kwok-controller already does."""
    try:
        simulated_nodes.ensure()
    except ClusterError:
        pass    # not a cluster the kit recorded (e.g. a benchmark's): assume KWOK runs


def read_nodes(api, scenario: str) -> list[dict]:
    """The scenario's nodes as the API shows them now, sorted by name."""
    items = as_json(client.CoreV1Api(api).list_node, label_selector=f"{SCENARIO_LABEL}={scenario}")["items"]
    return sorted(items, key=lambda n: n["metadata"]["name"])


def delete_nodes(api, scenario: str, wait: bool = True, timeout: float = 60) -> int:
    """Remove every node labelled for ``scenario``; returns how many there were."""
    names = [n["metadata"]["name"] for n in read_nodes(api, scenario)]
    for name in names:
        simulated_nodes.remove_node(api, name)     # its pods too, without waiting for the GC
    if wait and names:
        _wait(lambda: not read_nodes(api, scenario), timeout, f"scenario {scenario} nodes to go")
    return len(names)


def create_pods(api, namespace: str, pods: list[dict]) -> list[dict]:
    core = client.CoreV1Api(api)
    return [as_json(core.create_namespaced_pod, namespace, strip_for_create(p)) for p in pods]


def list_pods(api, namespace: str) -> list[dict]:
    items = as_json(client.CoreV1Api(api).list_namespaced_pod, namespace)["items"]
    return sorted(items, key=lambda p: p["metadata"]["name"])


def _gone(core: client.CoreV1Api, name: str) -> bool:
    try:
        core.read_node(name, _preload_content=False)
        return False
    except ApiException as exc:
        return exc.status == 404


def _wait(predicate, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
