"""The images the chapters run (``course_images`` in ``cluster/versions.yaml``).

Where a registry answers, Kubernetes pulls them as usual. Where none does (offline, no
registry, ``KIT_NO_PULL``), the kit builds each from the Debian packages the table names and
loads it into the kind cluster with ``kind load docker-image``, so no pod ever waits on a pull
that cannot succeed. The tag stays the one the chapters use; a label says what is inside.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from kitlib.cluster import docker
from kitlib.cluster.artifacts import link_or_copy
from kitlib.cluster.base import ClusterError, Report
from kitlib.cluster.nodeimage import debian
from kitlib.cluster.versions import load as load_versions

# How each image runs, like the official image of the same name.
RUN_AS = {
    "nginx": ("RUN ln -sf /dev/stdout /var/log/nginx/access.log && "
              "ln -sf /dev/stderr /var/log/nginx/error.log\n"
              'EXPOSE 80\nSTOPSIGNAL SIGQUIT\nCMD ["nginx", "-g", "daemon off;"]\n'),
    "busybox": 'CMD ["sh"]\n',
}


def table() -> dict[str, list[str]]:
    return load_versions().course_images


def resolve(name: str) -> str:
    """'busybox' or 'busybox:1.36' -> the table's full image name."""
    for image in table():
        if name in (image, image.split(":")[0]):
            return image
    raise ClusterError(f"{name!r} is not a course image; the table has {', '.join(table())}")


def _static_busybox(ctx: Path, report: Report) -> None:
    files = debian.package_files("busybox-static", report)
    root = ctx / "rootfs"
    (root / "bin").mkdir(parents=True)
    (root / "tmp").mkdir(mode=0o1777)
    busybox = root / "bin" / "busybox"
    busybox.write_bytes((files / "bin" / "busybox").read_bytes())
    busybox.chmod(0o755)
    applets = subprocess.run([str(busybox), "--list"], capture_output=True, text=True, check=True)
    for applet in applets.stdout.split():
        if applet != "busybox":
            (root / "bin" / applet).symlink_to("busybox")


def build(name: str, report: Report = print) -> str:
    """Build one course image from Debian packages unless it is already here; its tag."""
    image = resolve(name)
    if docker.image_present(image):
        return image
    packages = table()[image]
    short = image.split(":")[0].rsplit("/", 1)[-1]
    report(f"building {image} from Debian's {', '.join(packages)}")
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        if packages == ["busybox-static"]:
            _static_busybox(ctx, report)
            start = "FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\n"
        else:
            rootfs = debian.rootfs_tar(load_versions().node_image["debian"], packages, report)
            link_or_copy(rootfs, ctx / "rootfs.tar")
            start = ("FROM scratch\nADD rootfs.tar /\n"
                     "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
        docker.build(image, ctx, start + RUN_AS.get(short, ""),
                     labels={"org.opencontainers.image.description":
                             f"built by kitlib from Debian packages: {' '.join(packages)}"})
    return image


def load_into_kind(kind: Path, cluster: str, pull: bool, report: Report) -> None:
    """Make every course image available on the kind nodes: pulled when ``pull`` and a
    registry answers, otherwise built here; then ``kind load docker-image``."""
    for image in table():
        if not docker.image_present(image) and pull:
            try:
                docker.pull(image, report, timeout=300)
            except ClusterError as exc:
                report(f"{image}: no pull ({str(exc)[:80]}); building it locally")
        build(image, report)
        out = subprocess.run([str(kind), "load", "docker-image", image, "--name", cluster],
                             capture_output=True, text=True, timeout=600)
        if out.returncode != 0:
            raise ClusterError(f"kind load docker-image {image} failed: {out.stderr.strip()[-500:]}")
    report(f"course images on every node: {', '.join(table())}")
