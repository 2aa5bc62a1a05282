"""Boot benchmark: `kit up` (warm tool cache) until the API is ready and all nodes are
Ready, and `kit down`, against the same boot done with kwokctl and kubectl directly.
The kit's overhead is the ratio of the two, measured in one run on one machine.

    python benchmarks/boot.py [--runs 5] [--out benchmarks/results/boot.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kitlib.cluster import tools  # noqa: E402
from kitlib.cluster.providers.kwok import KWOK_DIR  # noqa: E402
from kitlib.cluster.versions import load  # noqa: E402


def timed(cmd: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, timeout=600)
    return time.perf_counter() - started


def kit_cycle(state: Path) -> tuple[float, float]:
    env = {**os.environ, "KIT_STATE_DIR": str(state), "KIT_PROVIDER": "kwok"}
    kit = [sys.executable, "-m", "kitlib.cli"]
    return timed([*kit, "up"], env), timed([*kit, "down"], env)


def kwokctl_cycle(work: Path, paths: dict[str, Path]) -> tuple[float, float]:
    """The same cluster by hand: kwokctl create (same options), three nodes from the same
    template with kubectl, then `kubectl wait` for them to be Ready."""
    kubeconfig = work / "kubeconfig"
    env = {**os.environ, "KWOK_WORKDIR": str(work / "kwok"), "KUBECONFIG": str(kubeconfig)}
    config = yaml.safe_load((KWOK_DIR / "kwokctl.yaml").read_text())
    v = load()
    config["options"].update({
        "kubeVersion": v.kubernetes, "kubeApiserverBinary": str(paths["kube-apiserver"]),
        "kubeControllerManagerBinary": str(paths["kube-controller-manager"]),
        "kubeSchedulerBinary": str(paths["kube-scheduler"]), "kubectlBinary": str(paths["kubectl"]),
        "etcdBinary": str(paths["etcd"]), "kwokControllerBinary": str(paths["kwok"])})
    (work / "kwokctl.yaml").write_text(yaml.safe_dump(config))
    nodes = work / "nodes.yaml"
    nodes.write_text(string.Template((KWOK_DIR / "nodes.yaml").read_text()).substitute(cluster="bench"))
    kwokctl, kubectl = str(paths["kwokctl"]), str(paths["kubectl"])
    started = time.perf_counter()
    for cmd in ([kwokctl, "create", "cluster", "--name", "bench", "--config", str(work / "kwokctl.yaml"),
                 "--kubeconfig", str(kubeconfig), "--wait", "3m"],
                [kubectl, "apply", "-f", str(nodes)],
                [kubectl, "wait", "--for=condition=Ready", "node", "--all", "--timeout=120s"]):
        subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, timeout=600)
    up = time.perf_counter() - started
    down = timed([kwokctl, "delete", "cluster", "--name", "bench", "--kubeconfig", str(kubeconfig)], env)
    return up, down


def summarize(samples: list[float]) -> dict:
    return {"runs": [round(s, 3) for s in samples], "median_s": round(statistics.median(samples), 3),
            "min_s": round(min(samples), 3), "max_s": round(max(samples), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "boot.json"))
    args = parser.parse_args()
    paths = tools.ensure(["kubernetes", "etcd", "kwok"], report=lambda m: None)   # warm cache
    results = {"kit": {"up": [], "down": []}, "kwokctl": {"up": [], "down": []}}
    with tempfile.TemporaryDirectory(prefix="kit-bench-boot-") as tmp:
        for i in range(args.runs):
            # Alternate the order so neither side always runs on a warmer machine.
            for side in (("kit", "kwokctl") if i % 2 == 0 else ("kwokctl", "kit")):
                run_dir = Path(tmp) / f"{side}-{i}"
                run_dir.mkdir()
                up, down = kit_cycle(run_dir) if side == "kit" else kwokctl_cycle(run_dir, paths)
                results[side]["up"].append(up)
                results[side]["down"].append(down)
                print(f"run {i + 1}/{args.runs} {side:8} up {up:6.2f}s  down {down:5.2f}s", flush=True)
    report = {
        "benchmark": "boot",
        "what": "Docker-free provider, warm tool cache: `kit up` until API ready and 3/3 nodes "
                "Ready, and `kit down`; baseline: kwokctl create + kubectl apply nodes + "
                "kubectl wait Ready, and kwokctl delete",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "system": platform.platform()},
        "versions": {"kubernetes": load().kubernetes, "kwok": load().kwok, "etcd": load().etcd},
        "kit": {k: summarize(v) for k, v in results["kit"].items()},
        "kwokctl": {k: summarize(v) for k, v in results["kwokctl"].items()},
    }
    report["ratio_kit_over_kwokctl"] = {
        k: round(report["kit"][k]["median_s"] / report["kwokctl"][k]["median_s"], 3) for k in ("up", "down")}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: report[k] for k in ("ratio_kit_over_kwokctl",)}, indent=2))
    print(f"kit up median {report['kit']['up']['median_s']}s, kwokctl {report['kwokctl']['up']['median_s']}s")


if __name__ == "__main__":
    main()
