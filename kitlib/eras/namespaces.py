"""Containers from Linux primitives: ``unshare`` gives a process its own PID, UTS
(hostname) and mount namespaces; ``chroot`` into an unpacked image gives it its own files.
Nothing else is needed for the isolation a container runtime sets up (plus cgroups)."""
from __future__ import annotations

import os
import platform
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kitlib.eras import procs

HOSTNAME = "kit-sandbox"


def available() -> tuple[bool, str]:
    if platform.system() != "Linux":
        return False, f"namespaces are a Linux kernel feature; this is {platform.system()}"
    if not shutil.which("unshare"):
        return False, "the unshare command (util-linux) is not installed"
    probe = procs.run(unshare_cmd(["true"]), timeout=20)
    if probe.returncode != 0:
        return False, f"unshare is refused here: {probe.stderr.strip() or probe.returncode}"
    return True, "unshare works" + ("" if os.geteuid() == 0 else " (in a user namespace: not root)")


def unshare_cmd(cmd: list[str], proc: bool = True) -> list[str]:
    """``cmd`` as the first process of new PID, UTS and mount namespaces. Without root
    a user namespace maps us to root inside (where the kernel allows it)."""
    flags = ["--pid", "--fork", "--uts", "--mount", "--propagation", "private"]
    flags += ["--mount-proc"] if proc else []
    if os.geteuid() != 0:
        flags.insert(0, "--map-root-user")
    return ["unshare", *flags, *cmd]


@dataclass
class Facts:
    """What a process sees inside the sandbox, next to what the host sees."""
    pid_inside: int
    hostname_inside: str
    hostname_host: str
    processes_inside: int
    processes_host: int
    kernel_inside: str
    kernel_host: str
    private_mount_inside: bool      # a tmpfs mounted inside shows its file there...
    private_mount_leaked: bool      # ...and not outside

    def rows(self) -> list[dict]:
        return [
            {"what": "PID of the first process", "inside": self.pid_inside, "host": "(a large number)"},
            {"what": "hostname", "inside": self.hostname_inside, "host": self.hostname_host},
            {"what": "processes visible", "inside": self.processes_inside, "host": "all of the machine's"},
            {"what": "tmpfs mounted inside, file visible", "inside": self.private_mount_inside,
             "host": self.private_mount_leaked},
            {"what": "kernel release", "inside": self.kernel_inside, "host": self.kernel_host},
        ]


SCRIPT = """
hostname {name}
echo "pid $$"
echo "hostname $(hostname)"
echo "kernel $(uname -r)"
n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo "procs $n"
mount -t tmpfs kit-tmpfs "{mnt}" && echo inside > "{mnt}/only-in-here" && echo "mounted $(ls {mnt})"
"""


def sandbox_facts() -> Facts:
    """Start a shell in new namespaces, collect what it sees, compare with the host."""
    with tempfile.TemporaryDirectory(prefix="kit-ns-") as mnt:
        out = procs.run(unshare_cmd(["sh", "-c", SCRIPT.format(name=HOSTNAME, mnt=mnt)]), timeout=30)
        if out.returncode != 0:
            raise RuntimeError(f"unshare failed: {out.stderr.strip()}")
        seen = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
        leaked = (Path(mnt) / "only-in-here").exists()
    host_procs = sum(1 for p in Path("/proc").iterdir() if p.name.isdigit())
    return Facts(int(seen["pid"]), seen["hostname"], socket.gethostname(), int(seen["procs"]),
                 host_procs, seen["kernel"], platform.release(),
                 seen.get("mounted") == "only-in-here", leaked)
