"""The controller framework of chapter 06: a PodSet custom resource and a framework that
runs ``reconcile(ctx, key)`` (watch -> work queue -> reconcile, with resync and backoff).
The ``reconcile`` is the learner's (the chapter's exercise); its checks and the chapter's
reference are ``exercises.controller``. Informers, the work queue and its back-off come
from ``kitlib.client`` (re-exported here).

    from kitlib.controller import Controller, install_crd
    install_crd(api)
    ctrl = Controller(api, reconcile, namespace="demo").start()    # background threads
    ...
    ctrl.stop()

As a process: ``python -m kitlib.controller --reconcile module:function [--namespace NS]``.
"""
import logging

from kitlib.client import ExponentialBackoff, Informer, Store, WorkQueue  # the shared layer
from kitlib.controller.counting import CountingApiClient
from kitlib.controller.crd import API_VERSION, CRD_NAME, GROUP, KIND, PLURAL, VERSION, crd_manifest, install_crd, podset
from kitlib.controller.expectations import Expectations
from kitlib.controller.framework import Context, Controller, ControllerStopped, ReconcileFailing, describe
from kitlib.controller.pods import controller_of, is_active, is_ready, matches

logging.getLogger("kitlib.controller").addHandler(logging.NullHandler())   # quiet in notebooks

_started: dict = {}


def start(api, reconcile, namespace: str | None = None, **options) -> Controller:
    """Start a controller in background threads (from a notebook cell). Starting another
    one for the same namespace stops the previous one first, so re-running a cell never
    leaves two controllers fighting."""
    stop(namespace)
    ctrl = Controller(api, reconcile, namespace=namespace, **options).start()
    _started[namespace] = ctrl
    return ctrl


def stop(namespace: str | None = None) -> None:
    ctrl = _started.pop(namespace, None)
    if ctrl is not None:
        ctrl.stop()


def stop_all() -> None:
    for namespace in list(_started):
        stop(namespace)


__all__ = ["API_VERSION", "CRD_NAME", "GROUP", "KIND", "PLURAL", "VERSION", "crd_manifest",
           "install_crd", "podset", "controller_of", "is_active", "is_ready", "matches",
           "Expectations", "ExponentialBackoff", "WorkQueue", "Informer", "Store",
           "CountingApiClient", "Context", "Controller", "ControllerStopped", "ReconcileFailing", "describe",
           "start", "stop", "stop_all"]
