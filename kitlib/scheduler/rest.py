"""A thin JSON-over-HTTP layer on the official client's connection pool and credentials.

Why not the typed client? Three reasons met while building the scheduler:
* ``CoreV1Api.create_namespaced_binding`` fails while parsing the API server's reply
  (a ``Status``, not a ``Binding``: kubernetes-client/python #825; with client 37 the
  symptom is a pydantic ValidationError about ``target``) — although the pod *was* bound.
* Typed request bodies are re-serialized through the models: an events.k8s.io
  ``eventTime`` comes out as "+00:00", which the API server rejects, and a Binding's
  ``metadata.uid`` is silently dropped — losing the UID precondition that protects
  against binding a pod that was deleted and re-created under the same name.
* Turning thousands of pods into model objects costs more CPU than scheduling them.
So the scheduler speaks JSON dicts, exactly as ``kubectl get -o json`` shows them.
"""
from __future__ import annotations

import json

import urllib3
from urllib.parse import urlencode

from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines


class ApiError(Exception):
    def __init__(self, status: int, body: dict | str):
        self.status = status
        self.body = body
        msg = body.get("message") if isinstance(body, dict) else str(body)[:300]
        self.reason = body.get("reason", "") if isinstance(body, dict) else ""
        super().__init__(f"{status} {self.reason}: {msg}")


class Rest:
    def __init__(self, api):
        self.api = api
        self.host = api.configuration.host.rstrip("/")

    def _headers(self, method: str, path: str) -> dict:
        headers = {**self.api.default_headers, "Accept": "application/json",
                   "Content-Type": "application/json"}
        self.api.update_params_for_auth(headers, [], ["BearerToken"], path, method, None)
        return headers

    def raw(self, method: str, path: str, body=None, query: dict | None = None,
            timeout: float | tuple | None = 30, stream: bool = False):
        url = self.host + path + ("?" + urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else None
        if isinstance(timeout, tuple):
            timeout = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        return self.api.rest_client.pool_manager.request(
            method, url, body=data, headers=self._headers(method, path),
            timeout=timeout, preload_content=not stream)

    def call(self, method: str, path: str, body=None, query: dict | None = None,
             timeout: float = 30) -> dict:
        resp = self.raw(method, path, body, query, timeout)
        try:
            payload = json.loads(resp.data) if resp.data else {}
        except ValueError:
            payload = resp.data.decode(errors="replace")
        if not 200 <= resp.status <= 299:
            raise ApiError(resp.status, payload)
        return payload

    def get(self, path: str, **query) -> dict:
        return self.call("GET", path, query=query or None)

    def post(self, path: str, body: dict) -> dict:
        return self.call("POST", path, body)

    def watch(self, path: str, resource_version: str, timeout_seconds: int = 300):
        """(response, iterator of events); close the response to stop the iterator."""
        resp = self.raw("GET", path, query={"watch": "true", "resourceVersion": resource_version,
                                            "allowWatchBookmarks": "true",
                                            "timeoutSeconds": str(timeout_seconds)},
                        timeout=(10, timeout_seconds + 30), stream=True)
        if resp.status != 200:
            body = resp.read()
            raise ApiError(resp.status, _json_or_text(body))

        def events():
            for line in iter_resp_lines(resp):
                if line:
                    yield json.loads(line)
        return resp, events()


def _json_or_text(data: bytes):
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


def is_api_error(exc: Exception, *statuses: int) -> bool:
    status = getattr(exc, "status", None)
    return isinstance(exc, (ApiError, ApiException)) and (not statuses or status in statuses)
