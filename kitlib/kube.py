"""Small helpers over the official ``kubernetes`` client, bound to the kit's kubeconfig."""
from __future__ import annotations

import os
from pathlib import Path

from kubernetes import client, config


def kubeconfig_path(name: str | None = None) -> Path:
    """The kubeconfig of the kit's cluster ``name`` (default ``$KIT_CLUSTER`` or "kit"),
    kept in the kit's state directory."""
    from kitlib.cluster.base import DEFAULT_NAME, ClusterDir
    return ClusterDir(name or os.environ.get("KIT_CLUSTER", DEFAULT_NAME)).kubeconfig


def api_client(kubeconfig: Path | str | None = None) -> client.ApiClient:
    """An ApiClient for the kit's cluster (never reads ~/.kube/config by accident)."""
    path = Path(kubeconfig) if kubeconfig else kubeconfig_path()
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: start the cluster with `kit up` "
                                "or kitlib.cluster.up()")
    return config.new_client_from_config(config_file=str(path))
