"""A container image, reduced to its essence: a tarball of a root filesystem holding the
programs and the libraries they need. Unpacked on any Linux host and entered with
``chroot`` in new namespaces, it shows the same files everywhere (S23) while using the
host's kernel (S04)."""
from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
from pathlib import Path

from kitlib.eras import namespaces, procs

PROGRAMS = ("sh", "ls", "cat", "hostname", "uname", "sleep")
OS_RELEASE = 'NAME="kit-image"\nVERSION="1.0"\nPRETTY_NAME="kit-image 1.0 (made in chapter 1)"\n'


def _libraries(binary: str) -> list[str]:
    """Shared libraries ``binary`` loads, as ldd lists them."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=20).stdout
    return re.findall(r"(/\S+)\s+\(0x", out)


def build(rootfs: Path, programs: tuple[str, ...] = PROGRAMS) -> Path:
    """Copy ``programs`` and their libraries into ``rootfs`` with an /etc/os-release of
    its own."""
    for name in programs:
        binary = shutil.which(name)
        if not binary:
            raise FileNotFoundError(f"{name} is not installed on this machine")
        for f in [binary, *_libraries(binary)]:
            real = Path(f).resolve()
            for dest in {rootfs / f.lstrip("/"), rootfs / "bin" / Path(f).name if f == binary else None} - {None}:
                dest.parent.mkdir(parents=True, exist_ok=True)
                if not dest.exists():
                    shutil.copy2(real, dest)
    (rootfs / "etc").mkdir(exist_ok=True)
    (rootfs / "etc" / "os-release").write_text(OS_RELEASE)
    (rootfs / "proc").mkdir(exist_ok=True)
    return rootfs


def pack(rootfs: Path, tarball: Path) -> Path:
    with tarfile.open(tarball, "w:gz") as tar:
        tar.add(rootfs, arcname=".")
    return tarball


def unpack(tarball: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as tar:
        tar.extractall(dest, filter="tar") if hasattr(tarfile, "tar_filter") else tar.extractall(dest)
    return dest


def run_in_cmd(rootfs: Path, script: str) -> list[str]:
    """The command that runs ``script`` with ``rootfs`` as ``/``, in new PID/UTS/mount
    namespaces, with a /proc of its own."""
    inner = (f'mount -t proc proc "{rootfs}/proc" && hostname {namespaces.HOSTNAME} && '
             'exec chroot "$0" /bin/sh -c "$1"')
    return namespaces.unshare_cmd(["sh", "-c", inner, str(rootfs), script], proc=False)


def run_in(rootfs: Path, script: str) -> procs.Measured:
    return procs.run(run_in_cmd(rootfs, script), timeout=30)
