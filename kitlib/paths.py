"""Where the kit keeps things: the repository's own files, a per-user tool cache and a
per-user state directory. Both per-user locations can be moved with environment variables
(``KIT_CACHE_DIR``, ``KIT_STATE_DIR``); nothing is ever written to ``~/.kube``.

kitlib runs from a clone of the course repository (an editable install): it reads
``cluster/`` and ``chapters/`` next to the package. Installed any other way (a wheel),
``require_clone`` says so in one line at the first use."""
from __future__ import annotations

import os
from pathlib import Path

from kitlib.errors import KitError

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
REPO_CLUSTER_DIR = REPO_DIR / "cluster"


class NotAClone(KitError):
    """kitlib was installed without the repository it reads its files from."""


def require_clone() -> Path:
    """The repository root, or NotAClone when kitlib is not running from a clone."""
    if not (REPO_DIR / "cluster" / "versions.yaml").is_file():
        raise NotAClone(f"kitlib runs from a clone of the course repository: {PACKAGE_DIR} is "
                        "not inside one (no cluster/versions.yaml next to it); clone the "
                        "repository and run ./course start there (or pip install -e .)")
    return REPO_DIR


def _xdg(var: str, default: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / default)


def cache_dir() -> Path:
    """Built or downloaded tools, keyed by version (safe to share between clones)."""
    return Path(os.environ.get("KIT_CACHE_DIR") or _xdg("XDG_CACHE_HOME", ".cache") / "kitlib")


def state_dir() -> Path:
    """Clusters the kit created: kubeconfigs, kwokctl work dirs, markers."""
    return Path(os.environ.get("KIT_STATE_DIR") or _xdg("XDG_STATE_HOME", ".local/state") / "kitlib")
