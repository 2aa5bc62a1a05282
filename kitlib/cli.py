"""The `kit` command: a thin layer over kitlib's Python API.

Whatever the user can fix (a bad argument, a missing or unreadable file, a cluster that
cannot start) is said in one line on stderr, with exit status 2 — never a traceback."""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from kitlib.errors import KitError, UsageError

NODE_SIDE_TARGETS = ("node-image", "course-images")


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (not the whole usage block)."""

    def error(self, message: str):
        error = UsageError(f"{message} (see `{self.prog} --help`)")
        error.prog = self.prog
        raise error


def positive(kind):
    """An argparse type: a number greater than 0."""
    def convert(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
        return value
    return convert


def output_folder(path: str, option: str = "--out") -> Path:
    """A folder to write into: it may not exist yet, but must not be a file."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{option} {folder} is a file; give a folder to write into")
    return folder


def cluster_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", "--cluster", dest="name", metavar="NAME",
                   help="the kit's cluster (default: $KIT_CLUSTER or 'kit')")


def cmd_up(args) -> int:
    from kitlib import cluster
    st = cluster.up(provider=args.provider, name=args.name, kubeconfig=args.kubeconfig,
                    context=args.context)
    print(f"ready: {st.detail}\nkubeconfig: {st.kubeconfig}\n"
          f"try: KUBECONFIG={st.kubeconfig} kubectl get nodes")
    return 0


def cmd_down(args) -> int:
    from kitlib import cluster
    cluster.down(name=args.name)
    return 0


def cmd_status(args) -> int:
    from kitlib import cluster
    st = cluster.status(name=args.name)
    if args.json:
        print(json.dumps(asdict(st), indent=2))
    else:
        state = ("running" if st.running else
                 "unfinished" if st.phase == "creating" else "not running")
        print(f"cluster {st.name}: {state} (provider {st.provider})\n  {st.detail}")
        if st.kubeconfig:
            print(f"  kubeconfig: {st.kubeconfig}")
    return 0 if st.running else 1


def cmd_doctor(args) -> int:
    from kitlib.cluster import doctor
    checks = doctor.run_checks()
    print(json.dumps(doctor.as_dicts(checks), indent=2) if args.json else doctor.render(checks))
    return 1 if any(c.status == doctor.FAIL for c in checks) else 0


def cmd_tools(args) -> int:
    from kitlib.cluster import tools
    known = [*tools.tool_groups(), *NODE_SIDE_TARGETS]
    unknown = [g for g in args.groups if g not in known]
    if unknown:
        raise UsageError(f"unknown tool group {unknown[0]!r}; choose from "
                         f"{', '.join(known)}")
    groups = [g for g in args.groups if g not in NODE_SIDE_TARGETS]
    paths = tools.ensure(groups or None, source=args.source) if groups or not args.groups else {}
    for name, path in sorted(paths.items()):
        print(f"{name:24} {path}")
    if set(args.groups) & set(NODE_SIDE_TARGETS):
        _build_images(args.groups)
    return 0


def _build_images(targets: list[str]) -> None:
    from kitlib.cluster import course_images, nodeimage
    from kitlib.cluster.dockerd import PrivateEngine
    from kitlib.cluster.providers.kind import use_engine
    from kitlib.progress import reporter
    engine = PrivateEngine()
    was_running = engine.running()
    with reporter() as say:
        private = use_engine(say)
        try:
            if "node-image" in targets:
                print(f"{'node-image':24} {nodeimage.build(say)}")
            if "course-images" in targets:
                for image in course_images.table():
                    print(f"{image:24} {course_images.build(image, say)}")
        finally:
            if private and not was_running:      # leave no engine running that we started
                engine.stop(say)


def cmd_env(args) -> int:
    """Print shell exports that point kubectl at the kit's cluster (eval "$(kit env)")."""
    from shlex import quote

    from kitlib.cluster import KUBECACHEDIR_ENV, cluster_name, kubectl_cache_dir, tools
    from kitlib.cluster.base import ClusterDir
    cluster = ClusterDir(cluster_name(args.name))
    print(f"export KUBECONFIG={quote(str(cluster.kubeconfig))}")
    print(f"export {KUBECACHEDIR_ENV}={quote(str(kubectl_cache_dir()))}")   # not ~/.kube/cache
    print(f"export PATH={tools.binary_path('kubectl').parent}:$PATH")
    record = cluster.read()
    if record and record.details.get("docker_host"):     # kind inside the kit's own engine
        print(f"export DOCKER_HOST={record.details['docker_host']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="kit", description="The Kubernetes course kit.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("up", help="start the course cluster, or reuse the running one")
    cluster_args(p)
    p.add_argument("--provider", help="kind, kwok (Docker-free) or existing; default: auto")
    p.add_argument("--kubeconfig", help="existing provider: the kubeconfig to use")
    p.add_argument("--context", help="existing provider: the context to use")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("down", help="remove the cluster the kit made (nothing else)")
    cluster_args(p)
    p.set_defaults(func=cmd_down)

    p = sub.add_parser("status", help="is the cluster running?")
    cluster_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("doctor", help="check this machine, with a fix for each problem")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("tools", help="download or build the pinned cluster tools")
    p.add_argument("groups", nargs="*",
                   help="kubernetes, etcd, kwok, kind (the default), a node-side group, or "
                        "node-image / course-images: build the kind node image or the course's "
                        "images on this machine (starts the kit's own Docker engine if needed)")
    p.add_argument("--source", choices=["auto", "download", "build"])
    p.set_defaults(func=cmd_tools)

    p = sub.add_parser("env", help="shell exports for kubectl: eval \"$(kit env)\"")
    cluster_args(p)
    p.set_defaults(func=cmd_env)

    from kitlib.learner.cli import register as register_workspace
    register_workspace(sub)

    from kitlib.workshop.cli import register as register_workshop
    register_workshop(sub)

    # Instructor commands (release, grade, validate) live with the grading code.
    try:
        from kitlib.grading.cli import register as register_grading
    except ImportError:     # grading commands not present in this checkout
        pass
    else:
        register_grading(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from kitlib.progress import silence_stdout
    command = "kit"
    try:
        args = build_parser().parse_args(argv)
        command = f"kit {args.command}"
        code = args.func(args)
        sys.stdout.flush()          # a closed pipe shows here, not at exit
        return code
    except BrokenPipeError:         # `kit status | head`: the reader has gone
        silence_stdout()
        return 1
    except (KitError, OSError) as exc:
        print(f"{getattr(exc, 'prog', command)}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
