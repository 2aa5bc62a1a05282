"""The few questions the kit asks a Docker engine, each bounded by a timeout."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kitlib.cluster.base import ClusterError, Report


def engine_answers(timeout: float = 8.0) -> tuple[bool, str]:
    """(True, server version) if a Docker engine answers, else (False, why not)."""
    if not shutil.which("docker"):
        return False, "the docker command is not installed"
    try:
        out = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"],
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"the Docker engine did not answer within {timeout:.0f}s"
    if out.returncode != 0 or not out.stdout.strip():
        reason = (out.stderr.strip().splitlines() or ["no server version"])[-1]
        return False, f"the Docker engine is not reachable ({reason})"
    return True, f"Docker engine {out.stdout.strip()}"


def image_present(image: str, timeout: float = 30.0) -> bool:
    out = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", image],
                         capture_output=True, text=True, timeout=timeout)
    return out.returncode == 0


def pull(image: str, report: Report, timeout: float = 1200.0) -> None:
    """Pull ``image`` with progress; raise ClusterError (never hang) if it fails."""
    report(f"pulling {image} (about 1 GB the first time)")
    try:
        proc = subprocess.run(["docker", "pull", image], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ClusterError(f"pulling {image} took longer than {timeout:.0f}s; check the "
                           "network, pull it by hand with `docker pull`, then `kit up` again") from None
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ClusterError(f"could not pull {image}: {reason}")


def run(*args: str, timeout: float = 1800) -> str:
    """``docker ARGS``; its output, or ClusterError with the end of its error text."""
    try:
        proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "DOCKER_BUILDKIT": "0"})
    except subprocess.TimeoutExpired:
        raise ClusterError(f"docker {args[0]} took longer than {timeout:.0f}s") from None
    if proc.returncode != 0:
        raise ClusterError(f"docker {args[0]} failed: {(proc.stderr or proc.stdout).strip()[-1500:]}")
    return proc.stdout


def build(tag: str, context: Path, dockerfile: str, labels: dict[str, str] | None = None) -> str:
    """Build ``context`` with the classic builder and no network (every ``FROM`` is
    ``scratch`` or a local image, so no step can reach a registry); return the tag."""
    (context / "Dockerfile").write_text(dockerfile)
    label_args = [a for k, v in (labels or {}).items() for a in ("--label", f"{k}={v}")]
    run("build", "--quiet", "--network", "none", "-t", tag, *label_args, str(context))
    return tag


def remove_other_tags(repo: str, keep: str) -> None:
    """Remove ``repo``'s images other than ``keep``: each change of what goes into a kit-built
    image makes a new tag, and superseded ones would only fill the disk. Images a container
    still uses stay (docker refuses, quietly)."""
    for tag in run("images", "--format", "{{.Repository}}:{{.Tag}}", repo).split():
        if tag != keep:
            subprocess.run(["docker", "rmi", tag], capture_output=True, timeout=120)
