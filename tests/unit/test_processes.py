"""Stopping a cluster's processes: every wait is bounded, SIGKILL follows SIGTERM, and
what survives even SIGKILL is reported instead of waited on forever."""
import subprocess
import sys

import psutil
import pytest

from kitlib.cluster import processes
from kitlib.cluster.base import ClusterError

IGNORES_SIGTERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); " \
                  "print('ready', flush=True); time.sleep(120)"


@pytest.fixture
def stubborn(tmp_path):
    """A process of 'cluster' tmp_path that ignores SIGTERM."""
    proc = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM, str(tmp_path / "marker")],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"     # its SIGTERM handler is in place
    yield proc
    proc.kill()
    proc.wait()


def test_a_process_that_ignores_sigterm_is_killed(stubborn):
    assert processes.stop([stubborn.pid], grace=0.5) == []
    assert stubborn.wait(timeout=30) == -9


def test_a_process_that_survives_sigkill_is_reported_not_waited_on(stubborn, monkeypatch):
    monkeypatch.setattr(psutil.Process, "kill", lambda self: None)   # as if stuck in the kernel
    assert processes.stop([stubborn.pid], grace=0.2, kill_wait=0.2) == [stubborn.pid]
    assert stubborn.poll() is None


def test_down_names_the_survivors(stubborn, tmp_path, monkeypatch):
    monkeypatch.setattr(psutil.Process, "kill", lambda self: None)
    real_stop = processes.stop
    monkeypatch.setattr(processes, "stop", lambda pids: real_stop(pids, grace=0.2, kill_wait=0.2))
    with pytest.raises(ClusterError, match=rf"still running after SIGKILL: {stubborn.pid} \(python"):
        processes.stop_all_under(tmp_path)


def test_gone_and_unknown_pids_are_fine():
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    assert processes.stop([done.pid, done.pid], grace=0.1) == []
