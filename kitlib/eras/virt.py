"""Virtual machines: is this machine one, and can it run one?

A VM is a complete computer made of virtual hardware (CPU, memory, disk, network card)
by a hypervisor; it boots its own kernel. From inside, the signs are the CPU's
``hypervisor`` flag, DMI vendor strings like "QEMU" or "Amazon EC2", and what
``systemd-detect-virt`` concludes from them.
"""
from __future__ import annotations

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

from kitlib.eras import procs, vmimage

DMI = Path("/sys/class/dmi/id")
QEMU = "qemu-system-x86_64"
ANSI = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|c)")    # SeaBIOS clears the screen


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
    return [
        {"evidence": "systemd-detect-virt --vm", "value": _detect_virt("--vm")},
        {"evidence": "systemd-detect-virt --container", "value": _detect_virt("--container")},
        {"evidence": "/proc/cpuinfo 'hypervisor' flag",
         "value": ("present" if re.search(r"^flags\s*:.*\bhypervisor\b", cpuinfo, re.M) else "absent")
         if cpuinfo else "(no /proc/cpuinfo: not Linux)"},
        {"evidence": "/sys/class/dmi/id vendor/product", "value": " / ".join(dmi) if dmi else "(not exposed)"},
        {"evidence": "/dev/kvm (can host hardware-accelerated VMs)", "value": _kvm_state()},
    ]


def _kvm_state() -> str:
    if not os.path.exists("/dev/kvm"):
        return "absent"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "present, no access"
    return "usable" if kvm_usable() else "present, but the CPU has no vmx/svm: software KVM only"


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


def kvm_usable() -> bool:
    """/dev/kvm we may open, on a CPU with hardware virtualization (vmx/svm). A /dev/kvm
    without them is a software KVM (such as kvm_pvm inside a Firecracker VM) on which an
    ordinary guest kernel hangs, so TCG emulation is the only choice there."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    return bool(re.search(r"^flags\s*:.*\b(vmx|svm)\b", _read(Path("/proc/cpuinfo")) or "", re.M))


def can_boot() -> tuple[bool, str]:
    if platform.machine() not in ("x86_64", "AMD64"):
        return False, f"the tiny VM here is for x86_64; this machine is {platform.machine()}"
    if not qemu():
        return False, (f"{QEMU} is not installed, so no VM is booted here. On Debian/Ubuntu "
                       "`apt-get install qemu-system-x86` provides it (on macOS: `brew install qemu`)")
    ok, why = vmimage.available()
    return ok, f"{qemu()} with {why}" if ok else why


@dataclass
class Boot:
    seconds: float               # from starting QEMU until the guest powered off and QEMU exited
    peak_mb: float               # QEMU's peak resident memory: guest RAM touched + QEMU itself
    accel: str
    guest_banner: str            # the guest's /proc/version: "Linux version ..."
    last_line: str
    guest_kernel: str            # the guest's `uname -r`
    guest_machine: str           # the guest's `uname -m`
    guest_mem_mb: float          # MemTotal in the guest: the -m size less what the kernel keeps
    guest_processes: int         # everything in the guest's /proc: kernel threads and /init
    guest_user_processes: int    # of those, userspace ones: /init and the commands it runs
    init_seconds: float          # the guest's uptime when /init started: the kernel's boot
    memory_mb: int               # the RAM the VM was given (-m)


def boot_tiny_vm(image: vmimage.VmImage | None = None, memory_mb: int = 128,
                 timeout: float = 120, qemu_binary: str | None = None,
                 accel: str | None = None, report=print) -> Boot:
    """Boot a VM on the kit's Debian kernel and tiny initramfs: its /init reports what the
    guest sees (its own kernel, memory and processes) and powers off, and QEMU exits.
    The image is made on first use (see kitlib.eras.vmimage)."""
    image = image or vmimage.ensure_vm_image(report)
    accel = accel or ("kvm" if kvm_usable() else "tcg")
    cmd = [qemu_binary or qemu(), "-machine", f"accel={accel}", "-m", str(memory_mb),
           "-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio",
           "-kernel", str(image.kernel), "-initrd", str(image.initramfs),
           "-append", "console=ttyS0 quiet panic=-1"]
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
        text = ANSI.sub("", log.read().decode(errors="replace"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    seen = vmimage.parse_report(text)
    if seen is None:
        why = f"killed after {timeout:.0f} s" if seconds >= timeout else f"QEMU exited ({proc.returncode})"
        panic = [line for line in lines[:-12] if "Kernel panic" in line][:1]    # above its call trace
        raise RuntimeError(f"the VM never reported back ({why}, accel={accel}); "
                           "last console lines:\n  " + "\n  ".join(panic + lines[-12:]))
    return Boot(seconds, peak, accel, seen["version"], lines[-1],
                guest_kernel=seen["release"], guest_machine=seen["machine"],
                guest_mem_mb=int(seen["memtotal_kb"]) / 1024,
                guest_processes=int(seen["processes"]),
                guest_user_processes=int(seen["user_processes"]),
                init_seconds=float(seen["init_uptime"]), memory_mb=memory_mb)
