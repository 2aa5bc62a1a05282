"""Is a cluster answering, and are its nodes Ready? Used by every provider."""
from __future__ import annotations

import time
from pathlib import Path

from kitlib.cluster.base import ClusterError, Report


def probe(kubeconfig: Path, timeout: float = 3.0) -> tuple[bool, str]:
    """One quick look: (API answers?, a one-line summary)."""
    if not Path(kubeconfig).is_file():
        return False, "no kubeconfig"
    from kubernetes import client

    from kitlib.kube import api_client
    try:
        api = api_client(kubeconfig)
        version = client.VersionApi(api).get_code(_request_timeout=timeout).git_version
        nodes = client.CoreV1Api(api).list_node(_request_timeout=timeout).items
    except Exception as exc:   # connection refused, TLS, timeouts: all mean "not up"
        return False, f"API server not answering ({type(exc).__name__})"
    ready = sum(1 for n in nodes if _is_ready(n))
    return True, f"Kubernetes {version}, {ready}/{len(nodes)} nodes Ready, API {api.configuration.host}"


def _is_ready(node) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (node.status.conditions or []))


class _NotYet(Exception):
    pass


COMPONENTS = ("kube-scheduler", "kube-controller-manager")


def _components_without_leader(api) -> list[str]:
    """kube-scheduler and kube-controller-manager each hold a Lease in kube-system while
    they run; a cluster whose scheduler died (say, its port was taken) is not ready."""
    from kubernetes import client
    leases = client.CoordinationV1Api(api)
    missing = []
    for name in COMPONENTS:
        try:
            if not leases.read_namespaced_lease(name, "kube-system", _request_timeout=5).spec.holder_identity:
                missing.append(name)
        except client.exceptions.ApiException:
            missing.append(name)
    return missing


def wait_ready(kubeconfig: Path, expected_nodes: int, timeout: float, report: Report) -> None:
    """Wait until the API answers, ``expected_nodes`` nodes are Ready, kube-scheduler and
    kube-controller-manager hold their leader Leases, and the default ServiceAccount exists
    (so pods can be created and placed), reporting progress as it goes."""
    from kubernetes import client

    from kitlib.kube import api_client
    deadline = time.monotonic() + timeout
    started, last, state = time.monotonic(), 0.0, "waiting for the API server"
    while time.monotonic() < deadline:
        try:
            core = client.CoreV1Api(api_client(kubeconfig))
            nodes = core.list_node(_request_timeout=5).items
            ready = sum(1 for n in nodes if _is_ready(n))
            state = f"{ready}/{expected_nodes} nodes Ready"
            if ready >= expected_nodes:
                try:
                    core.read_namespaced_service_account("default", "default", _request_timeout=5)
                except client.exceptions.ApiException as exc:
                    if exc.status != 404:
                        raise
                    state = "waiting for kube-controller-manager to make the default ServiceAccount"
                    raise _NotYet(state) from None
                missing = _components_without_leader(api_client(kubeconfig))
                if missing:
                    state = f"waiting for {' and '.join(missing)} to start"
                    raise _NotYet(state)
                report(f"cluster ready: {state} after {time.monotonic() - started:.1f}s")
                return
        except _NotYet:
            pass
        except Exception as exc:
            state = f"waiting for the API server ({type(exc).__name__})"
        if time.monotonic() - last > 5:
            report(f"  {state}...")
            last = time.monotonic()
        time.sleep(0.2)
    raise ClusterError(f"cluster not ready after {timeout:.0f}s: {state}. "
                       "Run `kit status` and `kit doctor`, or `kit down` and try again.")
