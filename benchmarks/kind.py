"""Real nodes benchmark: what the kind road costs on this machine.

* the node image: a warm build (everything cached: must do no work) and, with ``--cold``,
  a build after removing the image and its cached parts (Go binaries stay cached);
* boot: ``kit up --provider kind`` (course images loaded, 3 nodes Ready, control-plane
  leaders) against ``kind create cluster --wait`` with the same image and config, and
  ``kit down`` against ``kind delete cluster``; ratios in one run;
* the course: every chapter executed top to bottom (nbclient) on kind and on the
  Docker-free cluster, seconds per chapter and in total.

    python benchmarks/kind.py [--runs 2] [--cold] [--course] [--out benchmarks/results/kind.json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kitlib.cluster import nodeimage, tools  # noqa: E402
from kitlib.cluster.dockerd import PrivateEngine  # noqa: E402
from kitlib.cluster.providers.kind import KIND_CONFIG, use_engine  # noqa: E402


def timed(cmd: list[str], env: dict, timeout: float = 1800) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - started


def image_size_gb(ref: str) -> float:
    out = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", ref],
                         capture_output=True, text=True, check=True)
    return round(int(out.stdout) / 1e9, 2)


def node_image(cold: bool) -> dict:
    result = {}
    if cold:
        subprocess.run(["docker", "image", "rm", "-f", nodeimage.image_ref()], capture_output=True)
        started = time.perf_counter()
        nodeimage.build(report=lambda m: None)
        result["cold_s (Go binaries and Debian root filesystems cached)"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    ref = nodeimage.build(report=lambda m: None)
    result["warm_s"] = round(time.perf_counter() - started, 3)
    result["image"], result["size_gb"] = ref, image_size_gb(ref)
    return result


def boot(runs: int, image: str) -> dict:
    kit = [sys.executable, "-m", "kitlib.cli"]
    kind = str(tools.ensure(["kind"], report=lambda m: None)["kind"])
    samples = {"kit up": [], "kind create": [], "kit down": [], "kind delete": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "KIT_STATE_DIR": tmp, "KIT_PROVIDER": "kind",
                   "KIT_KIND_IMAGE": image, "KIT_CLUSTER": "bench"}
            samples["kit up"].append(timed([*kit, "up"], env))
            samples["kit down"].append(timed([*kit, "down"], env))
            kubeconfig = str(Path(tmp) / "kind-kubeconfig")
            samples["kind create"].append(timed(
                [kind, "create", "cluster", "--name", "bench2", "--config", str(KIND_CONFIG),
                 "--image", image, "--kubeconfig", kubeconfig, "--wait", "5m"], env))
            samples["kind delete"].append(timed(
                [kind, "delete", "cluster", "--name", "bench2", "--kubeconfig", kubeconfig], env))
    med = {k: round(statistics.median(v), 2) for k, v in samples.items()}
    return {"runs": {k: [round(x, 2) for x in v] for k, v in samples.items()}, "median_s": med,
            "ratio_up (kit/kind)": round(med["kit up"] / med["kind create"], 2),
            "ratio_down (kit/kind)": round(med["kit down"] / med["kind delete"], 2),
            "note": "kit up also loads the course images into the nodes and waits for the "
                    "scheduler and controller-manager leader leases and the default ServiceAccount"}


def course(provider: str) -> dict:
    from kitlib.notebooks import execute
    with tempfile.TemporaryDirectory() as tmp:
        env_before = dict(os.environ)
        os.environ.update({"KIT_STATE_DIR": tmp, "KIT_PROVIDER": provider})
        try:
            from kitlib import cluster
            started = time.perf_counter()
            cluster.up(report=lambda m: None)
            times = {"boot": round(time.perf_counter() - started, 1)}
            for nb in sorted((REPO / "chapters").glob("*.ipynb")):
                copy = Path(tmp) / nb.name
                copy.write_bytes(nb.read_bytes())
                started = time.perf_counter()
                execute(copy)
                times[nb.stem] = round(time.perf_counter() - started, 1)
            cluster.down(report=lambda m: None)
        finally:
            os.environ.clear()
            os.environ.update(env_before)
    times["chapters total"] = round(sum(v for k, v in times.items() if k != "boot"), 1)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="also time a node image rebuild")
    parser.add_argument("--course", action="store_true", help="also time every chapter on both providers")
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "results" / "kind.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as engine_state:
        engine = PrivateEngine(run_dir=Path(engine_state) / "dockerd")
        private = not subprocess.run(["docker", "info"], capture_output=True).returncode == 0
        if private:
            os.environ["DOCKER_HOST"] = engine.start(report=lambda m: None)
        try:
            use_engine(lambda m: None)
            result = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()},
                      "node_image": node_image(args.cold)}
            result["boot"] = boot(args.runs, result["node_image"]["image"])
            if args.course:
                result["course_s"] = {p: course(p) for p in ("kind", "kwok")}
        finally:
            if private:
                engine.stop(report=lambda m: None)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
