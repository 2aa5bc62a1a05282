"""Controller benchmark: convergence latency of the reference PodSet controller
(kitlib.controller, in this process) against the built-in ReplicaSet controller
(kube-controller-manager) on the same Docker-free cluster, in one run.

Scenarios, each repeated --repeats times, alternating the two controllers:
  * scale 0 -> N: from the spec change until N pods of the owner are Ready;
  * recovery: delete k of the N pods; until N pods are Ready again.
Writes: the PodSet controller's API writes are counted exactly (a counting client); for
both controllers, the writes visible through watches are counted the same way (pods
created or deleted by the controller + updates of the owner's status).

    .venv/bin/python benchmarks/controller.py [--replicas 30] [--kill 10] [--repeats 3]

It boots its own cluster in a private KIT_STATE_DIR and removes it afterwards.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


class Observer:
    """Watches the pods and the owner in one namespace; knows when N owned pods are Ready
    and counts the writes visible in the watch stream."""

    def __init__(self, api, namespace, owner_kind):
        from kitlib.client import Informer, collection_path
        from kitlib.controller import GROUP, PLURAL, VERSION
        self.cond = threading.Condition()
        self.pod_adds = self.pod_deletes_by_owner = self.status_updates = 0
        self.expected_deletes: set[str] = set()
        self.pods = Informer(api, collection_path("v1", "pods", namespace), self._on_pod,
                             name="bench-pods")
        if owner_kind == "ReplicaSet":
            owners = collection_path("apps/v1", "replicasets", namespace)
        else:
            owners = collection_path(f"{GROUP}/{VERSION}", PLURAL, namespace)
        self.owners = Informer(api, owners, self._on_owner, name="bench-owners")

    def start(self):
        for informer in (self.pods, self.owners):
            informer.start()
        for informer in (self.pods, self.owners):
            informer.wait_for_sync(30)
        return self

    def stop(self):
        self.pods.stop()
        self.owners.stop()

    def _on_pod(self, kind, old, new):
        with self.cond:
            if kind == "ADDED" and self.pods.has_synced():
                self.pod_adds += 1
            going = new is not None and new["metadata"].get("deletionTimestamp")
            if kind == "MODIFIED" and going and not old["metadata"].get("deletionTimestamp"):
                if new["metadata"]["name"] not in self.expected_deletes:
                    self.pod_deletes_by_owner += 1
            self.cond.notify_all()

    def _on_owner(self, kind, old, new):
        with self.cond:
            if kind == "MODIFIED" and (old.get("status") != new.get("status")):
                self.status_updates += 1
            self.cond.notify_all()

    def ready_count(self):
        from kitlib.controller import controller_of, is_active, is_ready
        return sum(1 for p in self.pods.store.list() if controller_of(p) and is_active(p) and is_ready(p))

    def active_count(self):
        from kitlib.controller import controller_of, is_active
        return sum(1 for p in self.pods.store.list() if controller_of(p) and is_active(p))

    def wait(self, predicate, timeout=120):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("benchmark scenario did not converge")
                self.cond.wait(min(left, 0.05))
        return time.perf_counter()

    def writes(self):
        return self.pod_adds + self.pod_deletes_by_owner + self.status_updates


def run_scenarios(api, which, n, k):
    """One repetition of both scenarios for ``which`` ("replicaset" or "podset")."""
    import uuid

    from kubernetes import client

    from exercises.controller import reference
    from kitlib.controller import GROUP, PLURAL, VERSION, Controller, podset
    from kitlib.kube import delete_namespace
    core, apps, custom = client.CoreV1Api(api), client.AppsV1Api(api), client.CustomObjectsApi(api)
    ns = f"bench-{which}-{uuid.uuid4().hex[:5]}"
    core.create_namespace({"metadata": {"name": ns}})
    ctrl = None
    manifest = podset("web", 0)
    try:
        if which == "replicaset":
            body = {**manifest, "apiVersion": "apps/v1", "kind": "ReplicaSet"}
            apps.create_namespaced_replica_set(ns, body)
            scale = lambda r: apps.patch_namespaced_replica_set("web", ns, {"spec": {"replicas": r}})
            obs = Observer(api, ns, "ReplicaSet").start()
        else:
            custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, manifest)
            scale = lambda r: custom.patch_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "web",
                                                                    {"spec": {"replicas": r}})
            obs = Observer(api, ns, "PodSet").start()
            ctrl = Controller(api, reference.reconcile, namespace=ns, resync_period=600).start()
            ctrl.wait_idle(timeout=10)
        time.sleep(0.5)
        result = {}
        # scale 0 -> N
        w0, c0 = obs.writes(), (ctrl.api.writes if ctrl else None)
        t0 = time.perf_counter()
        scale(n)
        t1 = obs.wait(lambda: obs.ready_count() == n and obs.active_count() == n)
        time.sleep(1.0)          # let trailing status writes land before counting
        result["scale_up_s"] = t1 - t0
        result["scale_up_writes_observed"] = obs.writes() - w0
        if ctrl:
            result["scale_up_writes_exact"] = ctrl.api.writes - c0
        # recovery after deleting k pods
        victims = sorted(p["metadata"]["name"] for p in obs.pods.store.list())[:k]
        obs.expected_deletes.update(victims)
        w0, c0 = obs.writes(), (ctrl.api.writes if ctrl else None)
        t0 = time.perf_counter()
        for name in victims:
            core.delete_namespaced_pod(name, ns)
        names = set(victims)
        t1 = obs.wait(lambda: obs.ready_count() == n and obs.active_count() == n
                      and not names & {p["metadata"]["name"] for p in obs.pods.store.list()
                                       if not p["metadata"].get("deletionTimestamp")})
        time.sleep(1.0)
        result["recovery_s"] = t1 - t0
        result["recovery_writes_observed"] = obs.writes() - w0
        if ctrl:
            result["recovery_writes_exact"] = ctrl.api.writes - c0
        obs.stop()
        return result
    finally:
        if ctrl:
            ctrl.stop()
        delete_namespace(api, ns)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--replicas", type=int, default=30)
    parser.add_argument("--kill", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "controller.json"))
    args = parser.parse_args(argv)

    state = Path(tempfile.mkdtemp(prefix="kit-bench-controller-"))
    os.environ.update(KIT_STATE_DIR=str(state), KIT_PROVIDER="kwok", KIT_CLUSTER="kit")
    from kitlib import cluster
    from kitlib.controller import install_crd
    from kitlib.kube import api_client
    runs = {"replicaset": [], "podset": []}
    try:
        cluster.up(report=lambda line: None)
        api = api_client()
        install_crd(api)
        for i in range(args.repeats):
            for which in ("replicaset", "podset") if i % 2 == 0 else ("podset", "replicaset"):
                r = run_scenarios(api, which, args.replicas, args.kill)
                runs[which].append(r)
                print(which, {k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()}, flush=True)
    finally:
        cluster.down(report=lambda line: None)
        shutil.rmtree(state, ignore_errors=True)

    def med(which, key):
        values = [r[key] for r in runs[which] if key in r]
        return round(statistics.median(values), 3) if values else None

    summary = {}
    for scenario in ("scale_up", "recovery"):
        rs, ps = med("replicaset", f"{scenario}_s"), med("podset", f"{scenario}_s")
        summary[scenario] = {
            "replicaset_controller_s": rs, "podset_reference_s": ps,
            "ratio_podset_over_replicaset": round(ps / rs, 2) if rs else None,
            "replicaset_writes_observed": med("replicaset", f"{scenario}_writes_observed"),
            "podset_writes_observed": med("podset", f"{scenario}_writes_observed"),
            "podset_writes_exact": med("podset", f"{scenario}_writes_exact"),
        }
    result = {
        "benchmark": "controller convergence: reference PodSet controller vs built-in ReplicaSet controller",
        "command": "python benchmarks/controller.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "cluster": "Docker-free (kwok provider): real kube-apiserver/kube-controller-manager, simulated nodes",
        "replicas": args.replicas, "killed": args.kill, "repeats": args.repeats,
        "statistic": "median of repeats",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "summary": summary,
        "runs": {k: [{kk: round(vv, 4) if isinstance(vv, float) else vv for kk, vv in r.items()}
                     for r in v] for k, v in runs.items()},
        "notes": ["latency = from the API call (spec patch or pod deletions) until the watch "
                  "shows N Ready pods owned by the controller's object",
                  "writes_observed: pods created + pods deleted by the controller + status updates "
                  "of the owner, as seen through watches (same method for both)",
                  "writes_exact: POST/PUT/PATCH/DELETE requests made by the PodSet controller",
                  "the PodSet controller runs in the benchmark's own Python process (1 worker); "
                  "kube-controller-manager is a separate Go process"],
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
