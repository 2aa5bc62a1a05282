"""Checks for chapter 08's application: the learner's manifests are applied in a namespace
made for the check, then each component is judged by what the cluster does with it — never
by comparing fields with a reference answer."""
from __future__ import annotations

import re

import yaml
from kubernetes import client

from kitlib.kube import apply, wait_for
from kitlib.workloads import sets

GREETING = "welcome"          # the value the web tier must get from a ConfigMap
DB_REPLICAS = 2
SPARE_VOLUMES = 4             # static PVs made for the check: the db's claims, and room to grow


def as_manifests(answer) -> list[dict]:
    """The learner's answer (YAML text or a list of dicts) as a list of manifest dicts."""
    docs = list(yaml.safe_load_all(answer)) if isinstance(answer, str) else answer
    assert isinstance(docs, (list, tuple)), f"expected YAML text or a list of dicts, got {type(answer).__name__}"
    docs = [d for d in docs if d]
    bad = [d for d in docs if not isinstance(d, dict) or "kind" not in d]
    assert not bad, f"not a manifest (a dict with a kind): {str(bad[0])[:80]}"
    return docs


def deploy(api: client.ApiClient, namespace: str, answer) -> list[str]:
    """Provision the db's volumes (as an administrator would) and apply the answer; return
    the kinds applied. The volumes carry the namespace's name: :func:`remove` deletes them."""
    manifests = as_manifests(answer)
    apply(api, sets.static_volumes(namespace, SPARE_VOLUMES))
    for m in manifests:
        m.setdefault("metadata", {})["namespace"] = namespace
    apply(api, manifests, namespace=namespace)
    return sorted(m["kind"] for m in manifests)


def remove(api: client.ApiClient, namespace: str) -> None:
    from kitlib.kube import delete_namespace
    delete_namespace(api, namespace, wait=True)
    sets.delete_static_volumes(api, namespace)


# ----------------------------------------------------------------------- reading back
def ready(pod) -> bool:
    return pod.metadata.deletion_timestamp is None and any(
        c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def deployment_pods(api: client.ApiClient, namespace: str, name: str) -> list:
    """The live pods of Deployment ``name`` (through its ReplicaSets' owner references)."""
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    sets_of = {rs.metadata.name for rs in apps.list_namespaced_replica_set(namespace).items
               if any(o.kind == "Deployment" and o.name == name for o in rs.metadata.owner_references or [])}
    return [p for p in core.list_namespaced_pod(namespace).items if p.metadata.deletion_timestamp is None
            and any(o.kind == "ReplicaSet" and o.name in sets_of for o in p.metadata.owner_references or [])]


def owned_pods(api: client.ApiClient, namespace: str, kind: str, name: str) -> list:
    return [p for p in client.CoreV1Api(api).list_namespaced_pod(namespace).items
            if p.metadata.deletion_timestamp is None
            and any(o.kind == kind and o.name == name for o in p.metadata.owner_references or [])]


def endpoint_pods(api: client.ApiClient, namespace: str, service: str) -> set[str]:
    """Names of the ready pods behind a Service, from its EndpointSlices."""
    slices = client.DiscoveryV1Api(api).list_namespaced_endpoint_slice(
        namespace, label_selector=f"kubernetes.io/service-name={service}").items
    return {e.target_ref.name for s in slices for e in s.endpoints or []
            if e.target_ref and (e.conditions is None or e.conditions.ready is not False)}


def env_value(api: client.ApiClient, namespace: str, container, name: str) -> tuple[str, str]:
    """(where, value) of environment variable ``name`` as the kubelet will set it, resolved
    through the API: a literal, a ConfigMap key (env or envFrom), or a Secret."""
    core = client.CoreV1Api(api)
    found = ("not set", "")
    for src in container.env_from or []:            # env wins over envFrom; later envFrom over earlier
        prefix = src.prefix or ""
        if src.config_map_ref and name.startswith(prefix):
            data = core.read_namespaced_config_map(src.config_map_ref.name, namespace).data or {}
            if name[len(prefix):] in data:
                found = (f"ConfigMap {src.config_map_ref.name}", data[name[len(prefix):]])
    for e in container.env or []:
        if e.name != name:
            continue
        ref = e.value_from and e.value_from.config_map_key_ref
        if ref:
            data = core.read_namespaced_config_map(ref.name, namespace).data or {}
            found = (f"ConfigMap {ref.name}", data.get(ref.key, ""))
        else:
            found = ("a literal value" if e.value is not None else "another source", e.value or "")
    return found


def is_nightly(schedule: str) -> bool:
    """Once a day, at a fixed minute of an hour between 00 and 05 (or @daily / @midnight)."""
    if schedule.strip() in ("@daily", "@midnight"):
        return True
    fields = schedule.split()
    if len(fields) != 5 or not all(re.fullmatch(r"\d+", f) for f in fields[:2]):
        return False
    minute, hour = int(fields[0]), int(fields[1])
    return minute < 60 and hour <= 5 and fields[2:] == ["*", "*", "*"]


# ----------------------------------------------------------------------- one check each
def web_tier(api: client.ApiClient, namespace: str, timeout: float = 60) -> None:
    dep = client.AppsV1Api(api).read_namespaced_deployment("web", namespace)
    assert (dep.spec.replicas or 1) >= 2, f"Deployment web asks for {dep.spec.replicas} replica(s); at least 2"

    def two_ready():
        pods = [p for p in deployment_pods(api, namespace, "web") if ready(p)]
        return pods if len(pods) >= 2 else None
    pods = wait_for(two_ready, timeout=timeout, what="2 ready web pods")
    for p in pods:
        where, value = env_value(api, namespace, p.spec.containers[0], "GREETING")
        assert where.startswith("ConfigMap"), f"pod {p.metadata.name}: GREETING comes from {where}, not a ConfigMap"
        assert value == GREETING, f"pod {p.metadata.name}: GREETING would be {value!r}, not {GREETING!r}"


def web_service(api: client.ApiClient, namespace: str, timeout: float = 30) -> None:
    client.CoreV1Api(api).read_namespaced_service("web", namespace)

    def covered():
        web = {p.metadata.name for p in deployment_pods(api, namespace, "web") if ready(p)}
        return web and web <= endpoint_pods(api, namespace, "web")
    try:
        wait_for(covered, timeout=timeout, what="the web pods behind Service web")
    except TimeoutError:
        raise AssertionError(f"Service web's endpoints {sorted(endpoint_pods(api, namespace, 'web')) or '(none)'} "
                             "are not the web pods") from None


def worker(api: client.ApiClient, namespace: str, timeout: float = 60) -> None:
    apps = client.AppsV1Api(api)
    apps.read_namespaced_deployment("worker", namespace)
    wait_for(lambda: (apps.read_namespaced_deployment("worker", namespace).status.ready_replicas or 0) >= 1,
             timeout=timeout, what="a ready worker pod")


def nightly_job(api: client.ApiClient, namespace: str, timeout: float = 60) -> None:
    from kitlib.workloads.batch import finished, job_from_cronjob, job_row
    cj = client.BatchV1Api(api).read_namespaced_cron_job("nightly", namespace)
    assert is_nightly(cj.spec.schedule), f"schedule {cj.spec.schedule!r} is not once a night (between 00:00 and 05:59)"
    apply(api, job_from_cronjob(api, namespace, "nightly", "nightly-check"), namespace=namespace)
    wait_for(lambda: finished(api, namespace, "nightly-check"), timeout=timeout, what="the nightly Job to finish")
    row = job_row(api, namespace, "nightly-check")
    assert row["finished"] == "Complete", f"a Job from the CronJob's template ended {row['finished']}"


def agent_everywhere(api: client.ApiClient, namespace: str, nodes: set[str] | None = None,
                     timeout: float = 60) -> None:
    client.AppsV1Api(api).read_namespaced_daemon_set("agent", namespace)
    wanted = nodes or sets.untainted_nodes(api)

    def placed():
        on = [p.spec.node_name for p in owned_pods(api, namespace, "DaemonSet", "agent") if ready(p)]
        return wanted <= set(on) and len(on) == len(set(on))
    try:
        wait_for(placed, timeout=timeout, what="an agent pod on every node")
    except TimeoutError:
        on = sorted(p.spec.node_name or "-" for p in owned_pods(api, namespace, "DaemonSet", "agent"))
        raise AssertionError(f"agent pods on {on}; wanted one on each of {sorted(wanted)}") from None


def database(api: client.ApiClient, namespace: str, timeout: float = 90) -> None:
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    sts = apps.read_namespaced_stateful_set("db", namespace)
    assert sts.spec.volume_claim_templates, "StatefulSet db has no volumeClaimTemplates"
    svc = core.read_namespaced_service(sts.spec.service_name, namespace)
    assert svc.spec.cluster_ip == "None", f"Service {svc.metadata.name} (the StatefulSet's serviceName) is not headless"
    names = [f"db-{i}" for i in range(DB_REPLICAS)]

    def all_ready():
        pods = {p.metadata.name: p for p in owned_pods(api, namespace, "StatefulSet", "db")}
        return all(n in pods and ready(pods[n]) for n in names) and pods
    try:
        pods = wait_for(all_ready, timeout=timeout, what=f"pods {names} ready")
    except TimeoutError:
        found = sorted(p.metadata.name for p in owned_pods(api, namespace, "StatefulSet", "db"))
        raise AssertionError(f"wanted ready pods {names}, found {found or 'none'}") from None
    for n in names:
        claims = [v.persistent_volume_claim.claim_name for v in pods[n].spec.volumes or [] if v.persistent_volume_claim]
        assert claims, f"pod {n} mounts no PersistentVolumeClaim"
        for c in claims:
            phase = core.read_namespaced_persistent_volume_claim(c, namespace).status.phase
            assert phase == "Bound", f"claim {c} of pod {n} is {phase}"


def after(problem: str | None, check):
    """``check`` as a case; when applying the answer failed (``problem``), its failure says
    so first, since that is the likelier cause."""
    def run():
        try:
            check()
        except Exception as exc:
            if problem is None:
                raise
            raise AssertionError(f"applying your manifests failed ({problem}); "
                                 f"then {type(exc).__name__}: {str(exc)[:120]}") from None
    return run
