"""Virtualization: the evidence rows, the verdict, and the VM boot path (with a stand-in
for QEMU where QEMU is not installed)."""
import stat

import pytest

from kitlib.eras import virt


def test_signs_cover_every_source():
    rows = virt.signs()
    assert [r["evidence"].split()[0] for r in rows] == [
        "systemd-detect-virt", "systemd-detect-virt", "/proc/cpuinfo", "/sys/class/dmi/id", "/dev/kvm"]
    assert all(r["value"] for r in rows)


def _rows(vm="none", flag="absent"):
    return [{"evidence": "systemd-detect-virt --vm", "value": vm},
            {"evidence": "/proc/cpuinfo 'hypervisor' flag", "value": flag}]


@pytest.mark.parametrize("vm,flag,expected", [
    ("kvm", "present", "virtual machine (kvm)"),
    ("none", "present", "CPU reports a hypervisor"),
    ("none", "absent", "physical machine"),
])
def test_verdict(vm, flag, expected):
    assert expected in virt.verdict(_rows(vm, flag))


def test_no_qemu_is_explained(monkeypatch):
    monkeypatch.setattr(virt.shutil, "which", lambda name: None)
    monkeypatch.setattr(virt.platform, "machine", lambda: "x86_64")
    ok, why = virt.can_boot()
    assert not ok and "qemu-system-x86_64 is not installed" in why


def test_boot_measures_the_guest_kernel(tmp_path):
    # a stand-in that behaves like QEMU booting a kernel with no root disk
    fake = tmp_path / "qemu-system-x86_64"
    fake.write_text("#!/bin/sh\necho '[    0.000000] Linux version 6.1.0-guest (builder)'\n"
                    "sleep 0.2\necho 'Kernel panic - not syncing: VFS: Unable to mount root fs'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    kernel = tmp_path / "vmlinuz"
    kernel.write_bytes(b"\0")
    boot = virt.boot_tiny_vm(kernel=kernel, qemu_binary=str(fake), timeout=30)
    assert boot.guest_banner.endswith("Linux version 6.1.0-guest (builder)")
    assert "Kernel panic" in boot.last_line
    assert boot.seconds >= 0.2 and boot.peak_mb > 0


def test_boot_that_prints_no_kernel_fails_clearly(tmp_path):
    fake = tmp_path / "qemu"
    fake.write_text("#!/bin/sh\necho 'qemu: could not open kernel file' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(RuntimeError, match="did not boot a kernel"):
        virt.boot_tiny_vm(kernel=tmp_path / "k", qemu_binary=str(fake), timeout=30)


@pytest.mark.skipif(not virt.can_boot()[0], reason=f"no VM here: {virt.can_boot()[1]}")
def test_real_tiny_vm_boots_its_own_kernel():
    boot = virt.boot_tiny_vm()
    assert "Linux version" in boot.guest_banner
