"""The kind provider against a real Docker engine, as far as a machine without a
container registry allows: the engine is found, a locally built image is seen, and a
missing node image fails fast with a message that says what to do (never a pull, never
a hang). Runs with the machine's engine, or a private dockerd when run as root."""
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from dockerd import docker_engine
from kitlib.cluster.versions import load

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def engine_env():
    with docker_engine() as env:
        if env is None:
            pytest.skip("no Docker engine, and none can be started here (needs dockerd and root)")
        yield env


def kit(env, *args, timeout=180):
    return subprocess.run([sys.executable, "-m", "kitlib.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def kit_env(engine_env, tmp_path):
    return {**engine_env, "KIT_STATE_DIR": str(tmp_path / "state"), "KIT_NO_PULL": "1"}


def test_engine_is_detected(engine_env, monkeypatch):
    from kitlib.cluster import docker, choose_provider
    monkeypatch.setenv("DOCKER_HOST", engine_env.get("DOCKER_HOST", ""))
    monkeypatch.delenv("KIT_PROVIDER", raising=False)
    ok, why = docker.engine_answers()
    assert ok, why
    assert choose_provider(name=f"kit-{uuid.uuid4().hex[:6]}")[0] == "kind"


def test_locally_built_image_is_seen(engine_env, tmp_path, monkeypatch):
    from kitlib.cluster import docker
    monkeypatch.setenv("DOCKER_HOST", engine_env.get("DOCKER_HOST", ""))
    tag = f"kit-test/empty:{uuid.uuid4().hex[:8]}"
    rootfs = tmp_path / "rootfs.tar"
    subprocess.run(["tar", "-C", str(tmp_path), "-cf", str(rootfs), "--files-from", "/dev/null"], check=True)
    subprocess.run(["docker", "import", str(rootfs), tag], env=engine_env, check=True, capture_output=True)
    try:
        assert docker.image_present(tag)
    finally:
        subprocess.run(["docker", "image", "rm", tag], env=engine_env, capture_output=True)
    assert not docker.image_present(tag)


def test_missing_node_image_fails_fast_with_a_fix(kit_env):
    name = f"kit-t{uuid.uuid4().hex[:6]}"
    env = {**kit_env, "KIT_KIND_IMAGE": "kindest/node:v0.0.0-kit-test-missing"}
    out = kit(env, "up", "--provider", "kind", "--name", name)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "kindest/node:v0.0.0-kit-test-missing is not on this machine" in out.stderr
    assert "pulling is off" in out.stderr and "--provider kwok" in out.stderr
    assert not (Path(kit_env["KIT_STATE_DIR"]) / "clusters" / name / "state.json").exists()
    listed = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], env=kit_env,
                            capture_output=True, text=True).stdout.split()
    assert not [c for c in listed if c.startswith(name)], "no node container may be left behind"


def test_pinned_image_missing_here_says_how_to_get_it(kit_env):
    image = load().kind_node_image
    present = subprocess.run(["docker", "image", "inspect", image], env=kit_env,
                             capture_output=True).returncode == 0
    if present:
        pytest.skip("the pinned kind node image is present: this machine can run kind for real")
    out = kit(kit_env, "up", "--provider", "kind", "--name", f"kit-t{uuid.uuid4().hex[:6]}")
    assert out.returncode == 2
    assert f"docker pull {image}" in out.stderr


def test_down_of_a_kind_cluster_never_made_touches_nothing(kit_env):
    out = kit(kit_env, "down", "--name", "kit")
    assert out.returncode == 0 and "nothing to remove" in out.stdout
