"""``kit release``, ``kit grade`` and ``kit validate`` (registered by kitlib.cli)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kitlib.paths import REPO_DIR


def _default_sources() -> list[Path]:
    from kitlib.grading.release import graded_notebooks
    for folder in (Path.cwd() / "chapters", REPO_DIR / "chapters"):
        if folder.is_dir():
            found = graded_notebooks(folder)
            if found:
                return found
    return []


def cmd_release(args) -> int:
    from kitlib.grading.nbmeta import NotebookFormatError
    from kitlib.grading.release import release
    sources = [Path(p) for p in args.notebooks] or _default_sources()
    if not sources:
        print("kit release: no notebooks with graded cells found (give them as arguments)",
              file=sys.stderr)
        return 2
    try:
        release(sources, Path(args.out))
    except (NotebookFormatError, OSError) as exc:
        print(f"kit release: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_grade(args) -> int:
    from kitlib.grading.autograde import Options
    from kitlib.grading.batch import grade_all
    sources = [Path(p) for p in args.source] or _default_sources()
    if not sources:
        print("kit grade: no source notebooks (use --source INSTRUCTOR.ipynb)", file=sys.stderr)
        return 2
    opts = Options(cell_timeout=args.cell_timeout, total_timeout=args.timeout,
                   isolation=args.isolation, use_cluster=not args.no_cluster,
                   feedback_format=args.format)
    results = grade_all([Path(p) for p in args.submissions], sources, Path(args.out),
                        jobs=args.jobs, options=opts, report=lambda s: print(s, flush=True))
    out = Path(args.out)
    print(f"gradebook: {out / 'gradebook.csv'}\nfeedback:  {out / 'feedback'}/")
    return 0 if results else 1


def cmd_validate(args) -> int:
    from kitlib.grading.execute import Limits
    from kitlib.grading.validate import validate
    got, possible = validate(Path(args.notebook), Limits(cell_timeout=args.cell_timeout,
                                                         total_timeout=args.timeout),
                             use_cluster=not args.no_cluster)
    return 0 if got >= possible else 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("release", help="make student notebooks (solutions and hidden tests removed)")
    p.add_argument("notebooks", nargs="*", help="instructor notebooks (default: every "
                   "chapters/*.ipynb with graded cells)")
    p.add_argument("--out", default="release", help="release folder (default: ./release)")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("grade", help="grade submitted notebooks: gradebook CSV and feedback")
    p.add_argument("submissions", nargs="+", help="submitted notebooks or folders of them")
    p.add_argument("--out", default="graded", help="results folder (default: ./graded)")
    p.add_argument("--source", action="append", default=[],
                   help="an instructor notebook (repeat; default: graded chapters/*.ipynb)")
    p.add_argument("--jobs", "-j", type=int, default=2, help="submissions graded at once (default 2)")
    p.add_argument("--cell-timeout", type=float, default=120, help="seconds per cell (default 120)")
    p.add_argument("--timeout", type=float, default=900, help="seconds per notebook (default 900)")
    p.add_argument("--isolation", choices=["auto", "rbac", "none"], default="auto",
                   help="rbac: the kernel may only change its own namespace; none: it gets "
                        "your credentials; auto (default): rbac for notebooks that use "
                        "$KIT_NAMESPACE, else none and one submission at a time")
    p.add_argument("--no-cluster", action="store_true", help="do not make namespaces")
    p.add_argument("--format", choices=["md", "html"], default="md", help="feedback format")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("validate", help="run your notebook and see the points of its public checks")
    p.add_argument("notebook")
    p.add_argument("--cell-timeout", type=float, default=120)
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--no-cluster", action="store_true", help="do not make a namespace")
    p.set_defaults(func=cmd_validate)
