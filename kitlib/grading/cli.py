"""``kit release``, ``kit grade`` and ``kit validate`` (registered by kitlib.cli)."""
from __future__ import annotations

import argparse
from pathlib import Path

from kitlib.errors import UsageError
from kitlib.paths import REPO_DIR


def _default_sources() -> list[Path]:
    from kitlib.grading.release import graded_notebooks
    for folder in (Path.cwd() / "chapters", REPO_DIR / "chapters"):
        if folder.is_dir():
            found = graded_notebooks(folder)
            if found:
                return found
    return []


def _notebooks(paths: list[str], option: str) -> list[Path]:
    """``paths`` as notebooks that can be read (NotebookFormatError says which cannot);
    none given: the graded chapters."""
    from kitlib.grading import nbmeta as m
    for path in paths:
        m.read(path)
    found = [Path(p) for p in paths] or _default_sources()
    if not found:
        raise UsageError(f"no notebooks with graded cells found in ./chapters; give them as {option}")
    return found


def _submissions(paths: list[str]) -> list[Path]:
    """Each argument must exist; a folder must hold at least one notebook."""
    for path in map(Path, paths):
        if not path.exists():
            raise UsageError(f"{path}: no such file or folder; give the submitted notebooks "
                             "or the folder they were collected in")
        if path.is_dir() and not any(path.rglob("*.ipynb")):
            raise UsageError(f"{path} holds no notebooks (*.ipynb); is it the right folder?")
    return [Path(p) for p in paths]


def _cluster(name: str | None) -> str | None:
    """An explicitly named cluster must be one the kit recorded."""
    from kitlib.cluster import ClusterDir
    if name and ClusterDir(name).read() is None:
        raise UsageError(f"no cluster {name!r} recorded; start it with `kit up --name {name}` "
                         "or check the name with `kit status --name NAME`")
    return name


def cmd_release(args) -> int:
    from kitlib.cli import output_folder
    from kitlib.grading.release import release
    sources = _notebooks(args.notebooks, "arguments")
    release(sources, output_folder(args.out))
    return 0


def cmd_grade(args) -> int:
    from kitlib.cli import output_folder
    from kitlib.grading.autograde import Options
    from kitlib.grading.batch import grade_all
    if args.on and (args.name or args.no_cluster):
        raise UsageError("--on grades in Jobs, each with a throwaway cluster of its own: "
                         "it cannot be combined with --name or --no-cluster")
    if args.image and not args.on:
        raise UsageError("--image names the grader image for --on; give --on NAME too")
    submissions = _submissions(args.submissions)
    sources = _notebooks(args.source, "--source INSTRUCTOR.ipynb")
    out = output_folder(args.out)
    cluster = _cluster(args.name or args.on) if not args.no_cluster else None
    opts = Options(cell_timeout=args.cell_timeout, total_timeout=args.timeout,
                   isolation=args.isolation, use_cluster=not args.no_cluster,
                   feedback_format=args.format)
    say = lambda s: print(s, flush=True)     # noqa: E731
    from kitlib.cluster.interrupts import sigterm_interrupts
    with sigterm_interrupts():      # stopped like Ctrl-C: workers, sandboxes, clusters go too
        if args.on:
            from kitlib.grading.fanout import PodSize, grade_as_jobs
            results = grade_as_jobs(submissions, sources, out, args.on, image=args.image,
                                    options=opts, size=PodSize(args.pod_cpu, args.pod_memory,
                                                               args.pod_memory_limit), report=say)
        else:
            results = grade_all(submissions, sources, out, jobs=args.jobs, options=opts,
                                report=say, cluster=cluster)
    print(f"gradebook: {out / 'gradebook.csv'}\nfeedback:  {out / 'feedback'}/")
    return 0 if results else 1


def cmd_validate(args) -> int:
    from kitlib.grading.execute import Limits
    from kitlib.grading.validate import validate
    [notebook] = _notebooks([args.notebook], "an argument")
    cluster = _cluster(args.name) if not args.no_cluster else None
    got, possible = validate(notebook, Limits(cell_timeout=args.cell_timeout,
                                              total_timeout=args.timeout),
                             use_cluster=not args.no_cluster, cluster=cluster)
    return 0 if got >= possible else 1


def register(sub: argparse._SubParsersAction) -> None:
    from kitlib.cli import cluster_args, positive
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
    p.add_argument("--jobs", "-j", type=positive(int), default=2,
                   help="submissions graded at once (default 2; with --on the cluster decides)")
    p.add_argument("--cell-timeout", type=positive(float), default=120,
                   help="seconds per cell (default 120)")
    p.add_argument("--timeout", type=positive(float), default=900,
                   help="seconds per notebook (default 900)")
    p.add_argument("--isolation", choices=["auto", "rbac", "none"], default="auto",
                   help="with --name only: rbac: the kernel may only change its own namespace; "
                        "none: it gets your credentials; auto (default): rbac for notebooks that "
                        "use $KIT_NAMESPACE, else none and one submission at a time")
    p.add_argument("--name", "--cluster", dest="name", metavar="NAME", default=None,
                   help="grade on this cluster of the kit's, one namespace per submission "
                        "(default: a throwaway Docker-free cluster per submission)")
    p.add_argument("--no-cluster", action="store_true", help="give submissions no cluster")
    p.add_argument("--format", choices=["md", "html"], default="md", help="feedback format")
    jobs = p.add_argument_group("grading as Kubernetes Jobs (one per submission)")
    jobs.add_argument("--on", metavar="NAME", default=None,
                      help="run each submission's grading as a Job on the kit's cluster NAME "
                           "(kind: the grader image is built here and loaded onto its nodes)")
    jobs.add_argument("--image", default=None,
                      help="with --on: a grader image the nodes can pull (other clusters)")
    jobs.add_argument("--pod-cpu", default="500m", help="CPU each grading pod requests (500m)")
    jobs.add_argument("--pod-memory", default="1Gi", help="memory each pod requests (1Gi)")
    jobs.add_argument("--pod-memory-limit", default="2Gi", help="memory limit per pod (2Gi)")
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("validate", help="run your notebook and see the points of its public checks")
    p.add_argument("notebook")
    p.add_argument("--cell-timeout", type=positive(float), default=120)
    p.add_argument("--timeout", type=positive(float), default=900)
    cluster_args(p)
    p.add_argument("--no-cluster", action="store_true", help="do not make a namespace")
    p.set_defaults(func=cmd_validate)
