"""up/down for real: idempotent, safe, and leaving nothing behind."""
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from netutil import listening as listening_ports

from kitlib import cluster
from kitlib.cluster.base import ClusterDir
from kitlib.cluster.processes import processes_under

pytestmark = pytest.mark.cluster
NAME = "kit-life"



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


def test_a_crashed_up_is_cleaned_by_the_next_up(capsys):
    """A `kit up` killed outright (no chance to clean up) after the control plane started
    but before the kit recorded the cluster as ready: status calls it unfinished, and the
    next `up` removes the remains and starts cleanly."""
    code = ("import os, signal\n"
            "from kitlib.cluster.providers import kwok\n"
            "def crash(self): os.kill(os.getpid(), signal.SIGKILL)\n"
            "kwok.KwokProvider._create_nodes = crash\n"
            "from kitlib import cluster\n"
            f"cluster.up(provider='kwok', name={NAME!r})\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    cdir = ClusterDir(NAME)
    assert cdir.read().phase == "creating"
    stale = processes_under(cdir.path)
    assert stale, "the crashed run should have left processes for the test to clean"
    st = cluster.status(NAME)
    assert not st.running and st.phase == "creating" and "unfinished" in st.detail
    try:
        status = cluster.up(provider="kwok", name=NAME)
        assert status.running
        assert "cleaning up an unfinished cluster" in capsys.readouterr().out
        assert not set(stale) & set(processes_under(cdir.path))
    finally:
        cluster.down(name=NAME)
    assert processes_under(cdir.path) == []


def _apiserver_started(cdir: ClusterDir, proc: subprocess.Popen) -> bool:
    def cmdline(pid: int) -> str:
        try:
            return " ".join(psutil.Process(pid).cmdline())
        except psutil.Error:
            return ""
    return proc.poll() is not None or any(
        "kube-apiserver" in cmdline(pid) for pid in processes_under(cdir.path))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_an_interrupted_kit_up_removes_what_it_started(sig):
    """Ctrl-C (or SIGTERM) once the API server runs: `kit up` stops everything it started
    and removes its record before it exits, so nothing is left to call "running"."""
    from kitlib.kube import wait_for
    cdir = ClusterDir(NAME)
    kit = [sys.executable, "-m", "kitlib.cli"]
    proc = subprocess.Popen([*kit, "up", "--provider", "kwok", "--name", NAME],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: _apiserver_started(cdir, proc), timeout=300, what="kube-apiserver")
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=300)
        left, record = processes_under(cdir.path), cdir.read()
        status = subprocess.run([*kit, "status", "--name", NAME], capture_output=True, text=True,
                                timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        cluster.down(name=NAME, report=lambda line: None)    # whatever a failure left
    assert proc.returncode == 130, err
    assert "removing what this `kit up` started" in out and "kit up: interrupted" in err
    assert left == [] and record is None
    assert status.returncode == 1 and f"cluster {NAME}: not running" in status.stdout


def test_kit_cli_status_and_env(capsys):
    from kitlib import cli
    assert cli.main(["status", "--name", NAME]) == 1
    assert "not created" in capsys.readouterr().out
    cli.main(["env", "--name", NAME])
    out = capsys.readouterr().out
    assert f"export KUBECONFIG={ClusterDir(NAME).kubeconfig}" in out
