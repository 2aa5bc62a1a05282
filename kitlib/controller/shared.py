"""A controller's ``ctx``, shared with a ``reconcile`` that runs in another process.

When `kit grade` checks chapter 06, the controller (informers, work queue, the checks'
harness) runs in the checker's kernel and the learner's functions in the learner's kernel,
each call crossing a process boundary (kitlib.grading.remote). A ``ctx`` crosses as a
reference to a small HTTP server in the checker's process (``ContextServer``), which the
learner's side (``LearnerContext``) reaches on loopback with a token of its own:

* ``ctx.api`` / ``ctx.core`` / ``ctx.custom``: Kubernetes clients whose requests the server
  passes on to the API server — counted and shown to the checks' hooks exactly as the
  controller's own client would (``CountingApiClient.counting``);
* ``ctx.podsets`` / ``ctx.pods``: the controller's caches, read live;
* ``ctx.expectations``: the controller's expectations, called live.

So a reconcile behaves the same in either kernel, and everything the checks judge — the
writes, the caches, the expectations — stays in the checker's process.
"""
from __future__ import annotations

import functools
import hmac
import json
import logging
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kitlib.controller.crd import GROUP, PLURAL, VERSION

EXPECTATION_CALLS = {"expect", "creation_observed", "deletion_observed", "satisfied", "pending",
                     "forget"}
CACHES = ("podsets", "pods")
_FORWARDED_HEADERS = ("Content-Type", "Accept")


class ContextServer:
    """Serves one controller's ``ctx`` on 127.0.0.1 (started by ``share``)."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.token = secrets.token_urlsafe(24)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.context_server = self
        threading.Thread(target=self._httpd.serve_forever, name="ctx-server", daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def share(ctx) -> tuple[str, str, tuple]:
    """The reference a ``ctx`` crosses as (see kitlib.grading.codec): starts its server once.
    (The time a remote reconcile waits for these requests is not charged to it here: while
    it waits, the learner's kernel uses no CPU, which is what kitlib.grading.remote counts.)"""
    if ctx._shared is None:
        ctx._shared = ContextServer(ctx)
    return __name__, "learner_context", (ctx._shared.url, ctx._shared.token)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"         # one request per connection: a watch ends with it

    def log_message(self, *args) -> None:   # not to the checker's output
        pass

    @property
    def shared(self) -> ContextServer:
        return self.server.context_server

    def _reply(self, status: int, payload: dict | list | None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _serve(self) -> None:
        given = self.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {self.shared.token}".encode()):
            self._reply(401, _status(401, "Unauthorized", "this server answers only its controller's ctx"))
            return
        if not self.path.startswith("/"):            # ("//host" arrives as "/host")
            self._reply(400, _status(400, "BadRequest", "a path on the API server, please"))
            return                                   # (nothing but the API server is reached)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else None
        parts = urlsplit(self.path)
        if parts.path.startswith("/kit/"):
            self._serve_ctx(parts.path, parse_qs(parts.query), raw)
        else:
            self._forward(raw)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def _serve_ctx(self, path: str, query: dict, raw: bytes | None) -> None:
        ctx, part = self.shared.ctx, path.rsplit("/", 1)[-1]
        try:
            if path.startswith("/kit/cache/") and part in CACHES:
                store = getattr(ctx, part)
                namespace, name = (query.get(k, [None])[0] for k in ("namespace", "name"))
                op = query.get("op", ["list"])[0]
                result = {"get": lambda: store.get(namespace, name), "list": lambda: store.list(namespace),
                          "keys": store.keys, "len": lambda: len(store)}[op]()
            elif path.startswith("/kit/expectations/") and part in EXPECTATION_CALLS:
                call = json.loads(raw or b"{}")
                result = getattr(ctx.expectations, part)(
                    *call.get("args", []), **call.get("kwargs", {}))
            else:
                self._reply(404, {"error": f"no such part of ctx: {path}"})
                return
        except (TypeError, ValueError, KeyError) as exc:
            self._reply(400, {"error": f"{type(exc).__name__}: {exc}"})
            return
        self._reply(200, {"result": list(result) if isinstance(result, tuple) else result})

    def _forward(self, raw: bytes | None) -> None:
        """Pass the request on to the API server through the controller's own counted client."""
        api = self.shared.ctx.api
        method = self.command
        url = api.configuration.host + self.path
        headers = {h: self.headers[h] for h in _FORWARDED_HEADERS if self.headers.get(h)}
        api.update_params_for_auth(headers, [], ["BearerToken"], self.path, method, None)
        content_type = headers.get("Content-Type", "")
        try:
            body = json.loads(raw) if raw and "json" in content_type else raw
        except ValueError:
            body = raw
        try:
            with api.counting(method, url, content_type, body) as write:
                answer = api.rest_client.pool_manager.request(method, url, body=raw, headers=headers,
                                                              preload_content=False)
                if write is not None:
                    write.status = answer.status
                self._relay(answer)
        except ApiException as exc:                  # a check's hook answers instead (a conflict)
            self._reply(exc.status or 500, json.loads(exc.body) if exc.body else
                        _status(exc.status or 500, exc.reason or "Error", str(exc.reason)))
        except (ConnectionError, OSError):
            self.close_connection = True             # the reconcile went away mid-request
        except Exception as exc:                     # a check's hook refuses (too many creations)
            self._reply(429, _status(429, "TooManyRequests", str(exc)))

    def _relay(self, answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
        if answer.headers.get("Content-Length"):
            data = answer.read()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        else:                                        # a watch: stream it until it ends
            self.end_headers()
            for chunk in answer.stream(32768):
                self.wfile.write(chunk)
                self.wfile.flush()
        answer.release_conn()


def _status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code,
            "reason": reason, "message": message}


# ------------------------------------------------------------------- the learner's side
class LearnerContext:
    """``ctx`` as a reconcile in another process sees it: same names, same behaviour."""

    group, version, plural = GROUP, VERSION, PLURAL

    def __init__(self, url: str, token: str):
        configuration = client.Configuration()
        configuration.host = url
        self._url, self._auth = url, f"Bearer {token}"
        self.api = client.ApiClient(configuration, header_name="Authorization", header_value=self._auth)
        self.core, self.custom = client.CoreV1Api(self.api), client.CustomObjectsApi(self.api)
        self.podsets, self.pods = RemoteCache(self, "podsets"), RemoteCache(self, "pods")
        self.expectations = RemoteExpectations(self)

    def log(self, message: str, *args) -> None:
        logging.getLogger("kitlib.controller").info(message, *args)

    def _ask(self, method: str, path: str, fields: dict | None = None, call: dict | None = None):
        body = json.dumps(call, default=list).encode() if call is not None else None   # sets too
        answer = self.api.rest_client.pool_manager.request(
            method, self._url + path, fields=fields, body=body,
            headers={"Authorization": self._auth, "Content-Type": "application/json"})
        payload = json.loads(answer.data or b"{}")
        if answer.status == 400:
            kind, _, message = payload.get("error", "").partition(": ")
            raise (TypeError if kind == "TypeError" else ValueError)(message)
        if answer.status != 200:
            raise RuntimeError(f"the controller's ctx answered {answer.status}: {payload}")
        return payload["result"]


class RemoteCache:
    """An informer's cache (kitlib.client.Store), read from the controller's process."""

    def __init__(self, ctx: LearnerContext, name: str):
        self._ctx, self._path = ctx, f"/kit/cache/{name}"

    def get(self, namespace: str, name: str) -> dict | None:
        return self._ctx._ask("GET", self._path, {"op": "get", "namespace": namespace, "name": name})

    def list(self, namespace: str | None = None) -> list[dict]:
        fields = {"op": "list"} | ({"namespace": namespace} if namespace is not None else {})
        return self._ctx._ask("GET", self._path, fields)

    def keys(self) -> list[str]:
        return self._ctx._ask("GET", self._path, {"op": "keys"})

    def __len__(self) -> int:
        return self._ctx._ask("GET", self._path, {"op": "len"})


class RemoteExpectations:
    """The controller's Expectations (kitlib.controller.expectations), called remotely."""

    def __init__(self, ctx: LearnerContext):
        self._ctx = ctx

    def __getattr__(self, name: str):
        if name not in EXPECTATION_CALLS:
            raise AttributeError(name)

        def call(*args, **kwargs):
            result = self._ctx._ask("POST", f"/kit/expectations/{name}",
                                    call={"args": list(args), "kwargs": kwargs})
            return tuple(result) if name == "pending" else result
        return call


@functools.cache
def learner_context(url: str, token: str) -> LearnerContext:
    """One LearnerContext per controller (its client's connections are reused)."""
    return LearnerContext(url, token)
