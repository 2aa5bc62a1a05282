"""A real container, where a Docker engine answers: the same namespaces and cgroups as the
hand-made sandbox, set up by a container runtime from an image."""
from __future__ import annotations

import os

from kitlib.cluster.docker import engine_answers
from kitlib.eras import procs

IMAGE = "busybox:1.36"
SCRIPT = ('echo "pid $$"; echo "hostname $(hostname)"; echo "kernel $(uname -r)"; '
          'head -1 /etc/os-release 2>/dev/null || echo "os busybox"')


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


def _docker(*args: str, timeout: float = 120) -> str:
    out = procs.run(["docker", *args], timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"docker {args[0]} failed: {out.stderr.strip()[-300:]}")
    return out.stdout


def _limit_files(pid: int) -> dict[str, str]:
    """The memory and CPU limits the runtime wrote into the container's cgroup, as the
    host's kernel shows them (cgroup v2 files, or v1 files on a v1/hybrid host)."""
    from pathlib import Path
    found = {}
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for ctrl, files in (("", ("memory.max", "cpu.max")),
                            ("memory", ("memory.limit_in_bytes",)),
                            ("cpu", ("cpu.cfs_quota_us", "cpu.cfs_period_us"))):
            if controllers.split(",").count(ctrl) or (ctrl == "" and controllers == ""):
                base = Path("/sys/fs/cgroup") / (ctrl if ctrl else "") / path.lstrip("/")
                if ctrl and not base.exists():            # hybrid: "cpu,cpuacct" mount
                    base = Path("/sys/fs/cgroup") / controllers / path.lstrip("/")
                for name in files:
                    if (base / name).exists():
                        found[name] = (base / name).read_text().strip()
    return found


def same_process_two_views(memory: str = "64m", cpus: str = "0.5", image: str = IMAGE) -> dict:
    """Start a container, then look at its main process from inside (PID 1, its own
    hostname) and from the host (an ordinary PID, namespaces that differ from ours, the
    cgroup limits the runtime wrote). The container is removed afterwards."""
    from pathlib import Path
    pull = ["--pull", "never"] if os.environ.get("KIT_NO_PULL") else []
    cid = _docker("run", "-d", *pull, "--memory", memory, "--cpus", cpus,
                  "--hostname", "kit-container", image, "sleep", "300").strip()
    try:
        pid = int(_docker("inspect", "-f", "{{.State.Pid}}", cid).strip())
        inside = _docker("exec", cid, "sh", "-c", "echo $$; hostname; ps -o pid,comm | head -3")
        visible = Path(f"/proc/{pid}").exists()
        namespaces = {}
        if visible:
            for ns in ("pid", "uts", "mnt", "net", "ipc"):
                mine, theirs = os.readlink(f"/proc/self/ns/{ns}"), os.readlink(f"/proc/{pid}/ns/{ns}")
                namespaces[ns] = {"this notebook": mine, "the container": theirs, "same": mine == theirs}
        return {"pid_on_host": pid, "visible_from_here": visible, "inside": inside,
                "namespaces": namespaces, "limits": _limit_files(pid) if visible else {},
                "asked": {"memory": memory, "cpus": cpus}}
    finally:
        procs.run(["docker", "rm", "-f", cid], timeout=60)
