"""ConfigMaps and Secrets handed to a pod as environment variables and as files, and what
each sees after an update."""
from __future__ import annotations

import base64

from kubernetes import client

BUSYBOX = {"image": "busybox:1.36", "imagePullPolicy": "IfNotPresent"}
MOUNT = "/etc/app"


def settings(greeting: str = "hello") -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
            "data": {"GREETING": greeting, "LOG_LEVEL": "info"}}


def credentials(password: str = "s3cret-Pa55") -> dict:
    """``stringData`` takes plain text; kube-apiserver stores it as ``data``, base64-encoded."""
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "credentials"},
            "type": "Opaque", "stringData": {"DB_USER": "app", "DB_PASSWORD": password}}


def reader_pod(name: str = "reader") -> dict:
    """A busybox pod that gets ``settings`` and ``credentials`` both ways: as environment
    variables (envFrom) and as files (a ConfigMap volume and a Secret volume)."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                "name": "app", **BUSYBOX, "command": ["sleep", "3600"],
                "envFrom": [{"configMapRef": {"name": "settings"}},
                            {"secretRef": {"name": "credentials"}}],
                "volumeMounts": [{"name": "settings", "mountPath": MOUNT},
                                 {"name": "credentials", "mountPath": "/etc/credentials",
                                  "readOnly": True}]}],
                "volumes": [{"name": "settings", "configMap": {"name": "settings"}},
                            {"name": "credentials", "secret": {"secretName": "credentials"}}]}}


def secret_rows(api: client.ApiClient, namespace: str, name: str = "credentials") -> list[dict]:
    """What the API returns for each key of a Secret, and that same text decoded."""
    data = client.CoreV1Api(api).read_namespaced_secret(name, namespace).data or {}
    return [{"key": k, "data (what the API returns)": v, "base64-decoded": base64.b64decode(v).decode()}
            for k, v in sorted(data.items())]


def sources_rows(api: client.ApiClient, namespace: str, pod: str) -> list[dict]:
    """Where each container of a pod gets its configuration from, read from its spec."""
    spec = client.CoreV1Api(api).read_namespaced_pod(pod, namespace).spec
    rows = []
    for c in spec.containers:
        for src in c.env_from or []:
            ref = src.config_map_ref or src.secret_ref
            kind = "ConfigMap" if src.config_map_ref else "Secret"
            rows.append({"as": "environment (envFrom)", "from": f"{kind} {ref.name}", "where": "every key"})
        for vol in spec.volumes or []:
            ref = vol.config_map or vol.secret
            if ref is None:
                continue
            mount = next(m.mount_path for m in c.volume_mounts if m.name == vol.name)
            name = vol.config_map.name if vol.config_map else vol.secret.secret_name
            kind = "ConfigMap" if vol.config_map else "Secret"
            rows.append({"as": "files (volume)", "from": f"{kind} {name}", "where": f"{mount}/<key>"})
    return rows


def seen_inside(namespace: str, pod: str = "reader") -> dict:
    """What the running container sees (kind only: `kubectl exec`): the variable and the file."""
    from kitlib.tour.inside import exec_in
    env = exec_in(namespace, pod, "sh", "-c", "echo $GREETING").strip()
    file = exec_in(namespace, pod, "cat", f"{MOUNT}/GREETING").strip()
    return {"$GREETING (environment)": env, f"{MOUNT}/GREETING (file)": file}
