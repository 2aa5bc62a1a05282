"""A private Docker engine for tests: its own socket, data and exec roots under a temp
dir, no bridge network and no iptables changes; stopped (with its containerd) afterwards.
Used only where no engine answers already and dockerd is installed and we are root."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterator


def _answers(env: dict) -> bool:
    out = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], env=env,
                         capture_output=True, text=True, timeout=20)
    return out.returncode == 0 and bool(out.stdout.strip())


@contextlib.contextmanager
def docker_engine() -> Iterator[dict | None]:
    """Yield an environment whose DOCKER_HOST reaches an engine, or None if none can be had."""
    if shutil.which("docker") is None:
        yield None
        return
    if _answers(dict(os.environ)):
        yield dict(os.environ)
        return
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        yield None
        return
    root = Path(tempfile.mkdtemp(prefix="kit-dockerd-"))
    sock = root / "docker.sock"
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}"}
    log = open(root / "dockerd.log", "w")
    proc = subprocess.Popen(
        ["dockerd", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
         "--pidfile", str(root / "dockerd.pid"), "--host", f"unix://{sock}",
         "--bridge", "none", "--iptables=false", "--ip6tables=false"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _answers(env):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("private dockerd did not start: " + (root / "dockerd.log").read_text()[-800:])
            time.sleep(0.5)
        yield env
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
        subprocess.run(["umount", "-R", str(root / "exec")], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
