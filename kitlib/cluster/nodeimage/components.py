"""The images a kind node runs before any course pod: the control plane's static pods
(under the exact names ``kubeadm config images list`` prints), kube-proxy, CoreDNS, the
pause image, and the network and storage add-ons. Static Go programs go into ``FROM
scratch`` images; kube-proxy and flannel get a small Debian base with iptables/nft."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from kitlib.cluster import docker
from kitlib.cluster.artifacts import content_key, link_or_copy
from kitlib.cluster.base import ClusterError, Report
from kitlib.cluster.nodeimage import debian, recipe
from kitlib.paths import REPO_CLUSTER_DIR

FILES = REPO_CLUSTER_DIR / "node-image"
PATH_ENV = "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin\n"

# kube-proxy and flannel call `iptables`; the node chose legacy or nft at boot (kind's
# entrypoint: whichever already holds more rules, legacy on a tie). This wrapper makes the
# same choice the first time it runs, like kubernetes-sigs/iptables-wrappers does in the
# official images (not on the module proxy, hence these few lines).
IPTABLES_WRAPPER = """#!/bin/sh
legacy=$( (iptables-legacy-save || true; ip6tables-legacy-save || true) 2>/dev/null | grep -c '^-')
nft=$( (timeout 5 sh -c 'iptables-nft-save; ip6tables-nft-save' || true) 2>/dev/null | grep -c '^-')
if [ "${legacy:-0}" -ge "${nft:-0}" ]; then mode=legacy; else mode=nft; fi
for cmd in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
  ln -sf "/usr/sbin/xtables-$mode-multi" "/usr/sbin/$cmd"
done
exec "$0" "$@"
"""


def kubeadm_images(kubeadm: Path, kubernetes: str) -> dict[str, str]:
    """component (apiserver, etcd, pause, ...) -> the image name kubeadm expects."""
    out = subprocess.run([str(kubeadm), "config", "images", "list", "--kubernetes-version",
                          kubernetes], capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise ClusterError(f"kubeadm config images list failed: {out.stderr.strip()[-500:]}")
    return {line.rsplit("/", 1)[1].split(":")[0]: line.strip()
            for line in out.stdout.split() if line.strip()}


def _check_tag(image: str, version: str) -> None:
    """The version kubeadm expects must be the one the table pins (etcd's tag is 3.7.0-0)."""
    tag = image.rsplit(":", 1)[1]
    if tag.lstrip("v").split("-")[0] != version.lstrip("v"):
        raise ClusterError(f"kubeadm expects {image} but cluster/versions.yaml pins {version}; "
                           "make them agree")


def pause_binary(out: Path) -> None:
    gcc = subprocess.run(["gcc", "-static", "-Os", "-s", "-o", str(out), str(FILES / "pause.c")],
                         capture_output=True, text=True)
    if gcc.returncode != 0:
        raise ClusterError(f"building pause needs gcc with static libc (`apt-get install gcc "
                           f"libc6-dev`): {gcc.stderr.strip()[-400:]}")


def _scratch(tag: str, files: dict[str, Path], entrypoint: str | None = None) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        lines = ["FROM scratch\n", PATH_ENV]
        for i, (dest, src) in enumerate(files.items()):
            (ctx / f"f{i}").write_bytes(src.read_bytes())
            (ctx / f"f{i}").chmod(0o755)
            lines.append(f"COPY f{i} {dest}\n")
        if entrypoint:
            lines.append(f'ENTRYPOINT ["{entrypoint}"]\n')
        return docker.build(tag, ctx, "".join(lines))


def network_base(suite: str, report: Report) -> str:
    rootfs = debian.rootfs_tar(suite, recipe.NETWORK_PACKAGES, report)
    tag = f"kitlib/network-base:{content_key([rootfs.name, IPTABLES_WRAPPER])}"
    if docker.image_present(tag):
        return tag
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        link_or_copy(rootfs, ctx / "rootfs.tar")
        (ctx / "iptables-wrapper").write_text(IPTABLES_WRAPPER)
        (ctx / "iptables-wrapper").chmod(0o755)
        links = " && ".join(f"ln -sf /usr/sbin/iptables-wrapper /usr/sbin/{c}" for c in
                            ("iptables", "iptables-save", "iptables-restore", "ip6tables",
                             "ip6tables-save", "ip6tables-restore"))
        # ADD unpacks the tarball; the links are made with the image's own shell.
        return docker.build(tag, ctx, f"FROM scratch\nADD rootfs.tar /\n{PATH_ENV}"
                            f"COPY iptables-wrapper /usr/sbin/\nRUN {links}\n")


def build_all(bins: dict[str, Path], versions, sandbox_image: str,
              report: Report) -> list[str]:
    """Build every component image; return all their tags (for preloading)."""
    node = versions.node_image
    names = kubeadm_images(bins["kubeadm"], versions.kubernetes)
    _check_tag(names["etcd"], versions.etcd)
    _check_tag(names["coredns"], node["coredns"])
    tags = []
    report("building the control-plane, DNS and pause images")
    for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        tags.append(_scratch(names[component], {f"/usr/local/bin/{component}": bins[component]}))
    tags.append(_scratch(names["etcd"], {"/usr/local/bin/etcd": bins["etcd"],
                                         "/usr/local/bin/etcdctl": bins["etcdctl"]}))
    tags.append(_scratch(names["coredns"], {"/coredns": bins["coredns"]}, entrypoint="/coredns"))
    with tempfile.TemporaryDirectory() as tmp:
        pause = Path(tmp) / "pause"
        pause_binary(pause)
        tags.append(_scratch(names["pause"], {"/pause": pause}, entrypoint="/pause"))
    if sandbox_image != names["pause"]:             # containerd's sandbox image, if it differs
        docker.run("tag", names["pause"], sandbox_image)
        tags.append(sandbox_image)
    tags.append(_scratch(f"kitlib/local-path-provisioner:{node['local_path_provisioner']}",
                         {"/local-path-provisioner": bins["local-path-provisioner"]}))
    report("building the kube-proxy and flannel images (Debian base with iptables)")
    base = network_base(versions.node_image["debian"], report)
    for tag, name in ((names["kube-proxy"], "kube-proxy"),
                      (f"kitlib/flannel:{node['flannel']}", "flanneld")):
        with tempfile.TemporaryDirectory() as tmp:
            ctx = Path(tmp)
            (ctx / name).write_bytes(bins[name].read_bytes())
            (ctx / name).chmod(0o755)
            tags.append(docker.build(tag, ctx, f"FROM {base}\nCOPY {name} /usr/local/bin/\n"))
    return tags


def addon_manifests(versions, helper_image: str) -> dict[str, str]:
    """/kind/manifests/* with this build's image names filled in."""
    node = versions.node_image
    cni = (FILES / "default-cni.yaml").read_text().replace(
        "FLANNEL_IMAGE", f"kitlib/flannel:{node['flannel']}")
    storage = (FILES / "default-storage.yaml").read_text().replace(
        "PROVISIONER_IMAGE", f"kitlib/local-path-provisioner:{node['local_path_provisioner']}"
    ).replace("HELPER_IMAGE", helper_image)
    return {"default-cni.yaml": cni, "default-storage.yaml": storage}
