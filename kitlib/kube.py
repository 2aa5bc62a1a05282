"""Small helpers over the official ``kubernetes`` client, bound to the kit's kubeconfig.

Chapters, exercises and tests share these instead of repeating boilerplate:

    api = api_client()                       # the kit's cluster
    with temp_namespace(api, "ch04") as ns:  # removed afterwards, even on error
        apply(api, "manifests/nginx.yaml", namespace=ns)
        wait_for(lambda: pod_phase(api, ns, "nginx") == "Running", what="nginx Running")
"""
from __future__ import annotations

import contextlib
import re
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import yaml
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

T = TypeVar("T")
FIELD_MANAGER = "kitlib"


def kubeconfig_path(name: str | None = None) -> Path:
    """The kubeconfig of the kit's cluster ``name`` (default: the one this process brought
    up with ``cluster.up``, else ``$KIT_CLUSTER``, else "kit"), kept in the kit's state
    directory."""
    from kitlib.cluster import ClusterDir, cluster_name
    return ClusterDir(cluster_name(name)).kubeconfig


def api_client(kubeconfig: Path | str | None = None) -> client.ApiClient:
    """An ApiClient for the kit's cluster (never reads ~/.kube/config by accident)."""
    path = Path(kubeconfig) if kubeconfig else kubeconfig_path()
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: start the cluster with `kit up` "
                                "or kitlib.cluster.up()")
    return config.new_client_from_config(config_file=str(path))


GIVE_UP_AFTER = 3      # failures in a row, none retrying can fix, before a wait gives up


class StoppedWaiting(Exception):
    """Raised by wait_for when ``give_up`` names a reason the awaited state will not come."""


def wait_for(predicate: Callable[[], T], timeout: float = 60, interval: float = 0.25,
             what: str = "the condition", give_up: Callable[[], str | None] | None = None,
             stopped: type[StoppedWaiting] = StoppedWaiting) -> T:
    """Call ``predicate`` until it returns something truthy; return that, or raise
    TimeoutError naming ``what``. API errors while waiting count as "not yet". With
    ``give_up`` (asked after each "not yet"): when it returns a reason, stop at once with
    ``stopped`` carrying it, instead of waiting out the timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except ApiException as exc:
            last_error = exc
        reason = give_up() if give_up is not None else None
        if reason:
            raise stopped(f"stopped waiting for {what}: {reason}")
        if time.monotonic() >= deadline:
            hint = f" (last API error: {last_error.status} {last_error.reason})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}{hint}")
        time.sleep(interval)


def load_manifests(source: str | Path | dict | list) -> list[dict]:
    """Manifests from a YAML file path, a YAML string, a dict or a list of dicts."""
    if isinstance(source, dict):
        return [source]
    if isinstance(source, list):
        return list(source)
    text = Path(source).read_text() if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and Path(source).is_file()) else source
    return [doc for doc in yaml.safe_load_all(text) if doc]


def apply(api: client.ApiClient, source: str | Path | dict | list,
          namespace: str | None = None) -> list[Any]:
    """Server-side apply, like ``kubectl apply --server-side``: create what is missing,
    update what changed, leave the rest untouched. Returns the applied objects."""
    from kubernetes.dynamic import DynamicClient
    dyn = DynamicClient(api)
    applied = []
    for manifest in load_manifests(source):
        resource = dyn.resources.get(api_version=manifest["apiVersion"], kind=manifest["kind"])
        ns = manifest.get("metadata", {}).get("namespace") or namespace
        kwargs = {"namespace": ns} if resource.namespaced else {}
        applied.append(resource.server_side_apply(body=manifest, name=manifest["metadata"]["name"],
                                                  field_manager=FIELD_MANAGER,
                                                  force_conflicts=True, **kwargs))
    return applied


def new_namespace(api: client.ApiClient, prefix: str = "kit") -> str:
    """Create a fresh namespace ``<prefix>-<6 hex>`` labelled temporary and return its
    name; delete it with ``delete_namespace`` (or use ``temp_namespace``)."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(api).create_namespace(
        {"metadata": {"name": name, "labels": {"kitlib/temporary": "true"}}})
    return name


@contextlib.contextmanager
def temp_namespace(api: client.ApiClient, prefix: str = "kit",
                   wait_deleted: bool = False) -> Iterator[str]:
    """A fresh namespace, deleted on exit (its pods and objects with it)."""
    name = new_namespace(api, prefix)
    try:
        yield name
    finally:
        delete_namespace(api, name, wait=wait_deleted)


def delete_namespace(api: client.ApiClient, name: str, wait: bool = False,
                     timeout: float = 240) -> None:
    """Delete a namespace; with ``wait``, until it is gone. On real nodes that includes each
    container's graceful stop (up to its terminationGracePeriodSeconds) and volume clean-up."""
    core = client.CoreV1Api(api)
    try:
        core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise
    if wait:
        def gone() -> bool:
            try:
                core.read_namespace(name)
                return False
            except ApiException as exc:
                return exc.status == 404
        wait_for(gone, timeout=timeout, what=f"namespace {name} to be deleted")


def pod_phase(api: client.ApiClient, namespace: str, name: str) -> str | None:
    try:
        return client.CoreV1Api(api).read_namespaced_pod(name, namespace).status.phase
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


STUCK_AFTER = 20.0    # seconds a pod stays unschedulable, unchanged, before a wait for it ends


def wait_for_running(api: client.ApiClient, namespace: str, name: str, timeout: float = 60,
                     stuck_after: float = STUCK_AFTER) -> client.V1Pod:
    """Wait until pod ``name`` runs and return it. Stop early (StoppedWaiting, with the
    scheduler's reason) once the same pod has been unschedulable for ``stuck_after``
    seconds: kube-scheduler retries such a pod as soon as a node or pod changes (within
    its back-off, at most 10 s), so one still unschedulable after that will not run."""
    core = client.CoreV1Api(api)
    seen: dict = {}

    def running():
        seen["pod"] = None
        pod = seen["pod"] = core.read_namespaced_pod(name, namespace)
        return pod if pod.status.phase == "Running" else None

    def why_stuck() -> str | None:
        pod = seen.get("pod")
        cond = next((c for c in (pod.status.conditions or []) if c.type == "PodScheduled"),
                    None) if pod else None
        if not (cond and cond.status == "False" and cond.reason == "Unschedulable"):
            seen.pop("state", None)
            return None
        state = (pod.metadata.uid, cond.message)
        if seen.get("state") != state:
            seen["state"], seen["since"] = state, time.monotonic()
        if time.monotonic() - seen["since"] < stuck_after:
            return None
        return f"pod {name} cannot be scheduled: {cond.message}"
    return wait_for(running, timeout=timeout, what=f"pod {name} to run", give_up=why_stuck)


def requests_served(api: client.ApiClient, resource: str, verbs: tuple[str, ...],
                    group: str = "") -> float | None:
    """How many requests with one of ``verbs`` (e.g. "PUT", "PATCH") on ``resource`` of API
    ``group`` the API server has answered since it started, from anyone, subresources
    included: its ``apiserver_request_total`` metric. Unlike a watch it also sees writes
    that changed nothing. None when /metrics cannot be read (it takes an admin's rights)."""
    from kitlib.client import ApiError, Rest
    try:
        text = Rest(api).call("GET", "/metrics")
    except (ApiError, ApiException):
        return None
    total = 0.0
    for line in str(text).splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if (found.get("resource") == resource and found.get("group") == group
                and found.get("verb") in verbs):
            total += float(value)
    return total


def events_for(api: client.ApiClient, namespace: str, name: str) -> list[client.CoreV1Event]:
    """Events about one object, oldest first."""
    items = client.CoreV1Api(api).list_namespaced_event(
        namespace, field_selector=f"involvedObject.name={name}").items
    return sorted(items, key=lambda e: e.last_timestamp or e.event_time or e.metadata.creation_timestamp)


def table(rows: list[dict] | list[list], headers: list[str] | None = None) -> str:
    """A plain-text table (deterministic, so notebook outputs can be compared)."""
    if rows and isinstance(rows[0], dict):
        headers = headers or list(rows[0])
        rows = [[r.get(h, "") for h in headers] for r in rows]
    headers = headers or []
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) if cells else len(str(h))
              for i, h in enumerate(headers)]
    line = lambda values: "  ".join(str(v).ljust(w) for v, w in zip(values, widths)).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, cells)])
