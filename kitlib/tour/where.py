"""Where the control plane runs: local processes started by kwokctl (Docker-free) or
static pods on a kind node container. Everything here only reads."""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from kubernetes import client

from kitlib import kube

CONTROL_PLANE = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")


def provider() -> str:
    """'kwok' (Docker-free), 'kind' or 'existing'."""
    from kitlib import cluster
    return cluster.status().provider


def cluster_dir(name: str | None = None):
    from kitlib.cluster import ClusterDir, cluster_name
    return ClusterDir(cluster_name(name))


def kwok_config_file(name: str | None = None) -> Path:
    """kwokctl's record of the components it runs: <state>/clusters/<name>/kwok/clusters/<name>/kwok.yaml
    (``name``: another Docker-free cluster of the kit than the current one)."""
    c = cluster_dir(name)
    return c.path / "kwok" / "clusters" / c.name / "kwok.yaml"


def kwok_components(name: str | None = None) -> dict[str, dict]:
    """{component name: its kwokctl entry (binary, args, ports)} from kwokctl's config."""
    docs = yaml.safe_load_all(kwok_config_file(name).read_text())
    config = next(d for d in docs if d and d.get("kind") == "KwokctlConfiguration")
    return {c["name"]: c for c in config["components"]}


def kwok_port(component: str, port_name: str, name: str | None = None) -> int:
    ports = kwok_components(name)[component]["ports"]
    return next(p["port"] for p in ports if p["name"] == port_name)


def local_processes() -> list[dict]:
    """The Docker-free cluster's processes (found by their command lines): pid and program."""
    from kitlib.cluster.providers.kwok import processes_under
    found = []
    for pid in processes_under(cluster_dir().path):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        program = Path(argv[0].decode()).name
        if program in (*CONTROL_PLANE, "kwok", "kwok-controller"):
            found.append({"pid": pid, "program": program})
    return sorted(found, key=lambda p: p["program"])


def control_plane_pods(api: client.ApiClient) -> list[str]:
    """kind: the control plane runs as static pods in kube-system (names end in the node)."""
    pods = client.CoreV1Api(api).list_namespaced_pod("kube-system").items
    return sorted(p.metadata.name for p in pods)


def running_components(api: client.ApiClient) -> list[str]:
    """Names of the control-plane programs running right now, whatever the provider."""
    if provider() == "kwok":       # kwok-controller runs too, but it plays the nodes
        return sorted({p["program"] for p in local_processes()} & set(CONTROL_PLANE))
    pods = control_plane_pods(api)
    return sorted({c for c in (*CONTROL_PLANE, "cloud-controller-manager")
                   if any(p.startswith(c + "-") for p in pods)})


def docker_exec(container: str, *command: str, timeout: float = 60) -> str:
    """Run a command inside a kind node container (kind only) and return its output."""
    out = subprocess.run(["docker", "exec", container, *command], capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"docker exec {container} {' '.join(command)}: {out.stderr.strip()}")
    return out.stdout


# A fresh namespace for a chapter (labelled temporary); the chapter deletes it.
new_namespace = kube.new_namespace
