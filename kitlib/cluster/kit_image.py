"""The recipe of the kit's own images (the grader's, ``grading/image.py``; the workshop's
course image, ``workshop/k8s/image.py``): built here from Debian, never pulled, in two
layers so that a change to the kit rebuilds in seconds, not minutes.

* the base — Debian (debootstrap, signed archive) with the given packages; the kit's Python
  dependencies installed offline into ``/opt/venv`` from a wheelhouse (``pip download`` of
  exactly the versions in this checkout's ``.venv``); ``kitlib`` importable from
  ``/srv/kit`` and a ``kit`` script; the Docker-free cluster's tools from the per-user cache
  (``KIT_CACHE_DIR`` points at them); any further prebuilt folders. Keyed by all of those.
* the kit layer — the base plus this checkout's files in ``/srv/kit``, where kitlib runs as
  from a clone (``paths.REPO_DIR`` is ``/srv/kit``).
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from kitlib import wheelhouse as wheelhouse_mod
from kitlib.cluster import docker
from kitlib.cluster.artifacts import content_key, link_or_copy, link_tree
from kitlib.cluster.base import ClusterError, Report
from kitlib.paths import REPO_DIR

KIT_HOME = "/srv/kit"
IN_IMAGE_CACHE = "/opt/kit-cache"
IMAGE_PYTHON = "3.11.2"             # Debian bookworm's python3 (the suite in versions.yaml)
TOOL_GROUPS = ("kubernetes", "etcd", "kwok")        # what a Docker-free cluster runs
KIT_FOLDERS = ("kitlib", "exercises", "cluster")
ENV = {"PATH": "/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
       "KIT_CACHE_DIR": IN_IMAGE_CACHE, "KIT_NO_PULL": "1"}


def need_docker(what: str) -> None:
    if shutil.which("docker") is None:
        raise ClusterError(f"building {what} needs Docker (`kit up --provider kind` starts one "
                           "where Debian's docker.io is installed)")


def wheelhouse(name: str, extras: tuple[str, ...] = (), leave_out: tuple[str, ...] = (),
               report: Report = print) -> Path:
    """Wheels for kitlib's dependencies (with ``extras``', less ``leave_out``) for the image's
    Python: the direct ones at this environment's versions (what the checkout is tested
    with), theirs resolved for Debian's Python, which is older than many development
    machines'."""
    requirements = wheelhouse_mod.project_requirements(extras=extras, leave_out=leave_out)
    direct = {wheelhouse_mod.requirement_name(r) for r in requirements}
    return wheelhouse_mod.download(name, requirements, wheelhouse_mod.installed_versions(direct),
                                   python_version=IMAGE_PYTHON, report=report)


def _tool_dirs() -> list[Path]:
    from kitlib.cluster import tools
    groups = tools.tool_groups()
    tools.ensure(TOOL_GROUPS, report=lambda s: None)
    return [groups[name].cache_path for name in TOOL_GROUPS]


def _env_line(env: dict[str, str]) -> str:
    return "ENV " + " ".join(f"{k}={v}" for k, v in env.items()) + "\n"


def base(repo: str, packages: list[str], wheels: Path, env: dict[str, str], description: str,
         folders: dict[str, Path] | None = None, entrypoint: list[str] | None = None,
         user: tuple[str, int] | None = None, report: Report = print) -> str:
    """``repo:<key>``, built unless present: Debian with ``packages``, ``/opt/venv`` from
    ``wheels``, the cluster tools, each of ``folders`` (path in the image -> folder here)
    copied in, ``env`` set; ``user`` (name, uid) a login with a home in /home, for pods
    that run as that uid. Older tags of ``repo`` are removed."""
    from kitlib.cluster.nodeimage import debian
    from kitlib.cluster.versions import load as load_versions
    suite = load_versions().node_image["debian"]
    tool_dirs, folders = _tool_dirs(), folders or {}
    # Two stages: the wheels are installed in the first and left behind with it. kitlib is
    # found through a .pth file (it runs from KIT_HOME, as from a clone) and `kit` is a script.
    dockerfile = (
        "FROM scratch AS venv\nADD rootfs.tar /\n"
        "COPY wheels/ /tmp/wheels/\n"
        "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --quiet --no-index "
        "--find-links /tmp/wheels -r /tmp/wheels/requirements.txt "
        "-c /tmp/wheels/constraints.txt "
        "&& /opt/venv/bin/python -c \"import sysconfig, pathlib; pathlib.Path("
        f"sysconfig.get_paths()['purelib'], 'kitlib.pth').write_text('{KIT_HOME}\\n')\" "
        "&& printf '#!/opt/venv/bin/python\\nimport sys\\nfrom kitlib.cli import main\\n"
        "sys.exit(main())\\n' > /opt/venv/bin/kit && chmod 755 /opt/venv/bin/kit\n"
        "FROM scratch\nADD rootfs.tar /\n"
        + (f"RUN useradd --uid {user[1]} --user-group --create-home --shell /bin/bash {user[0]}\n"
           if user else "")
        + "COPY --from=venv /opt/venv /opt/venv\n"
        f"COPY tools/ {IN_IMAGE_CACHE}/tools/\n"
        + "".join(f"COPY folder-{i}/ {where}/\n" for i, where in enumerate(folders))
        + _env_line(env)
        + (f"ENTRYPOINT {json.dumps(entrypoint)}\n" if entrypoint else ""))
    tag = f"{repo}:" + content_key([dockerfile, suite, *packages, wheels.name,
                                    *(d.name for d in tool_dirs), *(d.name for d in folders.values())])
    if docker.image_present(tag):
        return tag
    rootfs = debian.rootfs_tar(suite, packages, report)
    report(f"building {tag} (Debian {suite}, Python packages, cluster tools)")
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        link_or_copy(rootfs, ctx / "rootfs.tar")
        link_tree(wheels, ctx / "wheels")
        for d in tool_dirs:
            link_tree(d, ctx / "tools" / d.name)
        for i, folder in enumerate(folders.values()):
            link_tree(folder, ctx / f"folder-{i}")
        docker.build(tag, ctx, dockerfile, labels={"org.opencontainers.image.description":
                                                   f"{description}: Debian {suite} {' '.join(packages)}"})
    docker.remove_other_tags(repo, tag)
    return tag


def kit_files(chapters: tuple[str, ...] = ("*.md",)) -> list[Path]:
    """This checkout's files for the image: pyproject.toml, the files under chapters/
    matching the globs ``chapters`` and the kit's folders."""
    found = {p for pattern in chapters for p in (REPO_DIR / "chapters").glob(pattern)}
    files = [REPO_DIR / "pyproject.toml", *sorted(p for p in found if _wanted(p))]
    for folder in KIT_FOLDERS:
        files += sorted(p for p in (REPO_DIR / folder).rglob("*") if _wanted(p))
    return files


def _wanted(path: Path) -> bool:
    return (path.is_file() and path.suffix != ".pyc"
            and not {"__pycache__", ".ipynb_checkpoints"} & set(path.parts))


def kit_layer(repo: str, base_tag: str, files: list[Path], description: str,
              workdir: str | None = None, report: Report = print) -> str:
    """``repo:<key>``, built unless present: ``base_tag`` plus ``files`` (of this checkout) in
    KIT_HOME. Older tags of ``repo`` are removed."""
    dockerfile = f"FROM {base_tag}\nCOPY kit/ {KIT_HOME}/\n" + (f"WORKDIR {workdir}\n" if workdir else "")
    tag = f"{repo}:" + content_key([dockerfile, *(str(p.relative_to(REPO_DIR)) for p in files), *files])
    if docker.image_present(tag):
        return tag
    report(f"building {tag} (this checkout's kitlib on {base_tag})")
    with tempfile.TemporaryDirectory() as tmp:
        ctx = Path(tmp)
        for path in files:
            target = ctx / "kit" / path.relative_to(REPO_DIR)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        docker.build(tag, ctx, dockerfile, labels={"org.opencontainers.image.description": description})
    docker.remove_other_tags(repo, tag)
    return tag
