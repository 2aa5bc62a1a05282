"""The scheduler and the controllers of kube-controller-manager, each caught in the act.

Each controller signs the events it records (``source.component`` or
``reportingController``): that is how one process, kube-controller-manager, shows itself
to be many separate loops."""
from __future__ import annotations

import base64
import json

from kubernetes import client

from kitlib.kube import wait_for


def event_rows(api: client.ApiClient, namespace: str, reasons: tuple[str, ...] = ()) -> list[dict]:
    """Events of a namespace, oldest first, with who reported them."""
    events = client.CoreV1Api(api).list_namespaced_event(namespace).items
    events.sort(key=lambda e: (e.last_timestamp or e.event_time or e.metadata.creation_timestamp))
    return [{"reporter": reporter(e), "reason": e.reason,
             "object": f"{e.involved_object.kind}/{e.involved_object.name}",
             "message": (e.message or "")[:70]}
            for e in events if not reasons or e.reason in reasons]


def reporter(event) -> str:
    return (event.reporting_component or (event.source.component if event.source else "") or "?")


def pod_template(name: str, labels: dict, image: str = "nginx:1.27") -> dict:
    return {"metadata": {"labels": labels},
            "spec": {"containers": [{"name": name, "image": image}]}}


def replicaset(name: str, replicas: int = 2, image: str = "nginx:1.27") -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": pod_template(name, labels, image)}}


def service(name: str, app: str, port: int = 80) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"selector": {"app": app}, "ports": [{"port": port, "targetPort": port}]}}


def running_pods(api: client.ApiClient, namespace: str, app: str) -> list:
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=f"app={app}").items
    return sorted((p for p in pods if p.status.phase == "Running" and not p.metadata.deletion_timestamp),
                  key=lambda p: p.metadata.name)


def replace_one_pod(api: client.ApiClient, namespace: str, app: str, replicas: int) -> tuple[str, str]:
    """Delete one pod of a ReplicaSet and wait for the replication controller loop to make
    a new one. Returns (deleted pod, replacement pod)."""
    before = wait_for(lambda: len(p := running_pods(api, namespace, app)) == replicas and p,
                      what=f"{replicas} running pods")
    victim = before[0].metadata.name
    client.CoreV1Api(api).delete_namespaced_pod(victim, namespace, grace_period_seconds=0)
    names = {p.metadata.name for p in before}

    def replaced():
        now = running_pods(api, namespace, app)
        fresh = [p.metadata.name for p in now if p.metadata.name not in names]
        return len(now) == replicas and victim not in {p.metadata.name for p in now} and fresh
    return victim, wait_for(replaced, what="a replacement pod")[0]


def endpoint_slice_rows(api: client.ApiClient, namespace: str, service_name: str) -> list[dict]:
    """The EndpointSlice(s) the EndpointSlice controller keeps for a Service: pod IP, pod, node."""
    slices = client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(
        namespace, label_selector=f"kubernetes.io/service-name={service_name}").items
    return sorted(({"slice": s.metadata.name, "address": a,
                    "pod": e.target_ref.name if e.target_ref else "", "node": e.node_name or "",
                    "ready": e.conditions.ready if e.conditions else None}
                   for s in slices for e in (s.endpoints or []) for a in e.addresses),
                  key=lambda r: r["pod"])


def wait_endpoints(api: client.ApiClient, namespace: str, service_name: str, count: int) -> list[dict]:
    return wait_for(lambda: len(r := endpoint_slice_rows(api, namespace, service_name)) == count
                    and all(x["ready"] for x in r) and r,
                    what=f"{count} ready endpoints for Service {service_name}")


def legacy_token_secret(api: client.ApiClient, namespace: str, account: str = "default") -> dict:
    """Ask the token controller for a long-lived token: create an empty Secret of type
    service-account-token; the controller fills in token, ca.crt and namespace."""
    core = client.CoreV1Api(api)
    name = f"{account}-token"
    core.create_namespaced_secret(namespace, {
        "metadata": {"name": name, "annotations": {"kubernetes.io/service-account.name": account}},
        "type": "kubernetes.io/service-account-token"})
    secret = wait_for(lambda: (s := core.read_namespaced_secret(name, namespace)).data
                      and "token" in s.data and s, what="the token controller to fill the Secret")
    return {"secret": name, "keys filled in by the controller": sorted(secret.data),
            "claims": jwt_claims(base64.b64decode(secret.data["token"]).decode())}


def request_token(api: client.ApiClient, namespace: str, account: str = "default",
                  seconds: int = 600) -> dict:
    """The modern way: a short-lived token from the TokenRequest API (what kubelet mounts
    into pods). Returns its claims, never the token itself."""
    reply = client.CoreV1Api(api).create_namespaced_service_account_token(
        account, namespace, {"spec": {"expirationSeconds": seconds}})
    claims = jwt_claims(reply.status.token)
    return {"expires": reply.status.expiration_timestamp, "claims": claims}


def jwt_claims(token: str) -> dict:
    """The middle part of a JWT, decoded (no signature check: for reading only)."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a JWT: expected three dot-separated parts")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


def component_leases(api: client.ApiClient) -> list[dict]:
    """Leader-election leases in kube-system: kube-controller-manager and kube-scheduler
    hold one each; a cloud-controller-manager would hold its own."""
    leases = client.CoordinationV1Api(api).list_namespaced_lease("kube-system").items
    return [{"lease": lease.metadata.name, "holder": (lease.spec.holder_identity or "").split("_")[0]}
            for lease in sorted(leases, key=lambda x: x.metadata.name)
            if not lease.metadata.name.startswith("apiserver-")]
