"""Chapter 08's encryption at rest: the kit's cluster keeps Secrets in clear in etcd (its
boot is unchanged), and the short-lived cluster made with kube-apiserver's
--encryption-provider-config (KwokProvider.extra_args) stores them encrypted, and is gone
afterwards."""
import pytest
from kubernetes import client

from kitlib import kube
from kitlib.cluster.base import ClusterDir
from kitlib.cluster.providers.kwok import KwokProvider
from kitlib.tour import etcd, where
from kitlib.workloads import config, encryption

pytestmark = pytest.mark.cluster


def test_the_kits_cluster_stores_secrets_in_clear(api, namespace):
    kube.apply(api, config.credentials("plain-in-etcd"), namespace=namespace)
    stored = etcd.stored_value(encryption.secret_key(namespace, "credentials"))
    assert stored.startswith(b"k8s\x00") and b"plain-in-etcd" in stored
    assert "--encryption-provider-config" not in " ".join(where.kwok_components()["kube-apiserver"]["args"])
    assert KwokProvider.extra_args == ()


def test_the_encrypted_cluster_encrypts_new_secrets_and_goes_away():
    with encryption.encrypted_cluster() as name:
        other = kube.api_client(ClusterDir(name).kubeconfig)
        kube.apply(other, config.credentials("sealed-in-etcd"), namespace="default")
        stored = etcd.stored_value(encryption.secret_key("default", "credentials"), cluster=name)
        assert stored.startswith(b"k8s:enc:aescbc:v1:key1:") and b"sealed-in-etcd" not in stored
        data = client.CoreV1Api(other).read_namespaced_secret("credentials", "default").data
        assert data["DB_PASSWORD"] == "c2VhbGVkLWluLWV0Y2Q="        # the API decrypts
        assert etcd.stored_value("/registry/secrets/default/nothing-here", cluster=name) == b""
    assert not ClusterDir(name).path.exists()


def test_the_configuration_never_prints_its_key():
    key = b"k" * 32
    text = encryption.shown(encryption.encryption_config(key))
    assert "aescbc" in text and "identity" in text
    assert encryption.encryption_config(key)["resources"][0]["providers"][0]["aescbc"]["keys"][0]["secret"] not in text
