"""The PodSet custom resource: its definition (``cluster/crds/``), installing it, and
small helpers to make PodSets."""
from __future__ import annotations

import time
import uuid

import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kitlib.kube import FIELD_MANAGER
from kitlib.paths import REPO_CLUSTER_DIR

GROUP, VERSION, PLURAL, KIND = "course.kitlib.dev", "v1alpha1", "podsets", "PodSet"
API_VERSION = f"{GROUP}/{VERSION}"
CRD_NAME = f"{PLURAL}.{GROUP}"
CRD_FILE = REPO_CLUSTER_DIR / "crds" / f"{CRD_NAME}.yaml"


def crd_manifest() -> dict:
    return yaml.safe_load(CRD_FILE.read_text())


def install_crd(api: client.ApiClient, timeout: float = 60) -> dict:
    """Create or update the PodSet CRD (idempotent) and wait until it is Established and
    its API answers. Returns the CRD as the server has it."""
    ext = client.ApiextensionsV1Api(api)
    # Server-side apply: creates it when missing, changes only what differs, and is a
    # no-op (no new resourceVersion) when the cluster already has this definition.
    ext.patch_custom_resource_definition(
        CRD_NAME, crd_manifest(), field_manager=FIELD_MANAGER, force=True,
        _content_type="application/apply-patch+yaml")

    deadline = time.monotonic() + timeout
    while True:
        crd = ext.read_custom_resource_definition(CRD_NAME)
        established = any(c.type == "Established" and c.status == "True"
                          for c in (crd.status.conditions or []) if crd.status)
        if established:
            try:      # the discovery / storage side answers too
                client.CustomObjectsApi(api).list_cluster_custom_object(GROUP, VERSION, PLURAL, limit=1)
                return api.sanitize_for_serialization(crd)
            except ApiException as exc:
                if exc.status != 404:
                    raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"the CRD {CRD_NAME} was not Established within {timeout:g}s")
        time.sleep(0.2)


_GC_FOLLOWS: set[str] = set()      # API servers whose garbage collector is known to follow PodSets


def wait_for_garbage_collector(api: client.ApiClient, timeout: float = 40) -> bool:
    """Wait until the cluster's garbage collector deletes what a deleted PodSet owned.

    kube-controller-manager's garbage collector notices a new kind of owner on its next
    discovery of the API (every 30 s): until then, the pods of a deleted PodSet stay. The
    probe: a ConfigMap owned by a PodSet, in a namespace of its own; delete the PodSet and
    wait for the ConfigMap to go. Once per API server per process; False if it did not go."""
    if api.configuration.host in _GC_FOLLOWS:
        return True
    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    namespace = f"kit-gc-probe-{uuid.uuid4().hex[:6]}"
    core.create_namespace({"metadata": {"name": namespace, "labels": {"kitlib/temporary": "true"}}})
    try:
        owner = custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL,
                                                       podset("probe", 0))
        ref = {"apiVersion": API_VERSION, "kind": KIND, "name": "probe",
               "uid": owner["metadata"]["uid"]}
        core.create_namespaced_config_map(namespace, {"metadata": {"name": "owned",
                                                                   "ownerReferences": [ref]}})
        custom.delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "probe")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                core.read_namespaced_config_map("owned", namespace)
            except ApiException as exc:
                if exc.status == 404:
                    _GC_FOLLOWS.add(api.configuration.host)
                    return True
                raise
            time.sleep(0.5)
        return False
    finally:
        core.delete_namespace(namespace)


def podset(name: str, replicas: int = 1, labels: dict | None = None,
           namespace: str | None = None, image: str = "registry.k8s.io/pause:3.10") -> dict:
    """A PodSet manifest whose pods carry ``labels`` (default ``{"app": name}``)."""
    labels = dict(labels or {"app": name})
    manifest = {
        "apiVersion": API_VERSION, "kind": KIND,
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels},
                              "spec": {"containers": [{"name": "main", "image": image}]}}},
    }
    if namespace:
        manifest["metadata"]["namespace"] = namespace
    return manifest
