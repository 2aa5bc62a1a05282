"""The `kit` command: a thin layer over kitlib's Python API."""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict


def _cluster_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name", help="cluster name (default: $KIT_CLUSTER or 'kit')")


def cmd_up(args) -> int:
    from kitlib import cluster
    if args.kubeconfig:
        os.environ["KIT_KUBECONFIG"] = args.kubeconfig
    if args.context:
        os.environ["KIT_CONTEXT"] = args.context
    st = cluster.up(provider=args.provider, name=args.name)
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
        state = "running" if st.running else "not running"
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
    groups = [g for g in args.groups if g not in ("node-image", "course-images")]
    paths = tools.ensure(groups or None, source=args.source) if groups or not args.groups else {}
    for name, path in sorted(paths.items()):
        print(f"{name:24} {path}")
    if set(args.groups) & {"node-image", "course-images"}:
        from kitlib.cluster import course_images, nodeimage
        from kitlib.cluster.providers.kind import use_engine
        from kitlib.progress import reporter
        from kitlib.cluster.dockerd import PrivateEngine
        engine = PrivateEngine()
        was_running = engine.running()
        with reporter() as say:
            private = use_engine(say)
            try:
                if "node-image" in args.groups:
                    print(f"{'node-image':24} {nodeimage.build(say)}")
                if "course-images" in args.groups:
                    for image in course_images.table():
                        print(f"{image:24} {course_images.build(image, say)}")
            finally:
                if private and not was_running:      # leave no engine running that we started
                    engine.stop(say)
    return 0


def cmd_env(args) -> int:
    """Print shell exports that point kubectl at the kit's cluster (eval "$(kit env)")."""
    from shlex import quote
    from kitlib.cluster import KUBECACHEDIR_ENV, cluster_name, kubectl_cache_dir, tools
    from kitlib.cluster.base import ClusterDir
    print(f"export KUBECONFIG={quote(str(ClusterDir(cluster_name(args.name)).kubeconfig))}")
    print(f"export {KUBECACHEDIR_ENV}={quote(str(kubectl_cache_dir()))}")   # not ~/.kube/cache
    print(f"export PATH={tools.binary_path('kubectl').parent}:$PATH")
    record = ClusterDir(cluster_name(args.name)).read()
    if record and record.details.get("docker_host"):     # kind inside the kit's own engine
        print(f"export DOCKER_HOST={record.details['docker_host']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kit", description="The Kubernetes course kit.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("up", help="start the course cluster, or reuse the running one")
    _cluster_args(p)
    p.add_argument("--provider", help="kind, kwok (Docker-free) or existing; default: auto")
    p.add_argument("--kubeconfig", help="existing provider: the kubeconfig to use")
    p.add_argument("--context", help="existing provider: the context to use")
    p.set_defaults(func=cmd_up)

    p = sub.add_parser("down", help="remove the cluster the kit made (nothing else)")
    _cluster_args(p)
    p.set_defaults(func=cmd_down)

    p = sub.add_parser("status", help="is the cluster running?")
    _cluster_args(p)
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
    _cluster_args(p)
    p.set_defaults(func=cmd_env)

    # Instructor commands (release, grade, validate) live with the grading code.
    try:
        from kitlib.grading.cli import register as register_grading
    except ImportError:     # grading commands not present in this checkout
        pass
    else:
        register_grading(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from kitlib.cluster.base import ClusterError
    from kitlib.cluster.tools import ToolError
    try:
        return args.func(args)
    except (ClusterError, ToolError) as exc:
        print(f"kit: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
