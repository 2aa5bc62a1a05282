"""`kit workshop ...`: one machine gives a room of learners each their own cluster and
notebooks behind JupyterHub; the instructor sees and grades the room. Run as root."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from kitlib.cgroups import Limits
from kitlib.workshop.room import DEFAULT_DIR, DEFAULT_PARALLEL, LEARNER_LIMITS, Room, roster


def _room_dir(args) -> Path:
    return Path(args.dir).resolve()


def _kube_room(args):
    """The room in --dir when it runs on a Kubernetes cluster (``up --on``), else None."""
    from kitlib.workshop.k8s.room import KubeRoom
    return KubeRoom.load(_room_dir(args))


def cmd_up(args) -> int:
    from kitlib.workshop import lifecycle
    names = roster(args.roster, args.learners)
    if args.on:
        from kitlib.workshop.k8s import room
        room.up(_room_dir(args), names, args.on, image=args.image, memory_mb=args.memory,
                cpus=args.cpus, storage_class=args.storage_class, service_type=args.service_type)
        return 0
    limits = Limits(memory_mb=args.memory, processes=LEARNER_LIMITS.processes, cpus=args.cpus)
    lifecycle.up(_room_dir(args), names, hub_ip=args.ip, hub_port=args.port, limits=limits,
                 parallel=args.parallel)
    return 0


def cmd_status(args) -> int:
    from kitlib.workshop import status
    kube_room = _kube_room(args)
    if kube_room is not None:
        from kitlib.workshop.k8s import room
        statuses = [status.LearnerStatus(**row) for row in room.status(kube_room)]
    else:
        statuses = status.room_status(Room.load(_room_dir(args)))
    print(json.dumps(status.as_json(statuses), indent=1) if args.json else status.table(statuses))
    if args.plot:
        status.plot(statuses).savefig(args.plot, dpi=120)
        print(f"chart: {args.plot}")
    return 0 if all(s.healthy for s in statuses) else 1


def cmd_reset(args) -> int:
    from kitlib.workshop import lifecycle
    kube_room = _kube_room(args)
    if kube_room is not None:
        from kitlib.workshop.k8s import room
        room.reset(kube_room, args.learner)
    else:
        lifecycle.reset(_room_dir(args), args.learner)
    return 0


def cmd_collect(args) -> int:
    from kitlib.workshop import grading
    from kitlib.workshop.k8s import room
    kube_room = _kube_room(args)
    if kube_room is not None:
        room.collect(kube_room, args.chapters)
    else:
        grading.collect(Room.load(_room_dir(args)), args.chapters)
    return 0


def cmd_grade(args) -> int:
    from kitlib.workshop import grading
    grading.grade(_kube_room(args) or Room.load(_room_dir(args)), jobs=args.jobs,
                  extra=["--on", args.on] if args.on else None)
    return 0


def cmd_return(args) -> int:
    from kitlib.workshop import grading
    from kitlib.workshop.k8s import room
    kube_room = _kube_room(args)
    if kube_room is not None:
        room.give_back(kube_room)
    else:
        grading.give_back(Room.load(_room_dir(args)))
    return 0


def cmd_forward(args) -> int:
    import subprocess
    import time

    from kitlib.errors import UsageError
    from kitlib.workshop.k8s.room import forward_command
    kube_room = _kube_room(args)
    if kube_room is None:
        raise UsageError(f"no room on a cluster in {args.dir} (made by `kit workshop up --on NAME`)")
    command = forward_command(kube_room, args.port)
    print(f"JupyterHub of the room: http://127.0.0.1:{args.port}/ (Ctrl-C stops the forward)", flush=True)
    # kubectl port-forward follows one pod: when `up` replaces the hub's, forward again.
    try:
        while True:
            subprocess.run(command)
            print("the forward ended (the hub's pod was replaced?); forwarding again", flush=True)
            time.sleep(2)
    except KeyboardInterrupt:
        return 0


def cmd_down(args) -> int:
    from kitlib.workshop import lifecycle
    if _kube_room(args) is not None:
        from kitlib.workshop.k8s import room
        room.down(_room_dir(args))
        return 0
    lifecycle.down(_room_dir(args), purge=args.purge)
    return 0


def cmd_bundle(args) -> int:
    from kitlib.workshop import bundle
    bundle.make(Path(args.folder), images=not args.no_images)
    return 0


def cmd_unbundle(args) -> int:
    from kitlib.workshop import bundle
    bundle.unbundle(Path(args.folder))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    from kitlib.cli import positive
    workshop = sub.add_parser("workshop", help="a room of learners, each with their own "
                                                "cluster and notebooks behind JupyterHub (root)")
    verbs = workshop.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, help: str, func) -> argparse.ArgumentParser:
        p = verbs.add_parser(name, help=help)
        p.add_argument("--dir", default=str(DEFAULT_DIR),
                       help=f"the room's folder (default: {DEFAULT_DIR})")
        p.set_defaults(func=func)
        return p

    p = verb("up", "make the room (or add learners and restart what stopped)", cmd_up)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--learners", type=positive(int), metavar="N", help="N numbered learners")
    who.add_argument("--roster", metavar="FILE", help="one learner name per line (or CSV)")
    p.add_argument("--ip", default="127.0.0.1",
                   help="where JupyterHub listens (0.0.0.0: the room's network; default loopback)")
    p.add_argument("--port", type=positive(int), default=8000, help="JupyterHub's port")
    p.add_argument("--memory", type=positive(int), default=LEARNER_LIMITS.memory_mb,
                   metavar="MiB", help="memory per learner: cluster, server and kernels")
    p.add_argument("--cpus", type=positive(float), default=LEARNER_LIMITS.cpus,
                   help="CPU cores' worth per learner")
    p.add_argument("--parallel", type=positive(int), default=DEFAULT_PARALLEL, metavar="N",
                   help=f"learners' clusters started at once (default here: {DEFAULT_PARALLEL})")
    on = p.add_argument_group("the room on a Kubernetes cluster (JupyterHub and every "
                              "learner's server as pods; no root needed)")
    on.add_argument("--on", metavar="NAME", help="the kit's cluster NAME (kind, or `kit up "
                    "--provider existing --name NAME`)")
    on.add_argument("--image", metavar="REF", help="the course image where the nodes pull from "
                    "(not kind: build it with `python -m kitlib.workshop.k8s.image` and push it)")
    on.add_argument("--storage-class", default="", metavar="CLASS",
                    help="learners' home claims (default: the cluster's default class)")
    on.add_argument("--service-type", default="ClusterIP",
                    choices=["ClusterIP", "NodePort", "LoadBalancer"], help="the hub's Service")

    p = verb("status", "every learner: cluster, server, memory, progress", cmd_status)
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", metavar="FILE.png", help="also draw the room's progress as a chart")

    p = verb("reset", "give one learner a fresh cluster (their notebooks stay)", cmd_reset)
    p.add_argument("learner")

    p = verb("collect", "copy the learners' graded chapters out of their workspaces", cmd_collect)
    p.add_argument("chapters", nargs="*", help="chapter numbers (default: every graded one)")

    p = verb("grade", "grade what was collected with `kit grade`", cmd_grade)
    p.add_argument("--jobs", "-j", type=positive(int), default=2)
    p.add_argument("--on", metavar="NAME", default=None,
                   help="grade as Kubernetes Jobs on the kit's cluster NAME (see `kit grade --on`)")

    verb("return", "put each learner's feedback into their workspace", cmd_return)

    p = verb("forward", "a room on a cluster: open its hub on this machine's loopback "
             "(kubectl port-forward)", cmd_forward)
    p.add_argument("--port", type=positive(int), default=8000)

    p = verbs.add_parser("bundle", help="everything a room needs in one folder, for a day "
                         "without internet (wheels, tools, images)")
    p.add_argument("folder", help="a new or empty folder (a USB stick, a share)")
    p.add_argument("--no-images", action="store_true",
                   help="leave out the kind node image and course images (Docker-free day)")
    p.set_defaults(func=cmd_bundle)
    p = verbs.add_parser("unbundle", help="check a bundle and put it into this machine's "
                         "cache and Docker (`KIT_BUNDLE=DIR ./course start` runs it)")
    p.add_argument("folder")
    p.set_defaults(func=cmd_unbundle)

    p = verb("down", "remove the room: hub, servers, clusters, users, homes", cmd_down)
    p.add_argument("--purge", action="store_true",
                   help="also remove collected/ and graded/ (kept by default)")
