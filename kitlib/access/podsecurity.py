"""Pod Security Admission: an admission plugin built into kube-apiserver that checks each
pod against one of three Pod Security Standards — privileged, baseline, restricted — chosen
per namespace by labels, in three modes: enforce (reject), warn (accept, warn the client),
audit (accept, note it in the audit log)."""
from __future__ import annotations

import json
import re

from kubernetes import client
from kubernetes.client.exceptions import ApiException

LABEL = "pod-security.kubernetes.io/"


def set_levels(api: client.ApiClient, namespace: str, **modes: str | None) -> dict:
    """Set the namespace's Pod Security labels, e.g. ``enforce="baseline", warn="restricted"``
    (None removes one). Returns the namespace's pod-security labels."""
    patch = {"metadata": {"labels": {LABEL + mode: level for mode, level in modes.items()}}}
    ns = client.CoreV1Api(api).patch_namespace(namespace, patch)
    return {k: v for k, v in (ns.metadata.labels or {}).items() if k.startswith(LABEL)}


def _pod(name: str, container_security: dict, pod_security: dict | None = None) -> dict:
    spec = {"terminationGracePeriodSeconds": 1,
            "containers": [{"name": "app", "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent",
                            "command": ["sleep", "3600"], "securityContext": container_security}]}
    if pod_security:
        spec["securityContext"] = pod_security
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def privileged_pod(name: str = "privileged") -> dict:
    """A container with every power of the node's root: the privileged level only."""
    return _pod(name, {"privileged": True})


def plain_pod(name: str = "plain") -> dict:
    """Nothing set: baseline accepts it, restricted does not (root, all default capabilities)."""
    return _pod(name, {})


def restricted_pod(name: str = "restricted") -> dict:
    """What the restricted level asks for: not root, no privilege escalation, every
    capability dropped, the runtime's default seccomp profile."""
    return _pod(name, {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}})


def try_create(api: client.ApiClient, namespace: str, pod: dict) -> dict:
    """Create the pod; say whether the API accepted it, its refusal, and any warnings (the
    ``Warning`` response headers, which kubectl prints and the Python client only returns)."""
    core = client.CoreV1Api(api)
    name = pod["metadata"]["name"]
    try:
        _, status, headers = core.create_namespaced_pod_with_http_info(namespace, pod)
    except ApiException as exc:
        return {"pod": name, "answer": f"rejected ({exc.status})",
                "message": json.loads(exc.body).get("message", exc.reason), "warnings": []}
    return {"pod": name, "answer": f"created ({status})", "message": "", "warnings": _warnings(headers)}


def _warnings(headers) -> list[str]:
    """The texts of a response's ``Warning`` headers."""
    found = headers.getlist("Warning") if hasattr(headers, "getlist") else [headers.get("Warning")]
    return [_warning_text(w) for w in found if w]


def _warning_text(header: str) -> str:
    """A Warning header is ``299 - "text"``: keep the text."""
    text = header.split(" ", 2)[-1]
    return json.loads(text) if text.startswith('"') else text


def violations(message: str) -> list[str]:
    """The check names in a Pod Security message, e.g. ["privileged", "runAsNonRoot != true"]."""
    body = re.split(r'PodSecurity "[^"]*": ', message, maxsplit=1)[-1]
    parts, depth, current = [], 0, ""
    for ch in body:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.split("(")[0].strip() for p in parts if p.strip()]


def privileged_deployment(name: str = "privileged-app") -> dict:
    """A Deployment whose pod template the ``baseline`` level refuses."""
    pod = privileged_pod()
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod["spec"]}}}


def create_deployment(api: client.ApiClient, namespace: str, deployment: dict) -> list[str]:
    """Create the Deployment; return the warnings the API server sent back with it."""
    _, _, headers = client.AppsV1Api(api).create_namespaced_deployment_with_http_info(namespace, deployment)
    return _warnings(headers)


def failed_creates(api: client.ApiClient, namespace: str) -> list[str]:
    """Messages of the FailedCreate events in ``namespace`` (a ReplicaSet refused pods)."""
    events = client.CoreV1Api(api).list_namespaced_event(namespace, field_selector="reason=FailedCreate").items
    return [e.message for e in events]


def kubectl_warnings(namespace: str, pod: dict) -> list[str]:
    """What ``kubectl create --dry-run=server`` prints on stderr for ``pod``: admission runs,
    nothing is stored. The ``Warning: …`` lines are the same headers, printed by kubectl."""
    import subprocess

    from kitlib.cluster.tools import binary_path
    from kitlib.kube import kubeconfig_path
    cmd = [str(binary_path("kubectl")), "--kubeconfig", str(kubeconfig_path()), "create", "--dry-run=server",
           "-n", namespace, "-o", "name", "-f", "-"]
    out = subprocess.run(cmd, input=json.dumps(pod), capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"kubectl create --dry-run=server: {out.stderr.strip()}")
    return [line for line in out.stderr.splitlines() if line.startswith("Warning:")]
