"""Where the kit keeps things: the repository's own files, a per-user tool cache and a
per-user state directory. Both per-user locations can be moved with environment variables
(``KIT_CACHE_DIR``, ``KIT_STATE_DIR``); nothing is ever written to ``~/.kube``."""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
REPO_CLUSTER_DIR = REPO_DIR / "cluster"


def _xdg(var: str, default: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / default)


def cache_dir() -> Path:
    """Built or downloaded tools, keyed by version (safe to share between clones)."""
    return Path(os.environ.get("KIT_CACHE_DIR") or _xdg("XDG_CACHE_HOME", ".cache") / "kitlib")


def state_dir() -> Path:
    """Clusters the kit created: kubeconfigs, kwokctl work dirs, markers."""
    return Path(os.environ.get("KIT_STATE_DIR") or _xdg("XDG_STATE_HOME", ".local/state") / "kitlib")
