"""Run the PodSet controller as a process until Ctrl-C / SIGTERM.

    python -m kitlib.controller --reconcile mymodule:reconcile [--namespace demo]
    python -m kitlib.controller --reconcile exercises.controller.reference:reconcile   # chapter 06's
"""
from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading


def load_reconcile(spec: str):
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit("--reconcile wants module:function, e.g. mycontroller:reconcile")
    return getattr(importlib.import_module(module), name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kitlib.controller",
                                     description="Run the PodSet controller until interrupted.")
    parser.add_argument("--namespace", help="watch only this namespace (default: all)")
    parser.add_argument("--reconcile", required=True, metavar="MODULE:FUNCTION",
                        help="the reconcile(ctx, key) to run")
    parser.add_argument("--kubeconfig", help="default: the kit's cluster")
    parser.add_argument("--resync", type=float, default=30.0, help="seconds between resyncs")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", stream=sys.stdout)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("kubernetes").setLevel(logging.WARNING)

    from kitlib.controller import Controller, install_crd
    from kitlib.kube import api_client
    api = api_client(args.kubeconfig)
    install_crd(api)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    ctrl = Controller(api, load_reconcile(args.reconcile), namespace=args.namespace,
                      resync_period=args.resync, workers=args.workers).start()
    print(f"PodSet controller running (namespace: {args.namespace or 'all'}); Ctrl-C stops it",
          flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        clean = ctrl.stop()
        print("PodSet controller stopped", flush=True)
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
