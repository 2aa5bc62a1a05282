"""Seeing what the scheduler decided: a per-node x per-plugin table (the view
kube-scheduler-simulator gives) and a utilization plot."""
from __future__ import annotations

from kitlib.kube import table
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

