"""A real container, where a Docker engine answers: the same namespaces and cgroups as the
hand-made sandbox, set up by a container runtime from an image."""
from __future__ import annotations

import os

from kitlib.cluster.docker import engine_answers
from kitlib.eras import procs

IMAGE = "busybox:1.36"
SCRIPT = 'echo "pid $$"; echo "hostname $(hostname)"; echo "kernel $(uname -r)"; head -1 /etc/os-release 2>/dev/null || echo "os busybox"'


def available() -> tuple[bool, str]:
    return engine_answers()


def run_container(script: str = SCRIPT, image: str = IMAGE, memory: str = "64m",
                  cpus: str = "0.5") -> procs.Measured:
    """``docker run`` a throw-away container with a CPU and memory limit (removed after).
    With KIT_NO_PULL set the image must already be present."""
    pull = ["--pull", "never"] if os.environ.get("KIT_NO_PULL") else []
    cmd = ["docker", "run", "--rm", *pull, "--memory", memory, "--cpus", cpus,
           "--hostname", "kit-container", image, "sh", "-c", script]
    out = procs.run(cmd, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"docker run failed: {out.stderr.strip()[-300:]}")
    return out
