"""The tiny VM for real: Debian's kernel and a busybox initramfs are fetched with apt (once,
into the user's kit cache), QEMU boots them, and the guest reports what it sees."""
import platform
import shutil
from pathlib import Path

import pytest

from kitlib.eras import virt, vmimage

_missing = [t for t in (virt.QEMU, "apt-get") if not shutil.which(t)]
pytestmark = pytest.mark.skipif(
    bool(_missing) or platform.machine() != "x86_64",
    reason=f"{' and '.join(_missing)} not installed" if _missing else "the tiny VM is x86_64 only")

MEMORY_MB = 128


@pytest.fixture(scope="module")
def image():
    return vmimage.ensure_vm_image()


@pytest.fixture(scope="module")
def boot(image):
    return virt.boot_tiny_vm(image, memory_mb=MEMORY_MB)


def test_image_is_made_from_the_packages_apt_offers(image):
    packages = vmimage.resolve()
    assert image.kernel_version == packages.kernel.removeprefix("linux-image-")
    assert image.kernel.parent.name == vmimage.cache_key(packages)
    assert image.kernel.read_bytes()[0x202:0x206] == b"HdrS"    # a bzImage's boot header
    assert image.initramfs.read_bytes()[:2] == b"\x1f\x8b"       # gzip


def test_second_call_uses_the_cache(image):
    before = image.initramfs.stat().st_mtime_ns
    said = []
    assert vmimage.ensure_vm_image(report=said.append) == image
    assert said == [] and image.initramfs.stat().st_mtime_ns == before


def test_guest_runs_its_own_kernel(boot, image):
    assert boot.guest_kernel == image.kernel_version          # what the package said
    assert boot.guest_machine == "x86_64"
    assert boot.guest_banner.startswith(f"Linux version {image.kernel_version} ")


def test_guest_memory_is_what_the_vm_was_given_less_the_kernel(boot):
    assert boot.memory_mb == MEMORY_MB
    assert MEMORY_MB / 2 < boot.guest_mem_mb < MEMORY_MB
    assert boot.peak_mb > 20          # QEMU holds guest RAM it touched, plus itself


def test_guest_sees_only_its_own_processes(boot):
    host = sum(1 for p in Path("/proc").iterdir() if p.name.isdigit())
    # userspace in the guest: /init and the commands of its count, none of the host's
    assert 1 <= boot.guest_user_processes <= 5 < host
    # the rest are the guest kernel's own threads, which no container has
    assert boot.guest_processes - boot.guest_user_processes >= 10


def test_boot_times_add_up(boot):
    assert 0 < boot.init_seconds < boot.seconds < 120
    print(f"\nboot ({boot.accel}): /init at {boot.init_seconds:.2f} s guest uptime, "
          f"{boot.seconds:.2f} s until QEMU exited, QEMU peak {boot.peak_mb:.0f} MiB")


def test_chapter_one_call_boots_from_the_cache(image):
    # what chapter 1 calls: no arguments, the cached image, nothing fetched or built
    again = virt.boot_tiny_vm(report=lambda line: pytest.fail(f"rebuilt the image: {line}"))
    assert again.guest_kernel == image.kernel_version
