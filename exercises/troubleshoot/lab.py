"""The seeded breaker: five workloads in the learner's namespace, four of them broken in
different ways, the fifth left healthy. The same seed and provider always give the same
faults; the kit records the UIDs of what it created so the checks can tell a repair from
a deletion and re-creation.

    lab = break_namespace(api, namespace, seed=learner_seed())
"""
from __future__ import annotations

import getpass
import hashlib
import os
import random
from dataclasses import dataclass, field

from kubernetes import client

from exercises.troubleshoot.faults import Fault, catalogue, workload
from kitlib.kube import apply, wait_for
from kitlib.troubleshoot import look

NAMES = ["cart", "catalog", "checkout", "search", "reviews", "payments", "ratings"]
FAULTS_PER_LAB = 4
SEED_ENV = "KIT_LAB_SEED"


def learner_seed() -> int:
    """$KIT_LAB_SEED when set (an instructor can hand each learner a number), otherwise a
    number made from the login name, so every learner gets their own lab."""
    if os.environ.get(SEED_ENV):
        return int(os.environ[SEED_ENV])
    return int(hashlib.sha256(getpass.getuser().encode()).hexdigest()[:8], 16) % 10_000


@dataclass
class Workload:
    name: str
    fault: str | None                 # None: the workload the kit left healthy
    symptom: str | None
    replicas: int
    deployment_uid: str = ""
    service_uid: str = ""
    generation: int = 0


@dataclass
class Lab:
    namespace: str
    seed: int
    provider: str
    workloads: list[Workload] = field(default_factory=list)

    @classmethod
    def from_record(cls, record: dict) -> "Lab":
        """The lab from its JSON record (``dataclasses.asdict`` of one)."""
        return cls(**{**record, "workloads": [Workload(**w) for w in record["workloads"]]})

    @property
    def broken(self) -> list[Workload]:
        return [w for w in self.workloads if w.fault]

    @property
    def healthy(self) -> list[Workload]:
        return [w for w in self.workloads if not w.fault]


def plan(seed: int, provider: str) -> list[tuple[str, Fault | None, random.Random]]:
    """Which workload gets which fault (and the generator for its variant): pure, so the
    same seed and provider always give the same lab."""
    rng = random.Random(f"ch07-lab:{seed}")
    faults = rng.sample(catalogue(provider), FAULTS_PER_LAB)
    names = rng.sample(NAMES, FAULTS_PER_LAB + 1)
    return [(name, fault, random.Random(rng.random()))
            for name, fault in zip(names, [*faults, None])]


def _shows(api: client.ApiClient, namespace: str, w: Workload) -> bool:
    """Does the workload show its fault (or, for healthy pods, is it available)?"""
    core = client.CoreV1Api(api)
    pods = core.list_namespaced_pod(namespace, label_selector=f"app={w.name}").items
    if not pods:
        return False
    if w.symptom == "pending":
        return all(look.scheduling_message(api, namespace, p.metadata.name) for p in pods)
    if w.symptom == "waiting":
        status = look.container_status(pods[0])
        return status["reason"] in ("ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff") \
            or status["restarts"] > 0
    if not all(look.ready(p) for p in pods):
        return False
    # its Service lists the ready pods (unless its fault is selecting none)
    return w.symptom == "no-endpoints" or look.endpoints(api, namespace, w.name)["ready endpoints"] != "(none)"


def break_namespace(api: client.ApiClient, namespace: str, seed: int, provider: str,
                    say=print, timeout: float = 120) -> Lab:
    """Create the lab's workloads in ``namespace`` (which must exist), broken as ``plan``
    says; wait until each shows its symptom; return the record the checks use."""
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    lab = Lab(namespace, seed, provider)
    for name, fault, rng in plan(seed, provider):
        deployment, service = workload(name)
        if fault:
            fault.breaks(deployment, service, rng)
        apply(api, [deployment, service], namespace=namespace)
        lab.workloads.append(Workload(name, fault.kind if fault else None,
                                      fault.symptom if fault else None,
                                      deployment["spec"]["replicas"]))
    say(f"created {len(lab.workloads)} workloads in {namespace}; waiting for the damage to show")
    for w in lab.workloads:
        wait_for(lambda w=w: _shows(api, namespace, w), timeout=timeout, interval=1,
                 what=f"workload {w.name} to settle")
        dep = apps.read_namespaced_deployment(w.name, namespace)
        w.deployment_uid, w.generation = dep.metadata.uid, dep.metadata.generation
        w.service_uid = core.read_namespaced_service(w.name, namespace).metadata.uid
    say(f"{len(lab.broken)} of them are broken; over to you")
    return lab
