"""One pod, several containers: what they share (node, IP, volumes, lifecycle) and what
tells them apart (names and ports), read from the API."""
from __future__ import annotations

import ipaddress

from kubernetes import client

# The ServiceAccount admission plugin adds a token volume (random suffix) to every
# container; it is not part of the manifest, so the tables leave it out.
ADMISSION_VOLUME = "kube-api-access-"


def _mounts(container) -> list:
    return [m for m in (container.volume_mounts or []) if not m.name.startswith(ADMISSION_VOLUME)]


def _state(status) -> str:
    if status is None:
        return "(no status yet)"
    s = status.state
    if s.terminated:
        return f"terminated: {s.terminated.reason} (exit {s.terminated.exit_code})"
    if s.running:
        return "running"
    return f"waiting: {s.waiting.reason}" if s.waiting else "?"


def container_rows(pod) -> list[dict]:
    """Init containers first (in order), then the app containers: ports, mounts, state."""
    statuses = {s.name: s for s in (pod.status.init_container_statuses or [])}
    statuses.update({s.name: s for s in (pod.status.container_statuses or [])})
    rows = []
    for kind, containers in (("init", pod.spec.init_containers or []), ("app", pod.spec.containers)):
        for c in containers:
            rows.append({"container": c.name, "kind": kind,
                         "ports": ",".join(str(p.container_port) for p in (c.ports or [])) or "-",
                         "mounts": ",".join(f"{m.name}:{m.mount_path}" for m in _mounts(c)) or "-",
                         "state": _state(statuses.get(c.name))})
    return rows


def shared_volumes(pod) -> dict[str, list[str]]:
    """{volume: [containers mounting it]} for volumes used by more than one container."""
    users: dict[str, list[str]] = {}
    for c in [*(pod.spec.init_containers or []), *pod.spec.containers]:
        for m in _mounts(c):
            users.setdefault(m.name, []).append(c.name)
    return {v: names for v, names in users.items() if len(names) > 1}


def ports_are_distinct(pod) -> bool:
    """Containers share one IP, so no two may listen on the same port."""
    ports = [p.container_port for c in pod.spec.containers for p in (c.ports or [])]
    return len(ports) == len(set(ports))


def ip_in_node_range(api: client.ApiClient, pod) -> tuple[str, str, bool]:
    """(pod IP, its node's podCIDR, whether the IP lies in that range)."""
    node = client.CoreV1Api(api).read_node(pod.spec.node_name)
    cidr = node.spec.pod_cidr or ""
    inside = bool(cidr) and ipaddress.ip_address(pod.status.pod_ip) in ipaddress.ip_network(cidr)
    return pod.status.pod_ip, cidr, inside
