"""The grader image: what one Kubernetes Job needs to grade one submission as `kit grade` does.

Built here, never pulled, in two layers so that a change to the kit rebuilds seconds, not
minutes:

* ``kitlib/grader-base:<key>`` — Debian (debootstrap, signed archive) with Python,
  bubblewrap and util-linux; the kit's Python dependencies installed offline from a
  wheelhouse (``pip download`` of exactly the versions in this checkout's ``.venv``); the
  Docker-free cluster's tools from the per-user cache. Keyed by all of those.
* ``kitlib/grader:<key>`` — the base plus this checkout's ``kitlib``, ``exercises`` and
  ``cluster`` folders (not the chapters: hidden tests reach a Job only as a Secret).

``KIT_CACHE_DIR`` in the image points at the tools, so inside a pod `kit grade` makes its
throwaway Docker-free cluster per submission exactly as it does on the instructor's machine.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from kitlib.cluster import docker
from kitlib.cluster.artifacts import cached, content_key, link_or_copy
from kitlib.cluster.base import ClusterError, Report
from kitlib.paths import REPO_DIR, cache_dir

BASE_REPO = "kitlib/grader-base"
REPO = "kitlib/grader"
PACKAGES = ["python3", "python3-venv", "bubblewrap", "util-linux", "procps"]
TOOL_GROUPS = ("kubernetes", "etcd", "kwok")        # what a throwaway Docker-free cluster runs
KIT_FOLDERS = ("kitlib", "exercises", "cluster")
IN_IMAGE_CACHE = "/opt/kit-cache"
NOT_FOR_GRADING = ("jupyterlab",)
IMAGE_PYTHON = "3.11.2"             # Debian bookworm's python3 (the suite in versions.yaml)


def _requirements() -> list[str]:
    """kitlib's own dependencies (pyproject), as this checkout declares them, less what only
    the learner's JupyterLab needs (a grading pod runs kernels, not the lab)."""
    import tomllib
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["project"]
    return [r for r in project["dependencies"] if not r.startswith(NOT_FOR_GRADING)]


def _pinned_direct() -> str:
    """This environment's versions of kitlib's direct dependencies (``pip freeze``): the
    image runs what the checkout is tested with. Their own dependencies are resolved for
    the image's Python, which is older than many development machines' (some of them need
    a newer 3.11 than Debian's)."""
    import re
    direct = {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower().replace("_", "-")
              for r in _requirements()}
    out = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
                         capture_output=True, text=True, check=True)
    pins = [line for line in out.stdout.splitlines()
            if "==" in line and line.split("==")[0].lower().replace("_", "-") in direct]
    return "\n".join(sorted(pins)) + "\n"


def wheelhouse(report: Report = print) -> Path:
    """A folder of wheels for kitlib's dependencies, for the image's Python, plus
    ``requirements.txt`` and ``constraints.txt``; cached, keyed by both."""
    requirements, constraints = "\n".join(_requirements()) + "\n", _pinned_direct()
    key = content_key([requirements, constraints, IMAGE_PYTHON])

    def build(out: Path) -> None:
        out.mkdir()
        (out / "requirements.txt").write_text(requirements)
        (out / "constraints.txt").write_text(constraints)
        report(f"downloading wheels for {len(_requirements())} dependencies (and theirs) "
               f"for Python {IMAGE_PYTHON} from the package index")
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet",
                               "--only-binary=:all:", "--python-version", IMAGE_PYTHON,
                               "--dest", str(out), "-r", str(out / "requirements.txt"),
                               "-c", str(out / "constraints.txt")],
                              capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            raise ClusterError("pip download failed (is the package index reachable?): "
                               + proc.stderr.strip()[-800:])

    return cached(cache_dir() / "wheels" / f"kitlib-{key}", build)


def _tool_dirs() -> list[Path]:
    from kitlib.cluster import tools
    groups = tools.tool_groups()
    tools.ensure(TOOL_GROUPS, report=lambda s: None)
    return [groups[name].cache_path for name in TOOL_GROUPS]


def _kit_files() -> list[Path]:
    files = [REPO_DIR / "pyproject.toml"]
    for folder in KIT_FOLDERS:
        files += sorted(p for p in (REPO_DIR / folder).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return files


def _link_tree(src: Path, dest: Path) -> None:
    for path in src.rglob("*"):
        if path.is_file():
            target = dest / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            link_or_copy(path, target)


def _remove_older(repo: str, keep: str) -> None:
    """Earlier builds of ``repo`` (superseded by ``keep``) would only fill the disk."""
    tags = docker.run("images", "--format", "{{.Repository}}:{{.Tag}}", repo).split()
    for tag in tags:
        if tag != keep:
            subprocess.run(["docker", "rmi", tag], capture_output=True, timeout=120)


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
        _link_tree(wheels, ctx / "wheels")
        for d in tool_dirs:
            _link_tree(d, ctx / "tools" / d.name)
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
    _remove_older(BASE_REPO, tag)
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
            f"FROM {base}\nCOPY kit/ /opt/kit/\n"
            # kitlib runs from its folder, as from a clone (paths.REPO_DIR is /opt/kit).
            "RUN /opt/venv/bin/python -c \"import sysconfig, pathlib; pathlib.Path("
            "sysconfig.get_paths()['purelib'], 'kitlib.pth').write_text('/opt/kit\\n')\" "
            "&& printf '#!/opt/venv/bin/python\\nimport sys\\nfrom kitlib.cli import main\\n"
            "sys.exit(main())\\n' > /opt/venv/bin/kit && chmod 755 /opt/venv/bin/kit\n"
            "WORKDIR /work\n"),
            labels={"org.opencontainers.image.description": "kitlib grader: one submission per Job"})
    _remove_older(REPO, tag)
    return tag


if __name__ == "__main__":          # build it by hand, e.g. to push it to a registry
    print(build())
