"""The hand-made container: namespaces isolate what a process sees; an image's rootfs
gives it the same files wherever it is unpacked."""
import socket

import pytest

from kitlib.eras import image, namespaces

ok, why = namespaces.available()
linux_ns = pytest.mark.skipif(not ok, reason=f"no namespaces here: {why}")


@linux_ns
def test_sandbox_has_its_own_pids_hostname_and_mounts():
    f = namespaces.sandbox_facts()
    assert f.pid_inside == 1
    assert f.hostname_inside == namespaces.HOSTNAME
    assert f.hostname_host == socket.gethostname() != namespaces.HOSTNAME
    assert f.processes_inside < 5 < f.processes_host
    assert f.private_mount_inside and not f.private_mount_leaked
    assert f.kernel_inside == f.kernel_host          # a container shares the host kernel


@linux_ns
def test_image_runs_the_same_after_being_moved(tmp_path):
    rootfs = image.build(tmp_path / "rootfs")
    tarball = image.pack(rootfs, tmp_path / "image.tar.gz")
    moved = image.unpack(tarball, tmp_path / "elsewhere")
    script = "cat /etc/os-release; ls /; echo pid $$; hostname"
    first, second = image.run_in(rootfs, script), image.run_in(moved, script)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert 'NAME="kit-image"' in first.stdout and "pid 1" in first.stdout
    assert "home" not in first.stdout.split()          # none of the host's files


def test_unavailable_off_linux(monkeypatch):
    monkeypatch.setattr(namespaces.platform, "system", lambda: "Darwin")
    ok, why = namespaces.available()
    assert not ok and "Linux" in why


def test_unshare_uses_a_user_namespace_without_root(monkeypatch):
    monkeypatch.setattr(namespaces.os, "geteuid", lambda: 1000)
    assert "--map-root-user" in namespaces.unshare_cmd(["true"])
    monkeypatch.setattr(namespaces.os, "geteuid", lambda: 0)
    assert "--map-root-user" not in namespaces.unshare_cmd(["true"])
