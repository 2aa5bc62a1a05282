"""Manifests as data: read one field by field, generate the same Pod three ways
(a YAML file, ``kubectl run --dry-run=client -o yaml``, the Python client's V1Pod), compare
them, and show that applying the same manifest twice changes nothing (the API is
declarative)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from kubernetes import client

from kitlib.kube import apply

# What the fields of a Pod manifest mean, in the order they appear.
FIELD_NOTES = {
    "apiVersion": "which API group/version defines this kind (core group: just v1)",
    "kind": "the type of object",
    "metadata.name": "unique name within the namespace",
    "metadata.labels": "key/value tags; Services and controllers select objects by them",
    "spec": "the desired state — what you want to exist",
    "spec.containers[*].name": "container name, unique within the pod",
    "spec.containers[*].image": "the container image to run (name:tag)",
    "spec.containers[*].ports": "ports the container listens on (informational)",
}


def load(path: str | Path) -> dict:
    """One manifest from a YAML file."""
    return yaml.safe_load(Path(path).read_text())


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """{'spec.containers[0].image': 'nginx', ...}: every leaf with its path. Empty dicts
    and lists count as leaves so ``resources: {}`` is not lost."""
    if isinstance(obj, dict) and obj:
        out = {}
        for key, value in obj.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(obj, list) and obj:
        out = {}
        for i, value in enumerate(obj):
            out.update(flatten(value, f"{prefix}[{i}]"))
        return out
    return {prefix: obj}


def _note(path: str) -> str:
    """The note of the most specific FIELD_NOTES entry that covers ``path``."""
    head, sep, rest = path.partition("containers[")
    generic = head + "containers[*]" + rest[rest.index("]") + 1:] if sep else path
    covering = [k for k in FIELD_NOTES
                if generic == k or generic.startswith(k + ".") or generic.startswith(k + "[")]
    return FIELD_NOTES[max(covering, key=len)] if covering else ""


def field_rows(manifest: dict) -> list[dict]:
    """One row per leaf field: its path, its value and what it is for."""
    return [{"field": path, "value": value, "meaning": _note(path)}
            for path, value in flatten(manifest).items()]


def diff(a: dict, b: dict, names: tuple[str, str] = ("a", "b")) -> list[dict]:
    """Fields whose values differ (or exist on one side only), sorted by path."""
    fa, fb = flatten(a), flatten(b)
    missing = "—"
    return [{"field": p, names[0]: fa.get(p, missing), names[1]: fb.get(p, missing)}
            for p in sorted(set(fa) | set(fb)) if fa.get(p, missing) != fb.get(p, missing)]


def kubectl_run_template(name: str, image: str) -> dict:
    """``kubectl run NAME --image=IMAGE --dry-run=client -o yaml``: a template, nothing created."""
    from kitlib.tour.apiserver import kubectl
    return yaml.safe_load(kubectl("run", name, f"--image={image}", "--dry-run=client", "-o", "yaml"))


def python_client_pod(name: str, image: str, labels: dict | None = None) -> client.V1Pod:
    return client.V1Pod(api_version="v1", kind="Pod",
                        metadata=client.V1ObjectMeta(name=name, labels=labels),
                        spec=client.V1PodSpec(containers=[client.V1Container(name=name, image=image)]))


def to_manifest(obj: Any) -> dict:
    """A client model (V1Pod, ...) as the plain dict that would be sent as JSON/YAML."""
    return client.ApiClient().sanitize_for_serialization(obj)


def apply_and_version(api: client.ApiClient, manifest: dict | str | Path, namespace: str) -> str:
    """Server-side apply, then return the object's resourceVersion (changes on every write)."""
    obj = apply(api, manifest, namespace=namespace)[0]
    return obj.metadata.resourceVersion


def with_changes(manifest: dict, labels: dict | None = None, image: str | None = None) -> dict:
    """A copy of a one-container manifest with extra labels and/or another image."""
    import copy
    changed = copy.deepcopy(manifest)
    if labels:
        changed["metadata"].setdefault("labels", {}).update(labels)
    if image:
        changed["spec"]["containers"][0]["image"] = image
    return changed


def live_view(api: client.ApiClient, namespace: str, name: str) -> dict:
    """The parts of a live Pod that a manifest sets: labels and container images."""
    pod = client.CoreV1Api(api).read_namespaced_pod(name, namespace)
    return {"metadata": {"labels": pod.metadata.labels},
            "spec": {"containers": [{"name": c.name, "image": c.image} for c in pod.spec.containers]}}


def chapter_file(chapter: str, name: str) -> Path:
    """A supporting file of a chapter: <chapter>/<name> beside the notebook where a copy is
    (a workspace, the grader's folder for a submission: its sandbox hides the kit's
    chapters), else the kit's chapters/<chapter>/<name>."""
    from kitlib.paths import REPO_DIR
    beside = Path.cwd() / chapter / name
    return beside if beside.is_file() else REPO_DIR / "chapters" / chapter / name
