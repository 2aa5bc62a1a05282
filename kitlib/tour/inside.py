"""Looking from inside the cluster (kind: real containers). Every request here starts in a
pod, through ``kubectl exec``; nothing on this machine connects to a pod or Service address."""
from __future__ import annotations

import collections
import re
import subprocess

from kubernetes import client

from kitlib.kube import wait_for


def kubectl(*args: str, timeout: float = 120) -> str:
    out = subprocess.run(["kubectl", *args], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout


def exec_in(namespace: str, pod: str, *command: str, container: str | None = None,
            timeout: float = 60) -> str:
    """``kubectl exec`` a command in a pod's container and return what it printed."""
    where = ["-c", container] if container else []
    return kubectl("exec", "-n", namespace, pod, *where, "--", *command, timeout=timeout)


def client_pod(name: str = "client") -> dict:
    """A busybox pod to send requests from (wget, nslookup)."""
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": name}},
            # `sleep` as PID 1 ignores SIGTERM: no point waiting the default 30 s for it
            "spec": {"terminationGracePeriodSeconds": 1,
                     "containers": [{"name": name, "image": "busybox:1.36",
                                     "command": ["sleep", "3600"]}]}}


# busybox 1.35's `wget -T` crashes (Debian's build); `timeout` bounds the request instead.
def get_from(namespace: str, pod: str, url: str, timeout: int = 5) -> str:
    return exec_in(namespace, pod, "timeout", str(timeout), "wget", "-qO-", url)


def resolve_from(namespace: str, pod: str, name: str) -> list[str]:
    """Addresses the cluster DNS (CoreDNS) gives a pod for ``name``."""
    answer = exec_in(namespace, pod, "nslookup", name)
    after_name = answer.split("Name:", 1)[-1]
    return re.findall(r"Address:\s*([0-9.]+)", after_name)


def request_count_by_pod(api: client.ApiClient, namespace: str, app: str, marker: str) -> dict[str, int]:
    """How many requests for ``marker`` (a URL path) each nginx pod of ``app`` served,
    read from each pod's own access log (``kubectl logs``)."""
    core = client.CoreV1Api(api)
    pods = core.list_namespaced_pod(namespace, label_selector=f"app={app}").items
    return {p.metadata.name: core.read_namespaced_pod_log(p.metadata.name, namespace).count(marker)
            for p in sorted(pods, key=lambda p: p.metadata.name) if not p.metadata.deletion_timestamp}


def spread_requests(api: client.ApiClient, namespace: str, client_name: str, service: str,
                    app: str, count: int = 30) -> dict[str, int]:
    """Send ``count`` requests from ``client_name`` to the Service's DNS name; return how
    many each backend pod served. Each request is a new connection, so kube-proxy's rules
    pick a backend afresh every time."""
    marker = f"/?spread={count}-{client_name}"      # the root page, marked by a query
    script = f"for i in $(seq {count}); do timeout 5 wget -qO- http://{service}{marker} >/dev/null 2>&1; done; true"
    exec_in(namespace, client_name, "sh", "-c", script, timeout=120)
    return wait_for(lambda: (c := request_count_by_pod(api, namespace, app, marker)) and
                    sum(c.values()) >= count and c, timeout=30, what="access logs to show every request")


def summarize(counts: dict[str, int]) -> collections.Counter:
    return collections.Counter({k: v for k, v in counts.items() if v})
