"""Cordon and drain through the API: a cordoned node takes no new pods; draining evicts its
pods through the Eviction API, which refuses (429) while a PodDisruptionBudget would be
broken, so the drain waits for replacements to become ready elsewhere and tries again.

``kubectl drain`` evicts every pod on the node except DaemonSet pods; this cluster may be
shared, so ``drain`` here evicts the pods of one namespace only."""
from __future__ import annotations

import time

from kubernetes import client
from kubernetes.client.exceptions import ApiException


def cordon(api: client.ApiClient, node: str, on: bool = True) -> None:
    """``kubectl cordon`` (``on=False``: ``uncordon``): spec.unschedulable."""
    client.CoreV1Api(api).patch_node(node, {"spec": {"unschedulable": on or None}})


def evict(api: client.ApiClient, namespace: str, pod: str) -> str:
    """Ask for one eviction; return "evicted", or the refusal (429: a PDB says not now)."""
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name=pod, namespace=namespace))
    try:
        client.CoreV1Api(api).create_namespaced_pod_eviction(pod, namespace, body)
        return "evicted"
    except ApiException as exc:
        if exc.status == 429:
            return "refused (429): the PodDisruptionBudget allows no disruption now"
        if exc.status == 404:
            return "gone already"
        raise


def drain(api: client.ApiClient, node: str, namespace: str, say=print,
          timeout: float = 180, on_first_refusal=None) -> list[dict]:
    """Cordon ``node`` and evict its pods of ``namespace``, retrying refused evictions
    every 2 s; return each attempt (pod, answer, the PDB's disruptionsAllowed then).
    ``on_first_refusal()`` is called once, when a PodDisruptionBudget first says no."""
    core, policy = client.CoreV1Api(api), client.PolicyV1Api(api)
    cordon(api, node)
    say(f"cordoned {node}")
    attempts, started = [], time.monotonic()
    while True:
        left = [p.metadata.name for p in core.list_namespaced_pod(
                    namespace, field_selector=f"spec.nodeName={node}").items
                if not p.metadata.deletion_timestamp]
        if not left:
            say(f"{node} drained")
            return attempts
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{node} still runs {left} after {timeout:.0f}s")
        for pod in sorted(left):
            pdbs = policy.list_namespaced_pod_disruption_budget(namespace).items
            allowed = pdbs[0].status.disruptions_allowed if pdbs else "-"
            answer = evict(api, namespace, pod)
            if not attempts or (attempts[-1]["pod"], attempts[-1]["answer"]) != (pod, answer):
                attempts.append({"pod": pod, "disruptionsAllowed": allowed, "answer": answer})
                say(f"  evict {pod}: {answer}")
            if answer.startswith("refused") and on_first_refusal is not None:
                on_first_refusal()
                on_first_refusal = None
        time.sleep(2)
