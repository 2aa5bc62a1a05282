"""A node that fails for real (kind): its container is frozen (``docker pause``), so its
kubelet stops reporting. The node controller marks it ``Unknown`` after the grace period,
taints it ``node.kubernetes.io/unreachable:NoExecute``, and evicts each pod once that pod's
``tolerationSeconds`` for the taint run out; the ReplicaSet controller makes replacements
that the scheduler puts on the nodes that remain. Unfrozen, the kubelet reports again, the
taint goes, and the evicted pods' containers are finally removed."""
from __future__ import annotations

import subprocess
import time

from kubernetes import client

from kitlib.kube import wait_for
from kitlib.tour.nodes import ready_condition

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"


def short_tolerations(seconds: int) -> list[dict]:
    """Tolerate an unreachable or not-ready node for ``seconds`` only (the default that
    admission adds is 300 s)."""
    return [{"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": seconds}
            for key in (UNREACHABLE, NOT_READY)]


def _docker(action: str, node: str) -> None:
    out = subprocess.run(["docker", action, node], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"docker {action} {node}: {out.stderr.strip()}")


def _state(core: client.CoreV1Api, node: str, namespace: str, app: str) -> dict:
    n = core.read_node(node)
    ready = ready_condition(n)
    pods = core.list_namespaced_pod(namespace, label_selector=f"app={app}").items
    here = [p for p in pods if p.spec.node_name == node]
    return {"node Ready": ready.status if ready else "?",
            "node taints": ", ".join(sorted(f"{t.key.split('/')[-1]}:{t.effect}"
                                            for t in n.spec.taints or [])) or "(none)",
            f"pods on {node}": f"{sum(not p.metadata.deletion_timestamp for p in here)} live, "
                               f"{sum(bool(p.metadata.deletion_timestamp) for p in here)} evicted",
            "running elsewhere": sum(p.status.phase == "Running" and p.spec.node_name != node
                                     and not p.metadata.deletion_timestamp for p in pods)}


def fail_node(api: client.ApiClient, node: str, namespace: str, app: str, replicas: int,
              say=print, timeout: float = 300) -> list[dict]:
    """Freeze ``node`` and watch until all ``replicas`` pods of ``app`` run elsewhere;
    return each distinct state seen, with the seconds since the node stopped."""
    _docker("pause", node)
    say(f"froze {node}: its kubelet can no longer report (docker pause)")
    return watch_pods_move(api, node, namespace, app, replicas, say, timeout)


def watch_pods_move(api: client.ApiClient, node: str, namespace: str, app: str, replicas: int,
                    say=print, timeout: float = 300) -> list[dict]:
    """Watch a failing ``node`` until it is tainted unreachable and all ``replicas`` pods of
    ``app`` run elsewhere; return each distinct state seen, with the seconds since the start."""
    core = client.CoreV1Api(api)
    started, timeline = time.monotonic(), []
    while True:
        state = _state(core, node, namespace, app)
        if not timeline or {k: v for k, v in timeline[-1].items() if k != "after"} != state:
            timeline.append({"after": f"{time.monotonic() - started:.0f} s", **state})
            say("  " + " | ".join(f"{k}: {v}" for k, v in timeline[-1].items()))
        if state["running elsewhere"] == replicas and UNREACHABLE.split("/")[1] in state["node taints"]:
            return timeline
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"after {timeout:.0f}s the pods had not moved off {node}: {state}")
        time.sleep(1)


def restore_node(api: client.ApiClient, node: str, say=print, timeout: float = 180) -> float:
    """Unfreeze ``node``; wait until it is Ready and untainted. Returns the seconds taken."""
    started = time.monotonic()
    _docker("unpause", node)
    wait_healthy(api, node, timeout)
    say(f"{node} is back: Ready, taints lifted")
    return time.monotonic() - started


def wait_healthy(api: client.ApiClient, node: str, timeout: float = 180) -> None:
    """Wait until ``node`` is Ready and carries no unreachable/not-ready taint."""
    core = client.CoreV1Api(api)

    def healthy():
        n = core.read_node(node)
        ready = ready_condition(n)
        taints = [t.key for t in n.spec.taints or [] if t.key in (UNREACHABLE, NOT_READY)]
        return ready is not None and ready.status == "True" and not taints
    wait_for(healthy, timeout=timeout, interval=1, what=f"{node} Ready and untainted")


def is_frozen(node: str) -> bool:
    out = subprocess.run(["docker", "inspect", "-f", "{{.State.Paused}}", node],
                         capture_output=True, text=True, timeout=30)
    return out.stdout.strip() == "true"
