"""A Python the learners' system users can run: the kit's own virtual environment when every
learner can reach it, otherwise the same interpreter and packages seen through the room.

The usual reason it cannot be reached: the interpreter lives in the instructor's home
(pyenv under /root, mode 700). Then the room gets a copy of the interpreter's standard
library (hard links: no extra space on the same filesystem) and a virtual environment whose
site-packages *is* the kit's (a symbolic link), so both run the same pinned packages.
Learner commands are run as ``python -m module`` (the kit's console scripts name the
instructor's interpreter in their first line)."""
from __future__ import annotations

import os
import shutil
import stat
import sys
import sysconfig
from pathlib import Path

from kitlib.cluster.artifacts import link_tree
from kitlib.workshop.room import share


def reachable_by_all(path: Path) -> bool:
    """Can any user execute ``path`` (every folder on the way searchable by others)?"""
    path = Path(os.path.realpath(path))
    if not path.stat().st_mode & stat.S_IXOTH:
        return False
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in path.parents)


def room_python(cache: Path) -> str:
    """The interpreter learners run (made under ``cache`` when the kit's cannot be reached)."""
    if reachable_by_all(Path(sys.executable)):
        return sys.executable
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base, venv = cache / "python", cache / "venv"
    python = venv / "bin" / "python"
    if python.exists():
        return str(python)
    real = Path(os.path.realpath(sys.executable))
    (base / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(real, base / "bin" / version)
    stdlib = Path(sysconfig.get_paths(vars={"base": sys.base_prefix})["stdlib"])
    link_tree(stdlib, base / "lib" / version, ("site-packages", "test", "__pycache__"))
    libdir = sysconfig.get_config_var("LIBDIR")
    for lib in Path(libdir).glob("libpython*.so*") if libdir else []:
        shutil.copy2(lib, base / "lib" / lib.name)
    (venv / "bin").mkdir(parents=True, exist_ok=True)
    (venv / "lib" / version).mkdir(parents=True, exist_ok=True)
    site = Path(sysconfig.get_paths()["purelib"])
    link = venv / "lib" / version / "site-packages"
    if not link.exists():
        link.symlink_to(site)
    for shared in ("etc", "share"):        # Jupyter's config and JupyterLab's files
        if (Path(sys.prefix) / shared).is_dir() and not (venv / shared).exists():
            (venv / shared).symlink_to(Path(sys.prefix) / shared)
    (venv / "pyvenv.cfg").write_text(
        f"home = {base / 'bin'}\ninclude-system-site-packages = false\n"
        f"version = {'.'.join(map(str, sys.version_info[:3]))}\n")
    python.symlink_to(base / "bin" / version)
    share(cache)
    return str(python)
