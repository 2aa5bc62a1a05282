"""The pieces of the locally built kind node image that need no Docker: capability
filtering for the private engine, the Debian archive lookup, the component image names,
the add-on manifests and the content key."""
import json
import subprocess
import sys

import pytest
import yaml

from kitlib.cluster import course_images, dockerd, nodeimage
from kitlib.cluster.base import ClusterError
from kitlib.cluster.nodeimage import components, debian


def status(capbnd: str) -> str:
    return f"Name:\tx\nCapInh:\t0000000000000000\nCapBnd:\t{capbnd}\n"


def test_missing_capabilities_names_the_holes_in_the_bounding_set():
    assert dockerd.missing_capabilities(status("000001ffffffffff"), last_cap=40) == []
    assert dockerd.missing_capabilities(status("000001fffeffffff"), last_cap=40) == ["CAP_SYS_RESOURCE"]
    # a kernel that knows fewer caps is not "missing" the newer ones
    assert dockerd.missing_capabilities(status("0000003fffffffff"), last_cap=37) == []


@pytest.fixture
def wrapper(tmp_path):
    """The runc wrapper as the private engine writes it, around a runc that echoes."""
    fake_runc = tmp_path / "runc"
    fake_runc.write_text("#!/bin/sh\necho ran \"$@\"\n")
    fake_runc.chmod(0o755)
    path = tmp_path / "wrapper"
    path.write_text(dockerd._WRAPPER.format(python=sys.executable, names=dockerd.CAP_NAMES,
                                            runc=str(fake_runc)))
    path.chmod(0o755)
    return path


def test_runc_wrapper_drops_only_unavailable_caps(tmp_path, wrapper):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    everything = dockerd.CAP_NAMES + ["CAP_FROM_THE_FUTURE"]
    (bundle / "config.json").write_text(json.dumps(
        {"process": {"capabilities": {"bounding": everything, "effective": ["CAP_CHOWN"]}}}))
    out = subprocess.run([str(wrapper), "--root", "/x", "create", "--bundle", str(bundle), "id1"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["ran", "--root", "/x", "create", "--bundle", str(bundle), "id1"]
    caps = json.loads((bundle / "config.json").read_text())["process"]["capabilities"]
    expected = set(dockerd.CAP_NAMES) - set(dockerd.missing_capabilities())
    assert set(caps["bounding"]) == expected          # unknown and missing caps are gone
    assert caps["effective"] == ["CAP_CHOWN"]


def test_debian_mirror_from_deb822_and_one_line_sources(tmp_path, monkeypatch):
    monkeypatch.delenv(debian.MIRROR_ENV, raising=False)
    monkeypatch.setenv(debian.MIRROR_ENV, "http://mirror.invalid/debian")
    assert debian.mirror("bookworm") == "http://mirror.invalid/debian"
    monkeypatch.delenv(debian.MIRROR_ENV)
    try:
        url = debian.mirror("bookworm")
    except ClusterError as exc:
        assert debian.MIRROR_ENV in str(exc)
    else:
        assert url.startswith(("http://", "https://", "file:/"))
    with pytest.raises(ClusterError, match=debian.MIRROR_ENV):
        debian.mirror("no-such-suite")


def test_kubeadm_image_names_map_to_components(tmp_path):
    fake = tmp_path / "kubeadm"
    fake.write_text("#!/bin/sh\nprintf 'registry.k8s.io/kube-apiserver:v1.37.0\\n"
                    "registry.k8s.io/coredns/coredns:v1.14.6\\nregistry.k8s.io/pause:3.10.1\\n"
                    "registry.k8s.io/etcd:3.7.0-0\\n'\n")
    fake.chmod(0o755)
    names = components.kubeadm_images(fake, "v1.37.0")
    assert names["coredns"] == "registry.k8s.io/coredns/coredns:v1.14.6"
    assert names["etcd"] == "registry.k8s.io/etcd:3.7.0-0"
    components._check_tag(names["etcd"], "v3.7.0")
    with pytest.raises(ClusterError, match="make them agree"):
        components._check_tag(names["etcd"], "v3.6.5")


def test_addon_manifests_name_the_built_images_and_parse():
    from kitlib.cluster.versions import load
    v = load()
    manifests = components.addon_manifests(v, "busybox:1.36")
    cni = list(yaml.safe_load_all(manifests["default-cni.yaml"].replace("{{ .PodSubnet }}", "10.244.0.0/16")))
    ds = next(d for d in cni if d["kind"] == "DaemonSet")
    images = {c["image"] for c in ds["spec"]["template"]["spec"]["containers"]}
    assert images == {f"kitlib/flannel:{v.node_image['flannel']}"}
    storage = list(yaml.safe_load_all(manifests["default-storage.yaml"]))
    sc = next(d for d in storage if d["kind"] == "StorageClass")
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    helper = next(d for d in storage if d["kind"] == "ConfigMap")["data"]["helperPod.yaml"]
    assert "busybox:1.36" in helper and "HELPER_IMAGE" not in helper


def test_node_image_tag_changes_with_the_version_table(monkeypatch):
    from kitlib.cluster import versions
    before = nodeimage.image_ref()
    assert before.startswith("kitlib/node:v1.37.0-")
    real = versions.load()
    changed = dict(real.node_image, containerd="v2.3.5")
    monkeypatch.setattr(nodeimage, "load_versions",
                        lambda: versions.Versions(**{**real.__dict__, "node_image": changed}))
    assert nodeimage.image_ref() != before


def test_course_images_resolve_short_and_full_names():
    assert course_images.resolve("busybox") == "busybox:1.36"
    assert course_images.resolve("nginx:1.27") == "nginx:1.27"
    with pytest.raises(ClusterError, match="not a course image"):
        course_images.resolve("redis")


def test_runc_wrapper_also_filters_docker_exec_processes(tmp_path, wrapper):
    process = tmp_path / "process.json"
    process.write_text(json.dumps({"args": ["sh"], "capabilities": {"bounding": dockerd.CAP_NAMES}}))
    subprocess.run([str(wrapper), "exec", "--process", str(process), "cid"], check=True,
                   capture_output=True)
    caps = json.loads(process.read_text())["capabilities"]["bounding"]
    assert set(caps) == set(dockerd.CAP_NAMES) - set(dockerd.missing_capabilities())


def test_simulated_nodes_get_kwoks_default_stages():
    from kitlib.cluster import simulated_nodes
    docs = [d for d in yaml.safe_load_all(simulated_nodes.STAGES.read_text()) if d]
    assert {d["metadata"]["name"] for d in docs} == {
        "node-initialize", "node-heartbeat-with-lease", "pod-ready", "pod-complete", "pod-delete"}
    assert all(d["kind"] == "Stage" for d in docs)
    cmd = simulated_nodes.controller_command(simulated_nodes.STAGES, simulated_nodes.STAGES, 1)
    assert cmd[cmd.index("--config") + 1] == str(simulated_nodes.STAGES)
