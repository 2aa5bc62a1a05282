"""The scheduling loop: watch, queue, schedule, bind, record events.

    from kitlib.scheduler import Scheduler
    s = Scheduler().start()     # background threads; in a notebook cell or a process
    ...                         # pods with spec.schedulerName "kit-scheduler" get placed
    s.stop()

Like kube-scheduler it
* keeps a cache of nodes and pods by list+watch (informers) and only ever schedules pods
  whose ``spec.schedulerName`` is its own — other pods only count as load on their nodes;
* takes pending pods from a queue (priority first, then arrival), runs the framework's
  filters and scores, *assumes* the pod onto the chosen node in its cache and binds it
  through the ``pods/binding`` subresource with the pod's UID as a precondition, from
  worker threads, so the next pod is scheduled while the binding is in flight;
* records ``Scheduled`` / ``FailedScheduling`` events (events.k8s.io/v1, action
  ``Binding`` / ``Scheduling``) with kube-scheduler's messages;
* keeps pods that fit nowhere Pending and retries them after a backoff (1s doubling to
  10s) when a node or pod changes, or every ``flush_interval`` seconds;
* treats a binding conflict (pod already bound, deleted, or replaced by a pod with the
  same name) as news, not as a crash: it forgets its assumption and moves on;
* limits its API writes like kube-scheduler's client: ``qps`` 50, ``burst`` 100, with a
  second limiter of the same size for events (kube-scheduler uses a separate event client).
"""
from __future__ import annotations

import collections
import heapq
import itertools
import logging
import queue as queuelib
import socket
import threading
import time
from datetime import datetime, timezone

from kitlib.scheduler.cache import TERMINAL, Cache, pod_key
from kitlib.scheduler.framework import Framework, Result
from kitlib.scheduler.rest import ApiError, Rest

SCHEDULER_NAME = "kit-scheduler"
log = logging.getLogger("kitlib.scheduler")


class TokenBucket:
    """client-go's token-bucket rate limiter: ``qps`` tokens a second, at most ``burst``."""

    def __init__(self, qps: float, burst: int):
        self.qps, self.burst = float(qps), int(burst)
        self.tokens, self.last = float(burst), time.monotonic()
        self.lock = threading.Lock()

    def take(self, stop: threading.Event | None = None) -> None:
        if self.qps <= 0:
            return
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.last) * self.qps)
                self.last = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.qps
            if stop is not None and stop.wait(wait):
                return
            if stop is None:
                time.sleep(wait)


class SchedulingQueue:
    """Active pods in a heap (higher priority first, then arrival order), plus pods that
    fit nowhere for now, waiting for a cluster change and their backoff."""

    INITIAL_BACKOFF, MAX_BACKOFF = 1.0, 10.0

    def __init__(self, flush_interval: float = 30.0):
        self.cond = threading.Condition()
        self.heap: list = []
        self.active: dict[str, dict] = {}
        self.unschedulable: dict[str, list] = {}    # uid -> [pod, failed_at, event_seen]
        self.attempts: dict[str, int] = collections.defaultdict(int)
        self.in_flight: set[str] = set()
        self.seq = itertools.count()
        self.flush_interval = flush_interval
        self.closed = False

    @staticmethod
    def _priority(pod: dict) -> int:
        return int(pod["spec"].get("priority") or 0)

    def _push(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        self.active[uid] = pod
        heapq.heappush(self.heap, (-self._priority(pod), next(self.seq), uid))
        self.cond.notify()

    def add(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        with self.cond:
            if uid in self.active:
                self.active[uid] = pod
            elif uid in self.unschedulable:
                self.unschedulable[uid][0] = pod
            elif uid not in self.in_flight:
                self._push(pod)

    def remove(self, uid: str) -> None:
        with self.cond:
            self.active.pop(uid, None)        # its heap entry is skipped when popped
            self.unschedulable.pop(uid, None)
            self.attempts.pop(uid, None)

    def backoff(self, uid: str) -> float:
        n = max(self.attempts.get(uid, 1), 1)
        return min(self.INITIAL_BACKOFF * 2 ** (n - 1), self.MAX_BACKOFF)

    def mark_unschedulable(self, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        with self.cond:
            self.attempts[uid] += 1
            if uid not in self.active:
                self.unschedulable[uid] = [pod, time.monotonic(), False]

    def on_cluster_event(self) -> None:
        """Something changed (a node added or changed, a pod gone): pods that did not
        fit may fit now, once their backoff has passed."""
        with self.cond:
            for entry in self.unschedulable.values():
                entry[2] = True
            self.cond.notify()

    def _move_due(self) -> float:
        """Move pods whose time has come back to active; return seconds to the next one."""
        now, next_due = time.monotonic(), 1.0
        for uid, (pod, failed_at, seen) in list(self.unschedulable.items()):
            due = failed_at + (self.backoff(uid) if seen else self.flush_interval)
            if due <= now:
                del self.unschedulable[uid]
                self._push(pod)
            else:
                next_due = min(next_due, due - now)
        return next_due

    def pop(self, timeout: float = 0.5) -> dict | None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not self.closed:
                wait = self._move_due()
                while self.heap:
                    _, _, uid = heapq.heappop(self.heap)
                    pod = self.active.pop(uid, None)
                    if pod is not None:
                        self.in_flight.add(uid)
                        return pod
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(min(wait, left))
        return None

    def done(self, uid: str) -> None:
        with self.cond:
            self.in_flight.discard(uid)

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def pending(self) -> int:
        with self.cond:
            return len(self.active) + len(self.unschedulable) + len(self.in_flight)


def _now_micro() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class EventRecorder:
    """Sends events.k8s.io/v1 Events from a thread of its own, rate limited; repeats of
    the same FailedScheduling message for the same pod are sent once."""

    def __init__(self, rest: Rest, controller: str, qps: float, burst: int):
        self.rest, self.controller = rest, controller
        self.instance = f"{controller}-{socket.gethostname()}"[:128]
        self.limiter = TokenBucket(qps, burst)
        self.queue: queuelib.Queue = queuelib.Queue()
        self.last_note: dict[str, str] = {}
        self.sent = 0
        self.thread: threading.Thread | None = None
        self.stop_event = threading.Event()

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name="kit-scheduler-events", daemon=True)
        self.thread.start()

    def record(self, pod: dict, type_: str, reason: str, action: str, note: str) -> None:
        uid = pod["metadata"]["uid"]
        if self.last_note.get(uid) == reason + note:
            return
        if len(self.last_note) > 10000:          # a long-running scheduler forgets old pods
            self.last_note.clear()
        self.last_note[uid] = reason + note
        meta = pod["metadata"]
        self.queue.put({
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": f"{meta['name']}.{time.time_ns():x}",
                         "namespace": meta["namespace"]},
            "eventTime": _now_micro(), "reportingController": self.controller,
            "reportingInstance": self.instance, "action": action, "reason": reason,
            "type": type_, "note": note[:1024],
            "regarding": {"apiVersion": "v1", "kind": "Pod", "namespace": meta["namespace"],
                          "name": meta["name"], "uid": uid,
                          "resourceVersion": meta.get("resourceVersion", "")}})

    def _run(self) -> None:
        while not (self.stop_event.is_set() and self.queue.empty()):
            try:
                event = self.queue.get(timeout=0.2)
            except queuelib.Empty:
                continue
            self.limiter.take()
            try:
                self.rest.post(f"/apis/events.k8s.io/v1/namespaces/"
                               f"{event['metadata']['namespace']}/events", event)
                self.sent += 1
            except Exception as exc:      # namespace gone, API busy: events are best effort
                log.debug("event not recorded: %s", exc)

    def stop(self, timeout: float = 5) -> None:
        """Send what is queued (up to ``timeout``), then end the thread."""
        self.stop_event.set()
        if self.thread:
            self.thread.join(timeout)


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
        self._responses: set = set()
        self._synced = {"nodes": threading.Event(), "pods": threading.Event()}
        self._node_sig: dict[str, tuple] = {}
        self._binding = 0
        self._lock = threading.Lock()
        self.running = False
        self.placements: dict[str, str] = {}          # "ns/name" -> node, bound by us
        self.bound_at: list[float] = []               # monotonic time of each binding
        self.last_results: collections.OrderedDict[str, Result] = collections.OrderedDict()
        self.stats = collections.Counter()
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
        for ev in self._synced.values():
            ev.clear()
        self._spawn(self._informer, "kit-scheduler-nodes", "nodes")
        self._spawn(self._informer, "kit-scheduler-pods", "pods")
        for i in range(self.bind_workers):
            self._spawn(self._binder, f"kit-scheduler-bind-{i}")
        if self.events:
            self.events.stop_event.clear()
            self.events.start()
        for kind, ev in self._synced.items():
            if not ev.wait(sync_timeout):
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
        for resp in list(self._responses):
            _shutdown(resp)
        deadline = time.monotonic() + timeout
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

    # ------------------------------------------------------------------ informers
    def _informer(self, kind: str) -> None:
        path = f"/api/v1/{kind}"
        handle = self._on_node if kind == "nodes" else self._on_pod
        while not self._stop.is_set():
            try:
                listing = self.rest.get(path)
                rv = listing["metadata"]["resourceVersion"]
                self._replace(kind, listing["items"])
                self._synced[kind].set()
                while not self._stop.is_set():
                    resp, events = self.rest.watch(path, rv)
                    self._responses.add(resp)
                    try:
                        for ev in events:
                            obj = ev.get("object") or {}
                            if ev.get("type") == "ERROR":
                                raise ApiError(obj.get("code", 500), obj)
                            rv = obj.get("metadata", {}).get("resourceVersion", rv)
                            if ev["type"] != "BOOKMARK":
                                handle(ev["type"], obj)
                    finally:
                        self._responses.discard(resp)
                        resp.release_conn()
            except Exception as exc:
                if self._stop.is_set():
                    break
                if not (isinstance(exc, ApiError) and exc.status == 410):
                    self._note(f"{kind} watch ended ({type(exc).__name__}: {exc}); listing again")
                    self._stop.wait(1)

    def _replace(self, kind: str, items: list[dict]) -> None:
        if kind == "nodes":
            names = {n["metadata"]["name"] for n in items}
            for gone in set(self.cache.nodes) - names:
                self._on_node("DELETED", self.cache.nodes[gone].node)
            for node in items:
                self._on_node("ADDED", node)
            return
        uids = {p["metadata"]["uid"] for p in items}
        with self.cache.lock:
            stale = [u for u in self.cache.pod_node if u not in uids and u not in self.cache.assumed]
        for uid in stale:
            self.cache.delete_pod({"metadata": {"uid": uid}})
            self.queue.remove(uid)
        items = sorted(items, key=lambda p: (p["metadata"].get("creationTimestamp", ""),
                                             p["metadata"].get("namespace", ""),
                                             p["metadata"]["name"]))
        for pod in items:
            self._on_pod("ADDED", pod)

    def _on_node(self, type_: str, node: dict) -> None:
        name = node["metadata"]["name"]
        if type_ == "DELETED":
            self.cache.remove_node(name)
            self._node_sig.pop(name, None)
            return
        sig = (repr(node.get("spec")), repr(node["metadata"].get("labels")),
               repr((node.get("status") or {}).get("allocatable")))
        self.cache.set_node(node)
        if self._node_sig.get(name) != sig:
            self._node_sig[name] = sig
            self.queue.on_cluster_event()

    def _on_pod(self, type_: str, pod: dict) -> None:
        uid = pod["metadata"]["uid"]
        if type_ == "DELETED":
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
        key = pod_key(pod)
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
            self.queue.mark_unschedulable(pod)
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
        meta, key = pod["metadata"], pod_key(pod)
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


def _shutdown(resp) -> None:
    """Unblock a thread reading a watch response (urllib3 >= 2.3 has shutdown())."""
    try:
        if hasattr(resp, "shutdown"):
            resp.shutdown()
        else:                                     # older urllib3: close the socket
            resp._fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
    except Exception:
        pass
