"""Requests, limits and QoS classes. There is no metrics-server: the numbers are the ones
the scheduler uses (requests against allocatable), read from the API
(``kitlib.tour.nodes.allocation_rows``); the QoS class is computed by kube-apiserver."""
from __future__ import annotations

from kubernetes import client

from kitlib.troubleshoot.broken import sleeper

QOS_PODS = {   # pod name -> resources: the three classes
    "guaranteed": {"requests": {"cpu": "50m", "memory": "32Mi"},
                   "limits": {"cpu": "50m", "memory": "32Mi"}},
    "burstable": {"requests": {"cpu": "20m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
    "besteffort": {},
}
# Under node pressure the kubelet evicts BestEffort pods first, then Burstable pods using
# more than they requested, Guaranteed pods last; the kernel's OOM killer is steered the
# same way through each container's oom_score_adj.
EVICTION_ORDER = {"BestEffort": 1, "Burstable": 2, "Guaranteed": 3}


def qos_pods() -> list[dict]:
    return [sleeper(name, resources) for name, resources in QOS_PODS.items()]


def _fmt(resources: dict | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((resources or {}).items())) or "-"


def qos_rows(api: client.ApiClient, namespace: str) -> list[dict]:
    """Each QoS demo pod: its requests and limits, the class kube-apiserver gave it, and
    its place in the eviction order under node pressure (1 = first to go)."""
    core = client.CoreV1Api(api)
    rows = []
    for name in QOS_PODS:
        pod = core.read_namespaced_pod(name, namespace)
        res = pod.spec.containers[0].resources
        rows.append({"pod": name, "requests": _fmt(res.requests), "limits": _fmt(res.limits),
                     "qosClass": pod.status.qos_class,
                     "evicted under pressure": EVICTION_ORDER[pod.status.qos_class]})
    return sorted(rows, key=lambda r: r["evicted under pressure"])
