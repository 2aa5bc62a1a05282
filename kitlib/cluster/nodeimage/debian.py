"""Debian root filesystems and packages, from the Debian archive this machine's apt uses.

``debootstrap`` checks every package against the archive's signed Release file, and
``apt-get download`` does the same, so nothing unverified goes into an image.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from kitlib.cluster.artifacts import cached, content_key
from kitlib.cluster.base import ClusterError, Report
from kitlib.paths import cache_dir

MIRROR_ENV = "KIT_DEBIAN_MIRROR"


def mirror(suite: str) -> str:
    """The Debian archive URL apt is configured with (``KIT_DEBIAN_MIRROR`` overrides)."""
    if os.environ.get(MIRROR_ENV):
        return os.environ[MIRROR_ENV]
    texts = []
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        if path.suffix in (".list", ".sources") and path.is_file():
            texts.append(path.read_text())
    for text in texts:
        for stanza in re.split(r"\n\s*\n", text):            # deb822 (.sources)
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites and suite in suites.group(1).split():
                return uris.group(1)
        for m in re.finditer(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(\S+)", text, re.M):   # one-line
            if m.group(2) == suite:
                return m.group(1)
    raise ClusterError(f"no Debian archive for {suite!r} in /etc/apt/sources.list*; set "
                       f"{MIRROR_ENV} to a Debian mirror URL")


def _need(program: str, package: str) -> str:
    path = shutil.which(program)
    if not path:
        raise ClusterError(f"{program} is needed to build images here: `apt-get install {package}`")
    return path


def rootfs_tar(suite: str, packages: list[str], report: Report) -> Path:
    """A gzip-free tarball of ``debootstrap --variant=minbase`` plus ``packages``, cached."""
    key = content_key([suite, *sorted(packages)])
    target = cache_dir() / "images" / f"rootfs-{suite}-{key}.tar"

    def build(out: Path) -> None:
        debootstrap = _need("debootstrap", "debootstrap")
        if os.geteuid() != 0:
            raise ClusterError("debootstrap needs root to build a root filesystem")
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".rootfs.") as tmp:
            root = Path(tmp) / "root"
            report(f"debootstrap {suite} minbase + {len(packages)} packages (about 1-2 minutes)")
            run([debootstrap, "--variant=minbase", f"--include={','.join(packages)}",
                 suite, str(root), mirror(suite)], "debootstrap")
            shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
            (root / "var/cache/apt/archives/partial").mkdir(parents=True)
            for lists in (root / "var/lib/apt/lists").glob("*_Packages"):
                lists.unlink()
            run(["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-cf", str(out), "."], "tar")
    return cached(target, build)


def package_files(package: str, report: Report) -> Path:
    """The files of one Debian package (``dpkg-deb -x``), cached by its version."""
    version = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True)
    candidate = re.search(r"Candidate:\s*(\S+)", version.stdout)
    if not candidate or candidate.group(1) == "(none)":
        raise ClusterError(f"apt knows no package {package!r}; run `apt-get update` first")
    target = cache_dir() / "images" / f"deb-{package}-{candidate.group(1).replace(':', '_')}"

    def build(out: Path) -> None:
        report(f"apt-get download {package}")
        with tempfile.TemporaryDirectory() as tmp:
            os.chmod(tmp, 0o777)                 # apt's sandbox user must write there
            run(["apt-get", "download", f"{package}={candidate.group(1)}"], "apt-get download", cwd=tmp)
            deb = next(Path(tmp).glob("*.deb"))
            run([_need("dpkg-deb", "dpkg"), "-x", str(deb), str(out)], "dpkg-deb")
    return cached(target, build)


def run(cmd: list[str], what: str, cwd: str | None = None, timeout: float = 1800) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-1500:]
        raise ClusterError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout
