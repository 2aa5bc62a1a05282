"""Loopback ports kept to their learner. Every learner's cluster listens on 127.0.0.1, and
its etcd (like kwokctl's kwok-controller) answers plain HTTP without credentials — so any
local user could otherwise read or rewrite another learner's cluster. One iptables chain
per room lets only the learner's own user (and root) connect to their cluster's ports.

The chain is rebuilt from each learner's recorded ports by `kit workshop up` and `reset`;
a cluster a learner recreates by hand gets new ports, guarded at the next `up`.
"""
from __future__ import annotations

import shutil
import subprocess

import yaml

from kitlib.workshop.room import Learner, Room


def chain(room: Room) -> str:
    return f"KITWS-{room.tag}"


def cluster_ports(learner: Learner) -> list[int]:
    """Every port the learner's Docker-free cluster was given (kitlib.cluster.providers.kwok)."""
    from kitlib.cluster.providers.kwok import PORT_OPTIONS
    config = learner.kubeconfig.parent / "kwokctl.yaml"
    try:
        options = yaml.safe_load(config.read_text())["options"]
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return []
    return sorted(int(options[k]) for k in PORT_OPTIONS if str(options.get(k, "")).isdigit())


def _iptables(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["iptables", "-w", *args], capture_output=True, text=True, check=check)


def available() -> tuple[bool, str]:
    if shutil.which("iptables") is None:
        return False, "iptables is not installed (Debian: apt install iptables)"
    probe = _iptables("-S", "OUTPUT", check=False)
    return (probe.returncode == 0, probe.stderr.strip() or "iptables works")


def guard(room: Room, report=print) -> int:
    """(Re)build the room's chain; the number of ports guarded."""
    ok, why = available()
    if not ok:
        report(f"warning: learners' cluster ports are not guarded ({why}): one learner "
               "could reach another's etcd over loopback")
        return 0
    name = chain(room)
    if _iptables("-n", "-L", name, check=False).returncode != 0:
        _iptables("-N", name)
    _iptables("-F", name)
    guarded = 0
    for learner in room.learners:
        for port in cluster_ports(learner):
            _iptables("-A", name, "-p", "tcp", "-d", "127.0.0.1", "--dport", str(port),
                      "-m", "owner", "!", "--uid-owner", str(learner.uid),
                      "-m", "owner", "!", "--uid-owner", "0",
                      "-j", "REJECT", "--reject-with", "tcp-reset")
            guarded += 1
    if _iptables("-C", "OUTPUT", "-o", "lo", "-j", name, check=False).returncode != 0:
        _iptables("-I", "OUTPUT", "-o", "lo", "-j", name)
    return guarded


def unguard(room: Room) -> None:
    """Remove the room's chain (and nothing else)."""
    if not available()[0]:
        return
    name = chain(room)
    while _iptables("-D", "OUTPUT", "-o", "lo", "-j", name, check=False).returncode == 0:
        pass
    _iptables("-F", name, check=False)
    _iptables("-X", name, check=False)
