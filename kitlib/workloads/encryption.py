"""Secrets at rest: what etcd holds for a Secret, without and with kube-apiserver's
encryption (``--encryption-provider-config``).

The kit's shared cluster boots without encryption, as kind and kubeadm do. To show the
difference without changing how every chapter's cluster starts, :func:`encrypted_cluster`
makes a second, short-lived Docker-free cluster whose kube-apiserver gets the flag, and
removes it afterwards."""
from __future__ import annotations

import base64
import os
from contextlib import contextmanager
from typing import Iterator

import yaml

CLUSTER = "ch08-encrypted"


def encryption_config(key: bytes) -> dict:
    """An EncryptionConfiguration: new Secrets are written with AES-CBC under ``key``; the
    ``identity`` provider after it still reads Secrets written before encryption was on."""
    return {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
            "resources": [{"resources": ["secrets"], "providers": [
                {"aescbc": {"keys": [{"name": "key1", "secret": base64.b64encode(key).decode()}]}},
                {"identity": {}}]}]}


def shown(config: dict) -> str:
    """The configuration as YAML, its key replaced by a placeholder (never print keys)."""
    text = yaml.safe_dump(config, sort_keys=False)
    for res in config["resources"]:
        for provider in res["providers"]:
            for key in provider.get("aescbc", {}).get("keys", []):
                text = text.replace(key["secret"], "<32 random bytes, base64>")
    return text


def secret_key(namespace: str, name: str) -> str:
    """Where kube-apiserver keeps a Secret in etcd."""
    return f"/registry/secrets/{namespace}/{name}"


def preview(raw: bytes, width: int = 72) -> str:
    """The first bytes of an etcd value, printable characters kept, others as '.'."""
    return "".join(chr(b) if 32 <= b < 127 else "." for b in raw[:width])


@contextmanager
def encrypted_cluster(report=lambda line: None) -> Iterator[str]:
    """A Docker-free cluster (named :data:`CLUSTER`, in the kit's state directory) whose
    kube-apiserver encrypts Secrets; yields its name, removes it on exit."""
    from kitlib.cluster.base import ClusterDir
    from kitlib.cluster.providers.kwok import KwokProvider
    cluster = ClusterDir(CLUSTER)
    provider = KwokProvider(cluster, report)
    provider.down()                                  # left over from an interrupted run
    cluster.path.mkdir(parents=True)
    config_file = cluster.path / "encryption.yaml"
    config_file.write_text(yaml.safe_dump(encryption_config(os.urandom(32))))
    config_file.chmod(0o600)
    provider.extra_args = (f"kube-apiserver=encryption-provider-config={config_file}",)
    try:
        provider.up()
        yield CLUSTER
    finally:
        provider.down()
