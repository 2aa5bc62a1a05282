"""An event recorder: events.k8s.io/v1 Events about objects, sent from a thread of its
own through a token bucket, so recording never slows the caller down (client-go's
``record.EventRecorder`` with its broadcaster, kept small).

    events = EventRecorder(api, "kit-scheduler", qps=50, burst=100).start()
    events.record(pod, "Normal", "Scheduled", "Binding", "Successfully assigned ...")
    events.stop()                   # sends what is queued, then ends the thread

A repeat of the last (reason, note) recorded about the same object is dropped.
"""
from __future__ import annotations

import logging
import queue as queue_mod
import socket
import threading
import time
from datetime import datetime, timezone

from kitlib.client.ratelimit import TokenBucket
from kitlib.client.rest import Rest

log = logging.getLogger("kitlib.client")


def micro_time() -> str:
    """Now as a MicroTime ("2026-01-01T10:00:00.123456Z"), the format eventTime needs."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def reference(obj: dict) -> dict:
    """The ObjectReference of ``obj`` (which must carry apiVersion and kind)."""
    meta = obj["metadata"]
    ref = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"],
           "uid": meta.get("uid", ""), "resourceVersion": meta.get("resourceVersion", "")}
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return ref


class EventRecorder:
    def __init__(self, api, controller: str, qps: float = 50, burst: int = 100,
                 max_remembered: int = 10000):
        self.rest = api if isinstance(api, Rest) else Rest(api)
        self.controller = controller
        self.instance = f"{controller}-{socket.gethostname()}"[:128]
        self.limiter = TokenBucket(qps, burst)
        self.sent = 0
        self._queue: queue_mod.Queue = queue_mod.Queue()
        self._last_note: dict[str, str] = {}
        self._max_remembered = max_remembered
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "EventRecorder":
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"events-{self.controller}",
                                        daemon=True)
        self._thread.start()
        return self

    def record(self, obj: dict, type_: str, reason: str, action: str, note: str) -> None:
        """Queue an Event about ``obj``; ``type_`` is Normal or Warning."""
        regarding = reference(obj)
        key = regarding["uid"] or f'{regarding.get("namespace")}/{regarding["name"]}'
        if self._last_note.get(key) == reason + note:
            return
        if len(self._last_note) > self._max_remembered:   # a long run forgets old objects
            self._last_note.clear()
        self._last_note[key] = reason + note
        namespace = regarding.get("namespace", "default")  # cluster-scoped: like kubectl
        self._queue.put({
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": f"{regarding['name']}.{time.time_ns():x}", "namespace": namespace},
            "eventTime": micro_time(), "reportingController": self.controller,
            "reportingInstance": self.instance, "action": action, "reason": reason,
            "type": type_, "note": note[:1024], "regarding": regarding})

    def _run(self) -> None:
        while not (self._stop.is_set() and self._queue.empty()):
            try:
                event = self._queue.get(timeout=0.2)
            except queue_mod.Empty:
                continue
            self.limiter.take()
            try:
                self.rest.post(f"/apis/events.k8s.io/v1/namespaces/"
                               f"{event['metadata']['namespace']}/events", event)
                self.sent += 1
            except Exception as exc:      # namespace gone, API busy: events are best effort
                log.debug("event not recorded: %s", exc)

    def stop(self, timeout: float = 5) -> bool:
        """Send what is queued (up to ``timeout``), then end the thread; True when it has."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        return not (self._thread and self._thread.is_alive())
