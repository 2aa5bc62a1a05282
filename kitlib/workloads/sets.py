"""DaemonSets (one pod per node) and StatefulSets (stable names, ordered start, a volume
each), with statically provisioned PersistentVolumes for the StatefulSet's claims."""
from __future__ import annotations

from kubernetes import client

NGINX = {"image": "nginx:1.27", "imagePullPolicy": "IfNotPresent"}
BUSYBOX = {"image": "busybox:1.36", "imagePullPolicy": "IfNotPresent"}
STATIC_CLASS = "kit-static"      # a class name with no StorageClass object: static binding only


def daemonset(name: str = "node-agent") -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": labels}, "template": {
                "metadata": {"labels": labels},
                "spec": {"terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "agent", **BUSYBOX, "command": ["sleep", "3600"]}]}}}}


def statefulset(name: str = "db", replicas: int = 3, storage_class: str = STATIC_CLASS) -> list[dict]:
    """A headless Service (stable DNS names <pod>.<service>) and a StatefulSet whose pods
    each get a PersistentVolumeClaim ``data-<name>-<ordinal>`` from volumeClaimTemplates."""
    labels = {"app": name}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
               "spec": {"clusterIP": "None", "selector": labels, "ports": [{"port": 80}]}}
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
           "spec": {"serviceName": name, "replicas": replicas, "selector": {"matchLabels": labels},
                    "template": {"metadata": {"labels": labels},
                                 "spec": {"terminationGracePeriodSeconds": 1, "containers": [{
                                     "name": "db", **NGINX, "ports": [{"containerPort": 80}],
                                     "volumeMounts": [{"name": "data", "mountPath": "/usr/share/nginx/html"}]}]}},
                    "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                        "accessModes": ["ReadWriteOnce"], "storageClassName": storage_class,
                        "resources": {"requests": {"storage": "1Gi"}}}}]}}
    return [service, sts]


def static_volumes(owner: str, count: int, storage_class: str = STATIC_CLASS, size: str = "1Gi") -> list[dict]:
    """``count`` hostPath PersistentVolumes an administrator made in advance (static
    provisioning), labelled with ``owner`` so whoever made them can delete them. The PV
    controller in kube-controller-manager binds each waiting claim of the same class to one."""
    return [{"apiVersion": "v1", "kind": "PersistentVolume",
             "metadata": {"name": f"{owner}-pv-{i}", "labels": {"kitlib/owner": owner}},
             "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
                      "persistentVolumeReclaimPolicy": "Delete", "storageClassName": storage_class,
                      "hostPath": {"path": f"/tmp/kitlib-{owner}-pv-{i}", "type": "DirectoryOrCreate"}}}
            for i in range(count)]


def delete_static_volumes(api: client.ApiClient, owner: str) -> None:
    client.CoreV1Api(api).delete_collection_persistent_volume(label_selector=f"kitlib/owner={owner}")


def pods_by_node(api: client.ApiClient, namespace: str, app: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=f"app={app}").items:
        if p.metadata.deletion_timestamp is None:
            found.setdefault(p.spec.node_name or "(none yet)", []).append(p.metadata.name)
    return found


def node_rows(api: client.ApiClient, namespace: str, app: str) -> list[dict]:
    """Every node, whether it takes ordinary pods, and the DaemonSet's pods on it."""
    placed = pods_by_node(api, namespace, app)
    rows = []
    for n in sorted(client.CoreV1Api(api).list_node().items, key=lambda n: n.metadata.name):
        taints = [f"{t.key}:{t.effect}" for t in n.spec.taints or [] if t.effect in ("NoSchedule", "NoExecute")]
        rows.append({"node": n.metadata.name, "taints": ", ".join(taints) or "-",
                     f"{app} pods": ", ".join(placed.get(n.metadata.name, [])) or "-"})
    return rows


def untainted_nodes(api: client.ApiClient) -> set[str]:
    return {n.metadata.name for n in client.CoreV1Api(api).list_node().items
            if not any(t.effect in ("NoSchedule", "NoExecute") for t in n.spec.taints or [])}


def ordinal_rows(api: client.ApiClient, namespace: str, app: str) -> list[dict]:
    """A StatefulSet's pods by ordinal, each with its creation time, claim and volume."""
    core = client.CoreV1Api(api)
    pods = sorted(core.list_namespaced_pod(namespace, label_selector=f"app={app}").items,
                  key=lambda p: int(p.metadata.name.rsplit("-", 1)[1]))
    claims = {c.metadata.name: c for c in core.list_namespaced_persistent_volume_claim(namespace).items}
    rows = []
    for p in pods:
        claim_names = [v.persistent_volume_claim.claim_name for v in p.spec.volumes or []
                       if v.persistent_volume_claim]
        claim = claims.get(claim_names[0]) if claim_names else None
        rows.append({"pod": p.metadata.name, "created": p.metadata.creation_timestamp.strftime("%H:%M:%S"),
                     "ready": any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or []),
                     "claim": claim.metadata.name if claim else "-",
                     "claim phase": claim.status.phase if claim else "-",
                     "volume": claim.spec.volume_name if claim else "-"})
    return rows
