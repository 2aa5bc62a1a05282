"""The fault catalogue: each fault breaks one workload (a Deployment and its Service) in a
way the learner can diagnose through the API, with a variant drawn from the lab's random
generator. ``API_FAULTS`` show on any provider (the scheduler and the endpoint controllers
are real everywhere); ``CONTAINER_FAULTS`` need real containers (kind)."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

UNPULLABLE = "127.0.0.1:9/kit/{name}:1.0"       # a loopback registry that refuses connections


def workload(name: str) -> tuple[dict, dict]:
    """A healthy workload: one nginx replica and the Service in front of it."""
    labels = {"app": name}
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {
                     "terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "web", "image": "nginx:1.27",
                                     "ports": [{"containerPort": 80}],
                                     "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}}}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
               "spec": {"selector": dict(labels), "ports": [{"port": 80, "targetPort": 80}]}}
    return deployment, service


def _container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def _pod_spec(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]


# Each breaker changes the manifests in place. ``symptom`` says what the kit waits to see
# before handing the namespace over (so a diagnosis never races the fault).
def too_big(dep, svc, rng):
    _container(dep)["resources"]["requests"]["cpu"] = rng.choice(["24", "48", "96"])


def no_such_node(dep, svc, rng):
    key, value = rng.choice([("disktype", "nvme"), ("kitlib.dev/pool", "gpu"), ("hardware", "arm-v9")])
    _pod_spec(dep)["nodeSelector"] = {key: value}


def wrong_zone(dep, svc, rng):
    _pod_spec(dep)["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone",
                                                     "operator": "In",
                                                     "values": [rng.choice(["mars-1", "moon-2"])]}]}]}}}


def selector_typo(dep, svc, rng):
    name = svc["metadata"]["name"]
    i = rng.randrange(len(name) - 1)                     # swap two neighbouring letters
    typo = name[:i] + name[i + 1] + name[i] + name[i + 2:]
    svc["spec"]["selector"] = {"app": typo if typo != name else name + "s"}


def wrong_target_port(dep, svc, rng):
    svc["spec"]["ports"][0]["targetPort"] = rng.choice([8080, 8000, 81, 3000])


def unpullable_image(dep, svc, rng):
    _container(dep)["image"] = UNPULLABLE.format(name=dep["metadata"]["name"])


def crash_on_start(dep, svc, rng):
    _container(dep)["command"] = ["sh", "-c", f"echo 'fatal: {rng.choice(['/etc/app.conf', '/run/secret'])}"
                                              f" not found' >&2; exit {rng.choice([1, 2, 3])}"]


@dataclass(frozen=True)
class Fault:
    kind: str
    breaks: Callable[[dict, dict, random.Random], None]
    symptom: str          # "pending" | "no-endpoints" | "port" | "waiting"


API_FAULTS = [Fault("too-big", too_big, "pending"),
              Fault("no-such-node", no_such_node, "pending"),
              Fault("wrong-zone", wrong_zone, "pending"),
              Fault("selector-typo", selector_typo, "no-endpoints"),
              Fault("wrong-target-port", wrong_target_port, "port")]
CONTAINER_FAULTS = [Fault("unpullable-image", unpullable_image, "waiting"),
                    Fault("crash-on-start", crash_on_start, "waiting")]


def catalogue(provider: str) -> list[Fault]:
    """The faults a provider can show: all of them with real containers, the API ones on
    the Docker-free cluster (its pods run without containers)."""
    return API_FAULTS + (CONTAINER_FAULTS if provider == "kind" else [])
