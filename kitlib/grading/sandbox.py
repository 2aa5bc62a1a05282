"""A namespace of its own for each graded submission, and credentials that reach no further.

    with submission_namespace(api, "grade-alice-05-1a2b3c", workdir) as kernel_env:
        run_notebook(nb, cwd, env={**os.environ, **kernel_env})

With ``isolation="rbac"`` (the default) the kernel gets a kubeconfig for a ServiceAccount
that is ``admin`` of its namespace only (plus binding pods there, and reading nodes,
namespaces and CRDs cluster-wide), so code that deletes "everything" cannot touch another
submission's namespace or the cluster. ``isolation="none"`` passes the instructor's own
credentials (for exercises that must create cluster-scoped objects). Either way the
namespace, and the cluster-wide binding made for it, are deleted afterwards.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from pathlib import Path
from typing import Iterator

import yaml

from kitlib.checks.namespace import NAMESPACE_ENV

LABEL = "kitlib/grading"
READER_ROLE = "kitlib-grading-learner"
SERVICE_ACCOUNT = "learner"
ISOLATIONS = ("rbac", "none")


def namespace_name(student: str, notebook: str, content: bytes) -> str:
    """A DNS-1123 name that depends only on who and what (so grading twice is the same)."""
    slug = re.sub(r"[^a-z0-9]+", "-", f"{student}-{notebook}".lower()).strip("-")[:40].strip("-")
    digest = hashlib.sha256(content + student.encode()).hexdigest()[:8]
    return f"grade-{slug or 'x'}-{digest}"


def _core(api):
    from kubernetes import client
    return client.CoreV1Api(api)


def _rbac(api):
    from kubernetes import client
    return client.RbacAuthorizationV1Api(api)


def _ignore(status: int, fn, *args, **kwargs):
    from kubernetes.client.exceptions import ApiException
    try:
        return fn(*args, **kwargs)
    except ApiException as exc:
        if exc.status != status:
            raise
        return None


def _wait_gone(api, name: str, timeout: float = 90) -> None:
    from kubernetes.client.exceptions import ApiException
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            _core(api).read_namespace(name)
        except ApiException as exc:
            if exc.status == 404:
                return
            raise
        time.sleep(0.5)
    raise RuntimeError(f"namespace {name} is still being deleted after {timeout:.0f}s")


def create_namespace(api, name: str) -> None:
    """Create ``name``; a leftover of the same name (an interrupted run) is removed first."""
    from kubernetes.client.exceptions import ApiException
    body = {"metadata": {"name": name, "labels": {LABEL: "true", "kitlib/temporary": "true"}}}
    for _ in range(2):
        try:
            _core(api).create_namespace(body)
            return
        except ApiException as exc:
            if exc.status != 409:
                raise
            _ignore(404, _core(api).delete_namespace, name)
            _wait_gone(api, name)
    _core(api).create_namespace(body)


def _ensure_reader_role(api) -> None:
    rules = [
        {"apiGroups": [""], "resources": ["nodes", "namespaces"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"],
         "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["storage.k8s.io", "scheduling.k8s.io", "node.k8s.io"],
         "resources": ["storageclasses", "priorityclasses", "runtimeclasses", "csinodes"],
         "verbs": ["get", "list", "watch"]},
    ]
    body = {"metadata": {"name": READER_ROLE, "labels": {LABEL: "true"}}, "rules": rules}
    if _ignore(409, _rbac(api).create_cluster_role, body) is None:
        _rbac(api).replace_cluster_role(READER_ROLE, body)


def _restricted_kubeconfig(admin_kubeconfig: Path, token: str, namespace: str) -> dict:
    from kitlib.cluster.providers.existing import extract_context
    source = yaml.safe_load(Path(admin_kubeconfig).read_text()) or {}
    config = extract_context(source, None)
    cluster = config["clusters"][0]["cluster"]
    ca = cluster.get("certificate-authority")
    if ca and not os.path.isabs(ca):
        cluster["certificate-authority"] = str((Path(admin_kubeconfig).parent / ca).resolve())
    return {"apiVersion": "v1", "kind": "Config", "current-context": "learner",
            "clusters": [{"name": "kit", "cluster": cluster}],
            "users": [{"name": "learner", "user": {"token": token}}],
            "contexts": [{"name": "learner", "context": {"cluster": "kit", "user": "learner",
                                                         "namespace": namespace}}],
            "preferences": {}}


def _grant(api, name: str, token_seconds: int) -> str:
    """A ServiceAccount that may do anything in ``name`` and only read a few cluster-wide
    kinds; returns a token for it."""
    from kubernetes import client
    core, rbac = _core(api), _rbac(api)
    core.create_namespaced_service_account(name, {"metadata": {"name": SERVICE_ACCOUNT}})
    subject = [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": name}]
    rbac.create_namespaced_role_binding(name, {
        "metadata": {"name": "learner-admin"}, "subjects": subject,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"}})
    rbac.create_namespaced_role(name, {
        "metadata": {"name": "learner-binding"},
        "rules": [{"apiGroups": [""], "resources": ["pods/binding", "bindings"], "verbs": ["create"]},
                  {"apiGroups": ["events.k8s.io"], "resources": ["events"],
                   "verbs": ["create", "patch", "update", "get", "list", "watch"]}]})
    rbac.create_namespaced_role_binding(name, {
        "metadata": {"name": "learner-binding"}, "subjects": subject,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "learner-binding"}})
    _ensure_reader_role(api)
    body = {"metadata": {"name": f"kitlib-grading-{name}", "labels": {LABEL: "true"}},
            "subjects": subject,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                        "name": READER_ROLE}}
    if _ignore(409, rbac.create_cluster_role_binding, body) is None:
        rbac.replace_cluster_role_binding(body["metadata"]["name"], body)
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=None, expiration_seconds=token_seconds))
    reply = core.create_namespaced_service_account_token(SERVICE_ACCOUNT, name, request)
    return reply.status.token


def remove(api, name: str, wait: bool = False) -> None:
    """Delete the namespace and the cluster-wide binding made for it (both may be gone)."""
    _ignore(404, _rbac(api).delete_cluster_role_binding, f"kitlib-grading-{name}")
    _ignore(404, _core(api).delete_namespace, name)
    if wait:
        _wait_gone(api, name)


@contextlib.contextmanager
def submission_namespace(api, name: str, workdir: Path, isolation: str = "rbac",
                         admin_kubeconfig: Path | None = None,
                         token_seconds: int = 3600) -> Iterator[dict]:
    """Create the namespace (and credentials); yield the environment for the kernel."""
    from kitlib.kube import kubeconfig_path
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {ISOLATIONS}")
    create_namespace(api, name)
    try:
        env = {NAMESPACE_ENV: name}
        if isolation == "rbac":
            token = _grant(api, name, max(600, int(token_seconds)))
            config = _restricted_kubeconfig(admin_kubeconfig or kubeconfig_path(), token, name)
            path = Path(workdir) / "learner.kubeconfig"
            path.touch(mode=0o600)
            path.write_text(yaml.safe_dump(config))
            env.update({"KUBECONFIG": str(path), "KIT_KUBECONFIG": str(path),
                        "KIT_PROVIDER": "existing", "KIT_STATE_DIR": str(Path(workdir) / "state")})
        yield env
    finally:
        remove(api, name)
