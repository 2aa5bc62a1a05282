"""The JupyterLab command that opens the course: on the learner's workspace (or, for an
instructor, on the sources), at the first chapter rather than the launcher, logging only
warnings so the output ends with the URL to open."""
from __future__ import annotations

import os
from pathlib import Path

FIRST_CHAPTER = "00-setup.ipynb"


def lab_command(notebook_dir: Path, headless: bool = False) -> list[str]:
    args = ["jupyter", "lab", f"--notebook-dir={notebook_dir}", "--ServerApp.ip=127.0.0.1",
            f"--LabApp.default_url=/lab/tree/{FIRST_CHAPTER}",
            "--log-level=WARN", "--LabApp.log_level=WARN"]
    if headless:
        args.append("--no-browser")
    if os.geteuid() == 0:             # containers and CI machines run as root
        args.append("--allow-root")
    return args
