"""``kit workspace``: make or update the learner's workspace, give a fresh copy of a
chapter, reset one exercise, or open JupyterLab on it."""
from __future__ import annotations

import argparse
import json
import os
import shlex
from dataclasses import asdict
from pathlib import Path

from kitlib.errors import UsageError
from kitlib.paths import REPO_DIR

WORKSPACE_ENV = "KIT_WORKSPACE"


def default_workspace() -> Path:
    """``$KIT_WORKSPACE``, else ``workspace/`` in the clone (ignored by git)."""
    return Path(os.environ.get(WORKSPACE_ENV) or REPO_DIR / "workspace")


def cmd_workspace(args) -> int:
    from kitlib.learner.lab import lab_command
    from kitlib.learner.workspace import Workspace, WorkspaceError
    ws = Workspace(Path(args.path or default_workspace()), REPO_DIR / "chapters")
    if ws.root.exists() and not ws.root.is_dir():
        raise UsageError(f"--path {args.path} is a file; give a folder for the workspace")
    try:
        if args.fresh:
            new, kept = ws.fresh(args.fresh)
            print(f"fresh copy: {new}" + (f"\nyours, kept: {kept}" if kept else ""))
        elif args.reset:
            backup = ws.reset(*args.reset)
            print(f"reset {args.reset[1]} in {args.reset[0]}; the notebook before: {backup}")
        else:
            _report(ws, ws.sync())
    except WorkspaceError as exc:
        raise UsageError(str(exc)) from None
    if args.lab:
        folder = REPO_DIR / "chapters" if args.instructor else ws.root
        command = lab_command(folder, headless=args.headless)
        if os.environ.get("COURSE_DRY_RUN"):        # for tests: show it, run nothing
            print(shlex.join(command))
            return 0
        print("==> JupyterLab on the course; stop it with Ctrl-C, then `.venv/bin/kit down`",
              flush=True)
        os.execvp(command[0], command)
    return 0


def cmd_progress(args) -> int:
    from kitlib.learner import progress
    folder = Path(args.path or default_workspace())
    if not folder.is_dir():
        raise UsageError(f"no workspace at {folder}: `kit workspace` makes it")
    rows = progress.progress(folder)
    if args.json:
        print(json.dumps([asdict(r) for r in rows], indent=2))
    else:
        print(progress.report(rows, folder))
    if args.plot:
        progress.plot(rows).savefig(args.plot)
        print(f"chart: {args.plot}")
    return 0


def _report(ws, result) -> None:
    print(f"workspace: {ws.root}")
    if result.added:
        print(f"  added: {', '.join(result.added)}")
    for chapter in result.changed:
        print(f"  {chapter} changed upstream; yours is unchanged. A fresh copy (yours kept "
              f"beside it): kit workspace --fresh {chapter.split('-')[0]}")
    if result.kept and not result.added and not result.changed:
        print(f"  {len(result.kept)} chapters, all current")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("workspace", help="your copies of the chapters (solutions not filled "
                       "in): make or update them, reset an exercise, open JupyterLab")
    p.add_argument("--path", help=f"the workspace folder (default: ${WORKSPACE_ENV} or "
                   "./workspace in the clone)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--fresh", metavar="CHAPTER",
                      help="a fresh copy of CHAPTER (e.g. 06); yours is renamed, not deleted")
    what.add_argument("--reset", nargs=2, metavar=("CHAPTER", "EXERCISE"),
                      help="put one exercise (its grade id) back to its starting state")
    p.add_argument("--lab", action="store_true", help="then open JupyterLab on it")
    p.add_argument("--instructor", action="store_true",
                   help="with --lab: open the course sources (chapters/, solutions filled in)")
    p.add_argument("--headless", action="store_true", help="with --lab: do not open a browser")
    p.set_defaults(func=cmd_workspace)

    p = sub.add_parser("progress", help="what your last check runs scored, per chapter and "
                       "question (from your workspace's saved notebooks)")
    p.add_argument("--path", help="the workspace folder (default: as for `kit workspace`)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", metavar="FILE.png", help="also draw a chart into FILE.png")
    p.set_defaults(func=cmd_progress)
