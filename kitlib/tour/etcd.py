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


def etcd_http_url() -> str:
    from kitlib.tour.where import kwok_port
    return f"http://127.0.0.1:{kwok_port('etcd', 'http')}"


def _kwok_keys(prefix: str) -> list[str]:
    url = etcd_http_url()
    assert url.startswith("http://127.0.0.1:")
    req = urllib.request.Request(url + "/v3/kv/range", data=json.dumps(range_request(prefix)).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as reply:
        return decode_keys(json.load(reply))


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
