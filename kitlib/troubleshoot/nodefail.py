"""A node that stops reporting, on either provider, and what it does to pods that tolerate
that for ``tolerationSeconds`` only.

Real nodes (kind): ``kitlib.tour.failure`` freezes the node container; the node controller
marks it Unknown and taints it ``node.kubernetes.io/unreachable:NoExecute``; the taint-eviction
controller evicts each pod when its toleration runs out. Docker-free: KWOK's simulated
kubelets never stop reporting, so we play the node controller's part and put the NoExecute
taint on ourselves (under the kit's own key: the node controller lifts its own taints from
a node that still reports Ready), with a NoSchedule twin as the node controller adds, so
evicted pods are not placed right back; the eviction after ``tolerationSeconds`` is the
real controller's work."""
from __future__ import annotations

from kubernetes import client

from kitlib.tour import failure

STAND_IN_KEY = "kitlib.dev/unreachable"
STAND_IN_TAINTS = [{"key": STAND_IN_KEY, "effect": "NoExecute"},
                   {"key": STAND_IN_KEY, "effect": "NoSchedule"}]


def tolerations(seconds: int) -> list[dict]:
    """Tolerate an unreachable node for ``seconds`` (the default admission adds is 300 s)."""
    return failure.short_tolerations(seconds) + [
        {"key": STAND_IN_KEY, "effect": "NoExecute", "operator": "Exists",
         "tolerationSeconds": seconds}]


def _set_taint(api: client.ApiClient, node: str, on: bool) -> None:
    core = client.CoreV1Api(api)
    taints = [t for t in core.read_node(node).spec.taints or [] if t.key != STAND_IN_KEY]
    body = [{"key": t.key, "effect": t.effect, "value": t.value} for t in taints]
    core.patch_node(node, {"spec": {"taints": body + (STAND_IN_TAINTS if on else [])}})


def stop_reporting(api: client.ApiClient, node: str, namespace: str, app: str, replicas: int,
                   provider: str, say=print, timeout: float = 300) -> list[dict]:
    """Make ``node`` fail and watch until the ``replicas`` pods of ``app`` run elsewhere."""
    if provider == "kind":
        return failure.fail_node(api, node, namespace, app, replicas, say=say, timeout=timeout)
    _set_taint(api, node, True)
    say(f"tainted {node} {STAND_IN_KEY}:NoExecute (standing in for the node controller)")
    return failure.watch_pods_move(api, node, namespace, app, replicas, say=say, timeout=timeout)


def come_back(api: client.ApiClient, node: str, provider: str, say=print) -> None:
    if provider == "kind":
        failure.restore_node(api, node, say=say)
    else:
        _set_taint(api, node, False)
        failure.wait_healthy(api, node)
        say(f"{node} is back: taint lifted")
