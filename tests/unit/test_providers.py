"""Provider selection, kind command lines and failure messages, the existing provider,
and the safety rules, without a cluster."""
from pathlib import Path

import pytest
import yaml

from kitlib import cluster, kube
from kitlib.cluster import docker, target
from kitlib.cluster.base import ClusterDir, ClusterError, Record
from kitlib.cluster.providers import kind as kind_mod
from kitlib.cluster.providers.existing import ExistingProvider, extract_context


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    for var in ("KIT_PROVIDER", "KIT_KUBECONFIG", "KIT_CONTEXT", "KIT_CLUSTER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(target, "_in_use", None)


def docker_up():
    return True, "Docker engine 28.2.2"


def docker_down():
    return False, "the docker command is not installed"


def test_auto_picks_kind_when_docker_answers():
    name, why = cluster.choose_provider(engine_answers=docker_up)
    assert name == "kind" and "Docker engine 28.2.2" in why


def test_auto_picks_kwok_without_docker_and_says_why():
    name, why = cluster.choose_provider(engine_answers=docker_down)
    assert name == "kwok" and "not installed" in why


@pytest.mark.parametrize("asked, expected", [("kind", "kind"), ("KWOK", "kwok"),
                                             ("docker-free", "kwok"), ("existing", "existing")])
def test_explicit_choice_wins(asked, expected):
    assert cluster.choose_provider(asked, engine_answers=docker_up)[0] == expected


def test_environment_variable_forces_a_provider(monkeypatch):
    monkeypatch.setenv("KIT_PROVIDER", "kwok")
    assert cluster.choose_provider(engine_answers=docker_up)[0] == "kwok"


def test_unknown_provider_is_a_clear_error():
    with pytest.raises(ClusterError, match="unknown provider 'minikube'.*kind, kwok, existing"):
        cluster.choose_provider("minikube")


def test_recorded_cluster_keeps_its_provider():
    ClusterDir("kit").write(Record("kit", "kwok", phase="ready"))
    name, why = cluster.choose_provider(engine_answers=docker_up)
    assert name == "kwok" and "already manages" in why


def test_kit_kubeconfig_selects_existing(monkeypatch):
    monkeypatch.setenv("KIT_KUBECONFIG", "/somewhere/config")
    assert cluster.choose_provider(engine_answers=docker_up)[0] == "existing"


def test_one_place_resolves_the_cluster_name(monkeypatch):
    assert cluster.cluster_name() == "kit" and cluster.cluster_name("y") == "y"
    monkeypatch.setenv("KIT_CLUSTER", "from-env")
    assert kube.kubeconfig_path() == ClusterDir("from-env").kubeconfig
    target.use("x")                       # what cluster.up(name="x") does once it is up
    assert kube.kubeconfig_path() == ClusterDir("x").kubeconfig
    assert cluster.status().name == "x" and kube.kubeconfig_path("y") == ClusterDir("y").kubeconfig
    cluster.down(report=lambda m: None)   # removes x: the environment's default again
    assert cluster.cluster_name() == "from-env"


@pytest.mark.parametrize("bad", ["", "-kit", "kit cluster", "x" * 41, "kit/../etc"])
def test_bad_cluster_names_are_refused(bad):
    with pytest.raises(ClusterError, match="cluster name"):
        ClusterDir(bad)


def test_kind_create_command_uses_pinned_image_own_kubeconfig_and_config():
    cmd = kind_mod.create_command(Path("/c/kind"), "kit", Path("/s/kubeconfig"),
                                  "kindest/node:v1.37.0@sha256:abc")
    assert cmd[:3] == ["/c/kind", "create", "cluster"]
    assert cmd[cmd.index("--name") + 1] == "kit"
    assert cmd[cmd.index("--image") + 1] == "kindest/node:v1.37.0@sha256:abc"
    assert cmd[cmd.index("--kubeconfig") + 1] == "/s/kubeconfig"
    assert cmd[cmd.index("--config") + 1].endswith("cluster/kind-config.yaml")


def test_kind_delete_command_names_only_our_cluster():
    cmd = kind_mod.delete_command(Path("/c/kind"), "kit", Path("/s/kubeconfig"))
    assert cmd == ["/c/kind", "delete", "cluster", "--name", "kit", "--kubeconfig", "/s/kubeconfig"]


def test_kind_config_has_one_control_plane_and_two_workers():
    config = yaml.safe_load(kind_mod.KIND_CONFIG.read_text())
    assert [n["role"] for n in config["nodes"]] == ["control-plane", "worker", "worker"]
    assert config["networking"]["apiServerAddress"] == "127.0.0.1"


def test_kind_without_docker_fails_fast_with_a_fix(monkeypatch):
    from kitlib.cluster.dockerd import PrivateEngine
    monkeypatch.setattr(docker, "engine_answers", docker_down)
    monkeypatch.setattr(PrivateEngine, "can_start", staticmethod(lambda: (False, "needs root")))
    provider = kind_mod.KindProvider(ClusterDir("kit"), report=lambda m: None)
    with pytest.raises(ClusterError) as err:
        provider.up()
    assert "needs a running Docker engine" in str(err.value)
    assert "--provider kwok" in str(err.value) and "needs root" in str(err.value)


def test_kind_without_docker_starts_the_kits_own_engine_where_it_may(monkeypatch):
    from kitlib.cluster.dockerd import PrivateEngine
    monkeypatch.setattr(docker, "engine_answers", docker_down)
    monkeypatch.setattr(PrivateEngine, "can_start", staticmethod(lambda: (True, "root")))
    started = []
    monkeypatch.setattr(PrivateEngine, "start", lambda self, report: started.append(self.host) or self.host)
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    host = kind_mod.use_engine(lambda m: None)
    assert started == [host] and host.startswith("unix://") and host.endswith("/dockerd/docker.sock")
    import os
    assert os.environ["DOCKER_HOST"] == host


def test_kind_missing_override_image_fails_fast_without_pulling(monkeypatch):
    monkeypatch.setenv("KIT_KIND_IMAGE", "example/node:missing")
    monkeypatch.setattr(docker, "image_present", lambda image: False)
    pulls, builds = [], []
    monkeypatch.setattr(docker, "pull", lambda *a, **k: pulls.append(a))
    monkeypatch.setattr(kind_mod.nodeimage, "build", lambda report: builds.append(1))
    with pytest.raises(ClusterError, match=r"(?s)example/node:missing is not on this machine.*KIT_KIND_IMAGE"):
        kind_mod.choose_node_image(lambda m: None)
    assert pulls == [] and builds == []


def test_kind_without_pulls_builds_the_node_image_here(monkeypatch):
    monkeypatch.delenv("KIT_KIND_IMAGE", raising=False)
    monkeypatch.setenv("KIT_NO_PULL", "1")
    monkeypatch.setattr(docker, "image_present", lambda image: False)
    pulls = []
    monkeypatch.setattr(docker, "pull", lambda *a, **k: pulls.append(a))
    monkeypatch.setattr(kind_mod.nodeimage, "build", lambda report: "kitlib/node:v1.37.0-abc")
    assert kind_mod.choose_node_image(lambda m: None) == ("kitlib/node:v1.37.0-abc", "built here")
    assert pulls == []


def test_kind_failed_pull_falls_back_to_a_local_build(monkeypatch):
    monkeypatch.delenv("KIT_NO_PULL", raising=False)
    monkeypatch.delenv("KIT_KIND_IMAGE", raising=False)
    monkeypatch.setattr(docker, "image_present", lambda image: False)

    def failing_pull(image, report, timeout=0):
        raise ClusterError("could not pull: no route to registry")

    said = []
    monkeypatch.setattr(docker, "pull", failing_pull)
    monkeypatch.setattr(kind_mod.nodeimage, "build", lambda report: "kitlib/node:v1.37.0-abc")
    assert kind_mod.choose_node_image(said.append)[1] == "built here"
    assert any("building a compatible node image here" in line for line in said)


def test_kind_uses_the_pinned_image_when_present(monkeypatch):
    monkeypatch.delenv("KIT_KIND_IMAGE", raising=False)
    monkeypatch.setattr(docker, "image_present", lambda image: image.startswith("kindest/node"))
    image, how = kind_mod.choose_node_image(lambda m: None)
    assert image.startswith("kindest/node:v1.37.0@sha256:") and how == "pinned, present"


def test_kind_config_tolerates_cgroup_v1_hosts():
    config = yaml.safe_load(kind_mod.KIND_CONFIG.read_text())
    patches = [yaml.safe_load(p) for p in config["kubeadmConfigPatches"]]
    assert {"kind": "KubeletConfiguration", "failCgroupV1": False} in patches


def test_kind_refuses_a_cluster_it_did_not_create(monkeypatch):
    monkeypatch.setattr(docker, "engine_answers", docker_up)
    monkeypatch.setattr(kind_mod.tools, "ensure", lambda *a, **k: {"kind": Path("/bin/true")})
    provider = kind_mod.KindProvider(ClusterDir("kit"), report=lambda m: None)
    monkeypatch.setattr(provider, "existing_clusters", lambda: ["kit"])
    with pytest.raises(ClusterError, match="did not create; it is left alone"):
        provider.up()


def test_kind_down_without_record_touches_nothing(monkeypatch):
    calls = []
    provider = kind_mod.KindProvider(ClusterDir("kit"), report=calls.append)
    monkeypatch.setattr(provider, "_delete", lambda: calls.append("DELETE"))
    provider.down()
    assert "DELETE" not in calls and "nothing to remove" in calls[0]


KUBECONFIG = {
    "apiVersion": "v1", "kind": "Config", "current-context": "b",
    "clusters": [{"name": "ca", "cluster": {"server": "https://127.0.0.1:1",
                                            "certificate-authority": "ca.crt"}},
                 {"name": "cb", "cluster": {"server": "https://127.0.0.1:2"}}],
    "users": [{"name": "ua", "user": {"token": "a"}}, {"name": "ub", "user": {"token": "b"}}],
    "contexts": [{"name": "a", "context": {"cluster": "ca", "user": "ua"}},
                 {"name": "b", "context": {"cluster": "cb", "user": "ub"}}],
}


def test_extract_context_keeps_only_that_context():
    out = extract_context(KUBECONFIG, "a")
    assert out["current-context"] == "a"
    assert [c["name"] for c in out["clusters"]] == ["ca"]
    assert [u["name"] for u in out["users"]] == ["ua"]
    assert extract_context(KUBECONFIG, None)["current-context"] == "b"


def test_extract_unknown_context_lists_the_known_ones():
    with pytest.raises(ClusterError, match="'c' not found; contexts are: a, b"):
        extract_context(KUBECONFIG, "c")


def test_existing_provider_never_modifies_the_source(tmp_path):
    source = tmp_path / "config"
    source.write_text(yaml.safe_dump(KUBECONFIG))
    before = source.read_bytes()
    provider = ExistingProvider(ClusterDir("kit"), report=lambda m: None,
                                source=str(source), context="a")
    with pytest.raises(ClusterError, match="not answering"):   # nothing listens on :1
        provider.up()
    assert source.read_bytes() == before
    assert not ClusterDir("kit").path.exists()


def test_a_kernel_still_learns_the_existing_source_from_the_environment(tmp_path, monkeypatch):
    source = tmp_path / "config"
    source.write_text(yaml.safe_dump(KUBECONFIG))
    monkeypatch.setenv("KIT_KUBECONFIG", str(source))
    monkeypatch.setenv("KIT_CONTEXT", "a")
    with pytest.raises(ClusterError, match="context 'a' in .*not answering"):
        cluster.up(report=lambda m: None)


def test_kubeconfig_and_context_only_go_with_the_existing_provider(tmp_path):
    with pytest.raises(ClusterError, match="--kubeconfig and --context are for the existing"):
        cluster.up(provider="kwok", kubeconfig=tmp_path / "config", report=lambda m: None)
    assert not ClusterDir("kit").path.exists()


def test_up_refuses_to_switch_a_recorded_cluster_to_another_provider(tmp_path):
    ClusterDir("kit").write(Record("kit", "kwok", phase="ready"))
    with pytest.raises(ClusterError, match="'kit' is a kwok cluster; remove it with `kit down"):
        cluster.up(kubeconfig=tmp_path / "config", report=lambda m: None)


def test_existing_provider_without_kubeconfig_says_how():
    with pytest.raises(ClusterError, match="KIT_KUBECONFIG"):
        ExistingProvider(ClusterDir("kit"), report=lambda m: None).up()


def test_down_with_nothing_recorded_is_harmless(capsys):
    cluster.down()
    cluster.down()
    assert "nothing to remove" in capsys.readouterr().out


def test_processes_of_one_cluster_never_include_a_similarly_named_one(tmp_path):
    import subprocess
    import sys

    from kitlib.cluster.processes import processes_under, stop_all_under
    base = tmp_path / "clusters"
    (base / "kit").mkdir(parents=True)
    (base / "kit-2").mkdir()
    sleeper = lambda d: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                                          str(d / "marker")])
    mine, other = sleeper(base / "kit"), sleeper(base / "kit-2")
    try:
        assert processes_under(base / "kit") == [mine.pid]
        stop_all_under(base / "kit")
        assert mine.wait(timeout=20) is not None
        assert other.poll() is None, "the other cluster's process must keep running"
    finally:
        for p in (mine, other):
            p.kill()
            p.wait()


def test_simulated_node_manifest_and_controller_command():
    from kitlib.cluster import simulated_nodes as sim
    node = sim.node_manifest("big", cpu="8", memory="16Gi", labels={"disk": "ssd"},
                             taints=[{"key": "gpu", "effect": "NoSchedule"}])
    assert node["metadata"]["annotations"] == {"kwok.x-k8s.io/node": "fake"}
    assert node["status"]["allocatable"] == {"cpu": "8", "memory": "16Gi", "pods": "110"}
    assert node["metadata"]["labels"]["disk"] == "ssd"
    assert node["spec"]["taints"] == [{"key": "gpu", "effect": "NoSchedule"}]
    cmd = sim.controller_command(Path("/c/kwok"), Path("/s/kubeconfig"), 4321)
    assert "--manage-all-nodes=false" in cmd
    assert "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake" in cmd
    assert "--server-address=127.0.0.1:4321" in cmd and "/s/kubeconfig" in cmd
