"""The Kubernetes objects of a room on an existing cluster, as plain dicts (what
``kubectl apply`` would take). Everything lives in the room's one namespace, so deleting it
removes the room; nothing here reaches outside it.

    hub (ServiceAccount, Role, RoleBinding)   what KubeSpawner may do: learners' pods, claims
    room (Secret)                             the roster (hashed passwords) and the settings
    hub-state (PersistentVolumeClaim)         the hub's database and cookie secret
    hub (Deployment, Service)                 JupyterHub and its proxy; :8000 for browsers,
                                              :8081 the hub's API for learners' servers
    learners (NetworkPolicy)                  a learner's server takes connections from the
                                              hub's pod only (where the network enforces it)
"""
from __future__ import annotations

import base64

HUB_LABELS = {"app.kubernetes.io/name": "kit-workshop", "app.kubernetes.io/component": "hub"}
HUB_SELECTOR = ",".join(f"{key}={value}" for key, value in HUB_LABELS.items())
ROOM_LABEL = "kitlib/workshop-room"    # on the namespaces the kit made for rooms
LEARNER_COMPONENT = "learner"          # KubeSpawner's component label on learners' pods
UID = 1000                             # hub and learners run as this user, never as root
PUBLIC_PORT, API_PORT, SERVER_PORT = 8000, 8081, 8888
ROOM_MOUNT = "/etc/kit-room"


def namespace(name: str, room_label: str) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {ROOM_LABEL: room_label}}}


def room_secret(files: dict[str, bytes]) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "room"},
            "data": {name: base64.b64encode(data).decode() for name, data in files.items()}}


def hub_access() -> list[dict]:
    """The hub's service account may manage pods and claims in the room's namespace, and
    read events (KubeSpawner shows them while a server starts) — nothing else, nowhere else."""
    rules = [{"apiGroups": [""], "resources": ["pods", "persistentvolumeclaims"],
              "verbs": ["get", "list", "watch", "create", "delete"]},
             {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]}]
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "hub"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "hub"}, "rules": rules},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "hub"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "hub"},
         "subjects": [{"kind": "ServiceAccount", "name": "hub"}]},
    ]


def restricted() -> dict:
    """A container that runs as an ordinary user with no privileges to gain: what the
    Pod Security Standards call restricted."""
    return {"runAsUser": UID, "runAsGroup": UID, "runAsNonRoot": True,
            "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"}}


def hub_deployment(image: str, pull: str, node: str | None) -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "hub", "labels": HUB_LABELS},
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},          # one hub owns the database and proxy
            "selector": {"matchLabels": HUB_LABELS},
            "template": {"metadata": {"labels": HUB_LABELS}, "spec": {
                "serviceAccountName": "hub",
                "enableServiceLinks": False,
                **({"nodeSelector": {"kubernetes.io/hostname": node}} if node else {}),
                "securityContext": {"fsGroup": UID},
                "containers": [{
                    "name": "hub", "image": image, "imagePullPolicy": pull,
                    "args": ["python", "-m", "kitlib.workshop.k8s.hub", ROOM_MOUNT],   # under tini
                    "workingDir": "/srv/hub",
                    "ports": [{"name": "http", "containerPort": PUBLIC_PORT},
                              {"name": "api", "containerPort": API_PORT}],
                    "env": [{"name": "HOME", "value": "/srv/hub"}],
                    "readinessProbe": {"httpGet": {"path": "/hub/health", "port": "api"},
                                       "periodSeconds": 2},
                    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                                  "limits": {"memory": "1Gi"}},
                    "securityContext": restricted(),
                    "volumeMounts": [{"name": "room", "mountPath": ROOM_MOUNT, "readOnly": True},
                                     {"name": "state", "mountPath": "/srv/hub"}],
                }],
                "volumes": [{"name": "room", "secret": {"secretName": "room", "defaultMode": 0o440}},
                            {"name": "state", "persistentVolumeClaim": {"claimName": "hub-state"}}],
            }},
        },
    }


def hub_state_claim(storage_class: str = "") -> dict:
    """The hub's database and cookie secret: kept when the hub's pod is replaced (a new
    roster, a node drained), so learners stay logged in and their running servers known."""
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "hub-state"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                     **({"storageClassName": storage_class} if storage_class else {})}}


def hub_service(service_type: str = "ClusterIP") -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "hub", "labels": HUB_LABELS},
            "spec": {"type": service_type, "selector": HUB_LABELS,
                     "ports": [{"name": "http", "port": PUBLIC_PORT, "targetPort": "http"},
                               {"name": "api", "port": API_PORT, "targetPort": "api"}]}}


def learners_policy() -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "learners"},
            "spec": {"podSelector": {"matchLabels": {"component": LEARNER_COMPONENT}},
                     "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"podSelector": {"matchLabels": HUB_LABELS}}],
                                  "ports": [{"port": SERVER_PORT}]}]}}

