"""The pinned tool versions, read from ``cluster/versions.yaml`` (the one table)."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from kitlib.paths import REPO_CLUSTER_DIR, require_clone

VERSIONS_FILE = REPO_CLUSTER_DIR / "versions.yaml"


@dataclass(frozen=True, eq=False)
class Versions:
    kubernetes: str          # e.g. "v1.37.0"
    kind: str
    kind_node_image: str     # repository:tag@sha256:digest
    kwok: str
    etcd: str
    python_kubernetes: str   # pip specifier for the official client
    node_image: dict         # what a locally built kind node image is made of
    course_images: dict      # image -> Debian packages it is built from when not pulled

    @property
    def kubernetes_minor(self) -> int:
        return int(self.kubernetes.lstrip("v").split(".")[1])

    @property
    def staging(self) -> str:
        """Version of k8s.io staging modules (k8s.io/api etc.): v1.37.0 -> v0.37.0."""
        return "v0." + self.kubernetes.lstrip("v").split(".", 1)[1]


_SEMVER = re.compile(r"^v\d+\.\d+\.\d+$")


@functools.lru_cache(maxsize=None)
def load(path: Path = VERSIONS_FILE) -> Versions:
    """Read and validate the version table."""
    if path == VERSIONS_FILE:
        require_clone()
    data = yaml.safe_load(Path(path).read_text())
    fields = Versions.__dataclass_fields__
    missing = sorted(set(fields) - set(data))
    unknown = sorted(set(data) - set(fields))
    if missing or unknown:
        raise ValueError(f"{path}: missing keys {missing}, unknown keys {unknown}")
    for key in ("kubernetes", "kind", "kwok", "etcd"):
        if not _SEMVER.match(str(data[key])):
            raise ValueError(f"{path}: {key} must look like v1.2.3, got {data[key]!r}")
    if "@sha256:" not in data["kind_node_image"]:
        raise ValueError(f"{path}: kind_node_image must be pinned by digest (@sha256:...)")
    node = data["node_image"]
    for key in ("containerd", "cri_tools", "cni_plugins", "coredns", "flannel",
                "local_path_provisioner"):
        if not _SEMVER.match(str(node.get(key, ""))):
            raise ValueError(f"{path}: node_image.{key} must look like v1.2.3, got {node.get(key)!r}")
    if not all(isinstance(p, list) and p for p in data["course_images"].values()):
        raise ValueError(f"{path}: course_images maps each image to a list of Debian packages")
    tables = ("node_image", "course_images")
    return Versions(**{k: (v if k in tables else str(v)) for k, v in data.items()})
