"""JSON requests the typed client cannot make, sent through the official ``ApiClient``
(its connection pool, credentials and ``call_api``, so a ``CountingApiClient`` sees them).

Why not the typed client for these? Met while building the scheduler:
* ``CoreV1Api.create_namespaced_binding`` fails while parsing the API server's reply
  (a ``Status``, not a ``Binding``: kubernetes-client/python #825; with client 37 the
  symptom is a pydantic ValidationError about ``target``) — although the pod *was* bound.
* Typed request bodies are re-serialized through the models: an events.k8s.io
  ``eventTime`` comes out as "+00:00", which the API server rejects, and a Binding's
  ``metadata.uid`` is silently dropped — losing the UID precondition that protects
  against binding a pod that was deleted and re-created under the same name.
* Turning thousands of pods into model objects costs more CPU than scheduling them.
So this layer speaks JSON dicts, exactly as ``kubectl get -o json`` shows them.

    rest = Rest(api)
    pod = rest.get("/api/v1/namespaces/default/pods/web")
    rest.post(f"/api/v1/namespaces/default/pods/web/binding", binding)
"""
from __future__ import annotations

import json
from typing import Iterator

from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


class ApiError(ApiException):
    """A non-2xx answer; ``body`` is the API server's ``Status`` as a dict (or its text).
    An ``ApiException``, so code that handles the typed client's errors handles these."""

    def __init__(self, status: int, body: dict | str):
        status_reason = body.get("reason", "") if isinstance(body, dict) else ""
        super().__init__(status=status, reason=status_reason)
        self.body = body
        self.message = body.get("message") if isinstance(body, dict) else str(body)[:300]

    def __str__(self) -> str:
        return f"{self.status} {self.reason}: {self.message}"


def collection_path(api_version: str, resource: str, namespace: str | None = None) -> str:
    """``("v1", "pods", "ns")`` -> ``/api/v1/namespaces/ns/pods``; a group version
    (``apps/v1``) goes under ``/apis``."""
    root = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    return f"{root}/namespaces/{namespace}/{resource}" if namespace else f"{root}/{resource}"


class WatchStream:
    """The events of one watch request, as dicts, until the server ends it (its
    ``timeoutSeconds``) or another thread calls ``shutdown()``."""

    def __init__(self, response):
        self.response = response            # urllib3's HTTPResponse, not preloaded

    def __iter__(self) -> Iterator[dict]:
        for line in iter_resp_lines(self.response):
            if line:
                yield json.loads(line)

    def shutdown(self) -> None:
        """Wake a thread blocked reading this stream (from any thread; urllib3's public
        ``HTTPResponse.shutdown``). The reader then sees the stream end."""
        try:
            self.response.shutdown()
        except (ValueError, RuntimeError, OSError):
            pass                            # already closed or released: nothing blocks

    def close(self) -> None:
        """Called by the reader when it is done: closes the connection, frees its slot."""
        self.response.close()
        self.response.release_conn()


class Rest:
    def __init__(self, api):
        self.api = api

    def request(self, method: str, path: str, body=None, query: dict | None = None,
                timeout: float | tuple | None = 30):
        """The raw ``RESTResponse`` (not read yet). ``timeout``: seconds in all, or
        (connect, read)."""
        method, url, headers, body, _ = self.api.param_serialize(
            method, path, query_params=dict(query) if query else None,
            header_params=dict(JSON_HEADERS), body=body, auth_settings=["BearerToken"])
        return self.api.call_api(method, url, header_params=headers, body=body,
                                 _request_timeout=timeout)

    def call(self, method: str, path: str, body=None, query: dict | None = None,
             timeout: float | tuple | None = 30) -> dict:
        resp = self.request(method, path, body, query, timeout)
        payload = _json_or_text(resp.read())
        if not 200 <= resp.status <= 299:
            raise ApiError(resp.status, payload)
        return payload

    def get(self, path: str, **query) -> dict:
        return self.call("GET", path, query=query or None)

    def post(self, path: str, body: dict) -> dict:
        return self.call("POST", path, body)

    def delete(self, path: str, **query) -> dict:
        return self.call("DELETE", path, query=query or None)

    def watch(self, path: str, resource_version: str, timeout_seconds: int = 300,
              **query) -> WatchStream:
        """Watch ``path`` from ``resource_version``. The server ends the stream after
        ``timeout_seconds``; the read timeout behind it is only a backstop."""
        query = {**query, "watch": "true", "resourceVersion": resource_version,
                 "allowWatchBookmarks": "true", "timeoutSeconds": str(timeout_seconds)}
        resp = self.request("GET", path, query=query, timeout=(10, timeout_seconds + 30))
        if resp.status != 200:
            payload = _json_or_text(resp.read())
            resp.response.release_conn()
            raise ApiError(resp.status, payload)
        return WatchStream(resp.response)


def _json_or_text(data: bytes):
    if not data:
        return {}
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")
