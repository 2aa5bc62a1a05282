"""What kube-apiserver stores in etcd: one key per object, under /registry/<resource>/
[<namespace>/]<name>. The values are protobuf blobs; the keys alone tell the story.

Docker-free: etcd listens on plain http on 127.0.0.1, and its JSON gateway answers
``POST /v3/kv/range`` (keys and values base64-encoded). kind: etcdctl inside the etcd
static pod, with etcd's own client certificate."""
from __future__ import annotations

import base64
import json
import urllib.request
from collections import Counter

PREFIX = "/registry/"
KIND_ETCDCTL = ["etcdctl", "--endpoints=https://127.0.0.1:2379",
                "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
                "--cert=/etc/kubernetes/pki/etcd/server.crt",
                "--key=/etc/kubernetes/pki/etcd/server.key"]


def prefix_range_end(prefix: str) -> str:
    """etcd reads a prefix as the range [prefix, range_end): the prefix with its last
    byte incremented ("/registry/" -> "/registry0")."""
    raw = prefix.encode()
    if not raw:
        raise ValueError("an empty prefix has no range end")
    return (raw[:-1] + bytes([raw[-1] + 1])).decode()


def range_request(prefix: str = PREFIX, keys_only: bool = True) -> dict:
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    return {"key": b64(prefix), "range_end": b64(prefix_range_end(prefix)), "keys_only": keys_only}


def decode_keys(reply: dict) -> list[str]:
    """Keys from a /v3/kv/range JSON reply (an empty range has no "kvs")."""
    return [base64.b64decode(kv["key"]).decode() for kv in reply.get("kvs", [])]


def etcd_http_url(cluster: str | None = None) -> str:
    from kitlib.tour.where import kwok_port
    return f"http://127.0.0.1:{kwok_port('etcd', 'http', cluster)}"


def _kwok_range(request: dict, cluster: str | None = None) -> dict:
    url = etcd_http_url(cluster)
    assert url.startswith("http://127.0.0.1:")
    req = urllib.request.Request(url + "/v3/kv/range", data=json.dumps(request).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as reply:
        return json.load(reply)


def _kwok_keys(prefix: str) -> list[str]:
    return decode_keys(_kwok_range(range_request(prefix)))


def _kind_keys(prefix: str) -> list[str]:
    from kitlib.cluster import cluster_name
    from kitlib.tour.apiserver import kubectl
    pod = f"etcd-{cluster_name()}-control-plane"
    out = kubectl("exec", "-n", "kube-system", pod, "--", *KIND_ETCDCTL,
                  "get", prefix, "--prefix", "--keys-only")
    return [line for line in out.splitlines() if line.strip()]


def registry_keys(prefix: str = PREFIX) -> list[str]:
    """Every key under ``prefix``, sorted, read straight from etcd."""
    from kitlib.tour.where import provider
    keys = _kwok_keys(prefix) if provider() == "kwok" else _kind_keys(prefix)
    return sorted(keys)


def stored_value(key: str, cluster: str | None = None) -> bytes:
    """The bytes etcd holds for one key (b"" when there is none), exactly as kube-apiserver
    wrote them. ``cluster``: another Docker-free cluster of the kit (kwok only)."""
    from kitlib.tour.where import provider
    if cluster or provider() == "kwok":
        request = {"key": base64.b64encode(key.encode()).decode()}
        kvs = _kwok_range(request, cluster).get("kvs", [])
        return b"".join(base64.b64decode(kv.get("value", "")) for kv in kvs)
    import subprocess

    from kitlib.cluster import cluster_name
    from kitlib.cluster.tools import binary_path
    from kitlib.kube import kubeconfig_path
    pod = f"etcd-{cluster_name()}-control-plane"        # etcdctl prints the raw bytes: not text
    out = subprocess.run([str(binary_path("kubectl")), "--kubeconfig", str(kubeconfig_path()), "exec", "-n",
                          "kube-system", pod, "--", *KIND_ETCDCTL, "get", key, "--print-value-only"],
                         capture_output=True, timeout=60, check=True)
    return out.stdout.removesuffix(b"\n")


def resource_of(key: str) -> str:
    """'/registry/pods/ns/name' -> 'pods'; '/registry/apps/deployments/..' -> 'apps/deployments'
    is not knowable from the key alone, so this keeps the first path segment."""
    return key[len(PREFIX):].split("/", 1)[0] if key.startswith(PREFIX) else key


def count_by_resource(keys: list[str]) -> list[dict]:
    counts = Counter(resource_of(k) for k in keys)
    return [{"under /registry/": r, "keys": n} for r, n in sorted(counts.items())]


def keys_of_namespace(keys: list[str], namespace: str) -> list[str]:
    """Keys of namespaced objects in ``namespace``: /registry/<resource>/<namespace>/<name>."""
    return [k for k in keys if k.startswith(PREFIX) and k.count("/") >= 4
            and k.split("/")[-2] == namespace]
