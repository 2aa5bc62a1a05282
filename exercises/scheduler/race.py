"""The race of chapter 05: the same workload on two identical pools of simulated nodes,
one placed by kube-scheduler, the other by the learner's scheduler."""
from __future__ import annotations

import statistics
import time
import uuid

from kubernetes import client

from exercises.scheduler import scenarios as S
from exercises.scheduler.scenarios import as_json
from kitlib.kube import wait_for
from kitlib.scheduler import Framework, Scheduler
from kitlib.scheduler.visual import utilization


def race_workload(n: int, pool: str, scheduler: str) -> list[dict]:
    """``n`` pods of a few sizes, confined to one pool of nodes."""
    sizes = [("250m", "512Mi"), ("500m", "1Gi"), ("1", "1Gi"), ("100m", "2Gi"), (None, None)]
    pods = []
    for i in range(n):
        cpu, mem = sizes[i % len(sizes)]
        p = S.pod(f"w{i:04d}", cpu, mem, scheduler=scheduler, node_selector={"kit.course/pool": pool})
        pods.append(p)
    return pods


def balance(rows: list[dict]) -> dict:
    cpu = [r["cpu %"] for r in rows]
    return {"pods per node (min-max)": f"{min(r['pods'] for r in rows)}-{max(r['pods'] for r in rows)}",
            "cpu % stdev": round(statistics.pstdev(cpu), 1) if cpu else 0.0}


def _bound_count(core: client.CoreV1Api, ns: str) -> int:
    return sum(1 for p in as_json(core.list_namespaced_pod, ns)["items"] if p["spec"].get("nodeName"))


def run_pool(api, ns: str, pods: list[dict], timeout: float = 120, scheduler: Scheduler | None = None) -> float:
    """Create ``pods`` in ``ns`` and return seconds until all are bound (measured from the
    first create to the last binding seen). With ``scheduler`` (the one placing them), stop
    at once when its plugins show the pods will not be bound (Scheduler.wait_for)."""
    core = client.CoreV1Api(api)
    start = time.monotonic()
    S.create_pods(api, ns, pods)
    all_bound = lambda: _bound_count(core, ns) >= len(pods)       # noqa: E731
    what = f"{len(pods)} pods bound"
    try:
        if scheduler is not None:
            scheduler.wait_for(all_bound, what=what, timeout=timeout, interval=0.1)
        else:
            wait_for(all_bound, what=what, timeout=timeout, interval=0.1)
    except TimeoutError:
        raise TimeoutError(f"only {_bound_count(core, ns)}/{len(pods)} pods bound after {timeout:.0f}s") from None
    return time.monotonic() - start


def run(api, framework: Framework, nodes: int = 4, pods: int = 40, scenario: str = "ch05-race") -> list[dict]:
    """The same workload on two identical pools of simulated nodes: one placed by
    kube-scheduler (``default-scheduler``), one by ``framework``. Returns one row each."""
    from kitlib.kube import delete_namespace
    core = client.CoreV1Api(api)
    pools = {"kube-scheduler": "race-default", "kit-scheduler": "race-kit"}
    S.create_nodes(api, [S.node(f"{scenario}-{pool.split('-')[1]}-{i}", cpu="8", memory="16Gi",
                                labels={"kit.course/pool": pool})
                         for pool in pools.values() for i in range(nodes)], scenario)
    rows = []
    try:
        for who, pool in pools.items():
            ns = f"{scenario}-{uuid.uuid4().hex[:6]}"
            core.create_namespace({"metadata": {"name": ns, "labels": {"kitlib/temporary": "true"}}})
            try:
                name = "default-scheduler" if who == "kube-scheduler" else framework.scheduler_name
                work = race_workload(pods, pool, name)
                if who == "kube-scheduler":
                    seconds = run_pool(api, ns, work)
                else:
                    with Scheduler(api, framework, record_events=True) as scheduler:
                        seconds = run_pool(api, ns, work, scheduler=scheduler)
                util = utilization(api, f"kit.course/pool={pool}")
                rows.append({"scheduler": who, "pods": pods, "seconds": round(seconds, 2),
                             "pods/s": round(pods / seconds, 1), **balance(util)})
            finally:
                delete_namespace(api, ns)
    finally:
        S.delete_nodes(api, scenario)
    return rows
