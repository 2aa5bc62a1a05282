"""List + watch one kind of object into a local cache (a "store"), calling a handler for
every change: the Python cousin of client-go's shared informer, kept small.

The store holds plain dicts (the JSON the API server sent), keyed ``namespace/name``.
After the first list it follows a watch from that list's resourceVersion; when the watch
ends (the server closes it every few minutes) it resumes from the last version seen, and
when that version is too old (410 Gone) it lists again and reports the differences.
"""
from __future__ import annotations

import copy
import json
import logging
import queue as queue_mod
import threading
import time
from typing import Any, Callable

from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

log = logging.getLogger("kitlib.controller")

Handler = Callable[[str, "dict | None", "dict | None"], None]   # (type, old, new)


def key_of(obj: dict) -> str:
    meta = obj["metadata"]
    return f"{meta.get('namespace', '')}/{meta['name']}" if meta.get("namespace") else meta["name"]


class Store:
    """A thread-safe cache of objects. Reads return copies, so changing what you read
    never changes the cache."""

    def __init__(self) -> None:
        self._items: dict[str, dict] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str, name: str) -> dict | None:
        with self._lock:
            obj = self._items.get(f"{namespace}/{name}")
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

    # used by the informer only
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


class Informer:
    """``lister(**kwargs)`` is a generated list function of the official client
    (``CoreV1Api.list_namespaced_pod`` bound to a namespace, ...). ``event_delay`` holds
    every watch event back that many seconds before the cache sees it: the checks use it
    to make the cache lag behind the API server, as it does on a busy cluster."""

    def __init__(self, name: str, lister: Callable[..., Any], handler: Handler | None = None,
                 event_delay: float = 0.0, watch_timeout: int = 240):
        self.name, self.lister, self.handler = name, lister, handler
        self.store = Store()
        self.event_delay = event_delay
        self.watch_timeout = watch_timeout
        self.synced = threading.Event()
        self._stop = threading.Event()
        self._resp = None
        self._resp_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._delayed: queue_mod.Queue = queue_mod.Queue()
        self.last_resource_version: str | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "Informer":
        self._threads = [threading.Thread(target=self._run, name=f"informer-{self.name}", daemon=True)]
        if self.event_delay > 0:
            self._threads.append(threading.Thread(target=self._deliver_delayed,
                                                  name=f"informer-{self.name}-delay", daemon=True))
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 10) -> bool:
        """Stop watching; True when the threads have ended."""
        self._stop.set()
        with self._resp_lock:
            resp = self._resp
        if resp is not None:
            _abort(resp)
        for t in self._threads:
            t.join(timeout)
        return not any(t.is_alive() for t in self._threads)

    # ------------------------------------------------------------------ the loop
    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                rv = self._list()
                self.synced.set()
                failures = 0
                while not self._stop.is_set():
                    rv = self._watch(rv)
                    if rv is None:          # 410 Gone: list again
                        break
            except Exception as exc:     # network hiccup, API server restart, ...
                if self._stop.is_set():
                    break
                failures += 1
                delay = min(5.0, 0.2 * 2 ** min(failures, 5))
                log.warning("%s informer: %s; retrying in %.1fs", self.name, _short(exc), delay)
                self._stop.wait(delay)

    def _list(self) -> str:
        resp = self.lister(_preload_content=False, _request_timeout=60)
        body = json.loads(resp.data)
        items = {}
        kind = body.get("kind", "List").removesuffix("List")
        api_version = body.get("apiVersion")
        for obj in body.get("items", []):
            obj.setdefault("kind", kind)
            obj.setdefault("apiVersion", api_version)
            items[key_of(obj)] = obj
        rv = body["metadata"]["resourceVersion"]
        old = self.store._replace(items)
        self.last_resource_version = rv
        if self.synced.is_set():            # a relist: tell the handler what changed meanwhile
            for key, obj in items.items():
                before = old.get(key)
                if before is None:
                    self._notify("ADDED", None, obj)
                elif before["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                    self._notify("MODIFIED", before, obj)
            for key, obj in old.items():
                if key not in items:
                    self._notify("DELETED", obj, None)
        else:
            for obj in items.values():
                self._notify("ADDED", None, obj)
        return rv

    def _watch(self, rv: str) -> str | None:
        """Follow one watch request; return the resourceVersion to resume from, or None
        when the cache must list again."""
        resp = self.lister(watch=True, resource_version=rv, allow_watch_bookmarks=True,
                           timeout_seconds=self.watch_timeout, _preload_content=False,
                           _request_timeout=(10, self.watch_timeout + 30))
        with self._resp_lock:
            self._resp = resp
        try:
            if self._stop.is_set():
                return rv
            for line in iter_resp_lines(resp):
                if not line:
                    continue
                event = json.loads(line)
                kind, obj = event["type"], event["object"]
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        return None
                    raise ApiException(status=obj.get("code"), reason=obj.get("message"))
                rv = obj["metadata"]["resourceVersion"]
                self.last_resource_version = rv
                if kind == "BOOKMARK":
                    continue
                if self.event_delay > 0:
                    self._delayed.put((time.monotonic() + self.event_delay, kind, obj))
                else:
                    self._apply(kind, obj)
                if self._stop.is_set():
                    break
            return rv
        finally:
            with self._resp_lock:
                self._resp = None
            _abort(resp)

    def _deliver_delayed(self) -> None:
        while not self._stop.is_set():
            try:
                due, kind, obj = self._delayed.get(timeout=0.2)
            except queue_mod.Empty:
                continue
            while not self._stop.is_set() and time.monotonic() < due:
                self._stop.wait(min(0.2, due - time.monotonic()))
            if not self._stop.is_set():
                self._apply(kind, obj)

    def _apply(self, kind: str, obj: dict) -> None:
        key = key_of(obj)
        if kind == "DELETED":
            old = self.store._set(key, None)
            self._notify("DELETED", old or obj, None)
        else:
            old = self.store._set(key, obj)
            self._notify("ADDED" if old is None else "MODIFIED", old, obj)

    def _notify(self, kind: str, old: dict | None, new: dict | None) -> None:
        if self.handler is None:
            return
        try:
            self.handler(kind, old, new)
        except Exception:                # a handler bug must not stop the cache
            log.exception("%s informer: event handler failed", self.name)


def _abort(resp) -> None:
    """Close a streaming response from any thread, waking a reader blocked on it."""
    try:
        if hasattr(resp, "shutdown"):
            resp.shutdown()
    except Exception:
        pass
    try:
        resp.close()
    except Exception:
        pass
    try:
        resp.release_conn()
    except Exception:
        pass


def _short(exc: BaseException) -> str:
    if isinstance(exc, ApiException):
        return f"API error {exc.status} {exc.reason}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
