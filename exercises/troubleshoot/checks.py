"""Checks for chapter 7's lab: one case per fault (points each), on what the API shows.
Feedback names what is still broken — never how to repair it. A workload counts as
repaired when it is the very Deployment and Service the kit created (same UIDs), asks for
the replicas the kit asked for, has rolled out completely with every pod available, and its
Service sends traffic to those pods on a port their container listens on."""
from __future__ import annotations

import time

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from exercises.troubleshoot.lab import Lab, Workload
from kitlib.checks import Case, Summary, run_cases
from kitlib.kube import StoppedWaiting, wait_for
from kitlib.troubleshoot import look

POINTS_PER_FAULT = 2
STILL_FOR = 20.0       # seconds of no change, no rollout under way, after which settle() ends


def problems(api: client.ApiClient, lab: Lab, w: Workload) -> list[str]:
    """What is wrong with one workload now (empty: healthy)."""
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    ns, name = lab.namespace, w.name
    read = {"Deployment": apps.read_namespaced_deployment, "Service": core.read_namespaced_service}
    objects = {}
    for kind, reader in read.items():
        try:
            objects[kind] = reader(name, ns)
        except ApiException as exc:
            if exc.status == 404:
                return [f"{kind} {name} is gone"]
            raise
    dep, svc = objects["Deployment"], objects["Service"]
    found = []
    if dep.metadata.uid != w.deployment_uid:
        found.append(f"Deployment {name} is not the one the kit created (it was deleted)")
    if svc.metadata.uid != w.service_uid:
        found.append(f"Service {name} is not the one the kit created (it was deleted)")
    if dep.spec.replicas != w.replicas:
        found.append(f"Deployment {name} asks for {dep.spec.replicas} replicas, the workload needs {w.replicas}")
    if found:
        return found
    st = dep.status
    pods = [p for p in core.list_namespaced_pod(ns, label_selector=f"app={name}").items
            if not p.metadata.deletion_timestamp]
    rolled_out = ((st.observed_generation or 0) >= dep.metadata.generation
                  and (st.updated_replicas or 0) == w.replicas == (st.available_replicas or 0)
                  and not st.unavailable_replicas and len(pods) == w.replicas)
    if not rolled_out:
        stuck = [p for p in pods if not look.ready(p)]
        detail = ""
        if stuck:
            p = stuck[0]
            why = look.container_status(p)["reason"] or ("not scheduled" if not p.spec.node_name else "not ready")
            detail = f" (pod {p.metadata.name}: {p.status.phase}, {why})"
        found.append(f"Deployment {name}: {st.available_replicas or 0}/{w.replicas} pods available"
                     f"{detail}")
        return found                 # the Service cannot have endpoints before the pods
    # A container that exits at once is Ready for a moment between restarts: a pod that
    # has restarted is not healthy, however it looks right now (these pods have no probes).
    restarts = {p.metadata.name: look.container_status(p)["restarts"] for p in pods}
    if any(restarts.values()):
        return [f"Deployment {name}: pod {pod} has restarted {n} times"
                for pod, n in restarts.items() if n]
    served = look.endpoints(api, ns, name)["ready endpoints"]
    mine = {p.metadata.name for p in pods}
    if served == "(none)":
        found.append(f"Service {name} has no ready endpoints")
    elif not set(served) <= mine or not mine & set(served):
        found.append(f"Service {name} sends traffic to pods that are not {name}'s")
    target = svc.spec.ports[0].target_port
    template_ports = {p.container_port: p.name for c in dep.spec.template.spec.containers
                      for p in c.ports or []}
    if target not in template_ports and target not in template_ports.values():
        found.append(f"Service {name}: nothing in {name}'s pods listens on port {target}")
    return found


def rolling_out(api: client.ApiClient, lab: Lab) -> bool:
    """Is any Deployment of the lab still moving to its spec (a change not yet seen by its
    controller, pods of another template or too many or too few)?"""
    apps = client.AppsV1Api(api)
    for dep in apps.list_namespaced_deployment(lab.namespace).items:
        st = dep.status
        if ((st.observed_generation or 0) < dep.metadata.generation
                or (st.updated_replicas or 0) != dep.spec.replicas
                or (st.replicas or 0) != dep.spec.replicas):
            return True
    return False


def settle(api: client.ApiClient, lab: Lab, timeout: float = 90, say=print,
           still_for: float = STILL_FOR) -> None:
    """Give repairs time to roll out: wait until every workload is healthy, or ``timeout``,
    or until nothing has changed for ``still_for`` seconds with no rollout under way (what
    is still broken then stays broken). No failure here; the cases report what is wrong."""
    say("waiting for the workloads to settle …")
    seen: dict = {}

    def healthy() -> bool:
        seen["now"] = [problems(api, lab, w) for w in lab.workloads]
        return not any(seen["now"])

    def nothing_moves() -> str | None:
        if seen.get("now") != seen.get("before"):
            seen["before"], seen["since"] = seen.get("now"), time.monotonic()
            return None
        if time.monotonic() - seen["since"] < still_for or rolling_out(api, lab):
            return None
        return f"unchanged for {still_for:.0f}s"
    try:
        wait_for(healthy, timeout=timeout, interval=2, what="every workload healthy",
                 give_up=nothing_moves)
    except (TimeoutError, StoppedWaiting):
        pass


def _healthy(api: client.ApiClient, lab: Lab, w: Workload):
    def check():
        found = problems(api, lab, w)
        assert not found, "; ".join(found)
    return check


def public(api: client.ApiClient, lab: Lab, settle_timeout: float = 90) -> Summary:
    """One case per broken workload (POINTS_PER_FAULT each)."""
    settle(api, lab, settle_timeout)
    return run_cases("Lab: repair the namespace", [
        Case(f"workload {w.name} works again", _healthy(api, lab, w), points=POINTS_PER_FAULT)
        for w in lab.broken])
