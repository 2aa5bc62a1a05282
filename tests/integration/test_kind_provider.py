"""The kind provider against a real Docker engine (the machine's, or the kit's private
one when run as root): the engine is found, a missing override image fails fast with a
fix (never a pull, never a hang), and a kind cluster of the same name that the kit did not
create is refused and left alone."""
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def engine_env():
    """An environment whose DOCKER_HOST reaches an engine: the one already answering, or
    the kit's private engine for this test session (stopped by the root conftest)."""
    import os

    from kitlib.cluster import ClusterError
    from kitlib.cluster.providers.kind import use_engine
    try:
        use_engine(print)
    except ClusterError as exc:
        pytest.skip(f"no Docker engine here: {exc}")
    return dict(os.environ)


def kit(env, *args, timeout=180):
    return subprocess.run([sys.executable, "-m", "kitlib.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def kit_env(engine_env, tmp_path):
    return {**engine_env, "KIT_STATE_DIR": str(tmp_path / "state"), "KIT_NO_PULL": "1"}


def test_engine_is_detected(engine_env, monkeypatch):
    from kitlib.cluster import choose_provider, docker
    monkeypatch.setenv("DOCKER_HOST", engine_env.get("DOCKER_HOST", ""))
    monkeypatch.delenv("KIT_PROVIDER", raising=False)
    ok, why = docker.engine_answers()
    assert ok, why
    assert choose_provider(name=f"kit-{uuid.uuid4().hex[:6]}")[0] == "kind"


def test_missing_override_image_fails_fast_with_a_fix(kit_env):
    name = f"kit-t{uuid.uuid4().hex[:6]}"
    env = {**kit_env, "KIT_KIND_IMAGE": "kindest/node:v0.0.0-kit-test-missing"}
    out = kit(env, "up", "--provider", "kind", "--name", name)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "kindest/node:v0.0.0-kit-test-missing is not on this machine" in out.stderr
    assert "KIT_KIND_IMAGE" in out.stderr and "--provider kwok" in out.stderr
    assert not (Path(kit_env["KIT_STATE_DIR"]) / "clusters" / name / "state.json").exists()
    listed = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], env=kit_env,
                            capture_output=True, text=True).stdout.split()
    assert not [c for c in listed if c.startswith(name)], "no node container may be left behind"


def test_foreign_kind_cluster_of_the_same_name_is_refused_and_left_alone(kit_env):
    """kind finds clusters by a container label; a container carrying it under a name the
    kit never recorded is someone else's cluster."""
    from kitlib.cluster import course_images
    name = f"kit-f{uuid.uuid4().hex[:6]}"
    image = course_images.build("busybox", print)
    container = f"{name}-control-plane"
    subprocess.run(["docker", "run", "-d", "--name", container, "--label",
                    f"io.x-k8s.kind.cluster={name}", image, "sleep", "600"],
                   env=kit_env, check=True, capture_output=True)
    try:
        out = kit(kit_env, "up", "--provider", "kind", "--name", name)
        assert out.returncode == 2, out.stdout + out.stderr
        assert "the kit did not create; it is left alone" in out.stderr
        out = kit(kit_env, "down", "--name", name)
        assert out.returncode == 0 and "nothing to remove" in out.stdout
        state = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", container],
                               env=kit_env, capture_output=True, text=True)
        assert state.stdout.strip() == "true", "the foreign cluster must not be touched"
    finally:
        subprocess.run(["docker", "rm", "-f", container], env=kit_env, capture_output=True)
