"""A namespace's guard rails: a LimitRange fills in defaults (and bounds) per container, a
ResourceQuota caps what all pods of the namespace may ask for together."""
from __future__ import annotations

import json

from kubernetes import client
from kubernetes.client.exceptions import ApiException

BUSYBOX = {"image": "busybox:1.36", "imagePullPolicy": "IfNotPresent"}


def limit_range() -> dict:
    return {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults"},
            "spec": {"limits": [{"type": "Container",
                                 "defaultRequest": {"cpu": "100m", "memory": "64Mi"},
                                 "default": {"cpu": "200m", "memory": "128Mi"},
                                 "max": {"cpu": "1", "memory": "512Mi"}}]}}


def quota() -> dict:
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "small"},
            "spec": {"hard": {"pods": "3", "requests.cpu": "500m", "requests.memory": "256Mi",
                              "limits.cpu": "1", "limits.memory": "512Mi"}}}


def pod(name: str, cpu: str | None = None) -> dict:
    """A busybox pod; with ``cpu`` it asks for that much (request = limit), else nothing."""
    container = {"name": "app", **BUSYBOX, "command": ["sleep", "3600"]}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}, "limits": {"cpu": cpu}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"terminationGracePeriodSeconds": 1, "containers": [container]}}


def try_create(api: client.ApiClient, namespace: str, manifest: dict) -> str:
    """Create a pod; return "created" or the API's refusal (status code and message)."""
    try:
        client.CoreV1Api(api).create_namespaced_pod(namespace, manifest)
        return "created"
    except ApiException as exc:
        message = json.loads(exc.body).get("message", exc.reason) if exc.body else exc.reason
        return f"refused ({exc.status}): {message}"


def resources_of(api: client.ApiClient, namespace: str, name: str) -> dict:
    """The resources of a pod's container as stored: what the LimitRange filled in shows here."""
    c = client.CoreV1Api(api).read_namespaced_pod(name, namespace).spec.containers[0]
    return {"requests": dict(c.resources.requests or {}), "limits": dict(c.resources.limits or {})}


def quota_rows(api: client.ApiClient, namespace: str, name: str = "small") -> list[dict]:
    q = client.CoreV1Api(api).read_namespaced_resource_quota(name, namespace).status
    return [{"resource": r, "used": (q.used or {}).get(r, "0"), "hard": h} for r, h in sorted(q.hard.items())]
