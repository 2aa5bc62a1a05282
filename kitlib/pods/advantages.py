"""The eight advantages the course names (S23–S30): where each is shown, and small
helpers for the live demos of chapter 04 — storage, rollouts, self-healing, placement."""
from __future__ import annotations

from collections import Counter

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kitlib.kube import wait_for

WHERE_SHOWN = [
    ("S23", "isolated, portable execution environment", "ch01 (namespaces and images: the same container anywhere)"),
    ("S24", "resource management across servers", "ch03 (allocatable vs. requests per node); ch05"),
    ("S25", "service discovery and load balancing", "ch03 (EndpointSlice); here: Service, endpoints, DNS name"),
    ("S26", "storage orchestration", "here: a PersistentVolumeClaim bound and mounted"),
    ("S27", "automated rollouts and rollbacks", "here: a Deployment rolled out and rolled back"),
    ("S28", "fault containment", "ch01 (cgroup limits); ch03 (a lost node is replaced)"),
    ("S29", "self-healing", "ch02 (desired state); ch03 and here: replacement, liveness probe"),
    ("S30", "automatic placement (bin packing)", "here: pods spread by the scheduler; ch05 (write one)"),
]


def where_shown_rows() -> list[dict]:
    return [{"id": i, "advantage": a, "shown in": w} for i, a, w in WHERE_SHOWN]


def dns_name(service: str, namespace: str, domain: str = "cluster.local") -> str:
    """The name cluster DNS gives a Service: <service>.<namespace>.svc.<cluster domain>."""
    return f"{service}.{namespace}.svc.{domain}"


# ------------------------------------------------------------------ storage (S26)
def ensure_absent_pv(api: client.ApiClient, name: str) -> None:
    """Remove a PersistentVolume a crashed earlier run of the chapter may have left."""
    core = client.CoreV1Api(api)
    try:
        pv = core.read_persistent_volume(name)
    except ApiException as exc:
        if exc.status == 404:
            return
        raise
    if (pv.metadata.labels or {}).get("kitlib/chapter") != "04":
        raise RuntimeError(f"PersistentVolume {name} exists and is not the chapter's; not touching it")
    core.delete_persistent_volume(name)
    wait_for(lambda: name not in {p.metadata.name for p in core.list_persistent_volume().items},
             what=f"old PersistentVolume {name} to go")


def claim_status(api: client.ApiClient, namespace: str, claim: str) -> dict:
    core = client.CoreV1Api(api)
    pvc = core.read_namespaced_persistent_volume_claim(claim, namespace)
    return {"claim": claim, "phase": pvc.status.phase, "volume": pvc.spec.volume_name,
            "capacity": (pvc.status.capacity or {}).get("storage")}


def wait_bound(api: client.ApiClient, namespace: str, claim: str) -> dict:
    return wait_for(lambda: (s := claim_status(api, namespace, claim))["phase"] == "Bound" and s,
                    what=f"claim {claim} to be bound")


# ------------------------------------------------------------------ rollouts (S27)
def deployment(name: str, image: str, replicas: int = 3) -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": image,
                                                           "ports": [{"containerPort": 80}]}]}}}}


def rolled_out(api: client.ApiClient, namespace: str, name: str):
    """The Deployment once its newest ReplicaSet is fully rolled out and old pods are gone."""
    d = client.AppsV1Api(api).read_namespaced_deployment(name, namespace)
    s, want = d.status, d.spec.replicas
    done = (s.observed_generation or 0) >= d.metadata.generation and (s.updated_replicas or 0) == want \
        and (s.available_replicas or 0) == want and (s.replicas or 0) == want
    return d if done else None


def wait_rolled_out(api: client.ApiClient, namespace: str, name: str):
    return wait_for(lambda: rolled_out(api, namespace, name), timeout=120,
                    what=f"deployment {name} to finish rolling out")


def rollout_history(api: client.ApiClient, namespace: str, name: str) -> list[dict]:
    """One row per ReplicaSet of the Deployment: revision, image, replicas (the history
    `kubectl rollout history` reads)."""
    sets = client.AppsV1Api(api).list_namespaced_replica_set(namespace, label_selector=f"app={name}").items
    rows = [{"revision": int(rs.metadata.annotations.get("deployment.kubernetes.io/revision", 0)),
             "replicaset": rs.metadata.name,
             "image": rs.spec.template.spec.containers[0].image,
             "replicas": rs.status.replicas or 0} for rs in sets]
    return sorted(rows, key=lambda r: r["revision"])


def set_image(api: client.ApiClient, namespace: str, name: str, image: str) -> None:
    client.AppsV1Api(api).patch_namespaced_deployment(name, namespace, {
        "spec": {"template": {"spec": {"containers": [{"name": name, "image": image}]}}}})


def live_image(api: client.ApiClient, namespace: str, name: str) -> str:
    d = client.AppsV1Api(api).read_namespaced_deployment(name, namespace)
    return d.spec.template.spec.containers[0].image


# ------------------------------------------------------------------ self-healing (S29)
def liveness_pod(name: str) -> dict:
    """A pod whose liveness probe starts failing after ~10 s: the kubelet restarts it."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                "name": "app", "image": "busybox:1.36",
                "command": ["sh", "-c", "touch /tmp/healthy; sleep 10; rm /tmp/healthy; sleep 600"],
                "livenessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]},
                                  "initialDelaySeconds": 3, "periodSeconds": 3, "failureThreshold": 2}}]}}


def restart_count(api: client.ApiClient, namespace: str, name: str) -> int:
    pod = client.CoreV1Api(api).read_namespaced_pod(name, namespace)
    return sum(s.restart_count for s in (pod.status.container_statuses or []))


# ------------------------------------------------------------------ placement (S30)
def placement_rows(api: client.ApiClient, namespace: str, app: str) -> list[dict]:
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=f"app={app}").items
    return [{"pod": p.metadata.name, "node": p.spec.node_name, "pod IP": p.status.pod_ip}
            for p in sorted(pods, key=lambda p: p.metadata.name) if not p.metadata.deletion_timestamp]


def per_node(rows: list[dict]) -> dict[str, int]:
    return dict(sorted(Counter(r["node"] for r in rows).items()))


def plot_spread(counts: dict[str, int]):
    """A bar per backend pod: how many of the requests it served."""
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 2.2))
    names = [n.rsplit("-", 1)[-1] for n in counts]
    ax.barh(names, list(counts.values()), color="#4c72b0")
    ax.set_xlabel("requests served (from each pod's access log)")
    ax.set_title("one Service, three pods: kube-proxy spreads new connections")
    fig.tight_layout()
    return fig


def dynamic_claim(name: str, size: str = "16Mi") -> dict:
    """A claim with no storageClassName: the cluster's default StorageClass provisions it."""
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}}


def once_pod(name: str, claim: str, command: str) -> dict:
    """A pod that runs ``command`` once with the claim mounted at /data."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": name, "image": "busybox:1.36", "command": ["sh", "-c", command],
                                     "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                     "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]}}
