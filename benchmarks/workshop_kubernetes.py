"""What an instructor running a room on a Kubernetes cluster waits for and pays, for each
room size: `room.up` until the hub is ready, then every learner logging in and starting
their server at once (a browser session each, all through one `forward` port-forward on
loopback) until every server answers; each learner pod's idle memory and CPU (read inside
the pod from its cgroup: server and own control plane); chapter 0 (the solved sources) run
by every learner at once in their own pod on their own cluster; `kit workshop status`;
`down`.

    KIT_STATE_DIR=... .venv/bin/python benchmarks/workshop_kubernetes.py --cluster kit --learners 2 4

The kit's cluster NAME must be running (on kind the course image is built here and loaded
onto one worker). Only the rooms' own namespaces are made and deleted. Writes
benchmarks/results/workshop_kubernetes.json.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IDLE_SECONDS = 15.0
# Run in a learner's pod: the pod's CPU time over SECONDS and its memory, from its cgroup
# (v1: cpuacct and memory controllers; v2: the unified files). Working set as the kubelet
# counts it: usage less inactive page cache.
USAGE = r"""
import json, sys, time
from pathlib import Path
root = Path("/sys/fs/cgroup")
def number(path):
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
def stat(path, key):
    try:
        return next(int(v) for k, v in (line.split() for line in path.read_text().splitlines()) if k == key)
    except (OSError, StopIteration):
        return None
if (root / "cgroup.controllers").is_file():
    version, cpu = "v2", lambda: stat(root / "cpu.stat", "usage_usec") * 1000
    used, peak, limit = root / "memory.current", root / "memory.peak", root / "memory.max"
    inactive = stat(root / "memory.stat", "inactive_file")
else:
    acct = next(p for p in (root / "cpu,cpuacct" / "cpuacct.usage", root / "cpuacct" / "cpuacct.usage")
                if p.is_file())
    version, cpu = "v1", lambda: number(acct)
    used, peak = root / "memory" / "memory.usage_in_bytes", root / "memory" / "memory.max_usage_in_bytes"
    limit, inactive = root / "memory" / "memory.limit_in_bytes", stat(root / "memory" / "memory.stat",
                                                                      "total_inactive_file")
seconds = float(sys.argv[1])
before, started = cpu(), time.monotonic()
time.sleep(seconds)
cores = (cpu() - before) / 1e9 / (time.monotonic() - started) if seconds else None
memory = number(used)
print(json.dumps({"cgroup": version, "cpu_cores": cores, "memory_bytes": memory,
                  "working_set_bytes": memory - (inactive or 0), "peak_bytes": number(peak),
                  "limit_bytes": number(limit)}))
"""
JUPYTER_LINE = re.compile(r"\[[DIWEC] \d{4}-\d\d-\d\d ")     # the Jupyter server's log lines
# Chapter 0 as the integration test runs it: the solved sources, on the learner's cluster.
CHAPTER_0 = r"""
import json, subprocess, time
started = time.monotonic()
run = subprocess.run(["jupyter", "execute", "--output", "/tmp/ch00", "/srv/kit/chapters/00-setup.ipynb"],
                     cwd="/tmp", capture_output=True, text=True)
print(json.dumps({"seconds": time.monotonic() - started, "rc": run.returncode,
                  "errors": run.stderr[-1500:] if run.returncode else ""}))
"""


def mib(value: int | None) -> int | None:
    return None if value is None else round(value / 2**20)


def in_pod(made, pod: str, script: str, *args: str, timeout: float = 900) -> dict:
    from kitlib.workshop.k8s import room as k8s_room
    out = k8s_room.exec_in(made, pod, ["python", "-c", script, *args], timeout=timeout)
    return json.loads(out.strip().splitlines()[-1])


def at_once(names: list[str], work) -> dict[str, dict]:
    """``work(name)`` for every learner at the same time; a failure is that learner's row."""
    def one(name: str) -> dict:
        try:
            return work(name)
        except Exception as exc:        # noqa: BLE001 - one learner's failure is a result
            return {"error": f"{type(exc).__name__}: {exc}"[:1500]}
    with ThreadPoolExecutor(len(names)) as pool:
        return dict(zip(names, pool.map(one, names)))


class PodWatch(threading.Thread):
    """Learners' pods seen every 3 s while servers start: why one is not scheduled."""

    def __init__(self, made):
        super().__init__(daemon=True)
        self.made, self.unschedulable, self.stop = made, {}, threading.Event()

    def run(self) -> None:
        from kitlib.workshop.k8s import room as k8s_room
        while not self.stop.wait(3):
            try:
                pods = k8s_room.learner_pods(self.made)
            except Exception:       # noqa: BLE001 - the API busy for a moment: look again
                continue
            for name, pod in pods.items():
                for cond in pod.status.conditions or []:
                    if cond.type == "PodScheduled" and cond.status == "False":
                        self.unschedulable[name] = f"{cond.reason}: {cond.message}"


def pod_timeline(pod) -> dict:
    """Seconds from the pod's creation to its scheduling and its container's start."""
    created = pod.metadata.creation_timestamp
    when = {c.type: c.last_transition_time for c in pod.status.conditions or [] if c.status == "True"}
    started = next((s.state.running.started_at for s in pod.status.container_statuses or []
                    if s.state.running), None)
    since = lambda t: None if t is None else (t - created).total_seconds()
    return {"node": pod.spec.node_name, "scheduled_after_seconds": since(when.get("PodScheduled")),
            "container_started_after_seconds": since(started)}


def log_times(made, pod) -> dict:
    """From the learner's pod log (timestamped by the kubelet): seconds from the pod's creation
    to the start of their own cluster (`kit up` in the pod) and to the Jupyter server's first
    line once it is up."""
    from datetime import datetime

    from kubernetes import client
    log = client.CoreV1Api(made.api()).read_namespaced_pod_log(
        pod.metadata.name, made.namespace, container="notebook", timestamps=True)
    marks: dict = {}
    for line in log.splitlines():
        stamp, _, text = line.partition(" ")
        if "starting this learner's cluster" in text:
            marks.setdefault("cluster_start", stamp)
        elif "cluster_start" in marks and JUPYTER_LINE.match(text):
            marks["jupyter_start"] = stamp
            break
    since = lambda s: round((datetime.fromisoformat(s[:26].rstrip("Z") + "+00:00")
                             - pod.metadata.creation_timestamp).total_seconds(), 1)
    return {"cluster_start_after_seconds": since(marks["cluster_start"]) if "cluster_start" in marks else None,
            "jupyter_start_after_seconds": since(marks["jupyter_start"]) if "jupyter_start" in marks else None}


def start_learner(base: str, name: str, password: str, t_up: float, t_logins: float) -> dict:
    from kitlib.workshop.k8s.browser import Browser
    browser = Browser(base)
    row: dict = {"login_ok": browser.login(name, password).ok,
                 "login_seconds": round(time.monotonic() - t_logins, 1)}
    try:
        status = browser.start_server(name, poll=1)
        row.update(server_ok=status.ok and "kernels" in status.json())
    except TimeoutError as exc:
        row.update(server_ok=False, error=str(exc))
    row.update(server_seconds=round(time.monotonic() - t_logins, 1),
               server_since_up_seconds=round(time.monotonic() - t_up, 1))
    return row


def one_room(cluster: str, size: int, memory_mb: int, cpus: float, settle: float) -> dict:
    from kitlib.cluster.ports import loopback_ports
    from kitlib.workshop.k8s import room as k8s_room
    from kitlib.workshop.k8s.browser import wait_for_hub
    names = [f"b{i:02d}" for i in range(1, size + 1)]
    scratch = Path(tempfile.mkdtemp(prefix=f"kit-k8s-bench-{size}-"))
    directory, log = scratch / "room", []
    result: dict = {"learners": size, "memory_mb": memory_mb, "cpus": cpus,
                    "load_average_before": [round(x, 2) for x in os.getloadavg()]}
    t_up = time.monotonic()
    report = lambda line: log.append([round(time.monotonic() - t_up, 1), line])
    forward, watch, rows = None, None, {n: {"learner": n} for n in names}
    try:
        made = k8s_room.up(directory, names, cluster, memory_mb=memory_mb, cpus=cpus, report=report)
        result.update(
            up_returned_seconds=round(time.monotonic() - t_up, 1),
            image_ready_seconds=next(s for s, line in log if line.startswith(f"room {made.namespace}")),
            hub_ready_seconds=next(s for s, line in log if line == "JupyterHub is ready"))
        [port] = loopback_ports(1)
        forward = subprocess.Popen(k8s_room.forward_command(made, port), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}/"
        wait_for_hub(base, forward, timeout=60)
        result["hub_through_forward_seconds"] = round(time.monotonic() - t_up, 1)
        passwords = {r["login"]: r["password"] for r in csv.DictReader((directory / "credentials.csv").open())}
        watch = PodWatch(made)
        watch.start()
        t_logins = time.monotonic()
        for name, row in at_once(names, lambda n: start_learner(base, n, passwords[n], t_up, t_logins)).items():
            rows[name].update(row)
        watch.stop.set()
        ready = [n for n in names if rows[n].get("server_ok")]
        result.update(all_servers_ok=len(ready) == size, unschedulable=watch.unschedulable,
                      all_servers_seconds=max(rows[n].get("server_seconds", -1) for n in names),
                      all_servers_since_up_seconds=max(rows[n].get("server_since_up_seconds", -1) for n in names))
        pods = k8s_room.learner_pods(made)
        for name, pod in pods.items():
            rows[name].update(pod_timeline(pod))
            try:
                rows[name].update(log_times(made, pod))
            except Exception as exc:        # noqa: BLE001 - the breakdown is extra
                rows[name]["log_error"] = f"{type(exc).__name__}: {exc}"[:300]
        time.sleep(settle)
        idle = at_once(ready, lambda n: in_pod(made, pods[n].metadata.name, USAGE, str(IDLE_SECONDS)))
        for name, usage in idle.items():
            rows[name].update(cgroup=usage.get("cgroup"), idle_memory_mib=mib(usage.get("memory_bytes")),
                              idle_working_set_mib=mib(usage.get("working_set_bytes")),
                              idle_cpu_cores=round(usage["cpu_cores"], 3) if "cpu_cores" in usage else None,
                              memory_limit_mib=mib(usage.get("limit_bytes")), idle_error=usage.get("error"))
        chapter = at_once(ready, lambda n: timed(lambda: in_pod(made, pods[n].metadata.name, CHAPTER_0)))
        for name, run in chapter.items():
            rows[name].update(chapter0_wall_seconds=run.get("wall_seconds"),
                              chapter0_seconds=round(run["seconds"], 1) if "seconds" in run else None,
                              chapter0_ok=run.get("rc") == 0, chapter0_errors=run.get("errors") or run.get("error"))
        after = at_once(ready, lambda n: in_pod(made, pods[n].metadata.name, USAGE, "0"))
        for name, usage in after.items():
            rows[name].update(peak_memory_mib=mib(usage.get("peak_bytes")),
                              memory_after_chapter0_mib=mib(usage.get("memory_bytes")))
        t_status = time.monotonic()
        status = k8s_room.status(made)
        result.update(status_seconds=round(time.monotonic() - t_status, 1),
                      status_all_healthy=all(r.get("healthy") for r in status))
        result.update(summarise([rows[n] for n in ready]))
    except Exception as exc:            # noqa: BLE001 - record what happened, then clean up
        result["error"] = f"{type(exc).__name__}: {exc}"[:2000]
    finally:
        if watch is not None:
            watch.stop.set()
        if forward is not None:
            forward.terminate()
            forward.wait(10)
        t_down = time.monotonic()
        try:
            k8s_room.down(directory, report=report)
            result["down_seconds"] = round(time.monotonic() - t_down, 1)
        except Exception as exc:        # noqa: BLE001
            result["down_error"] = f"{type(exc).__name__}: {exc}"[:2000]
        shutil.rmtree(scratch, ignore_errors=True)
    result.update(load_average_after=[round(x, 2) for x in os.getloadavg()], up_log=log,
                  per_learner=list(rows.values()))
    return result


def timed(call) -> dict:
    started = time.monotonic()
    out = call()
    return {**out, "wall_seconds": round(time.monotonic() - started, 1)}


def summarise(rows: list[dict]) -> dict:
    if not rows:
        return {}
    pick = lambda key: [r[key] for r in rows if r.get(key) is not None]
    out: dict = {}
    for key in ("idle_memory_mib", "idle_working_set_mib", "idle_cpu_cores", "peak_memory_mib"):
        values = pick(key)
        if values:
            out[f"{key}_mean"] = round(statistics.mean(values), 3 if key == "idle_cpu_cores" else None)
            out[f"{key}_max"] = max(values)
    walls = pick("chapter0_wall_seconds")
    out.update(chapter0_all_ok=all(r.get("chapter0_ok") for r in rows),
               chapter0_slowest_seconds=max(walls) if walls else None,
               chapter0_mean_seconds=round(statistics.mean(walls), 1) if walls else None)
    return out


def machine(cluster: str) -> dict:
    from kubernetes import client

    from kitlib.kube import api_client, kubeconfig_path
    nodes = client.CoreV1Api(api_client(kubeconfig_path(cluster))).list_node().items
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.split("\n")
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "commit": commit, "changed_files": [line[3:] for line in dirty if line.strip()],
            "cluster": cluster, "nodes": [
                {"name": n.metadata.name, "kubelet": n.status.node_info.kubelet_version,
                 "allocatable_cpu": n.status.allocatable["cpu"],
                 "allocatable_memory": n.status.allocatable["memory"]} for n in nodes]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", default="kit", help="the kit's cluster the rooms run on")
    parser.add_argument("--learners", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--memory", type=int, default=2048, help="each learner's memory limit, MiB (up's --memory)")
    parser.add_argument("--cpus", type=float, default=1.0, help="each learner's CPU limit (up's --cpus)")
    parser.add_argument("--settle", type=float, default=10, help="seconds after the last server answers "
                        f"before the {IDLE_SECONDS:g} s of idle")
    parser.add_argument("--pause", type=float, default=60, help="seconds between rooms, for the load to fall")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "workshop_kubernetes.json")
    args = parser.parse_args()
    facts = machine(args.cluster)
    rooms = []
    for i, size in enumerate(args.learners):
        if i:
            time.sleep(args.pause)
        print(f"room of {size} learners on {args.cluster!r} ...", flush=True)
        rooms.append(one_room(args.cluster, size, args.memory, args.cpus, args.settle))
        print(json.dumps({k: v for k, v in rooms[-1].items() if k not in ("per_learner", "up_log")}), flush=True)
    out = {"benchmark": "workshop room on a Kubernetes cluster: what the instructor waits for and pays",
           "machine": facts, "idle_seconds": IDLE_SECONDS, "settle_seconds": args.settle,
           "pause_between_rooms_seconds": args.pause,
           "how": "up -> hub ready (report line); all learners log in and start at once through one "
                  "port-forward on loopback; idle memory (cgroup usage, and working set = usage - "
                  "inactive file) and CPU read in each pod; chapter 0 (solved sources, jupyter execute) "
                  "in every pod at once; kit workshop status; down",
           "rooms": rooms}
    args.out.write_text(json.dumps(out, indent=1, default=str) + "\n")
    print(f"wrote {args.out}")
    return 0 if all("error" not in r and r.get("all_servers_ok") for r in rooms) else 1


if __name__ == "__main__":
    sys.exit(main())
