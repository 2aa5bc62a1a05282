"""Where pods of an image the kit builds (the grader's, the course's) can run on the kit's
cluster NAME, and how they get the image: on kind it is built here and loaded onto one
worker (kind's nodes are containers on this one machine: a second node adds no cores, only
another copy of a large image to load); on any other cluster it must be one the nodes can
pull, given by the instructor. A Docker-free cluster's nodes are simulated and run nothing."""
from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from kitlib.cluster import tools
from kitlib.cluster.base import ClusterError, Report

IMAGE_ERRORS = ("ErrImageNeverPull", "ErrImagePull", "ImagePullBackOff", "InvalidImageName")


@dataclass
class Target:
    image: str
    pull: str                        # imagePullPolicy
    node: str | None = None          # kind: the one node the image was loaded onto


def target(name: str, image: str | None, build: Callable[[Report], str], repo: str,
           how_to_build: str, report: Report) -> Target:
    """The image for pods on the kit's cluster ``name``: ``image`` if given, else (kind
    only) ``build(report)``'s, loaded onto one worker, where older tags of ``repo`` go."""
    from kitlib.cluster import ClusterDir
    record = ClusterDir(name).read()
    if record is None:
        raise ClusterError(f"no cluster {name!r} recorded; start it with `kit up --name {name}`")
    if record.provider == "kwok":
        raise ClusterError(f"{name!r} is a Docker-free cluster: its nodes are simulated and run "
                           "no pods. Use a kind cluster (`kit up --provider kind`) or an "
                           "existing one")
    if record.provider != "kind":
        if not image:
            raise ClusterError(f"{name!r} is not a cluster the kit can load images into: build "
                               f"the image where Docker runs ({how_to_build}), push it where "
                               "the nodes pull from and give it with --image")
        return Target(image, "IfNotPresent")
    if record.details.get("docker_host"):
        os.environ["DOCKER_HOST"] = record.details["docker_host"]
    tag = image or build(report)
    node = schedulable_nodes(name)[0]
    _forget_older(node, repo, tag)
    report(f"loading {tag} onto {node} (kind cluster {name!r}; a minute or two the first time)")
    kind = tools.ensure(["kind"], report=report)["kind"]
    proc = subprocess.run([str(kind), "load", "docker-image", tag, "--name", name, "--nodes", node],
                          capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise ClusterError(f"kind load docker-image {tag} failed: {proc.stderr.strip()[-500:]}")
    return Target(tag, "Never", node)


def _forget_older(node: str, repo: str, keep: str) -> None:
    """Earlier images of ``repo`` on a kind node (one per change of the kit) fill its disk."""
    listing = subprocess.run(["docker", "exec", node, "crictl", "images", "-o", "json"],
                             capture_output=True, text=True, timeout=120)
    if listing.returncode != 0:
        return
    for img in json.loads(listing.stdout).get("images", []):
        for ref in img.get("repoTags") or []:
            if ref.split("/", 1)[-1].startswith(repo + ":") and not ref.endswith(keep):
                subprocess.run(["docker", "exec", node, "crictl", "rmi", ref],
                               capture_output=True, timeout=120)


def schedulable_nodes(cluster: str) -> list[str]:
    """Nodes ordinary pods can land on (not tainted NoSchedule, like a control plane)."""
    from kubernetes import client

    from kitlib.kube import api_client, kubeconfig_path
    nodes = client.CoreV1Api(api_client(kubeconfig_path(cluster))).list_node().items
    found = sorted(n.metadata.name for n in nodes
                   if not any(t.effect == "NoSchedule" for t in n.spec.taints or []))
    if not found:
        raise ClusterError(f"cluster {cluster!r} has no node that takes ordinary pods")
    return found


def image_trouble(pods: list) -> str | None:
    """Why one of ``pods`` cannot get its image, if one cannot."""
    for pod in pods:
        for status in pod.status.container_statuses or []:
            waiting = status.state.waiting
            if waiting and waiting.reason in IMAGE_ERRORS:
                return f"{waiting.reason}: {waiting.message or ''}".strip()
    return None
