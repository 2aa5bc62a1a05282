"""The PodSet custom resource: its definition (``cluster/crds/``), installing it, and
small helpers to make PodSets."""
from __future__ import annotations

import time

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
