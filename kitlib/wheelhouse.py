"""Folders of wheels for kitlib's Python dependencies, made with ``pip download`` and cached
(keyed by what was asked), so Python packages can be installed where no index answers:
the kit's images (``cluster/kit_image.py``) and a workshop bundle (``workshop/bundle.py``)."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from kitlib.cluster.artifacts import cached, content_key
from kitlib.cluster.base import ClusterError, Report
from kitlib.paths import REPO_DIR, cache_dir


def requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;@]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def project_requirements(extras: tuple[str, ...] = (), build: bool = False,
                         leave_out: tuple[str, ...] = ()) -> list[str]:
    """pyproject.toml's dependencies, with those of ``extras`` and (``build``) of the build
    backend; names in ``leave_out`` dropped."""
    import tomllib
    data = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())
    found = list(data["project"]["dependencies"])
    for extra in extras:
        found += data["project"]["optional-dependencies"][extra]
    if build:
        found += data["build-system"]["requires"]
    return [r for r in dict.fromkeys(found) if requirement_name(r) not in leave_out]


def installed_versions(only: set[str] | None = None) -> list[str]:
    """``name==version`` for what this environment has installed (pip and setuptools too),
    or only for the names in ``only``."""
    out = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
                         capture_output=True, text=True, check=True)
    pins = [line for line in out.stdout.splitlines() if "==" in line and " @ " not in line]
    return sorted(p for p in pins if only is None or requirement_name(p) in only)


def download(name: str, requirements: list[str], constraints: list[str],
             python_version: str | None = None, report: Report = print) -> Path:
    """A cached folder of packages satisfying ``requirements`` within ``constraints``, with
    both lists written beside them. For another ``python_version`` than this interpreter's,
    wheels only (pip cannot build for it); otherwise a package without a wheel comes as its
    source archive."""
    key = content_key([*requirements, "--", *constraints, python_version or sys.version])

    def build(out: Path) -> None:
        out.mkdir()
        (out / "requirements.txt").write_text("\n".join(requirements) + "\n")
        (out / "constraints.txt").write_text("\n".join(constraints) + "\n")
        which = f"Python {python_version}" if python_version else "this Python"
        report(f"downloading wheels for {len(requirements)} requirements (and theirs) for "
               f"{which} from the package index")
        proc = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(out),
                               *(["--only-binary=:all:", "--python-version", python_version]
                                 if python_version else []),
                               "-r", str(out / "requirements.txt"), "-c", str(out / "constraints.txt")],
                              capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            raise ClusterError("pip download failed (is the package index reachable?): "
                               + proc.stderr.strip()[-800:])

    return cached(cache_dir() / "wheels" / f"{name}-{key}", build)
