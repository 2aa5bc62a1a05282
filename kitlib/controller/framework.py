"""The controller framework: watch -> work queue -> reconcile, the shape of every
Kubernetes controller (kubernetes/sample-controller's controller.go, in Python).

    ctrl = Controller(api, reconcile, namespace="ch06").start()   # background threads
    ...
    ctrl.stop()

* Two informers cache PodSets and pods (list, then watch). Every PodSet change queues its
  key ``namespace/name``; every pod change queues the key of the PodSet that controls it
  (its ownerReference with ``controller: true``), or, for a pod without a controller, of
  every PodSet whose selector matches it (so it can be adopted).
* A periodic resync queues every PodSet again, so a missed event is repaired.
* Workers take keys from the queue (deduplicated; never two workers on one key) and call
  ``reconcile(ctx, key)``. It returns None when done, or a number of seconds after which it
  wants to run again. If it raises, the key is retried after an exponential backoff.
* The learner writes only ``reconcile``. ``ctx`` gives it the caches, the API and the
  expectations (see ``Context``).
"""
from __future__ import annotations

import ctypes
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kitlib.client import ExponentialBackoff, Informer, Store, WorkQueue, collection_path, key_of
from kitlib.controller.counting import CountingApiClient
from kitlib.controller.crd import GROUP, KIND, PLURAL, VERSION
from kitlib.controller.expectations import Expectations
from kitlib.controller.pods import controller_of, matches
from kitlib.kube import GIVE_UP_AFTER, StoppedWaiting, wait_for

log = logging.getLogger("kitlib.controller")
WALL_LIMIT_FACTOR = 12     # a reconcile also stops after this many reconcile_timeouts in all

Reconcile = Callable[["Context", str], "float | None"]


class ReconcileTimeout(Exception):
    """Raised inside a reconcile that spent more than the controller's reconcile_timeout
    of its own time (by default wall time less the time waiting for the API server; see
    ``own_clock``), or ran WALL_LIMIT_FACTOR times that long in all."""


class ControllerStopped(Exception):
    """Raised inside a reconcile that was still running when the controller stopped."""


class WrongReturn(Exception):
    """reconcile returned something other than None or a number of seconds."""


class ReconcileFailing(StoppedWaiting):
    """Raised by Controller.wait_for: the reconcile keeps failing in a way that retrying
    will not fix, so the awaited state will not come."""


@dataclass
class Context:
    """What ``reconcile(ctx, key)`` works with.

    ``podsets`` / ``pods``: the informers' caches (``get(namespace, name)``,
    ``list(namespace)``; plain dicts, copies). ``core``: CoreV1Api; ``custom``:
    CustomObjectsApi (both write through ``api``, which counts writes).
    ``expectations``: creations/deletions asked for and not yet seen in the cache.
    """
    api: client.ApiClient
    core: client.CoreV1Api
    custom: client.CustomObjectsApi
    podsets: Store
    pods: Store
    expectations: Expectations
    group: str = GROUP
    version: str = VERSION
    plural: str = PLURAL
    _shared: object = field(default=None, repr=False, compare=False)

    def log(self, message: str, *args) -> None:
        log.info(message, *args)

    def __kit_remote__(self) -> tuple[str, str, tuple]:
        """How ctx crosses to a reconcile in another process (kitlib.grading.codec): as a
        reference to this ctx, served from here (kitlib.controller.shared)."""
        from kitlib.controller.shared import share
        return share(self)

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
            self._shared = None


@dataclass
class _Busy:
    key: str
    started: float
    own_before: float          # the thread's own clock when this reconcile began
    signalled: bool = False    # the watchdog has raised in it


@dataclass
class ReconcileError:
    key: str
    message: str
    exception: BaseException
    at: float = field(default_factory=time.monotonic)


class Controller:
    def __init__(self, api: client.ApiClient, reconcile: Reconcile | None = None, *,
                 namespace: str | None = None, resync_period: float = 30.0, workers: int = 1,
                 reconcile_timeout: float = 30.0, pod_event_delay: float = 0.0,
                 backoff: ExponentialBackoff | None = None, expectations_ttl: float = 60.0,
                 own_clock: Callable[[int], float] | None = None, name: str = "podset-controller"):
        """``own_clock(ident)``: the seconds of its own worker thread ``ident`` has used so
        far, what ``reconcile_timeout`` limits (default: wall time less the time in API calls;
        graded, CPU time: kitlib.grading.remote.own_clock)."""
        if not callable(reconcile):
            raise TypeError(f"reconcile must be a function reconcile(ctx, key), not {type(reconcile).__name__}")
        self.name = name
        self.reconcile = reconcile
        self.namespace = namespace
        self.resync_period = resync_period
        self.workers = max(1, workers)
        self.reconcile_timeout = reconcile_timeout
        self.own_clock = own_clock or self._wall_less_api
        self.api = api if isinstance(api, CountingApiClient) else CountingApiClient(api)
        self.queue = WorkQueue(backoff or ExponentialBackoff())
        self.expectations = Expectations(ttl=expectations_ttl)
        core, custom = client.CoreV1Api(self.api), client.CustomObjectsApi(self.api)
        self.podset_informer = Informer(self.api, collection_path(f"{GROUP}/{VERSION}", PLURAL, namespace),
                                        self._on_podset, name="podsets")
        self.pod_informer = Informer(self.api, collection_path("v1", "pods", namespace), self._on_pod,
                                     name="pods", event_delay=pod_event_delay)
        self.ctx = Context(self.api, core, custom, self.podset_informer.store,
                           self.pod_informer.store, self.expectations)
        self.errors: list[ReconcileError] = []
        self.reconciles = 0
        self.failures = 0                                   # reconciles that raised
        self.successes = 0                                  # reconciles that returned
        self.pods_seen_created: set[str] = set()           # uids: pods added with a PodSet controller
        self._busy: dict[int, _Busy] = {}                   # worker ident -> what it runs
        self._busy_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started = False

    # ------------------------------------------------------------------ events -> keys
    def _on_podset(self, kind: str, old: dict | None, new: dict | None) -> None:
        obj = new or old
        key = key_of(obj)
        if kind == "DELETED":
            self.expectations.forget(key)
        self.queue.add(key)

    def _owner_key(self, pod: dict | None) -> str | None:
        if not pod:
            return None
        ref = controller_of(pod)
        if ref and ref.get("kind") == KIND and ref.get("apiVersion", "").split("/")[0] == GROUP:
            return f"{pod['metadata']['namespace']}/{ref['name']}"
        return None

    def _matching_podsets(self, pod: dict) -> list[str]:
        labels = pod["metadata"].get("labels") or {}
        return [key_of(ps) for ps in self.podset_informer.store.list(pod["metadata"]["namespace"])
                if matches(ps.get("spec", {}).get("selector"), labels)]

    def _on_pod(self, kind: str, old: dict | None, new: dict | None) -> None:
        pod = new or old
        owner = self._owner_key(pod)
        name = pod["metadata"]["name"]
        if kind == "ADDED" and owner:
            self.expectations.creation_observed(owner)
            self.pods_seen_created.add(pod["metadata"].get("uid", name))
        going = kind == "DELETED" or (new is not None and new["metadata"].get("deletionTimestamp"))
        if going and owner:
            self.expectations.deletion_observed(owner, name)
        keys = {owner} if owner else set()
        old_owner = self._owner_key(old) if kind == "MODIFIED" else None
        if old_owner and old_owner != owner:
            keys.add(old_owner)                              # released or re-owned
        if owner is None and controller_of(pod) is None and kind != "DELETED":
            keys.update(self._matching_podsets(pod))         # an orphan: adoption candidates
        for key in keys:
            self.queue.add(key)

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 30) -> "Controller":
        """Start the informers, wait until both caches are filled, then the workers."""
        if self.started:
            return self
        self.started = True
        self.podset_informer.start()
        self.pod_informer.start()
        deadline = time.monotonic() + timeout
        for inf in (self.podset_informer, self.pod_informer):
            if not inf.wait_for_sync(max(0.0, deadline - time.monotonic())):
                self.stop()
                raise TimeoutError(f"the {inf.name} cache did not fill within {timeout:g}s "
                                   "(is the cluster up and the PodSet CRD installed?)")
        for i in range(self.workers):
            t = threading.Thread(target=self._worker, name=f"{self.name}-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        for target, suffix in ((self._resync_loop, "resync"), (self._watchdog, "watchdog")):
            t = threading.Thread(target=target, name=f"{self.name}-{suffix}", daemon=True)
            t.start()
            self._threads.append(t)
        log.info("%s started (namespace %s)", self.name, self.namespace or "all")
        return self

    def stop(self, timeout: float = 10, grace: float = 1.0) -> bool:
        """Stop everything. A reconcile still running after ``grace`` seconds gets
        ControllerStopped raised inside it. True when every thread has ended."""
        self._stop.set()
        self.queue.shut_down()
        self.podset_informer.stop(timeout=1)
        self.pod_informer.stop(timeout=1)
        deadline = time.monotonic() + timeout
        grace_end = time.monotonic() + min(grace, timeout / 2)
        for t in self._threads:
            t.join(max(0.0, grace_end - time.monotonic()))
        with self._busy_lock:
            for ident, busy in self._busy.items():
                busy.signalled = True
                _raise_in_thread(ident, ControllerStopped)
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        alive += [f"informer-{i.name}" for i in (self.podset_informer, self.pod_informer)
                  if not i.stop(timeout=max(0.1, deadline - time.monotonic()))]
        if alive:
            log.warning("%s: still running after stop: %s (a reconcile that does not return?)",
                        self.name, ", ".join(alive))
        self.ctx.close()
        self.api.close()
        return not alive

    def __enter__(self) -> "Controller":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self.started and not self._stop.is_set()

    # ------------------------------------------------------------------ helpers
    def enqueue(self, key: str) -> None:
        self.queue.add(key)

    def resync(self) -> None:
        """Queue every PodSet in the cache (what the periodic resync does)."""
        for key in self.podset_informer.store.keys():
            self.queue.add(key)

    def wait_idle(self, timeout: float = 10, settle: float = 0.2) -> bool:
        """Wait until nothing is queued or being processed for ``settle`` seconds."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if self.queue.idle():
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return True
            else:
                quiet_since = None
            time.sleep(0.05)
        return False

    def wait_for(self, predicate: Callable[[], object], what: str = "the condition",
                 timeout: float = 60.0):
        """kitlib.kube.wait_for, ending at once with ReconcileFailing when the reconcile
        keeps failing where retrying cannot help (not written yet, a bug in its code, an
        infinite loop) and has not succeeded since the wait began: a learner reads why
        instead of watching a spinner until the timeout."""
        failures_before, successes_before = self.failures, self.successes

        def why_hopeless() -> str | None:
            error, failed = self.last_error, self.failures - failures_before
            if (error and failed and self.successes == successes_before
                    and _hopeless(error.exception, failed)):
                return error.message
            return None
        return wait_for(predicate, timeout=timeout, what=what, give_up=why_hopeless,
                        stopped=ReconcileFailing)

    @property
    def last_error(self) -> ReconcileError | None:
        return self.errors[-1] if self.errors else None

    # ------------------------------------------------------------------ threads
    def _resync_loop(self) -> None:
        while not self._stop.wait(self.resync_period):
            self.resync()

    def _watchdog(self) -> None:
        while not self._stop.wait(0.2):
            now = time.monotonic()
            with self._busy_lock:             # held while raising: see _finish()
                for ident, busy in self._busy.items():
                    if busy.signalled:
                        continue
                    own = self.own_clock(ident) - busy.own_before
                    if (own > self.reconcile_timeout
                            or now - busy.started > self.reconcile_timeout * WALL_LIMIT_FACTOR):
                        busy.signalled = True     # raise once, then give it time to unwind
                        _raise_in_thread(ident, ReconcileTimeout)

    def _wall_less_api(self, ident: int) -> float:
        return time.monotonic() - self.api.api_seconds(ident)

    def _finish(self, ident: int) -> None:
        """The worker left reconcile: no timeout may reach it any more. An exception the
        watchdog scheduled but the thread has not run into yet is cancelled, so it never
        lands in the queue's bookkeeping."""
        with self._busy_lock:
            busy = self._busy.pop(ident, None)
            if busy is not None and busy.signalled:
                _raise_in_thread(ident, None)

    def _worker(self) -> None:
        while not self.queue.shutting_down:
            try:
                self._process_one()
            except (ReconcileTimeout, ControllerStopped):
                continue       # raised a moment after reconcile returned: nothing to undo

    def _process_one(self) -> None:
        ident = threading.get_ident()
        key = self.queue.get()
        if key is None:
            return
        try:
            with self._busy_lock:
                self._busy[ident] = _Busy(key, time.monotonic(), self.own_clock(ident))
            self.expectations.begin(key)
            result = self.reconcile(self.ctx, key)
            self._finish(ident)
            if result is not None and (isinstance(result, bool)
                                       or not isinstance(result, (int, float)) or result < 0):
                raise WrongReturn(f"reconcile returned {result!r} ({type(result).__name__}); "
                                  "return None, or a number of seconds to run again after")
        except BaseException as exc:     # noqa: BLE001 - learner code: report, never die
            self._finish(ident)
            self._record(key, exc)
            if not (isinstance(exc, (ControllerStopped, KeyboardInterrupt, SystemExit))
                    or self._stop.is_set()):
                self.queue.add_rate_limited(key)
        else:
            self.successes += 1
            self.queue.forget(key)
            if result:
                self.queue.add_after(key, float(result))
        finally:
            self.expectations.end(key)
            self.reconciles += 1
            self.queue.done(key)

    def _record(self, key: str, exc: BaseException) -> None:
        message = describe(exc, self.reconcile_timeout)
        self.failures += 1
        self.errors.append(ReconcileError(key, message, exc))
        del self.errors[:-100]
        if not isinstance(exc, ControllerStopped):
            log.warning("reconcile %s failed: %s", key, message)


def describe(exc: BaseException, reconcile_timeout: float = 0) -> str:
    """One line about an error of reconcile (what a learner needs to fix it)."""
    if isinstance(exc, ReconcileTimeout):
        return (f"reconcile did not return within {reconcile_timeout:g}s of its own time "
                "(an infinite loop?)")
    if isinstance(exc, ControllerStopped):
        return "reconcile was still running when the controller stopped"
    if isinstance(exc, WrongReturn):
        return str(exc)
    if isinstance(exc, ApiException):
        return f"reconcile got API error {exc.status} {exc.reason}"
    if isinstance(exc, SystemExit):
        return f"reconcile called sys.exit({exc.code!r}); return instead"
    from kitlib.checks import describe_exception
    return "reconcile " + describe_exception(exc)


def _hopeless(exc: BaseException, failures: int) -> bool:
    """Will retrying not fix a reconcile that raised ``exc``, ``failures`` times in a row?
    API errors (a conflict, a server busy) and a stop can pass; code not written yet cannot;
    any other error of the code's own once it has repeated."""
    if isinstance(exc, (ApiException, ControllerStopped)):
        return False
    return isinstance(exc, NotImplementedError) or failures >= GIVE_UP_AFTER


def _raise_in_thread(ident: int, exc_type: type[BaseException] | None) -> None:
    """Raise ``exc_type`` in another thread at its next Python instruction (a pure-Python
    infinite loop stops; a blocking call stops when it returns); None cancels a pending one."""
    exc = ctypes.py_object(exc_type) if exc_type is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), exc)
