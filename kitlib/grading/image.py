"""The grader image: what one Kubernetes Job needs to grade one submission as `kit grade` does.

Built here, never pulled, in two layers so that a change to the kit rebuilds seconds, not
minutes:

* ``kitlib/grader-base:<key>`` — Debian (debootstrap, signed archive) with Python,
  bubblewrap and util-linux; the kit's Python dependencies installed offline from a
  wheelhouse (``pip download`` of exactly the versions in this checkout's ``.venv``); the
  Docker-free cluster's tools from the per-user cache. Keyed by all of those.
* ``kitlib/grader:<key>`` — the base plus this checkout's ``kitlib``, ``exercises`` and
  ``cluster`` folders and chapter sources (the checks' reference solutions), in ``/srv/kit``:
  outside every folder the learner's sandbox can see, as a clone is on one machine.

``KIT_CACHE_DIR`` in the image points at the tools, so inside a pod `kit grade` makes its
throwaway Docker-free cluster per submission exactly as it does on the instructor's machine.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from kitlib import wheelhouse as wheelhouse_mod
from kitlib.cluster import docker
from kitlib.cluster.artifacts import content_key, link_or_copy, link_tree
from kitlib.cluster.base import ClusterError, Report
from kitlib.paths import REPO_DIR

BASE_REPO = "kitlib/grader-base"
REPO = "kitlib/grader"
PACKAGES = ["python3", "python3-venv", "bubblewrap", "util-linux", "procps"]
TOOL_GROUPS = ("kubernetes", "etcd", "kwok")        # what a throwaway Docker-free cluster runs
KIT_FOLDERS = ("kitlib", "exercises", "cluster")
# The checks of chapters 5 and 6 read the reference solutions from the chapter sources; the
# learner's sandbox binds /opt and the kit's own folders but not chapters/, so the kit lives
# outside /opt (as a clone lives in a home) and its chapters stay out of the learner's reach.
KIT_HOME = "/srv/kit"
IN_IMAGE_CACHE = "/opt/kit-cache"
NOT_FOR_GRADING = ("jupyterlab",)
IMAGE_PYTHON = "3.11.2"             # Debian bookworm's python3 (the suite in versions.yaml)


def wheelhouse(report: Report = print) -> Path:
    """Wheels for kitlib's dependencies (less the lab's) for the image's Python: the direct
    ones at this environment's versions (what the checkout is tested with), theirs resolved
    for Debian's Python, which is older than many development machines'."""
    requirements = wheelhouse_mod.project_requirements(leave_out=NOT_FOR_GRADING)
    direct = {wheelhouse_mod.requirement_name(r) for r in requirements}
    return wheelhouse_mod.download("grader", requirements, wheelhouse_mod.installed_versions(direct),
                                   python_version=IMAGE_PYTHON, report=report)


def _tool_dirs() -> list[Path]:
    from kitlib.cluster import tools
    groups = tools.tool_groups()
    tools.ensure(TOOL_GROUPS, report=lambda s: None)
    return [groups[name].cache_path for name in TOOL_GROUPS]


def _kit_files() -> list[Path]:
    files = [REPO_DIR / "pyproject.toml", *sorted((REPO_DIR / "chapters").glob("*.md"))]
    for folder in KIT_FOLDERS:
        files += sorted(p for p in (REPO_DIR / folder).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return files


def _base(report: Report) -> str:
    from kitlib.cluster.nodeimage import debian
    from kitlib.cluster.versions import load as load_versions
    suite = load_versions().node_image["debian"]
    wheels = wheelhouse(report)
    tool_dirs = _tool_dirs()
    tag = f"{BASE_REPO}:" + content_key([suite, *PACKAGES, wheels.name,
                                         *(d.name for d in tool_dirs)])
    if docker.image_present(tag):
        return tag
    rootfs = debian.rootfs_tar(suite, PACKAGES, report)
    report(f"building {tag} (Debian {suite}, Python packages, cluster tools)")
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        link_or_copy(rootfs, ctx / "rootfs.tar")
        link_tree(wheels, ctx / "wheels")
        for d in tool_dirs:
            link_tree(d, ctx / "tools" / d.name)
        # Two stages: the wheels are installed in the first and left behind with it.
        docker.build(tag, ctx, (
            "FROM scratch AS venv\nADD rootfs.tar /\n"
            "COPY wheels/ /tmp/wheels/\n"
            "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --quiet --no-index "
            "--find-links /tmp/wheels -r /tmp/wheels/requirements.txt "
            "-c /tmp/wheels/constraints.txt\n"
            "FROM scratch\nADD rootfs.tar /\n"
            "COPY --from=venv /opt/venv /opt/venv\n"
            f"COPY tools/ {IN_IMAGE_CACHE}/tools/\n"
            "ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "
            f"KIT_CACHE_DIR={IN_IMAGE_CACHE} KIT_STATE_DIR=/var/lib/kitlib KIT_NO_PULL=1 HOME=/root\n"),
            labels={"org.opencontainers.image.description":
                    f"kitlib grader base: Debian {suite} {' '.join(PACKAGES)}"})
    docker.remove_other_tags(BASE_REPO, tag)
    return tag


def build(report: Report = print) -> str:
    """The grader image for this checkout (built unless already here); its tag."""
    if shutil.which("docker") is None:
        raise ClusterError("building the grader image needs Docker (`kit up --provider kind` "
                           "starts one where Debian's docker.io is installed)")
    base = _base(report)
    files = _kit_files()
    tag = f"{REPO}:" + content_key([base, *(str(p.relative_to(REPO_DIR)) for p in files), *files])
    if docker.image_present(tag):
        return tag
    report(f"building {tag} (this checkout's kitlib on {base})")
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        for path in files:
            target = ctx / "kit" / path.relative_to(REPO_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        docker.build(tag, ctx, (
            f"FROM {base}\nCOPY kit/ {KIT_HOME}/\n"
            # kitlib runs from its folder, as from a clone (paths.REPO_DIR is KIT_HOME).
            "RUN /opt/venv/bin/python -c \"import sysconfig, pathlib; pathlib.Path("
            f"sysconfig.get_paths()['purelib'], 'kitlib.pth').write_text('{KIT_HOME}\\n')\" "
            "&& printf '#!/opt/venv/bin/python\\nimport sys\\nfrom kitlib.cli import main\\n"
            "sys.exit(main())\\n' > /opt/venv/bin/kit && chmod 755 /opt/venv/bin/kit\n"
            "WORKDIR /work\n"),
            labels={"org.opencontainers.image.description": "kitlib grader: one submission per Job"})
    docker.remove_other_tags(REPO, tag)
    return tag


if __name__ == "__main__":          # build it by hand, e.g. to push it to a registry
    print(build())
