"""The scheduling loop: watch, queue, schedule, bind, record events.

    from kitlib.scheduler import Scheduler
    s = Scheduler().start()     # background threads; in a notebook cell or a process
    ...                         # pods with spec.schedulerName "kit-scheduler" get placed
    s.stop()

Like kube-scheduler it
* keeps a cache of nodes and pods by list+watch (``kitlib.client``'s informers, as
  kube-scheduler uses client-go's) and only ever schedules pods whose
  ``spec.schedulerName`` is its own — other pods only count as load on their nodes;
* takes pending pods from a queue (priority first, then arrival), runs the framework's
  filters and scores, *assumes* the pod onto the chosen node in its cache and binds it
  through the ``pods/binding`` subresource with the pod's UID as a precondition, from
  worker threads, so the next pod is scheduled while the binding is in flight;
* records ``Scheduled`` / ``FailedScheduling`` events (events.k8s.io/v1, action
  ``Binding`` / ``Scheduling``) with kube-scheduler's messages;
* keeps pods that fit nowhere Pending and retries them after a backoff (1s doubling to
  10s) when a node or pod changes, or every ``flush_interval`` seconds;
* counts scheduling cycles that a plugin's error ended; ``wait_for`` stops waiting at once
  when they show that the awaited placements cannot come (a plugin not written yet, or the
  same error again and again with nothing bound meanwhile);
* treats a binding conflict (pod already bound, deleted, or replaced by a pod with the
  same name) as news, not as a crash: it forgets its assumption and moves on;
* limits its API writes like kube-scheduler's client: ``qps`` 50, ``burst`` 100, with a
  second limiter of the same size for events (kube-scheduler uses a separate event client).
"""
from __future__ import annotations

import collections
import logging
import queue as queuelib
import threading
import time

from kitlib.client import DELETED, ApiError, EventRecorder, Informer, Rest, TokenBucket, key_of
from kitlib.kube import GIVE_UP_AFTER, StoppedWaiting, wait_for
from kitlib.scheduler.cache import TERMINAL, Cache
from kitlib.scheduler.framework import Framework, Result
from kitlib.scheduler.queue import SchedulingQueue

SCHEDULER_NAME = "kit-scheduler"
log = logging.getLogger("kitlib.scheduler")


class SchedulingFailing(StoppedWaiting):
    """Raised by Scheduler.wait_for: the plugins keep raising where retrying will not help,
    so the awaited placements will not come."""


class Scheduler:
    def __init__(self, api=None, framework: Framework | None = None,
                 name: str | None = None, qps: float = 50, burst: int = 100,
                 bind_workers: int = 4, record_events: bool = True,
                 flush_interval: float = 30.0):
        if api is None:
            from kitlib.kube import api_client
            api = api_client()
        if framework is None:
            from kitlib.scheduler.plugins import default_framework
            framework = default_framework(name or SCHEDULER_NAME)
        self.api, self.framework = api, framework
        self.name = name or framework.scheduler_name or SCHEDULER_NAME
        self.rest = Rest(api)
        self.cache = Cache()
        self.queue = SchedulingQueue(flush_interval)
        self.limiter = TokenBucket(qps, burst)
        self.events = EventRecorder(self.rest, self.name, qps, burst) if record_events else None
        self.bind_workers = bind_workers
        self._binds: queuelib.Queue = queuelib.Queue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.informers: dict[str, Informer] = {}
        self._node_sig: dict[str, tuple] = {}
        self._binding = 0
        self._lock = threading.Lock()
        self.running = False
        self.placements: dict[str, str] = {}          # "ns/name" -> node, bound by us
        self.bound_at: list[float] = []               # monotonic time of each binding
        self.last_results: collections.OrderedDict[str, Result] = collections.OrderedDict()
        self.stats = collections.Counter()
        self.last_error: Result | None = None          # the latest cycle a plugin's error ended
        self.log: collections.deque[str] = collections.deque(maxlen=500)

    # ------------------------------------------------------------------ lifecycle
    def _note(self, text: str) -> None:
        self.log.append(text)
        log.info(text)

    def _spawn(self, target, name: str, *args) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def _start_background(self, sync_timeout: float = 60) -> None:
        if self.running:
            raise RuntimeError("this scheduler is already running")
        self._stop.clear()
        self.running = True
        # every start begins afresh: a new queue, a cache filled by a new list+watch
        self.queue = SchedulingQueue(self.queue.flush_interval)
        self.cache = Cache()
        self._node_sig.clear()
        self.informers = {kind: Informer(self.rest, f"/api/v1/{kind}", handler,
                                         name=f"{self.name}-{kind}").start()
                          for kind, handler in (("nodes", self._on_node), ("pods", self._on_pod))}
        for i in range(self.bind_workers):
            self._spawn(self._binder, f"kit-scheduler-bind-{i}")
        if self.events:
            self.events.start()
        for kind, informer in self.informers.items():
            if not informer.wait_for_sync(sync_timeout):
                self.stop()
                raise TimeoutError(f"could not list {kind} within {sync_timeout:.0f}s")

    def start(self) -> "Scheduler":
        """Run in background threads (returns at once, after the first list of nodes and
        pods). Learner plugins that loop forever cannot be interrupted in a thread: for
        checks use ``run`` instead, in the main thread, under a time limit."""
        self._start_background()
        self._spawn(self._loop, "kit-scheduler-loop")
        self._note(f"{self.name} started")
        return self

    def run(self, until=None, timeout: float | None = None) -> None:
        """Schedule in the calling thread until ``until()`` is true, ``timeout`` seconds
        have passed or ``stop()`` is called; then stop."""
        self._start_background()
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not self._stop.is_set():
                if until is not None and until():
                    break
                if deadline is not None and time.monotonic() > deadline:
                    break
                self._schedule_next(0.1)
        finally:
            self.stop()

    def stop(self, timeout: float = 10) -> None:
        """Stop every thread this scheduler started (bindings in flight finish first)."""
        self._stop.set()
        self.queue.close()
        deadline = time.monotonic() + timeout
        for informer in self.informers.values():
            informer.stop(max(0.1, deadline - time.monotonic()))
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(max(0.1, deadline - time.monotonic()))
        if self.events:
            self.events.stop(max(0.5, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]
        self.running = False

    def __enter__(self) -> "Scheduler":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def idle(self) -> bool:
        """Nothing queued, nothing binding."""
        with self._lock:
            binding = self._binding
        return binding == 0 and self.queue.pending() == 0

    def wait_for(self, predicate, what: str = "the condition", timeout: float = 60.0,
                 interval: float = 0.25):
        """kitlib.kube.wait_for, ending at once with SchedulingFailing when the plugins'
        errors show the wait is in vain: a plugin not written yet, or errors repeated
        GIVE_UP_AFTER times with no pod bound since the wait began (a learner reads the
        plugin's error instead of watching a spinner until the timeout)."""
        errors_before, bound_before = self.stats["plugin_errors"], self.stats["scheduled"]

        def why_hopeless() -> str | None:
            error, failed = self.last_error, self.stats["plugin_errors"] - errors_before
            if not (error and failed) or self.stats["scheduled"] != bound_before:
                return None
            gave_up = error.error_type == "NotImplementedError" or failed >= GIVE_UP_AFTER
            return error.error if gave_up else None
        return wait_for(predicate, timeout=timeout, interval=interval, what=what,
                        give_up=why_hopeless, stopped=SchedulingFailing)

    # ------------------------------------------------------------------ informer events
    # A relist reports only what changed (deletions first, then additions oldest first),
    # so pods created before the scheduler started are queued in creation order.
    def _on_node(self, type_: str, old: dict | None, new: dict | None) -> None:
        node = new or old
        name = node["metadata"]["name"]
        if type_ == DELETED:
            self.cache.remove_node(name)
            self._node_sig.pop(name, None)
            return
        sig = (repr(node.get("spec")), repr(node["metadata"].get("labels")),
               repr((node.get("status") or {}).get("allocatable")))
        self.cache.set_node(node)
        if self._node_sig.get(name) != sig:
            self._node_sig[name] = sig
            self.queue.on_cluster_event()

    def _on_pod(self, type_: str, old: dict | None, new: dict | None) -> None:
        pod = new or old
        uid = pod["metadata"]["uid"]
        if type_ == DELETED:
            self.cache.delete_pod(pod)
            self.queue.remove(uid)
            self.queue.on_cluster_event()
            return
        phase = (pod.get("status") or {}).get("phase")
        if pod["spec"].get("nodeName") or phase in TERMINAL:
            self.cache.update_pod(pod)
            self.queue.remove(uid)
            if phase in TERMINAL:
                self.queue.on_cluster_event()
            return
        if uid in self.cache.assumed:     # our binding is on its way
            return
        if pod["spec"].get("schedulerName") == self.name and \
                not pod["metadata"].get("deletionTimestamp"):
            self.queue.add(pod)
        else:
            self.queue.remove(uid)

    # ------------------------------------------------------------------ scheduling
    def _loop(self) -> None:
        while not self._stop.is_set():
            self._schedule_next(0.5)

    def _schedule_next(self, wait: float) -> None:
        pod = self.queue.pop(wait)
        if pod is None:
            return
        try:
            self.schedule_one(pod)
        finally:
            self.queue.done(pod["metadata"]["uid"])

    def schedule_one(self, pod: dict) -> Result:
        key = key_of(pod)
        with self.cache.lock:
            result = self.framework.schedule(pod, self.cache.node_infos())
            if result.node:
                self.cache.assume(pod, result.node)
                with self._lock:
                    self._binding += 1
        self.last_results[key] = result
        while len(self.last_results) > 200:
            self.last_results.popitem(last=False)
        if result.node:
            self._binds.put((pod, result.node))
        else:
            self.stats["failed_attempts"] += 1
            if result.error:
                self.stats["plugin_errors"] += 1
                self.last_error = result
            self.queue.mark_unschedulable(pod, error=bool(result.error))
            self._note(f"{key}: {result.message}")
            if self.events:
                self.events.record(pod, "Warning", "FailedScheduling", "Scheduling", result.message)
        return result

    def _binder(self) -> None:
        while not self._stop.is_set() or not self._binds.empty():
            try:
                pod, node = self._binds.get(timeout=0.2)
            except queuelib.Empty:
                continue
            try:
                self._bind(pod, node)
            finally:
                with self._lock:
                    self._binding -= 1

    def _bind(self, pod: dict, node: str) -> None:
        meta, key = pod["metadata"], key_of(pod)
        self.limiter.take()
        body = {"apiVersion": "v1", "kind": "Binding",
                "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                             "uid": meta["uid"]},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        try:
            self.rest.post(f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/binding", body)
        except Exception as exc:
            self.cache.forget(pod)
            if isinstance(exc, ApiError) and exc.status in (404, 409):
                # already bound (by us or someone else), deleted, or a new pod of that name
                self.stats["bind_conflicts"] += 1
                self._note(f"{key}: binding to {node} refused ({exc}); leaving it")
                return
            self.stats["bind_errors"] += 1
            self.queue.mark_unschedulable(pod)
            self._note(f"{key}: binding to {node} failed ({exc}); will retry")
            if self.events:
                self.events.record(pod, "Warning", "FailedScheduling", "Scheduling",
                                   f"Binding rejected: {exc}")
            return
        self.stats["scheduled"] += 1
        self.placements[key] = node
        self.bound_at.append(time.monotonic())
        log.info("%s: bound to %s", key, node)
        if self.events:
            self.events.record(pod, "Normal", "Scheduled", "Binding",
                               f"Successfully assigned {key} to {node}")
