"""Virtual machines: is this machine one, and can it run one?

A VM is a complete computer made of virtual hardware (CPU, memory, disk, network card)
by a hypervisor; it boots its own kernel. From inside, the signs are the CPU's
``hypervisor`` flag, DMI vendor strings like "QEMU" or "Amazon EC2", and what
``systemd-detect-virt`` concludes from them.
"""
from __future__ import annotations

import glob
import os
import platform
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kitlib.eras import procs

DMI = Path("/sys/class/dmi/id")
QEMU = "qemu-system-x86_64"


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _detect_virt(flag: str) -> str:
    if not shutil.which("systemd-detect-virt"):
        return "(systemd-detect-virt not installed)"
    out = subprocess.run(["systemd-detect-virt", flag], capture_output=True, text=True, timeout=10)
    return out.stdout.strip() or "none"


def signs() -> list[dict]:
    """Each piece of evidence about virtualization on this machine, one row each."""
    cpuinfo = _read(Path("/proc/cpuinfo")) or ""
    dmi = [v for v in (_read(DMI / "sys_vendor"), _read(DMI / "product_name")) if v]
    kvm = Path("/dev/kvm")
    return [
        {"evidence": "systemd-detect-virt --vm", "value": _detect_virt("--vm")},
        {"evidence": "systemd-detect-virt --container", "value": _detect_virt("--container")},
        {"evidence": "/proc/cpuinfo 'hypervisor' flag",
         "value": ("present" if re.search(r"^flags\s*:.*\bhypervisor\b", cpuinfo, re.M) else "absent")
         if cpuinfo else "(no /proc/cpuinfo: not Linux)"},
        {"evidence": "/sys/class/dmi/id vendor/product", "value": " / ".join(dmi) if dmi else "(not exposed)"},
        {"evidence": "/dev/kvm (can host hardware-accelerated VMs)",
         "value": ("usable" if os.access(kvm, os.R_OK | os.W_OK) else "present, no access")
         if kvm.exists() else "absent"},
    ]


def verdict(rows: list[dict]) -> str:
    values = {r["evidence"]: r["value"] for r in rows}
    vm = values["systemd-detect-virt --vm"]
    if vm not in ("none", "(systemd-detect-virt not installed)"):
        return f"this machine is a virtual machine ({vm})"
    if values["/proc/cpuinfo 'hypervisor' flag"] == "present":
        return "this machine is a virtual machine (the CPU reports a hypervisor)"
    return "no sign of a hypervisor: this looks like a physical machine (or a well-hidden VM)"


def qemu() -> str | None:
    return shutil.which(QEMU)


def kernel_image() -> Path | None:
    """A kernel the VM can boot: the host's own from /boot, where it is readable."""
    for path in sorted(glob.glob("/boot/vmlinuz*"), reverse=True):
        if os.access(path, os.R_OK):
            return Path(path)
    return None


def can_boot() -> tuple[bool, str]:
    if platform.machine() not in ("x86_64", "AMD64"):
        return False, f"the tiny VM here is for x86_64; this machine is {platform.machine()}"
    if not qemu():
        return False, (f"{QEMU} is not installed, so no VM is booted here. On Debian/Ubuntu "
                       "`apt-get install qemu-system-x86` provides it (on macOS: `brew install qemu`)")
    if not kernel_image():
        return False, "no readable kernel image in /boot for the VM to boot"
    return True, f"{qemu()} with {kernel_image()}"


@dataclass
class Boot:
    seconds: float               # from starting QEMU until the guest kernel gave up and QEMU exited
    peak_mb: float               # QEMU's peak resident memory: guest RAM touched + QEMU itself
    accel: str
    guest_banner: str            # the guest kernel's "Linux version ..." line
    last_line: str


def boot_tiny_vm(kernel: Path | None = None, memory_mb: int = 128, timeout: float = 90,
                 qemu_binary: str | None = None) -> Boot:
    """Boot a VM with no disk: its own kernel starts on virtual hardware, finds no root
    filesystem, panics, and (``panic=-1`` + ``-no-reboot``) QEMU exits. That is a full
    machine start-up without an OS to run afterwards."""
    kernel = kernel or kernel_image()
    accel = "kvm" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "tcg"
    cmd = [qemu_binary or qemu(), "-machine", f"accel={accel}", "-m", str(memory_mb),
           "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
           "-kernel", str(kernel), "-append", "console=ttyS0 panic=-1 loglevel=4"]
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        with procs.child(cmd, stdout=log, stderr=subprocess.STDOUT) as proc:
            timer = threading.Timer(timeout, proc.kill)
            timer.start()
            try:
                peak = procs.peak_while_running(proc)
            finally:
                timer.cancel()
        seconds = time.perf_counter() - started
        log.seek(0)
        text = log.read().decode(errors="replace")
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    banner = next((l for l in lines if "Linux version" in l), "")
    if not banner:
        raise RuntimeError(f"the VM did not boot a kernel: {text.strip()[-300:]}")
    return Boot(seconds, peak, accel, banner, lines[-1] if lines else "")
