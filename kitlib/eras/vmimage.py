"""The tiny VM's kernel and initramfs, made from Debian packages.

The kernel is Debian's cloud kernel (small; virtio and the serial console built in). The
initramfs holds a static busybox and an ``/init`` that reports what the guest sees, then
powers the machine off. Both packages come through ``apt-get download``, which checks them
against the checksums in the archive's signed Release files, as any apt install does, so
nothing here verifies hashes by hand.

The result is cached per user under ``<cache>/vm/<key>``, the key naming the package
versions (and the /init script), built in a temporary directory and renamed into place when
complete, as kitlib.cluster.tools does with its tools: an interrupted build leaves nothing
half-made, and the second call does no work.
"""
from __future__ import annotations

import fcntl
import gzip
import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from kitlib.eras import procs
from kitlib.paths import cache_dir

Report = Callable[[str], None]
KERNEL_METAS = ("linux-image-cloud-amd64", "linux-image-amd64")   # preferred first
BUSYBOX = "busybox-static"
MARK = "KITVM"
REPORT_KEYS = ("init_uptime", "release", "machine", "version", "memtotal_kb",
               "processes", "user_processes")

# PID 1 of the guest. The uptime is read first: it is how long the kernel took to get here.
# Kernel threads have no /proc/N/exe; userspace processes do.
INIT = f"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
read up _ < /proc/uptime
/bin/busybox --install -s /bin
export PATH=/bin
mount -t sysfs sysfs /sys
echo "{MARK}-BEGIN"
echo "{MARK} init_uptime=$up"
echo "{MARK} release=$(uname -r)"
echo "{MARK} machine=$(uname -m)"
echo "{MARK} version=$(cat /proc/version)"
echo "{MARK} memtotal_kb=$(awk '/^MemTotal:/ {{print $2}}' /proc/meminfo)"
echo "{MARK} processes=$(ls /proc | grep -c '^[0-9]')"
echo "{MARK} user_processes=$(for p in /proc/[0-9]*; do [ -e $p/exe ] && echo; done | wc -l)"
echo "{MARK}-END"
poweroff -f
"""


class VmImageError(RuntimeError):
    """No VM image can be made here; the message says why and what would fix it."""


@dataclass(frozen=True)
class VmImage:
    kernel: Path
    initramfs: Path
    kernel_version: str          # the kernel release, as the guest's `uname -r` says it


@dataclass(frozen=True)
class Packages:
    kernel: str                  # e.g. linux-image-6.1.0-56-cloud-amd64
    kernel_version: str          # its Debian version, e.g. 6.1.192-2
    busybox_version: str


# --------------------------------------------------------------------------- which packages

def packages_from_apt(show: str) -> Packages:
    """Pick the kernel and busybox packages out of ``apt-cache show`` records of the kernel
    meta-packages and busybox-static (the meta-package depends on the real kernel package)."""
    records = {}
    for block in re.split(r"\n\s*\n", show):
        fields = dict(re.findall(r"^([\w-]+): (.*)$", block, re.M))
        if "Package" in fields:
            records.setdefault(fields["Package"], fields)
    kernel = next((m for m in KERNEL_METAS if m in records), None)
    if kernel is None or BUSYBOX not in records:
        missing = " or ".join(KERNEL_METAS) if kernel is None else BUSYBOX
        raise VmImageError(f"apt knows no {missing} package: on Debian, run `apt-get update` "
                           "(the VM's kernel and busybox come from Debian's archive)")
    real = re.search(r"(linux-image-[^\s,]+) \(= ([^)]+)\)", records[kernel].get("Depends", ""))
    if not real:
        raise VmImageError(f"{kernel} depends on no versioned linux-image package: "
                           f"{records[kernel].get('Depends')!r}")
    return Packages(real[1], real[2], records[BUSYBOX]["Version"])


def _require_apt() -> None:
    missing = [t for t in ("apt-get", "apt-cache", "dpkg-deb") if not shutil.which(t)]
    if missing:
        raise VmImageError(f"{', '.join(missing)} not found: the VM's kernel and busybox come "
                           "from Debian packages, so this needs a Debian system")


def resolve() -> Packages:
    """The newest kernel and busybox packages apt offers (a local lookup, no download)."""
    _require_apt()
    out = subprocess.run(["apt-cache", "show", "--no-all-versions", *KERNEL_METAS, BUSYBOX],
                         capture_output=True, text=True, timeout=60)
    return packages_from_apt(out.stdout)


def available() -> tuple[bool, str]:
    """Whether ensure_vm_image can work here, without downloading anything."""
    try:
        p = resolve()
    except VmImageError as exc:
        return False, str(exc)
    return True, f"Debian's {p.kernel} {p.kernel_version} and busybox {p.busybox_version}"


def cache_key(p: Packages) -> str:
    init = hashlib.sha256(INIT.encode()).hexdigest()[:8]
    key = f"{p.kernel.removeprefix('linux-image-')}_{p.kernel_version}-busybox_{p.busybox_version}-init_{init}"
    return re.sub(r"[^\w.+-]", "_", key)        # the epoch's ':' in "1:1.35.0"


# --------------------------------------------------------------------------- ensure

def ensure_vm_image(report: Report = print) -> VmImage:
    """The cached kernel + initramfs for the current packages, built first if need be."""
    packages = resolve()
    dest = cache_dir() / "vm" / cache_key(packages)
    if not dest.is_dir():
        started = time.monotonic()
        _build_once(dest, lambda staging: _build(packages, staging, report))
        report(f"VM image ready in {time.monotonic() - started:.0f} s: {dest}")
    kernel = next(dest.glob("vmlinuz-*"))
    return VmImage(kernel, dest / "initramfs.gz", kernel.name.removeprefix("vmlinuz-"))


def _build_once(dest: Path, build: Callable[[Path], None]) -> None:
    """Run ``build(staging)`` in a temporary sibling of ``dest``, then rename it into place.
    One builder at a time: a second caller waits for the lock, then finds it done."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest.parent / f".{dest.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if dest.is_dir():
            return
        for stale in dest.parent.glob(f".{dest.name}.*"):
            if stale.is_dir():          # left by a killed run (we hold the lock)
                shutil.rmtree(stale, ignore_errors=True)
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as tmp:
            staging = Path(tmp) / "image"
            build(staging)
            staging.rename(dest)


def _build(p: Packages, staging: Path, report: Report) -> None:
    debs = staging.parent / "debs"
    debs.mkdir()
    staging.mkdir()
    report(f"fetching {p.kernel} {p.kernel_version} and {BUSYBOX} {p.busybox_version} with apt")
    _download([f"{p.kernel}={p.kernel_version}", f"{BUSYBOX}={p.busybox_version}"], debs)
    _extract_one(next(debs.glob(f"{p.kernel}_*.deb")), r"\./boot/vmlinuz-.+", staging)
    root = staging.parent / "root"
    for d in ("bin", "dev", "proc", "sys"):
        (root / d).mkdir(parents=True)
    busybox = _extract_one(next(debs.glob(f"{BUSYBOX}_*.deb")), r"\./bin/busybox", root / "bin")
    busybox.chmod(0o755)
    (root / "init").write_text(INIT)
    (root / "init").chmod(0o755)
    (staging / "initramfs.gz").write_bytes(gzip.compress(_newc_archive(root, busybox)))


def _download(specs: list[str], into: Path) -> None:
    cmd = ["apt-get", "download", "-q", *specs]
    if os.geteuid() == 0:
        # apt drops root to _apt for downloads; _apt may not write into our directory
        cmd[1:1] = ["-o", "APT::Sandbox::User=root"]
    out = subprocess.run(cmd, cwd=into, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise VmImageError(f"apt-get download failed: {last}")


def _extract_one(deb: Path, pattern: str, into: Path) -> Path:
    """Copy the first file of ``deb`` whose path matches ``pattern`` into ``into``. The
    package's data is streamed, not unpacked: the kernel package's ~100 MB of modules,
    which come after /boot, are never decompressed or written."""
    with procs.child(["dpkg-deb", "--fsys-tarfile", str(deb)],
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                if member.isfile() and re.fullmatch(pattern, member.name):
                    target = into / Path(member.name).name
                    with tar.extractfile(member) as src, open(target, "wb") as out:
                        shutil.copyfileobj(src, out)
                    return target
    raise VmImageError(f"{deb.name} holds no file matching {pattern}")


def _newc_archive(root: Path, busybox: Path) -> bytes:
    """A newc cpio archive of ``root`` (owned by root), made by busybox's own cpio."""
    names = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    out = subprocess.run([str(busybox), "cpio", "-o", "-H", "newc", "-R", "0:0"], cwd=root,
                         input="\n".join(names).encode() + b"\n", capture_output=True, timeout=60)
    if out.returncode != 0:
        raise VmImageError(f"busybox cpio failed: {out.stderr.decode(errors='replace').strip()}")
    return out.stdout


# --------------------------------------------------------------------------- the guest's report

def parse_report(console: str) -> dict[str, str] | None:
    """The guest's ``KITVM key=value`` lines, or None unless it got to the end of its report."""
    if f"{MARK}-END" not in console:
        return None
    found = dict(re.findall(rf"{MARK} (\w+)=(.*?)\r?$", console, re.M))
    return found if all(k in found for k in REPORT_KEYS) else None
