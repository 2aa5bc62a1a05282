"""How fast `kit workshop up` brings a room up with N learners' clusters started at once
(``--parallel``): for each room size and each N, a fresh room made (every cluster
answering), then taken down: what the default of `kit workshop up --parallel` rests on.

    sudo .venv/bin/python benchmarks/workshop_up.py [--learners 6 10] [--parallel 1 2 3 4 6]

Writes benchmarks/results/workshop_up.json, with the load average at each start (the
last room's own `down` is still in it; something else running shows there too).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one_room(size: int, parallel: int) -> dict:
    from kitlib.cluster.ports import loopback_ports
    from kitlib.workshop import clusters, lifecycle
    from kitlib.workshop.room import LEARNER_LIMITS
    directory = Path(tempfile.mkdtemp(prefix=f"kit-workshop-up-{size}-{parallel}-"))
    lines: list[str] = []
    load = os.getloadavg()[0]
    started = time.monotonic()
    try:
        room = lifecycle.up(directory, [f"u{i:02d}" for i in range(1, size + 1)],
                            hub_ip="127.0.0.1", hub_port=loopback_ports(1)[0],
                            limits=LEARNER_LIMITS, parallel=parallel, report=lines.append)
        seconds = time.monotonic() - started
        answering = sum(clusters.healthy(learner)[0] for learner in room.learners)
    finally:
        lifecycle.down(directory, purge=True, report=lambda s: None)
        shutil.rmtree(directory, ignore_errors=True)
    each = [float(line.rsplit("(", 1)[1].rstrip("s)")) for line in lines if line.startswith("[")]
    return {"learners": size, "parallel": parallel, "up_seconds": round(seconds, 1),
            "clusters_answering": answering, "load_average_at_start": round(load, 2),
            "learner_seconds_mean": round(sum(each) / len(each), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[6, 10])
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 2, 3, 4, 6])
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("workshop mode makes system users: run as root", file=sys.stderr)
        return 2
    runs = []
    for size in args.learners:
        for parallel in args.parallel:
            runs.append(one_room(size, parallel))
            print(json.dumps(runs[-1]), flush=True)
    out = {"benchmark": "kit workshop up: learners' clusters started N at once",
           "cpus": os.cpu_count(), "runs": runs}
    target = ROOT / "benchmarks" / "results" / "workshop_up.json"
    target.write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
