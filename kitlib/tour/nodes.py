"""What runs on every node — kubelet, kube-proxy, a container runtime — seen through the
API (and, on kind, inside the node containers)."""
from __future__ import annotations

import datetime as dt
import itertools
import uuid

from kubernetes import client
from kubernetes.utils import parse_quantity

from kitlib.cluster import simulated_nodes
from kitlib.kube import wait_for


# ------------------------------------------------------------------ kubelet heartbeats
def ready_condition(node) -> object | None:
    return next((c for c in (node.status.conditions or []) if c.type == "Ready"), None)


def lease_renewals(api: client.ApiClient) -> dict[str, dt.datetime]:
    """{node: renewTime of its Lease in kube-node-lease} — the kubelet's cheap heartbeat."""
    leases = client.CoordinationV1Api(api).list_namespaced_lease("kube-node-lease").items
    return {lease.metadata.name: lease.spec.renew_time for lease in leases}


def heartbeat_rows(api: client.ApiClient) -> list[dict]:
    """Per node: Ready, the last full status report and the last lease renewal."""
    leases = client.CoordinationV1Api(api).list_namespaced_lease("kube-node-lease").items
    by_node = {lease.metadata.name: lease.spec for lease in leases}
    rows = []
    for node in sorted(client.CoreV1Api(api).list_node().items, key=lambda n: n.metadata.name):
        ready, lease = ready_condition(node), by_node.get(node.metadata.name)
        rows.append({"node": node.metadata.name, "Ready": ready.status if ready else "?",
                     "status lastHeartbeatTime": ready.last_heartbeat_time if ready else "",
                     "lease renewTime": lease.renew_time if lease else "",
                     "lease duration (s)": lease.lease_duration_seconds if lease else ""})
    return rows


def renewed_since(api: client.ApiClient, before: dict[str, dt.datetime], timeout: float = 150) -> dict:
    """Wait until every node's lease was renewed after ``before``; {node: (then, now)}."""
    def all_renewed():
        now = lease_renewals(api)
        return all(now.get(n) and now[n] > t for n, t in before.items()) and now
    now = wait_for(all_renewed, timeout=timeout, interval=2, what="every node lease to be renewed")
    return {n: (before[n], now[n]) for n in sorted(before)}


# ------------------------------------------------------------------ node controller
def stand_in_node(name: str) -> dict:
    """A Node object for watching the node controller (kind: no machine behind it;
    Docker-free: KWOK plays its kubelet, as for every node)."""
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "kitlib/temporary": "true"}},
            "status": {"capacity": {"cpu": "1", "memory": "1Gi", "pods": "10"},
                       "allocatable": {"cpu": "1", "memory": "1Gi", "pods": "10"}}}


def report_not_ready(api: client.ApiClient, name: str) -> None:
    """Play a kubelet reporting trouble: Ready=False in the node's status."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    client.CoreV1Api(api).patch_node_status(name, {"status": {"conditions": [
        {"type": "Ready", "status": "False", "reason": "KubeletNotReady",
         "message": "chapter 03: pretending the kubelet is unhealthy",
         "lastHeartbeatTime": now, "lastTransitionTime": now}]}})


def _snapshot(node) -> tuple[str, tuple[str, ...]]:
    ready = ready_condition(node)
    taints = tuple(sorted(f"{t.key}:{t.effect}" for t in (node.spec.taints or [])))
    return (ready.status if ready else "(not reported)"), taints


def node_controller_timeline(api: client.ApiClient, simulated: bool, timeout: int = 60) -> list[dict]:
    """Watch a new stand-in node from its first moment: it is created tainted ``not-ready``
    (kube-apiserver's TaintNodesByCondition admission) and the node controller lifts the
    taint once its kubelet reports Ready (and puts it back when a node reports NotReady).
    Without a kubelet (kind: nothing behind the stand-in) we report Ready=False ourselves
    and the taint stays. Returns each distinct (Ready, taints) state seen; the node is deleted after."""
    from kubernetes import watch
    core = client.CoreV1Api(api)
    name = f"ch03-standin-{uuid.uuid4().hex[:5]}"
    timeline, seen = [], None
    w = watch.Watch()
    created = core.create_node(stand_in_node(name))    # as admission left it: the first state
    try:
        if not simulated:
            report_not_ready(api, name)
        # watch from the creation's resourceVersion on, so no later change is missed
        events = w.stream(core.list_node, field_selector=f"metadata.name={name}",
                          resource_version=created.metadata.resource_version, timeout_seconds=timeout)
        for node in itertools.chain([created], (e["object"] for e in events)):
            state = _snapshot(node)
            if state != seen:
                seen = state
                timeline.append({"step": len(timeline) + 1, "Ready": state[0],
                                 "taints": ", ".join(state[1]) or "(none)"})
            tainted = any(t.startswith("node.kubernetes.io/not-ready") for t in state[1])
            if simulated and state[0] == "True" and not tainted and len(timeline) > 1:
                break           # the kubelet (KWOK) reported Ready and the taint is gone
            if not simulated and tainted and state[0] == "False":
                break           # nobody will ever report Ready: the taint stays
    finally:
        w.stop()
        delete_node_quietly(api, name)
    return timeline


def delete_node_quietly(api: client.ApiClient, name: str) -> None:
    """Delete a simulated node (if still there) and, at once, the pods bound to it."""
    simulated_nodes.remove_node(api, name)


# ------------------------------------------------------------------ runtime and kube-proxy
def runtime_rows(api: client.ApiClient) -> list[dict]:
    """What each node's kubelet reports about itself (nodeInfo)."""
    return [{"node": n.metadata.name, "kubelet": n.status.node_info.kubelet_version,
             "container runtime": n.status.node_info.container_runtime_version,
             "OS image": n.status.node_info.os_image or "(none)"}
            for n in sorted(client.CoreV1Api(api).list_node().items, key=lambda n: n.metadata.name)]


def service_rules(iptables_save: str, namespace: str, service: str) -> list[str]:
    """kube-proxy's iptables rules that mention a Service (its comments carry ns/name)."""
    tag = f"{namespace}/{service}"
    return [line for line in iptables_save.splitlines() if tag in line and line.startswith("-A")]


# ------------------------------------------------------------------ resources (S24)
def pod_requests(pod, field: str = "requests") -> tuple[float, float]:
    """(cpu cores, memory bytes) a pod requests (or, with ``field="limits"``, is limited
    to): the sum over its containers."""
    cpu = mem = 0.0
    for c in pod.spec.containers:
        req = (getattr(c.resources, field) if c.resources else None) or {}
        cpu += float(parse_quantity(req.get("cpu", "0")))
        mem += float(parse_quantity(req.get("memory", "0")))
    return cpu, mem


def allocation_rows(api: client.ApiClient, limits: bool = False) -> list[dict]:
    """Per node: allocatable CPU/memory and what the pods bound to it request in total
    (with ``limits``, also the sum of their limits: what ``kubectl describe node`` shows)."""
    core = client.CoreV1Api(api)
    pods = [p for p in core.list_pod_for_all_namespaces().items
            if p.spec.node_name and p.status.phase not in ("Succeeded", "Failed")]
    rows = []
    for node in sorted(core.list_node().items, key=lambda n: n.metadata.name):
        mine = [p for p in pods if p.spec.node_name == node.metadata.name]
        cpu = sum(pod_requests(p)[0] for p in mine)
        mem = sum(pod_requests(p)[1] for p in mine)
        alloc = node.status.allocatable
        acpu, amem = float(parse_quantity(alloc["cpu"])), float(parse_quantity(alloc["memory"]))
        rows.append({"node": node.metadata.name, "pods": len(mine),
                     "CPU requested/allocatable": f"{cpu * 1000:.0f}m / {acpu * 1000:.0f}m",
                     "memory requested/allocatable": f"{mem / 2**20:.0f}Mi / {amem / 2**20:.0f}Mi",
                     "CPU requested %": round(100 * cpu / acpu) if acpu else 0})
        if limits:
            lcpu = sum(pod_requests(p, "limits")[0] for p in mine)
            lmem = sum(pod_requests(p, "limits")[1] for p in mine)
            rows[-1].update({"CPU limits": f"{lcpu * 1000:.0f}m",
                             "memory limits": f"{lmem / 2**20:.0f}Mi"})
    return rows
