"""Build-once artifacts in the per-user cache: made in a temporary sibling, renamed into
place only when complete (an interrupted build leaves nothing half-made), one builder at a
time (a second caller waits, then finds it done)."""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterable


def content_key(parts: Iterable[str | bytes | Path], length: int = 12) -> str:
    """A short hash of strings, bytes and the contents of files."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            digest.update(part.name.encode() + b"\0" + part.read_bytes())
        else:
            digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:length]


def cached(path: Path, build: Callable[[Path], None]) -> Path:
    """Return ``path``, calling ``build(tmp)`` first if it does not exist; ``build``
    writes the artifact at ``tmp`` (a file or a directory), which is renamed to ``path``."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f".{path.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path
        for stale in path.parent.glob(f".{path.name}.tmp*"):     # a killed run's leftovers
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink()
        work = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.tmp"))
        try:
            build(work / path.name)
            os.replace(work / path.name, path)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return path


def link_or_copy(src: Path, dest: Path) -> None:
    """Put ``src`` at ``dest`` without copying where the filesystem allows (build contexts
    of large tarballs)."""
    try:
        dest.hardlink_to(src)
    except OSError:
        shutil.copy2(src, dest)


def link_tree(source: Path, target: Path, skip: tuple[str, ...] = ()) -> None:
    """Copy a tree as hard links (no extra space on one filesystem), else as copies."""
    ignore = shutil.ignore_patterns(*skip) if skip else None
    try:
        shutil.copytree(source, target, symlinks=True, ignore=ignore, copy_function=os.link,
                        dirs_exist_ok=True)
    except (OSError, shutil.Error):
        shutil.copytree(source, target, symlinks=True, ignore=ignore, dirs_exist_ok=True)
