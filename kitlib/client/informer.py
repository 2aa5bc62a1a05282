"""List + watch one collection into a local cache (a ``Store``), calling handlers for
every change: the Python cousin of client-go's reflector + shared informer, kept small.

    pods = Informer(api, "/api/v1/namespaces/demo/pods", on_pod).start()
    pods.wait_for_sync(30)          # the first list is in the store, handlers have run
    pods.store.list("demo")
    pods.stop()                     # True once its threads have ended

The store holds plain dicts (the JSON the API server sent), keyed ``namespace/name``.
Handlers are called ``handler(type, old, new)`` with type ADDED (old None), MODIFIED or
DELETED (new None), from the informer's thread; they must not change what they get.

After the first list the informer follows a watch from that list's resourceVersion. When
a watch ends or breaks it resumes from the last resourceVersion it saw — like client-go's
reflector, and unlike listing again, that loses no event. Only when that version is too
old (410 Gone) does it list again; that relist compares the list with the store and calls
the handlers for every difference (client-go's DeltaFIFO ``Replace``), so an object
created, changed or deleted while the watch was down is still reported.
"""
from __future__ import annotations

import copy
import logging
import queue as queue_mod
import threading
import time

from kitlib.client.rest import ApiError, Rest

log = logging.getLogger("kitlib.client")

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


def key_of(obj: dict) -> str:
    """``namespace/name``, or ``name`` for a cluster-scoped object."""
    meta = obj["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]


class Store:
    """A thread-safe cache of objects. Reads return copies, so changing what you read
    never changes the cache. Only its informer writes to it."""

    def __init__(self) -> None:
        self._items: dict[str, dict] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str, name: str) -> dict | None:
        with self._lock:
            obj = self._items.get(f"{namespace}/{name}" if namespace else name)
            return copy.deepcopy(obj) if obj is not None else None

    def list(self, namespace: str | None = None) -> list[dict]:
        with self._lock:
            items = [o for o in self._items.values()
                     if namespace is None or o["metadata"].get("namespace") == namespace]
            return copy.deepcopy(sorted(items, key=key_of))

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _set(self, key: str, obj: dict | None) -> dict | None:
        with self._lock:
            old = self._items.get(key)
            if obj is None:
                self._items.pop(key, None)
            else:
                self._items[key] = obj
            return old

    def _replace(self, objs: dict[str, dict]) -> dict[str, dict]:
        with self._lock:
            old, self._items = self._items, dict(objs)
            return old


def replace_events(old: dict[str, dict], new: dict[str, dict]) -> list[tuple]:
    """What a relist changed, as (type, old, new) events: deletions first, then additions
    and updates oldest first (as if they had come by watch). An object re-created under
    the same name (another uid) is a deletion and an addition, not an update."""
    gone, changed = [], []
    for key, before in old.items():
        now = new.get(key)
        if now is None or _uid(now) != _uid(before):
            gone.append((DELETED, before, None))
    for key, now in new.items():
        before = old.get(key)
        if before is None or _uid(now) != _uid(before):
            changed.append((ADDED, None, now))
        elif _rv(before) != _rv(now):
            changed.append((MODIFIED, before, now))
    changed.sort(key=lambda e: (e[2]["metadata"].get("creationTimestamp", ""), key_of(e[2])))
    return gone + changed


def _uid(obj: dict) -> str | None:
    return obj["metadata"].get("uid")


def _rv(obj: dict) -> str | None:
    return obj["metadata"].get("resourceVersion")


class Informer:
    """``api``: an ``ApiClient`` (or a ``Rest``); ``path``: the collection to list and
    watch (``/api/v1/pods``, ``/apis/apps/v1/namespaces/x/deployments``); ``query``:
    e.g. ``{"labelSelector": "app=web"}``. ``event_delay`` holds every watch event back
    that many seconds before the store sees it: checks use it to make the cache lag
    behind the API server, as it does on a busy cluster."""

    def __init__(self, api, path: str, handler=None, *, name: str | None = None,
                 query: dict | None = None, event_delay: float = 0.0, watch_timeout: int = 240):
        self.rest = api if isinstance(api, Rest) else Rest(api)
        self.path, self.query = path, dict(query or {})
        self.name = name or path.rstrip("/").rsplit("/", 1)[-1]
        self.handlers = [handler] if handler else []
        self.store = Store()
        self.event_delay, self.watch_timeout = event_delay, watch_timeout
        self.resource_version: str | None = None       # the last one seen
        self.relists = 0                                # lists after the first
        self._synced = threading.Event()
        self._stop = threading.Event()
        self._stream = None
        self._stream_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._delayed: queue_mod.Queue = queue_mod.Queue()
        self._generation = 0           # bumped by each list: older delayed events are void

    def add_handler(self, handler) -> None:
        """Add a handler before ``start()`` (it sees every object from the first list on)."""
        self.handlers.append(handler)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "Informer":
        targets = [(self._run, f"informer-{self.name}")]
        if self.event_delay > 0:
            targets.append((self._deliver_delayed, f"informer-{self.name}-delay"))
        for target, name in targets:
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def has_synced(self) -> bool:
        """True once the first list is in the store and its handlers have run."""
        return self._synced.is_set()

    def wait_for_sync(self, timeout: float | None = None) -> bool:
        return self._synced.wait(timeout)

    def stop(self, timeout: float = 10) -> bool:
        """Stop listing and watching; True when the threads have ended. Safe to call twice."""
        self._stop.set()
        with self._stream_lock:
            stream = self._stream
        if stream is not None:
            stream.shutdown()          # wakes the thread blocked reading the watch
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    # ------------------------------------------------------------------ the loop
    def _run(self) -> None:
        rv, failures = None, 0            # rv None: the store must be (re)filled by a list
        while not self._stop.is_set():
            try:
                if rv is None:
                    rv = self._list()
                rv = self._watch(rv)
                failures = 0
            except ApiError as exc:
                if exc.status == 410:      # Gone: too old to resume from, list again now
                    rv = None
                    continue
                failures = self._back_off(exc, failures)
            except Exception as exc:       # network hiccup, API server restart, ...
                failures = self._back_off(exc, failures)

    def _back_off(self, exc: Exception, failures: int) -> int:
        if not self._stop.is_set():
            delay = min(5.0, 0.2 * 2 ** min(failures, 5))
            log.warning("%s informer: %s; retrying in %.1fs", self.name, _short(exc), delay)
            self._stop.wait(delay)
        return failures + 1

    def _list(self) -> str:
        body = self.rest.call("GET", self.path, query=self.query or None, timeout=60)
        kind = body.get("kind", "List").removesuffix("List")
        items = {}
        for obj in body.get("items", []):
            obj.setdefault("kind", kind)                 # list items come without them
            obj.setdefault("apiVersion", body.get("apiVersion"))
            items[key_of(obj)] = obj
        rv = body["metadata"]["resourceVersion"]
        if self._synced.is_set():
            self.relists += 1
        self._generation += 1
        old = self.store._replace(items)
        self.resource_version = rv
        for event in replace_events(old, items):
            self._notify(*event)
        self._synced.set()
        return rv

    def _watch(self, rv: str) -> str:
        """Follow one watch request; return the resourceVersion to resume from."""
        stream = self.rest.watch(self.path, rv, self.watch_timeout, **self.query)
        with self._stream_lock:
            self._stream = stream
        try:
            if self._stop.is_set():    # stop() came before the stream was visible to it
                return rv
            for event in stream:
                kind, obj = event["type"], event["object"]
                if kind == "ERROR":
                    raise ApiError(obj.get("code", 500), obj)
                rv = self.resource_version = obj["metadata"]["resourceVersion"]
                if kind == "BOOKMARK":
                    continue
                if self.event_delay > 0:
                    due = time.monotonic() + self.event_delay
                    self._delayed.put((due, self._generation, kind, obj))
                else:
                    self._apply(kind, obj)
                if self._stop.is_set():
                    break
            return rv
        finally:
            with self._stream_lock:
                self._stream = None
            stream.close()

    def _deliver_delayed(self) -> None:
        while not self._stop.is_set():
            try:
                due, generation, kind, obj = self._delayed.get(timeout=0.2)
            except queue_mod.Empty:
                continue
            while not self._stop.is_set() and time.monotonic() < due:
                self._stop.wait(min(0.2, due - time.monotonic()))
            # a list since then already reported it (it compared the list with the store)
            if not self._stop.is_set() and generation == self._generation:
                self._apply(kind, obj)

    def _apply(self, kind: str, obj: dict) -> None:
        key = key_of(obj)
        if kind == DELETED:
            old = self.store._set(key, None)
            self._notify(DELETED, old or obj, None)
        else:
            old = self.store._set(key, obj)
            self._notify(ADDED if old is None else MODIFIED, old, obj)

    def _notify(self, kind: str, old: dict | None, new: dict | None) -> None:
        for handler in self.handlers:
            try:
                handler(kind, old, new)
            except Exception:                # a handler bug must not stop the cache
                log.exception("%s informer: event handler failed", self.name)


def _short(exc: BaseException) -> str:
    if isinstance(exc, ApiError):
        return f"API error {exc}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
