"""A private Docker engine the kit starts for kind where none is running.

Used only when asked for kind, no engine answers, Debian's (or any) ``dockerd`` is
installed and we are root. It is the kit's own: its socket, pid file and exec root live in
the kit's state directory, its images in the kit's cache (so a node image built once is
there next time); it makes no bridge and no iptables rules on the host. ``stop`` ends it
and everything it started. An engine the user runs is never started or stopped by the kit.

Some machines (containers themselves) lack capabilities in their bounding set, e.g.
CAP_SYS_RESOURCE. Docker >= 23 drops caps the machine lacks; Docker 20.10 (Debian
bookworm) asks runc for all of them and every privileged container fails with "unable to
apply caps". On such machines the engine runs containers through a small runc wrapper that
removes the missing caps from the container's spec first.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kitlib.cluster.base import ClusterError, Report
from kitlib.cluster.processes import processes_under, terminate
from kitlib.paths import cache_dir, state_dir

RUNTIME_NAME = "kit-runc"

# The wrapper runc is called as. Capability numbers are the kernel's (linux/capability.h).
_WRAPPER = r'''#!{python} -S
# Written by kitlib: drop capabilities this machine's bounding set lacks, then run runc.
import json, os, sys
NAMES = {names!r}
RUNC = {runc!r}
args = sys.argv[1:]

def value(flags):
    for i, a in enumerate(args):
        if a in flags and i + 1 < len(args):
            return args[i + 1]
        for f in flags:
            if a.startswith(f + "="):
                return a.split("=", 1)[1]

def filter_caps(path, get):
    bnd = int(next(l for l in open("/proc/self/status") if l.startswith("CapBnd:")).split()[1], 16)
    allowed = {{n for i, n in enumerate(NAMES) if bnd >> i & 1}}
    doc = json.load(open(path))
    caps = get(doc).get("capabilities") or {{}}
    for kind, values in list(caps.items()):
        caps[kind] = [c for c in values if c in allowed]
    with open(path + ".kit", "w") as f:
        json.dump(doc, f)
    os.replace(path + ".kit", path)

if "create" in args or "run" in args:          # the container's spec: bundle/config.json
    bundle = value(("--bundle", "-b")) or os.getcwd()
    filter_caps(os.path.join(bundle, "config.json"), lambda d: d.get("process", {{}}))
elif "exec" in args and value(("--process", "-p")):   # docker exec: a process.json of its own
    filter_caps(value(("--process", "-p")), lambda d: d)
os.execv(RUNC, [RUNC] + args)
'''

CAP_NAMES = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
    "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
]


def missing_capabilities(status_text: str | None = None, last_cap: int | None = None) -> list[str]:
    """Capabilities the kernel knows but this process's bounding set lacks."""
    if status_text is None:
        status_text = Path("/proc/self/status").read_text()
    if last_cap is None:
        last_cap = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    bnd = int(next(line for line in status_text.splitlines() if line.startswith("CapBnd:")).split()[1], 16)
    return [CAP_NAMES[i] for i in range(min(last_cap + 1, len(CAP_NAMES))) if not bnd >> i & 1]


def engine_version(host: str | None = None, timeout: float = 8.0) -> str | None:
    env = dict(os.environ, **({"DOCKER_HOST": host} if host else {}))
    try:
        out = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], env=env,
                             capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


class PrivateEngine:
    """The kit's own dockerd: ``<state>/dockerd`` (socket, pid, exec root, log) and
    ``<cache>/docker`` (images and containers)."""

    def __init__(self, run_dir: Path | None = None, data_dir: Path | None = None):
        self.run_dir = run_dir or state_dir() / "dockerd"
        self.data_dir = data_dir or cache_dir() / "docker"

    @property
    def socket(self) -> Path:
        return self.run_dir / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log(self) -> Path:
        return self.run_dir / "dockerd.log"

    @staticmethod
    def can_start() -> tuple[bool, str]:
        if not shutil.which("dockerd"):
            return False, "dockerd is not installed (Debian: `apt-get install docker.io`)"
        if os.geteuid() != 0:
            return False, "starting a private dockerd needs root; start your Docker engine instead"
        if not shutil.which("docker"):
            return False, "the docker command is not installed"
        return True, "root with dockerd installed"

    def running(self) -> bool:
        return self.socket.exists() and engine_version(self.host) is not None

    def _runtime_args(self, report: Report) -> list[str]:
        missing = missing_capabilities()
        if not missing:
            return []
        runc = shutil.which("runc")
        if not runc:
            raise ClusterError("runc is not installed; Debian's docker.io brings it")
        wrapper = self.run_dir / "runc-wrapper"
        wrapper.write_text(_WRAPPER.format(python=sys.executable, names=CAP_NAMES, runc=runc))
        wrapper.chmod(0o755)
        report(f"this machine lacks {', '.join(missing)}: containers run through a runc "
               "wrapper that leaves them out")
        return ["--add-runtime", f"{RUNTIME_NAME}={wrapper}", "--default-runtime", RUNTIME_NAME]

    def other_engine(self) -> int | None:
        """PID of a dockerd of another state directory that uses the same data root (two
        engines on one data root would corrupt it)."""
        wanted = str(self.data_dir).encode()
        for pid in (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()):
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if Path(argv[0].decode(errors="replace")).name == "dockerd" and wanted in argv \
                    and str(self.run_dir).encode() + b"/docker.sock" not in b" ".join(argv):
                return pid
        return None

    def start(self, report: Report = print, timeout: float = 60) -> str:
        """Start the engine unless it already runs; return its DOCKER_HOST."""
        if self.running():
            return self.host
        ok, why = self.can_start()
        if not ok:
            raise ClusterError(f"no Docker engine runs and the kit cannot start one: {why}")
        other = self.other_engine()
        if other:
            raise ClusterError(f"the kit's private Docker engine already runs for another state "
                               f"directory (pid {other}, images in {self.data_dir}); point "
                               "DOCKER_HOST at it, or `kit down` there first")
        self.stop(report=lambda _: None)          # leftovers of an earlier, killed engine
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = ["dockerd", "--host", self.host, "--data-root", str(self.data_dir),
               "--exec-root", str(self.run_dir / "exec"), "--pidfile", str(self.run_dir / "docker.pid"),
               "--bridge", "none", "--iptables=false", "--ip6tables=false",
               *self._runtime_args(report)]
        report(f"starting the kit's private Docker engine ({self.socket}; images kept in {self.data_dir})")
        with open(self.log, "ab") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while not self.running():
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-1500:]
                self.stop(report=lambda _: None)
                raise ClusterError(f"the private dockerd did not start; its log ends:\n{tail}")
            time.sleep(0.3)
        return self.host

    def stop(self, report: Report = print) -> None:
        """Stop the engine, its containerd and shims; unmount its exec root."""
        pids = processes_under(self.run_dir)
        if not pids:
            return
        report("stopping the kit's private Docker engine")
        pidfile = self.run_dir / "docker.pid"
        try:
            terminate(int(pidfile.read_text()), grace=60)    # dockerd first: it stops containers
        except (OSError, ValueError):
            pass
        for pid in processes_under(self.run_dir):
            terminate(pid, grace=10)
        subprocess.run(["umount", "-R", str(self.run_dir / "exec")], capture_output=True)
        for leftover in ("docker.sock", "docker.pid"):
            (self.run_dir / leftover).unlink(missing_ok=True)


def describe() -> dict:
    """For `kit doctor`: which engine the kit would use."""
    engine = PrivateEngine()
    return {"system": engine_version(), "private": engine.running(),
            "private_socket": str(engine.socket), "can_start": PrivateEngine.can_start()[1]}


if __name__ == "__main__":      # python -m kitlib.cluster.dockerd start|stop
    action = (sys.argv[1:] or ["start"])[0]
    e = PrivateEngine()
    print(e.start() if action == "start" else (e.stop() or "stopped"))
    print(json.dumps(describe()))
