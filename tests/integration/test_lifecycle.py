"""up/down for real: idempotent, safe, and leaving nothing behind."""
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kitlib import cluster
from kitlib.cluster.base import ClusterDir
from kitlib.cluster.processes import processes_under

pytestmark = pytest.mark.cluster
NAME = "kit-life"


from netutil import listening as listening_ports


def test_up_twice_down_twice_leaves_nothing(capsys):
    home_config = Path.home() / ".kube" / "config"
    before = home_config.read_bytes() if home_config.exists() else None
    cdir = ClusterDir(NAME)

    first = cluster.up(provider="kwok", name=NAME)
    assert first.running and "3/3 nodes Ready" in first.detail
    pids = processes_under(cdir.path)
    ports = listening_ports(pids)
    assert pids and ports

    cluster.up(provider="kwok", name=NAME)              # second up: reuse, no new processes
    assert "reusing it" in capsys.readouterr().out
    assert sorted(processes_under(cdir.path)) == sorted(pids)

    cluster.down(name=NAME)
    assert processes_under(cdir.path) == []
    assert not cdir.path.exists()
    for port in ports:                                  # every port released
        host, number = port.rsplit(":", 1)
        with socket.socket() as s:
            assert s.connect_ex((host, int(number))) != 0, port
    cluster.down(name=NAME)                             # second down: harmless
    assert "nothing to remove" in capsys.readouterr().out
    after = home_config.read_bytes() if home_config.exists() else None
    assert after == before


def test_interrupted_up_is_cleaned_by_the_next_up(capsys):
    """Simulate Ctrl-C after the control plane started but before the kit recorded
    the cluster as ready: the next `up` removes the remains and starts cleanly."""
    code = ("import os, signal\n"
            "from kitlib.cluster.providers import kwok\n"
            "def interrupted(self): os.kill(os.getpid(), signal.SIGINT)\n"
            "kwok.KwokProvider._create_nodes = interrupted\n"
            "from kitlib import cluster\n"
            f"cluster.up(provider='kwok', name={NAME!r})\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and "KeyboardInterrupt" in proc.stderr
    cdir = ClusterDir(NAME)
    assert cdir.read().phase == "creating"
    stale = processes_under(cdir.path)
    assert stale, "the interrupted run should have left processes for the test to clean"
    try:
        status = cluster.up(provider="kwok", name=NAME)
        assert status.running
        assert "cleaning up an unfinished cluster" in capsys.readouterr().out
        assert not set(stale) & set(processes_under(cdir.path))
    finally:
        cluster.down(name=NAME)
    assert processes_under(cdir.path) == []


def test_kit_cli_status_and_env(capsys):
    from kitlib import cli
    assert cli.main(["status", "--name", NAME]) == 1
    assert "not created" in capsys.readouterr().out
    cli.main(["env", "--name", NAME])
    out = capsys.readouterr().out
    assert f"export KUBECONFIG={ClusterDir(NAME).kubeconfig}" in out
