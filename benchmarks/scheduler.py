"""Scheduler benchmark: scheduling throughput of the kit's mini-scheduler with chapter 05's
reference plugins (``python -m kitlib.scheduler --framework
exercises.scheduler.reference:framework``, a process of its own) against kube-scheduler v1.37.0 on
the same Docker-free cluster, with the same client limits (QPS 50, burst 100: kube-scheduler's
defaults, which the kit's scheduler copies), and the balance of the placements.

    python benchmarks/scheduler.py [--sizes 100x1000,300x3000] [--out benchmarks/results/scheduler.json]

It boots its own cluster in a private KIT_STATE_DIR (removed at the end). For each size
it makes two identical pools of simulated nodes, one per scheduler, and for each
scheduler creates the same pods (from 8 client threads, as fast as the API server takes
them) while the scheduler runs; a watch records when each pod's ``spec.nodeName``
appears. Throughput is sampled per second, as scheduler_perf's SchedulingThroughput does
(average and percentiles of the per-second samples between the first and last binding).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CLUSTER = "schedbench"
SIZES = [(100, 1000), (300, 3000)]
POD_SIZES = [("250m", "512Mi"), ("500m", "1Gi"), ("1", "1Gi"), ("100m", "2Gi"), ("200m", "256Mi")]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


class BindWatcher:
    """Watches pods in one namespace and notes when each first shows a node."""

    def __init__(self, api, namespace: str):
        from kitlib.client import Informer
        self.bound: dict[str, float] = {}
        self.informer = Informer(api, f"/api/v1/namespaces/{namespace}/pods", self._on_pod,
                                 name="bench-bind-watcher", watch_timeout=600).start()
        self.informer.wait_for_sync(30)

    def _on_pod(self, kind: str, old, new) -> None:
        if new is not None and new["spec"].get("nodeName"):
            self.bound.setdefault(new["metadata"]["name"], time.monotonic())

    def close(self) -> None:
        self.informer.stop()


def create_pods(api, ns: str, pods: list[dict], threads: int = 8) -> tuple[float, float]:
    from exercises.scheduler.scenarios import strip_for_create
    from kitlib.client import Rest
    rest = Rest(api)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda p: rest.post(f"/api/v1/namespaces/{ns}/pods", strip_for_create(p)), pods))
    return start, time.monotonic()


def balance(api, pool: str) -> dict:
    from kitlib.scheduler.visual import utilization
    rows = utilization(api, f"kit.course/pool={pool}")
    pods = [r["pods"] for r in rows]
    cpu = [r["cpu %"] for r in rows]
    return {"pods_per_node_min": min(pods), "pods_per_node_max": max(pods),
            "pods_per_node_stdev": round(statistics.pstdev(pods), 2),
            "cpu_percent_stdev": round(statistics.pstdev(cpu), 2),
            "cpu_percent_mean": round(statistics.mean(cpu), 2)}


def one_run(api, kubeconfig: Path, who: str, nodes: int, pods: int, qps: float, burst: int) -> dict:
    from exercises.scheduler import scenarios as S
    from kitlib.client import Rest
    from kitlib.kube import delete_namespace
    rest = Rest(api)
    tag = f"{who.split('-')[0]}-{nodes}-{qps:g}".replace(".", "")
    pool, scen = f"bench-{tag}", f"bench-{tag}"
    S.create_nodes(api, [S.node(f"{pool}-{i:04d}", cpu="8", memory="32Gi", pods=110,
                                labels={"kit.course/pool": pool}) for i in range(nodes)], scen, timeout=300)
    ns = f"bench-{tag}"
    rest.post("/api/v1/namespaces", {"metadata": {"name": ns}})
    proc = None
    name = "default-scheduler" if who == "kube-scheduler" else "kit-scheduler"
    workload = [S.pod(f"p{i:05d}", *POD_SIZES[i % len(POD_SIZES)], scheduler=name,
                      node_selector={"kit.course/pool": pool}) for i in range(pods)]
    try:
        if who != "kube-scheduler":
            proc = subprocess.Popen([sys.executable, "-m", "kitlib.scheduler", "--kubeconfig", str(kubeconfig),
                                     "--framework", "exercises.scheduler.reference:framework",
                                     "--qps", str(qps), "--burst", str(burst), "--quiet"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
            time.sleep(3)                                   # list+watch synced
        watcher = BindWatcher(api, ns)
        t0, t_created = create_pods(api, ns, workload)
        deadline = time.monotonic() + max(300, pods / 5)
        while len(watcher.bound) < pods and time.monotonic() < deadline:
            time.sleep(0.2)
        watcher.close()
        times = sorted(watcher.bound.values())
        if len(times) < pods:
            raise RuntimeError(f"{who}: only {len(times)}/{pods} pods bound")
        first, last = times[0], times[-1]
        samples = []                                  # pods bound in each whole second
        t = first
        while t + 1 <= last:
            samples.append(sum(1 for x in times if t <= x < t + 1))
            t += 1
        result = {
            "scheduler": who, "nodes": nodes, "pods": pods, "client_qps": qps, "client_burst": burst,
            "create_seconds": round(t_created - t0, 2),
            "create_rate": round(pods / (t_created - t0), 1),
            "first_create_to_last_bound_s": round(last - t0, 2),
            "first_to_last_bound_s": round(last - first, 2),
            "throughput": {"average": round((pods - 1) / (last - first), 1) if last > first else None,
                           "perc50": percentile(samples, 50), "perc90": percentile(samples, 90),
                           "perc99": percentile(samples, 99), "samples": len(samples)},
            "balance": balance(api, pool)}
        return result
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(60)
        delete_namespace(api, ns, wait=True, timeout=600)
        S.delete_nodes(api, scen, timeout=300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(f"{n}x{p}" for n, p in SIZES),
                        help="nodes x pods, comma separated")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "scheduler.json"))
    parser.add_argument("--no-unlimited", action="store_true",
                        help="skip the extra kit-scheduler run without a client rate limit")
    args = parser.parse_args()
    sizes = [tuple(int(x) for x in s.split("x")) for s in args.sizes.split(",")]

    state = Path(tempfile.mkdtemp(prefix="kit-bench-scheduler-"))
    os.environ.update({"KIT_STATE_DIR": str(state), "KIT_PROVIDER": "kwok", "KIT_CLUSTER": CLUSTER})
    from kitlib import cluster
    from kitlib.cluster.versions import load
    from kitlib.kube import api_client
    runs = []
    try:
        status = cluster.up(name=CLUSTER)
        kubeconfig = Path(status.kubeconfig)
        api = api_client(kubeconfig)
        api.configuration.connection_pool_maxsize = 16
        for nodes, pods in sizes:
            for who, qps, burst in (("kube-scheduler", 50, 100), ("kit-scheduler", 50, 100)):
                print(f"{who}: {nodes} nodes, {pods} pods (qps {qps}, burst {burst}) ...", flush=True)
                runs.append(one_run(api, kubeconfig, who, nodes, pods, qps, burst))
                print("   ", json.dumps(runs[-1]), flush=True)
        if not args.no_unlimited:
            nodes, pods = sizes[0]
            print(f"kit-scheduler without client rate limit: {nodes} nodes, {pods} pods ...", flush=True)
            runs.append(one_run(api, kubeconfig, "kit-scheduler", nodes, pods, 0, 0))
            print("   ", json.dumps(runs[-1]), flush=True)
    finally:
        cluster.down(name=CLUSTER)
        shutil.rmtree(state, ignore_errors=True)

    ratios = {}
    for nodes, pods in sizes:
        limited = [r for r in runs if r["nodes"] == nodes and r["client_qps"] == 50]
        kube = next(r for r in limited if r["scheduler"] == "kube-scheduler")
        kit = next(r for r in limited if r["scheduler"] == "kit-scheduler")
        ratios[f"{nodes}x{pods}"] = round(kit["throughput"]["average"] / kube["throughput"]["average"], 2)
    out = {
        "benchmark": "scheduler throughput: kit-scheduler (Python, reference plugins) vs kube-scheduler",
        "command": "python benchmarks/scheduler.py --sizes " + args.sizes,
        "kubernetes": load().kubernetes, "provider": "kwok (Docker-free: real control plane, simulated nodes)",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "note": "2 cores shared with other work while measured"},
        "method": "pods created from 8 client threads while the scheduler runs; a watch records the "
                  "first time each pod shows spec.nodeName; throughput = per-second samples between "
                  "the first and the last binding (scheduler_perf's SchedulingThroughput); one run each",
        "runs": runs, "throughput_ratio_kit_over_kube": ratios,
    }
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({"ratios": ratios}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
