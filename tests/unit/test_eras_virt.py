"""Virtualization: the evidence rows, the verdict, the VM image's package choice, cache
and report format, and the VM boot path with a stand-in for QEMU (no network, no VM)."""
import stat
import time

import pytest

from kitlib.eras import virt, vmimage
from kitlib.eras.vmimage import MARK, Packages, VmImage, VmImageError


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


def test_no_apt_is_explained(monkeypatch):
    # e.g. macOS with QEMU from Homebrew: QEMU is there, Debian's packages are not
    monkeypatch.setattr(virt.shutil, "which", lambda name: "/x/qemu" if name == virt.QEMU else None)
    monkeypatch.setattr(virt.platform, "machine", lambda: "x86_64")
    ok, why = virt.can_boot()
    assert not ok and "apt-get, apt-cache, dpkg-deb not found" in why and "Debian" in why
    with pytest.raises(VmImageError, match="apt-get"):
        vmimage.ensure_vm_image()


@pytest.mark.parametrize("flags,usable", [("fpu vmx sse2", True), ("fpu svm", True),
                                          ("fpu hypervisor sse2", False)])
def test_kvm_needs_hardware_virtualization(monkeypatch, flags, usable):
    monkeypatch.setattr(virt.os, "access", lambda path, mode: True)
    monkeypatch.setattr(virt, "_read", lambda path: f"processor\t: 0\nflags\t\t: {flags}\n")
    assert virt.kvm_usable() is usable


# --------------------------------------------------------------------------- the guest's report

GUEST = {"init_uptime": "2.31", "release": "6.1.0-56-cloud-amd64", "machine": "x86_64",
         "version": "Linux version 6.1.0-56-cloud-amd64 (debian-kernel@lists.debian.org) #1 SMP",
         "memtotal_kb": "94800", "processes": "48", "user_processes": "4"}


def console(report=GUEST, end=True):
    """What QEMU's serial console shows: BIOS noise, the report, the kernel powering off."""
    lines = ["\x1bc\x1b[?7l\x1b[2JSeaBIOS (version 1.16.2)", "Booting from ROM...",
             f"\x1b[2J{MARK}-BEGIN", *(f"{MARK} {k}={v}" for k, v in report.items())]
    lines += [f"{MARK}-END", "[    2.454933] reboot: Power down"] if end else []
    return "\r\n".join(lines) + "\r\n"


def test_report_is_parsed_from_the_console():
    assert vmimage.parse_report(console()) == GUEST


def test_unfinished_or_incomplete_report_is_none():
    assert vmimage.parse_report(console(end=False)) is None
    partial = {k: v for k, v in GUEST.items() if k != "memtotal_kb"}
    assert vmimage.parse_report(console(partial)) is None
    assert vmimage.parse_report("Kernel panic - not syncing: no init found") is None


def test_init_script_prints_every_key_the_host_reads():
    for key in vmimage.REPORT_KEYS:
        assert f'echo "{MARK} {key}=' in vmimage.INIT
    assert vmimage.INIT.startswith("#!/bin/busybox sh\n") and "poweroff -f" in vmimage.INIT


# --------------------------------------------------------------------------- packages and key

APT_SHOW = """Package: linux-image-cloud-amd64
Source: linux-signed-amd64 (6.1.192+2)
Version: 6.1.192-2
Depends: linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)
Description-en: Linux for x86-64 cloud (meta-package)

Package: linux-image-amd64
Version: 6.1.192-2
Depends: linux-image-6.1.0-56-amd64 (= 6.1.192-2)

Package: busybox-static
Version: 1:1.35.0-4+deb12u1+b1
Depends: libc6
"""


def test_cloud_kernel_is_preferred():
    assert vmimage.packages_from_apt(APT_SHOW) == Packages(
        "linux-image-6.1.0-56-cloud-amd64", "6.1.192-2", "1:1.35.0-4+deb12u1+b1")


def test_generic_kernel_when_no_cloud_kernel():
    show = APT_SHOW.split("\n\n", 1)[1]
    assert vmimage.packages_from_apt(show).kernel == "linux-image-6.1.0-56-amd64"


@pytest.mark.parametrize("drop", ["kernel", "busybox"])
def test_missing_package_says_run_apt_get_update(drop):
    blocks = APT_SHOW.split("\n\n")
    show = blocks[2] if drop == "kernel" else "\n\n".join(blocks[:2])
    with pytest.raises(VmImageError, match=r"apt-get update") as err:
        vmimage.packages_from_apt(show)
    assert ("linux-image-cloud-amd64" if drop == "kernel" else "busybox-static") in str(err.value)


PKGS = Packages("linux-image-6.1.0-56-cloud-amd64", "6.1.192-2", "1:1.35.0-4+deb12u1+b1")


def test_cache_key_names_both_versions_and_is_a_safe_file_name():
    key = vmimage.cache_key(PKGS)
    assert "6.1.0-56-cloud-amd64" in key and "6.1.192-2" in key and "1.35.0-4+deb12u1+b1" in key
    assert "/" not in key and ":" not in key and not key.startswith(".")


def test_cache_key_changes_with_each_input(monkeypatch):
    keys = {vmimage.cache_key(PKGS),
            vmimage.cache_key(Packages(PKGS.kernel, "6.1.193-1", PKGS.busybox_version)),
            vmimage.cache_key(Packages(PKGS.kernel, PKGS.kernel_version, "1:1.36.1-1"))}
    monkeypatch.setattr(vmimage, "INIT", vmimage.INIT + "# changed\n")
    keys.add(vmimage.cache_key(PKGS))
    assert len(keys) == 4


# --------------------------------------------------------------------------- the cache

@pytest.fixture
def cache(monkeypatch, tmp_path):
    """A private cache dir, fixed packages, and a stand-in build that counts its runs."""
    monkeypatch.setenv("KIT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(vmimage, "resolve", lambda: PKGS)
    builds = []

    def build(packages, staging, report, fail=False):
        builds.append(staging)
        staging.mkdir()
        (staging / "vmlinuz-6.1.0-56-cloud-amd64").write_bytes(b"kernel")
        if fail:
            raise KeyboardInterrupt     # as if the learner interrupted the cell
        (staging / "initramfs.gz").write_bytes(b"initramfs")

    monkeypatch.setattr(vmimage, "_build", build)
    return tmp_path / "vm", builds


def test_second_call_does_no_work(cache):
    vm_dir, builds = cache
    first = vmimage.ensure_vm_image(report=lambda _: None)
    said = []
    second = vmimage.ensure_vm_image(report=said.append)
    assert first == second and len(builds) == 1 and said == []
    assert first.kernel_version == "6.1.0-56-cloud-amd64"
    assert first.kernel.read_bytes() == b"kernel" and first.initramfs.read_bytes() == b"initramfs"
    assert first.kernel.parent == vm_dir / vmimage.cache_key(PKGS)


def test_interrupted_build_leaves_nothing_half_made(cache, monkeypatch):
    vm_dir, builds = cache
    good = vmimage._build
    monkeypatch.setattr(vmimage, "_build", lambda *a: good(*a, fail=True))
    with pytest.raises(KeyboardInterrupt):
        vmimage.ensure_vm_image(report=lambda _: None)
    assert [p.name for p in vm_dir.iterdir() if not p.name.endswith(".lock")] == []
    monkeypatch.setattr(vmimage, "_build", good)
    assert vmimage.ensure_vm_image(report=lambda _: None).initramfs.is_file()
    assert len(builds) == 2


def test_staging_left_by_a_killed_run_is_swept(cache):
    vm_dir, _ = cache
    stale = vm_dir / f".{vmimage.cache_key(PKGS)}.k1ll3d" / "image"
    stale.mkdir(parents=True)
    vmimage.ensure_vm_image(report=lambda _: None)
    assert not stale.parent.exists()


# --------------------------------------------------------------------------- booting

def fake_qemu(tmp_path, body: str) -> str:
    """A stand-in for QEMU that records its arguments and then runs ``body``."""
    path = tmp_path / "qemu-system-x86_64"
    path.write_text(f'#!/bin/sh\necho "$@" > "{tmp_path}/args"\n{body}\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.fixture
def image(tmp_path):
    return VmImage(tmp_path / "vmlinuz-6.1.0-56-cloud-amd64", tmp_path / "initramfs.gz",
                   "6.1.0-56-cloud-amd64")


def test_boot_reads_what_the_guest_reported(tmp_path, image):
    (tmp_path / "console").write_text(console())
    qemu = fake_qemu(tmp_path, f'sleep 0.2\ncat "{tmp_path}/console"')
    boot = virt.boot_tiny_vm(image, memory_mb=64, qemu_binary=qemu, accel="tcg", timeout=30)
    assert boot.guest_kernel == "6.1.0-56-cloud-amd64" and boot.guest_machine == "x86_64"
    assert boot.guest_banner.startswith("Linux version 6.1.0-56-cloud-amd64")
    assert boot.guest_mem_mb == pytest.approx(94800 / 1024)
    assert (boot.guest_processes, boot.guest_user_processes) == (48, 4)
    assert boot.init_seconds == 2.31 and boot.memory_mb == 64 and boot.accel == "tcg"
    assert boot.last_line.endswith("reboot: Power down")
    assert boot.seconds >= 0.2 and boot.peak_mb > 0
    args = (tmp_path / "args").read_text().split()
    assert args[args.index("-kernel") + 1] == str(image.kernel)
    assert args[args.index("-initrd") + 1] == str(image.initramfs)
    assert "accel=tcg" in args and args[args.index("-m") + 1] == "64" and "-no-reboot" in args


def test_guest_that_never_reports_fails_with_its_last_lines(tmp_path, image):
    qemu = fake_qemu(tmp_path, "echo 'Booting from ROM...'\n"
                               "echo 'Kernel panic - not syncing: No working init found.'\n"
                               "for i in $(seq 20); do echo \"  trace $i\"; done\nexit 1")
    with pytest.raises(RuntimeError, match="never reported back") as err:
        virt.boot_tiny_vm(image, qemu_binary=qemu, accel="tcg", timeout=30)
    message = str(err.value)
    assert "QEMU exited (1)" in message and "trace 20" in message and "trace 8\n" not in message
    assert "No working init found" in message      # the panic, though above the last lines


def test_hung_guest_is_killed_at_the_timeout(tmp_path, image):
    qemu = fake_qemu(tmp_path, "echo 'Booting from ROM...'\nexec sleep 60")
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=r"killed after 1 s.*\n.*Booting from ROM"):
        virt.boot_tiny_vm(image, qemu_binary=qemu, accel="tcg", timeout=1)
    assert time.monotonic() - started < 10
