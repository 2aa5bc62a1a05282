"""An ApiClient that counts (and can interfere with) the write requests made through it.

    counted = CountingApiClient(api)
    core = client.CoreV1Api(counted)
    ...
    counted.writes            # how many POST/PUT/PATCH/DELETE requests so far
    counted.by_kind()         # {"POST pods": 3, "PUT podsets/status": 2}

Each write also records its content type and, once answered, the HTTP status
(``Write.created``: a POST, or a server-side apply PATCH, that made a new object).

It also keeps, per thread, the seconds spent waiting for the API server (``api_seconds``),
so a controller can tell a reconcile that loops from one waiting on a slow cluster.

``before_write`` hooks see every write before it is sent and may sleep (to slow the
controller down) or raise ``ApiException`` (to make the API server's answer a conflict).
"""
from __future__ import annotations

import contextlib
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from kubernetes import client

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_PATH = re.compile(r"/(?:api/v1|apis/[^/]+/[^/]+)(?:/namespaces/(?P<ns>[^/?]+))?/(?P<resource>[^/?]+)"
                   r"(?:/(?P<name>[^/?]+))?(?:/(?P<sub>[^/?]+))?")


APPLY = "application/apply-patch"


@dataclass(eq=False)
class Write:
    at: float
    method: str
    resource: str           # "pods", "podsets/status", ...
    namespace: str | None
    name: str | None
    content_type: str = ""
    status: int | None = None    # the API server's answer (None: not sent, failed or pending)

    @property
    def kind(self) -> str:
        return f"{self.method} {self.resource}"

    @property
    def create_like(self) -> bool:
        """A request that may create an object: a POST, or a server-side apply."""
        return self.method == "POST" or (self.method == "PATCH" and self.content_type.startswith(APPLY))

    @property
    def created(self) -> bool:
        """The request made a new object (POST answered 2xx; apply answered 201 Created)."""
        if self.method == "POST":
            return self.status is not None and 200 <= self.status < 300
        return self.create_like and self.status == 201


def parse(method: str, url: str) -> Write:
    path = url.split("://", 1)[-1]
    path = path[path.find("/"):] if "/" in path else path
    m = _PATH.search(path.split("?", 1)[0])
    if not m:
        return Write(time.monotonic(), method, path, None, None)
    resource = m["resource"]
    if m["sub"]:
        resource += "/" + m["sub"]
    return Write(time.monotonic(), method.upper(), resource, m["ns"], m["name"])


class CountingApiClient(client.ApiClient):
    def __init__(self, api: client.ApiClient):
        super().__init__(configuration=api.configuration)
        self.default_headers.update(api.default_headers)
        self.log: list[Write] = []
        self.before_write: list[Callable[[Write, object], None]] = []
        self._lock = threading.Lock()
        self._waited: dict[int, float] = {}       # thread ident -> seconds in finished calls
        self._calling: dict[int, float] = {}      # thread ident -> start of its current call

    def call_api(self, method, url, header_params=None, body=None, post_params=None,
                 _request_timeout=None):
        content_type = str((header_params or {}).get("Content-Type") or "")
        with self.counting(method, url, content_type, body) as write:
            response = super().call_api(method, url, header_params=header_params, body=body,
                                        post_params=post_params, _request_timeout=_request_timeout)
            if write is not None:
                write.status = getattr(response, "status", None)
            return response

    @contextlib.contextmanager
    def counting(self, method: str, url: str, content_type: str = "", body=None):
        """Account for one request: a write is logged (yielded, to note its answer) after the
        ``before_write`` hooks have seen it; the time is charged to this thread. Also used for
        requests that reach the API server another way (kitlib.controller.shared)."""
        ident, started = threading.get_ident(), time.monotonic()
        with self._lock:
            self._calling[ident] = started
        try:
            write = None
            if method.upper() in WRITE_METHODS:
                write = parse(method, url)
                write.content_type = content_type
                for hook in list(self.before_write):
                    hook(write, body)
                with self._lock:
                    self.log.append(write)
            yield write
        finally:
            with self._lock:
                self._calling.pop(ident, None)
                self._waited[ident] = self._waited.get(ident, 0.0) + time.monotonic() - started

    def api_seconds(self, ident: int) -> float:
        """Seconds thread ``ident`` has spent in API calls so far (its current one included)."""
        with self._lock:
            current = self._calling.get(ident)
            return self._waited.get(ident, 0.0) + (time.monotonic() - current if current else 0.0)

    @property
    def writes(self) -> int:
        with self._lock:
            return len(self.log)

    def since(self, mark: int) -> list[Write]:
        with self._lock:
            return list(self.log[mark:])

    def by_kind(self, mark: int = 0) -> dict[str, int]:
        return dict(sorted(Counter(w.kind for w in self.since(mark)).items()))
