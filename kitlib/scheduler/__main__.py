"""``python -m kitlib.scheduler --framework module:function``: run the kit's scheduler as a
process until Ctrl-C (or SIGTERM), printing one line per decision. ``function(name)``
returns the Framework to schedule with, e.g. ``exercises.scheduler.reference:framework``
(chapter 05's reference plugins)."""
from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kitlib.scheduler", description=__doc__)
    parser.add_argument("--framework", required=True, metavar="MODULE:FUNCTION",
                        help="a function(scheduler_name) returning the Framework to use")
    parser.add_argument("--kubeconfig", help="default: the kit's cluster")
    parser.add_argument("--name", default="kit-scheduler", help="spec.schedulerName to serve")
    parser.add_argument("--qps", type=float, default=50, help="API writes per second (client-go: 50)")
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--bind-workers", type=int, default=4)
    parser.add_argument("--no-events", action="store_true", help="do not record Events")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    module, _, function = args.framework.partition(":")
    if not function:
        parser.error("--framework wants module:function, e.g. exercises.scheduler.reference:framework")
    make_framework = getattr(importlib.import_module(module), function)

    from kitlib.kube import api_client
    from kitlib.scheduler.scheduler import Scheduler
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(asctime)s %(message)s", stream=sys.stdout)
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    sched = Scheduler(api_client(args.kubeconfig), make_framework(args.name), name=args.name,
                      qps=args.qps, burst=args.burst, bind_workers=args.bind_workers,
                      record_events=not args.no_events)
    sched.start()
    print(f"{args.name}: watching pods with spec.schedulerName={args.name} (Ctrl-C stops)", flush=True)
    done.wait()
    sched.stop()
    print(f"{args.name}: stopped; {sched.stats['scheduled']} pods bound", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
