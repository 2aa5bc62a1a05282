"""ServiceAccounts and their tokens. A token comes from the TokenRequest API (what the
kubelet asks for to mount one into a pod): short-lived, bound to an audience, signed by
kube-apiserver's service-account key. Nothing here edits a kubeconfig file."""
from __future__ import annotations

import base64
import datetime
import json

from kubernetes import client
from kubernetes.client.exceptions import ApiException


def service_account(api: client.ApiClient, namespace: str, name: str) -> client.V1ServiceAccount:
    """The ServiceAccount ``name`` of ``namespace``, created when missing."""
    core = client.CoreV1Api(api)
    try:
        return core.create_namespaced_service_account(namespace, {"metadata": {"name": name}})
    except ApiException as exc:
        if exc.status != 409:
            raise
        return core.read_namespaced_service_account(name, namespace)


def request_token(api: client.ApiClient, namespace: str, name: str, seconds: int = 600) -> str:
    """A fresh token for the ServiceAccount (TokenRequest; ``seconds`` at least 600, the
    API's minimum)."""
    review = client.CoreV1Api(api).create_namespaced_service_account_token(
        name, namespace, {"spec": {"expirationSeconds": seconds}})
    return review.status.token


def claims(token: str) -> dict:
    """The JWT's payload, decoded but NOT verified (kube-apiserver verifies the signature)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def claim_rows(token: str) -> list[dict]:
    """The claims that say who and until when, readable."""
    c = claims(token)
    when = lambda t: datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%H:%M:%S UTC")
    sa = c.get("kubernetes.io", {})
    return [{"claim": "sub (who)", "value": c["sub"]},
            {"claim": "iss (signed by)", "value": c["iss"]},
            {"claim": "aud (for)", "value": ", ".join(c["aud"])},
            {"claim": "iat (issued)", "value": when(c["iat"])},
            {"claim": "exp (expires)", "value": f"{when(c['exp'])} ({(c['exp'] - c['iat']) // 60} min later)"},
            {"claim": "kubernetes.io", "value": f"namespace {sa.get('namespace')}, "
                                                f"serviceaccount {sa.get('serviceaccount', {}).get('name')}"}]


def client_with_token(api: client.ApiClient, token: str) -> client.ApiClient:
    """An ApiClient for the same server (127.0.0.1) and CA as ``api``, that authenticates
    with ``token`` only: no client certificate, so it is the ServiceAccount speaking."""
    source = api.configuration
    config = client.Configuration()
    config.host, config.ssl_ca_cert = source.host, source.ssl_ca_cert
    config.verify_ssl = source.verify_ssl
    config.api_key = {"authorization": f"Bearer {token}"}
    return client.ApiClient(config)


def username(namespace: str, name: str) -> str:
    """The user name kube-apiserver gives a ServiceAccount's requests."""
    return f"system:serviceaccount:{namespace}:{name}"


def groups(namespace: str) -> list[str]:
    """The groups every ServiceAccount of ``namespace`` is in."""
    return ["system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated"]


def whoami(api: client.ApiClient) -> dict:
    """Who kube-apiserver says the client behind ``api`` is (SelfSubjectReview,
    ``kubectl auth whoami``): its user name and groups."""
    info = client.AuthenticationV1Api(api).create_self_subject_review({}).status.user_info
    return {"username": info.username, "groups": sorted(info.groups or [])}
