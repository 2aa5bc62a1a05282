"""kube-apiserver three ways. kubectl, the Python client and a hand-made HTTPS request all
do the same thing underneath: an HTTPS call to one address, authenticated with the client
certificate from the kit's kubeconfig."""
from __future__ import annotations

import base64
import contextlib
import http.client
import ipaddress
import json
import os
import ssl
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlparse

import yaml
from kubernetes import client


@dataclass
class Credentials:
    """What a kubeconfig says about reaching its current cluster."""
    server: str
    ca: bytes
    cert: bytes
    key: bytes

    @property
    def host(self) -> str:
        return urlparse(self.server).hostname or ""

    @property
    def port(self) -> int:
        return urlparse(self.server).port or 443


def _file_or_data(entry: dict, field: str, base: Path) -> bytes:
    """kubeconfigs carry either ``<field>`` (a path) or ``<field>-data`` (base64)."""
    if entry.get(field + "-data"):
        return base64.b64decode(entry[field + "-data"])
    path = Path(entry[field])
    return (path if path.is_absolute() else base / path).read_bytes()


def read_credentials(kubeconfig: Path | str) -> Credentials:
    """Server, CA and client certificate of the kubeconfig's current context."""
    path = Path(kubeconfig)
    cfg = yaml.safe_load(path.read_text())
    context = next(c["context"] for c in cfg["contexts"] if c["name"] == cfg["current-context"])
    cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in cfg["users"] if u["name"] == context["user"])
    return Credentials(cluster["server"],
                       _file_or_data(cluster, "certificate-authority", path.parent),
                       _file_or_data(user, "client-certificate", path.parent),
                       _file_or_data(user, "client-key", path.parent))


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@contextlib.contextmanager
def _tls_context(creds: Credentials) -> Iterator[ssl.SSLContext]:
    """Trust the cluster's CA and present the client certificate (key files live only
    for the duration of the call, readable by this user only)."""
    ctx = ssl.create_default_context(cadata=creds.ca.decode())
    with tempfile.TemporaryDirectory(prefix="kit-tls-") as tmp:
        cert, key = Path(tmp, "client.crt"), Path(tmp, "client.key")
        for path, data in ((cert, creds.cert), (key, creds.key)):
            path.write_bytes(data)
            os.chmod(path, 0o600)
        ctx.load_cert_chain(str(cert), str(key))
        yield ctx


def raw_get(path: str, kubeconfig: Path | str) -> dict:
    """GET ``path`` from kube-apiserver by hand: TLS, client certificate, JSON. Refuses
    anything but a loopback address (the course never leaves this machine)."""
    creds = read_credentials(kubeconfig)
    if not is_loopback(creds.host):
        raise ValueError(f"{creds.server} is not a loopback address; the tour only talks to 127.0.0.1")
    with _tls_context(creds) as ctx:
        conn = http.client.HTTPSConnection(creds.host, creds.port, context=ctx, timeout=30)
        try:
            conn.request("GET", path, headers={"Accept": "application/json"})
            reply = conn.getresponse()
            body = reply.read()
        finally:
            conn.close()
    if reply.status != 200:
        raise RuntimeError(f"GET {path}: HTTP {reply.status} {body[:200]!r}")
    return json.loads(body)


def kubectl(*args: str, kubeconfig: Path | str | None = None, timeout: float = 60) -> str:
    """Run the pinned kubectl against the kit's cluster and return its stdout."""
    from kitlib.cluster.tools import binary_path
    from kitlib.kube import kubeconfig_path
    cmd = [str(binary_path("kubectl")), "--kubeconfig", str(kubeconfig or kubeconfig_path()), *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"kubectl {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


def version_three_ways(api: client.ApiClient, kubeconfig: Path | str) -> dict[str, str]:
    """The server's gitVersion as told to kubectl, to the Python client and to raw HTTPS."""
    return {
        "kubectl get --raw /version": json.loads(kubectl("get", "--raw", "/version",
                                                         kubeconfig=kubeconfig))["gitVersion"],
        "Python client VersionApi": client.VersionApi(api).get_code().git_version,
        "raw HTTPS GET /version": raw_get("/version", kubeconfig)["gitVersion"],
    }


def api_groups(api: client.ApiClient) -> list[dict]:
    """Every API group with its preferred version; the core group ("" -> /api/v1) first."""
    groups = client.ApisApi(api).get_api_versions().groups
    rows = [{"group": "(core)", "preferred version": "v1", "path": "/api/v1"}]
    rows += [{"group": g.name, "preferred version": g.preferred_version.version,
              "path": f"/apis/{g.preferred_version.group_version}"}
             for g in sorted(groups, key=lambda g: g.name)]
    return rows


def apiserver_identities(api: client.ApiClient) -> list[str]:
    """Each running kube-apiserver keeps a Lease labelled with its identity: one lease per
    instance, so an HA control plane would show several."""
    leases = client.CoordinationV1Api(api).list_namespaced_lease(
        "kube-system", label_selector="apiserver.kubernetes.io/identity=kube-apiserver").items
    return sorted(lease.metadata.name for lease in leases)


def kubernetes_service(api: client.ApiClient) -> dict:
    """The ``default/kubernetes`` Service and the apiserver addresses behind it (one per
    apiserver instance; the address each one advertises)."""
    core = client.CoreV1Api(api)
    svc = core.read_namespaced_service("kubernetes", "default")
    slices = client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(
        "default", label_selector="kubernetes.io/service-name=kubernetes").items
    addresses = sorted(a for s in slices for e in (s.endpoints or []) for a in e.addresses)
    ports = sorted({p.port for s in slices for p in (s.ports or [])})
    return {"clusterIP": svc.spec.cluster_ip, "endpoints": addresses, "ports": ports}
