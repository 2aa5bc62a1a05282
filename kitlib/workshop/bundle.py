"""`kit workshop bundle DIR` and `kit workshop unbundle DIR`: everything a room needs, made
the day before where the internet answers, used on the day where it does not.

    DIR/manifest.json       versions, this Python, and the SHA-256 of every file below
    DIR/wheels/             kitlib's Python packages with the test and workshop extras, at
                            exactly this environment's versions (pip and setuptools too)
    DIR/cache/tools/        the cluster tools (kubernetes, etcd, kwok, kind), built or fetched
    DIR/cache/vm/, images/  chapter 1's VM image and the Debian root filesystems
    DIR/cache/workshop-proxy-*/   JupyterHub's proxy, installed from its lockfile
    DIR/images/*.tar        the kind node image and the course images (where Docker runs)

On the day, on a clone of the same commit: ``KIT_BUNDLE=DIR ./course start`` installs the
Python packages from ``wheels/`` only and runs ``kit workshop unbundle DIR``, which checks
every file against the manifest (one changed byte and nothing is used), links the cache
parts into the kit's cache and loads the images into Docker. Debian's own packages (Docker,
QEMU, npm, iptables, bubblewrap, debootstrap) are not in the bundle: apt installs them.
"""
from __future__ import annotations

import json
import platform
import shutil
import subprocess
import time
from pathlib import Path

from kitlib import wheelhouse
from kitlib.cluster.tools import sha256_of
from kitlib.errors import KitError
from kitlib.paths import REPO_DIR, cache_dir

TOOL_GROUPS = ("kubernetes", "etcd", "kwok", "kind")
CACHE_PARTS = ("vm", "images")          # whole folders of the cache, as they are
MANIFEST = "manifest.json"


class BundleError(KitError):
    """A bundle could not be made, or is not whole; the message says which file and why."""


def _copy(src: Path, dest: Path) -> int:
    """Copy a file or tree, keeping files already there; how many. Copies, not hard links:
    a change to a bundle's file must never reach the cache it was made from, or go to."""
    if src.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        if not dest.exists():
            shutil.copy2(src, dest)
        return 1
    return sum(_copy(p, dest / p.relative_to(src)) for p in sorted(src.rglob("*")) if p.is_file())


def _commit() -> str:
    out = subprocess.run(["git", "-C", str(REPO_DIR), "rev-parse", "HEAD"],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else ""


# --- making ---------------------------------------------------------------------------

def _wheels(dest: Path, report) -> None:
    # Exactly this environment's versions, except the build backend: pip installs that in an
    # isolated environment of its own, at the version pyproject.toml asks for.
    build = {wheelhouse.requirement_name(r) for r in wheelhouse.project_requirements(build=True)}
    build -= {wheelhouse.requirement_name(r) for r in wheelhouse.project_requirements()}
    pins = [p for p in wheelhouse.installed_versions() if wheelhouse.requirement_name(p) not in build]
    requirements = wheelhouse.project_requirements(extras=("test", "workshop"), build=True) + ["pip"]
    source = wheelhouse.download("bundle", requirements, pins, report=report)
    _copy(source, dest / "wheels")


def _cache(dest: Path, report) -> None:
    from kitlib.cluster import tools
    from kitlib.workshop import hub
    tools.ensure(list(TOOL_GROUPS), report=report)
    groups = tools.tool_groups()
    for name in TOOL_GROUPS:
        _copy(groups[name].cache_path, dest / "cache" / "tools" / groups[name].cache_path.name)
    for part in CACHE_PARTS:
        if (cache_dir() / part).is_dir():
            _copy(cache_dir() / part, dest / "cache" / part)
        else:
            report(f"no {part}/ in the cache yet (chapter 1 makes it): not in the bundle")
    try:
        proxy = Path(hub.proxy_command(report))
    except KitError as exc:
        report(f"JupyterHub's proxy is not in the bundle: {exc}")
        return
    folder = next(p for p in proxy.parents if p.parent == cache_dir())
    _copy(folder, dest / "cache" / folder.name)


def _images(dest: Path, report) -> dict[str, str]:
    """The kind node image and the course images, saved with ``docker save``:
    {file name: image}."""
    from kitlib.cluster import course_images, docker
    from kitlib.cluster.dockerd import PrivateEngine
    from kitlib.cluster.providers.kind import choose_node_image, use_engine
    private = use_engine(report)
    try:
        wanted = [choose_node_image(report)[0]] + [course_images.build(i, report) for i in course_images.table()]
        (dest / "images").mkdir(parents=True, exist_ok=True)
        saved = {}
        for image in wanted:
            target = dest / "images" / (image.replace("/", "_").replace(":", "_") + ".tar")
            report(f"saving {image}")
            docker.run("save", "-o", str(target), image)
            saved[target.name] = image
        return saved
    finally:
        if private:
            PrivateEngine().stop(report)


def make(dest: Path, images: bool = True, report=print) -> Path:
    """Fill ``dest`` (new or empty) with a bundle; its manifest."""
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BundleError(f"{dest} is not an empty folder; give a new folder for the bundle")
    started = time.monotonic()
    dest.mkdir(parents=True, exist_ok=True)
    _wheels(dest, report)
    _cache(dest, report)
    saved: dict[str, str] = {}
    if images:
        try:
            saved = _images(dest, report)
        except KitError as exc:
            report(f"no images in the bundle ({exc}); on the day the Docker-free provider runs")
    files = {str(p.relative_to(dest)): sha256_of(p) for p in sorted(dest.rglob("*")) if p.is_file()}
    from kitlib.cluster.versions import load as load_versions
    manifest = {"made": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": _commit(),
                "python": platform.python_version(), "machine": platform.machine(),
                "kubernetes": load_versions().kubernetes, "images": saved, "files": files}
    path = dest / MANIFEST
    path.write_text(json.dumps(manifest, indent=1))
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    report(f"bundle in {dest}: {len(files)} files, {size / 2**30:.1f} GiB, "
           f"{time.monotonic() - started:.0f} s")
    return path


# --- using ----------------------------------------------------------------------------

def verify(bundle: Path) -> dict:
    """The manifest, once every file it names is present and unchanged (and no other is)."""
    bundle = Path(bundle)
    try:
        manifest = json.loads((bundle / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BundleError(f"{bundle} is not a bundle ({MANIFEST}: {exc})") from None
    bad = [name for name, digest in manifest["files"].items()
           if not (bundle / name).is_file() or sha256_of(bundle / name) != digest]
    extra = [str(p.relative_to(bundle)) for p in bundle.rglob("*")
             if p.is_file() and p.name != MANIFEST and str(p.relative_to(bundle)) not in manifest["files"]]
    if bad or extra:
        raise BundleError(f"the bundle in {bundle} is not as it was made: "
                          + "; ".join([*(f"{n} missing or changed" for n in bad[:5]),
                                       *(f"{n} was not in it" for n in extra[:5])]))
    if manifest["python"].rsplit(".", 1)[0] != platform.python_version().rsplit(".", 1)[0]:
        raise BundleError(f"the bundle was made for Python {manifest['python']}, this is "
                          f"{platform.python_version()}; make it on a machine like this one")
    return manifest


def _load_images(tars: list[Path], names: dict[str, str], report) -> bool:
    """``docker load`` each image not yet there; False if no Docker engine could be had."""
    from kitlib.cluster import docker
    from kitlib.cluster.dockerd import PrivateEngine
    from kitlib.cluster.providers.kind import use_engine
    try:
        private = use_engine(report)
    except KitError as exc:
        report(f"images not loaded ({exc}); the Docker-free provider needs none")
        return False
    try:
        for tar in tars:
            image = names.get(tar.name, "")
            if not (image and docker.image_present(image)):
                report(f"loading {image or tar.name} into Docker")
                docker.run("load", "-i", str(tar))
    finally:
        if private:
            PrivateEngine().stop(report)
    return True


def unbundle(bundle: Path, report=print) -> None:
    """Check the bundle, then put its cache parts into the kit's cache and its images into
    Docker. Files already there are kept; once everything is in, a second run does nothing."""
    bundle = Path(bundle)
    if (bundle / MANIFEST).is_file():      # the cache holds copies: checked when they were made
        stamp = cache_dir() / f".bundle-{sha256_of(bundle / MANIFEST)[:16]}"
        if stamp.exists():
            report(f"the bundle in {bundle} is already in place")
            return
    manifest = verify(bundle)
    if manifest.get("commit") and _commit() and manifest["commit"] != _commit():
        report(f"note: the bundle was made from commit {manifest['commit'][:12]}, this clone is "
               f"at {_commit()[:12]}; tools and images are keyed by version, so only what "
               "changed will be missing")
    linked = _copy(bundle / "cache", cache_dir()) if (bundle / "cache").is_dir() else 0
    report(f"{linked} cached files in {cache_dir()} (tools, chapter 1's images, the hub's proxy)")
    tars = sorted((bundle / "images").glob("*.tar")) if (bundle / "images").is_dir() else []
    if not tars or _load_images(tars, manifest["images"], report):
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.touch()
    report("ready: `kit up` and `kit workshop up` need no internet now")
