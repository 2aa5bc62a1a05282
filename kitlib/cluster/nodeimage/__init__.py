"""A kind node image built on this machine, for when the pinned ``kindest/node`` cannot be
pulled (offline, no registry, ``KIT_NO_PULL``).

It is what ``kind build node-image`` makes, assembled from local parts only:

* a Debian root filesystem (debootstrap) with kind's own base files (entrypoint, systemd
  units, containerd config) taken from the kind Go module at the pinned version;
* containerd, crictl, the CNI plugins, kubelet, kubeadm and kubectl built from Go modules
  (``cluster/build/``), every version from ``cluster/versions.yaml``;
* the control-plane, kube-proxy, CoreDNS, pause, flannel and local-path-provisioner images
  preloaded into the node's containerd, as kind's image has them;
* ``/kind/manifests/default-{cni,storage}.yaml``: the network (flannel) and storage
  (local-path-provisioner, default StorageClass "standard") kind installs at create time.

The tag carries a content key (versions, recipe files, this code), so a second build does no
work and any change makes a new image. ``kit tools node-image`` builds it on demand.
"""
from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from pathlib import Path

from kitlib.cluster import docker, tools
from kitlib.cluster.artifacts import content_key, link_or_copy
from kitlib.cluster.base import ClusterError, Report
from kitlib.cluster.nodeimage import components, debian, recipe
from kitlib.cluster.versions import load as load_versions

PACKAGE_DIR = Path(__file__).resolve().parent
CONTAINERD_CONFIG = "etc/containerd/config.toml"


def key() -> str:
    v = load_versions()
    sources = sorted(PACKAGE_DIR.glob("*.py")) + sorted(components.FILES.glob("*"))
    return content_key([v.kubernetes, v.kind, v.etcd, json.dumps(v.node_image, sort_keys=True),
                        json.dumps(v.course_images, sort_keys=True), *sources])


def image_ref() -> str:
    return f"kitlib/node:{load_versions().kubernetes}-{key()}"


def kind_base_files() -> Path:
    """kind's images/base/files at the pinned version, from the Go module cache (the kind
    build puts it there; ``go mod download`` fetches it otherwise)."""
    kind = load_versions().kind
    out = subprocess.run([tools.go_binary(), "mod", "download", "-json", f"sigs.k8s.io/kind@{kind}"],
                         capture_output=True, text=True, cwd=tools.BUILD_DIR / "kind")
    match = re.search(r'"Dir":\s*"([^"]+)"', out.stdout)
    if not match:
        raise ClusterError(f"could not get the kind module {kind}: {out.stderr.strip()[-400:]}")
    return Path(match.group(1)) / "images" / "base" / "files"


def cri_base_spec(ctr: Path) -> str:
    """kind's /etc/containerd/cri-base.json: containerd's default OCI spec with kind's
    createContainer hook and without rlimits (what kind's base Dockerfile runs jq for)."""
    spec = json.loads(subprocess.run([str(ctr), "oci", "spec"], capture_output=True, text=True,
                                     check=True).stdout)
    spec.setdefault("hooks", {}).setdefault("createContainer", []).append(
        {"path": "/kind/bin/mount-product-files.sh"})
    spec["process"].pop("rlimits", None)
    return json.dumps(spec, indent=2)


def _node_files(ctx: Path, base_files: Path, bins: dict[str, Path], versions,
                manifests: dict[str, str]) -> None:
    """Lay out everything the node image adds on top of the Debian root filesystem."""
    files = ctx / "files"
    subprocess.run(["cp", "-r", f"{base_files}/.", str(files)], check=True)
    # modes as kind's base Dockerfile sets them (the module cache keeps files read-only)
    subprocess.run(["chmod", "-R", "u=rwX,go=rX", str(files)], check=True)
    for folder in ("usr/local/bin", "kind/bin"):
        for program in (files / folder).iterdir():
            program.chmod(0o755)
    config = (files / CONTAINERD_CONFIG).read_text()
    # The node cannot lower oom_score_adj where CAP_SYS_RESOURCE is missing; true is what
    # kind sets for rootless nodes and is harmless elsewhere.
    (files / CONTAINERD_CONFIG).write_text(
        config.replace("restrict_oom_score_adj = false", "restrict_oom_score_adj = true"))
    (files / "etc/containerd/cri-base.json").write_text(cri_base_spec(bins["ctr"]))
    placed = {"usr/local/bin": ("containerd", "ctr", "containerd-shim-runc-v2", "crictl"),
              "usr/bin": ("kubelet", "kubeadm", "kubectl"),
              "opt/cni/bin": ("bridge", "loopback", "ptp", "host-local", "portmap")}
    for folder, names in placed.items():
        (files / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            (files / folder / name).write_bytes(bins[name].read_bytes())
            (files / folder / name).chmod(0o755)
    (files / "kind/version").write_text(versions.kubernetes)
    (files / "kind/manifests").mkdir(parents=True, exist_ok=True)
    for name, text in manifests.items():
        (files / "kind/manifests" / name).write_text(text)
    (files / "etc/kubernetes/manifests").mkdir(parents=True, exist_ok=True)


# kind's base Dockerfile, the part that is not copying files: a systemd fit for a container.
SYSTEMD_SETUP = " && ".join([
    "find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete",
    "rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* "
    "/lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* "
    "/lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*",
    "echo ReadKMsg=no >> /etc/systemd/journald.conf",
    "systemctl enable kubelet.service containerd.service undo-mount-hacks.service",
    "systemctl mask systemd-binfmt.service",
    "chmod 755 /kind /kind/bin",
])


def _preload(staged: str, images: list[str], final: str, report: Report) -> None:
    """Import the component images into the node's containerd and commit the result
    (kind's own build does the same in a build container)."""
    report(f"preloading {len(images)} images into the node's containerd")
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "images.tar"
        docker.run("save", "-o", str(archive), *images)
        name = f"kit-nodeimage-build-{int(time.time())}"
        # bash is PID 1 so that containerd, once stopped, is reaped (not left a zombie)
        docker.run("run", "-d", "--privileged", "--name", name, "--entrypoint", "bash", staged, "-c",
                   "containerd >/tmp/containerd.log 2>&1 & wait $!; exec sleep infinity")
        try:
            docker.run("cp", str(archive), f"{name}:/images.tar")
            docker.run("exec", name, "bash", "-c",
                       "for i in $(seq 60); do ctr version >/dev/null 2>&1 && exit 0; sleep 0.5; done; "
                       "cat /tmp/containerd.log; exit 1")
            docker.run("exec", name, "ctr", "--namespace=k8s.io", "images", "import",
                       "--label=io.cri-containerd.pinned=pinned", "--all-platforms", "--no-unpack",
                       "--digests", "/images.tar")
            docker.run("exec", name, "bash", "-c",
                       "pkill containerd; while pgrep -x containerd >/dev/null; do sleep 0.2; done; "
                       "rm -rf /images.tar /tmp/containerd.log /run/containerd")
            docker.run("commit", "--change", 'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]',
                       name, final)
        finally:
            subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)


def build(report: Report = print) -> str:
    """Build the node image (if this exact one is not there yet); return its tag."""
    ref = image_ref()
    if docker.image_present(ref):
        return ref
    started = time.monotonic()
    versions = load_versions()
    report(f"building kind node image {ref} from local parts (a cold build takes 15-25 minutes)")
    bins = tools.ensure(("kubernetes", "etcd", "kind") + tools.NODE_GROUPS, report=report)
    base_files = kind_base_files()          # one `go mod download` for both uses
    sandbox = re.search(r'sandbox_image\s*=\s*"([^"]+)"',
                        (base_files / CONTAINERD_CONFIG).read_text()).group(1)
    from kitlib.cluster import course_images
    helper = course_images.build("busybox", report)
    images = components.build_all(bins, versions, sandbox, report) + [helper]
    rootfs = debian.rootfs_tar(versions.node_image["debian"], recipe.NODE_PACKAGES, report)
    staged = f"kitlib/node-staging:{key()}"
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        link_or_copy(rootfs, ctx / "rootfs.tar")
        _node_files(ctx, base_files, bins, versions, components.addon_manifests(versions, helper))
        report("assembling the node's root filesystem")
        docker.build(staged, ctx, "FROM scratch\nADD rootfs.tar /\nCOPY files/ /\n"
                     f"RUN {SYSTEMD_SETUP}\nENV container=docker\nSTOPSIGNAL SIGRTMIN+3\n"
                     'ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]\n')
    try:
        _preload(staged, images, ref, report)
    finally:
        subprocess.run(["docker", "image", "rm", staged], capture_output=True)
    docker.remove_other_tags(ref.split(":")[0], ref)
    report(f"node image {ref} ready in {time.monotonic() - started:.0f}s")
    return ref
