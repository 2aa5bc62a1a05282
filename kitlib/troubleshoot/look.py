"""The debugging vocabulary, read through the API: what ``kubectl get -o wide``,
``describe``, events and ``logs`` show, as rows a notebook can print and assert on."""
from __future__ import annotations

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kitlib.kube import events_for


def container_status(pod) -> dict:
    """The first container's story: its state now (and why), restarts, how it last ended."""
    statuses = pod.status.container_statuses or []
    if not statuses:
        return {"state": "-", "reason": "", "restarts": 0, "last ended": ""}
    c = statuses[0]
    state, reason = "running", ""
    if c.state.waiting:
        state, reason = "waiting", c.state.waiting.reason or ""
    elif c.state.terminated:
        state, reason = "terminated", f"{c.state.terminated.reason} (exit {c.state.terminated.exit_code})"
    last = c.last_state.terminated if c.last_state else None
    return {"state": state, "reason": reason, "restarts": c.restart_count,
            "last ended": f"{last.reason} (exit {last.exit_code})" if last else ""}


def ready(pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def wide(api: client.ApiClient, namespace: str, names: list[str] | None = None) -> list[dict]:
    """``kubectl get pods -o wide`` plus the container's state and reason (``describe``)."""
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace).items
    rows = []
    for p in sorted(pods, key=lambda p: p.metadata.name):
        if names is None or p.metadata.name in names:
            rows.append({"pod": p.metadata.name, "phase": p.status.phase,
                         "ready": ready(p), "node": p.spec.node_name or "(none)",
                         **container_status(p), "qos": p.status.qos_class})
    return rows


def scheduling_message(api: client.ApiClient, namespace: str, name: str) -> str:
    """Why the scheduler could not place a pod: its PodScheduled condition's message."""
    pod = client.CoreV1Api(api).read_namespaced_pod(name, namespace)
    cond = next((c for c in pod.status.conditions or [] if c.type == "PodScheduled"), None)
    return cond.message if cond and cond.status == "False" else ""


def event_rows(api: client.ApiClient, namespace: str, name: str, width: int = 90) -> list[dict]:
    """The events of one object, oldest first, as ``describe`` lists them (deduplicated:
    a repeating event shows its count)."""
    rows = {}
    for e in events_for(api, namespace, name):
        key = (e.type, e.reason, e.message)
        rows[key] = rows.get(key, 0) + (e.count or 1)
    return [{"type": t, "reason": r, "count": n, "message": (m or "")[:width]}
            for (t, r, m), n in rows.items()]


def reasons(api: client.ApiClient, namespace: str, name: str) -> set[str]:
    return {row["reason"] for row in event_rows(api, namespace, name)}


def logs(api: client.ApiClient, namespace: str, name: str, previous: bool = False) -> str:
    """``kubectl logs`` (``--previous``: the container instance that ran before the restart)."""
    try:
        return client.CoreV1Api(api).read_namespaced_pod_log(name, namespace, previous=previous)
    except ApiException as exc:
        if exc.status == 400:        # no previous instance yet, or the container never started
            return ""
        raise


def endpoints(api: client.ApiClient, namespace: str, service: str) -> dict:
    """What a Service sends traffic to: its EndpointSlices' ready addresses (as pod names)
    and ports, next to its selector and targetPort."""
    core, disco = client.CoreV1Api(api), client.DiscoveryV1Api(api)
    svc = core.read_namespaced_service(service, namespace)
    slices = disco.list_namespaced_endpoint_slice(
        namespace, label_selector=f"kubernetes.io/service-name={service}").items
    pods = sorted(e.target_ref.name for s in slices for e in s.endpoints or []
                  if e.target_ref and e.conditions.ready)
    ports = sorted({p.port for s in slices for p in s.ports or []})
    return {"service": service,
            "selector": ",".join(f"{k}={v}" for k, v in sorted((svc.spec.selector or {}).items())),
            "targetPort": svc.spec.ports[0].target_port, "ready endpoints": pods or "(none)",
            "endpoint ports": ports or "(none)"}


def container_ports(api: client.ApiClient, namespace: str, selector: dict) -> set[int]:
    """The ports the containers of the selected pods declare (where they listen)."""
    sel = ",".join(f"{k}={v}" for k, v in selector.items())
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=sel).items
    return {port.container_port for p in pods for c in p.spec.containers for port in c.ports or []}
