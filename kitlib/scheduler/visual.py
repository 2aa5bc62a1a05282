"""Seeing what the scheduler decided: a per-node x per-plugin table (the view
kube-scheduler-simulator gives), a utilization plot, and a race against kube-scheduler."""
from __future__ import annotations

import statistics
import time
import uuid

from kitlib.kube import table
from kitlib.scheduler import scenarios as S
from kitlib.scheduler.framework import Framework, NodeInfo
from kitlib.scheduler.resources import node_allocatable

_SHORT = {"NodeResourcesFit": "Fit", "NodeUnschedulable": "Unschedulable",
          "TaintToleration": "Taint", "NodeAffinity": "Affinity"}
_SCORE_SHORT = {"NodeResourcesFit": "LeastAlloc", "TaintToleration": "Taint",
                "NodeAffinity": "Affinity", "NodeResourcesBalancedAllocation": "Balanced"}


def explain(framework: Framework, pod: dict, node_infos: list[NodeInfo]) -> str:
    """One row per node: each filter's verdict, each score plugin's normalized score x
    weight, the total, and which node wins. Deterministic text (nbval compares it)."""
    result = framework.schedule(pod, node_infos, explain=True)
    if result.error:
        return f"error: {result.error}"
    headers = ["node"] + [f"{_SHORT.get(p.name, p.name)}?" for p in framework.filters] + \
              [f"{_SCORE_SHORT.get(p.name, p.name)} x{w}" for p, w in framework.scores] + ["total", ""]
    rows = []
    for ni in sorted(node_infos, key=lambda n: n.name):
        status = result.statuses[ni.name]
        verdicts = []
        failed = False
        for p in framework.filters:
            if failed:
                verdicts.append("")                 # later filters do not run
            elif status.plugin == p.name:
                verdicts.append("✘ " + "; ".join(status.reasons))
                failed = True
            else:
                verdicts.append("✔")
        scores = [str(result.normalized.get(p.name, {}).get(ni.name, "")) for p, _ in framework.scores]
        total = result.totals.get(ni.name, "")
        rows.append([ni.name, *verdicts, *scores, total, "◀ chosen" if ni.name == result.node else ""])
    text = table(rows, headers)
    verdict = f"→ {result.node}" if result.node else f"→ stays Pending: {result.message}"
    return f"{text}\n{verdict}"


def utilization(api, selector: str) -> list[dict]:
    """Requested CPU and memory as % of allocatable on the nodes matching ``selector``."""
    from kitlib.client import Rest
    rest = Rest(api)
    nodes = rest.get("/api/v1/nodes", labelSelector=selector)["items"]
    pods = rest.get("/api/v1/pods")["items"]
    rows = []
    for n in sorted(nodes, key=lambda n: n["metadata"]["name"]):
        name = n["metadata"]["name"]
        on = [p for p in pods if p["spec"].get("nodeName") == name
              and p.get("status", {}).get("phase") not in ("Succeeded", "Failed")]
        info = NodeInfo(n, on)
        alloc = node_allocatable(n)
        rows.append({"node": name, "pods": len(on),
                     "cpu %": round(100 * info.requested.milli_cpu / alloc.milli_cpu, 1) if alloc.milli_cpu else 0,
                     "memory %": round(100 * info.requested.memory / alloc.memory, 1) if alloc.memory else 0})
    return rows


def plot_utilization(rows: list[dict], title: str = "Requested share of each node"):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3))
    x = range(len(rows))
    ax.bar([i - 0.2 for i in x], [r["cpu %"] for r in rows], width=0.4, label="CPU")
    ax.bar([i + 0.2 for i in x], [r["memory %"] for r in rows], width=0.4, label="memory")
    ax.set_xticks(list(x), [r["node"] for r in rows], rotation=20, ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of allocatable")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ the race
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


def _bound_count(rest, ns: str) -> int:
    return sum(1 for p in rest.get(f"/api/v1/namespaces/{ns}/pods")["items"] if p["spec"].get("nodeName"))


def run_pool(api, ns: str, pods: list[dict], timeout: float = 120) -> float:
    """Create ``pods`` in ``ns`` and return seconds until all are bound (measured from the
    first create to the last binding seen)."""
    from kitlib.client import Rest
    rest = Rest(api)
    start = time.monotonic()
    S.create_pods(api, ns, pods)
    while _bound_count(rest, ns) < len(pods):
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"only {_bound_count(rest, ns)}/{len(pods)} pods bound after {timeout:.0f}s")
        time.sleep(0.1)
    return time.monotonic() - start


def race(api, framework: Framework, nodes: int = 4, pods: int = 40, scenario: str = "ch05-race") -> list[dict]:
    """The same workload on two identical pools of simulated nodes: one placed by
    kube-scheduler (``default-scheduler``), one by ``framework``. Returns one row each."""
    from kitlib.kube import delete_namespace
    from kitlib.client import Rest
    from kitlib.scheduler.scheduler import Scheduler
    rest = Rest(api)
    pools = {"kube-scheduler": "race-default", "kit-scheduler": "race-kit"}
    S.create_nodes(api, [S.node(f"{scenario}-{pool.split('-')[1]}-{i}", cpu="8", memory="16Gi",
                                labels={"kit.course/pool": pool})
                         for pool in pools.values() for i in range(nodes)], scenario)
    rows = []
    try:
        for who, pool in pools.items():
            ns = f"{scenario}-{uuid.uuid4().hex[:6]}"
            rest.post("/api/v1/namespaces", {"metadata": {"name": ns, "labels": {"kitlib/temporary": "true"}}})
            try:
                name = "default-scheduler" if who == "kube-scheduler" else framework.scheduler_name
                work = race_workload(pods, pool, name)
                if who == "kube-scheduler":
                    seconds = run_pool(api, ns, work)
                else:
                    with Scheduler(api, framework, record_events=True):
                        seconds = run_pool(api, ns, work)
                util = utilization(api, f"kit.course/pool={pool}")
                rows.append({"scheduler": who, "pods": pods, "seconds": round(seconds, 2),
                             "pods/s": round(pods / seconds, 1), **balance(util)})
            finally:
                delete_namespace(api, ns)
    finally:
        S.delete_nodes(api, scenario)
    return rows
