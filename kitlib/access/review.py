"""Asking the authorizer what someone may do, without doing it.

An ``Ask`` is one question, written like ``kubectl auth can-i``'s arguments:
``"get pods/log"`` (a subresource after the slash), ``"get configmaps report-settings"``
(one object by name), ``"create rolebindings.rbac.authorization.k8s.io"`` (a resource of an
API group), ``"delete pods -n other"`` (another namespace).

* ``subject_review``: SubjectAccessReview, an admin asks about any user and groups;
* ``self_review``:   SelfSubjectAccessReview, a client asks about itself (anyone may);
* ``kubectl_can_i``: ``kubectl auth can-i`` (``--as`` impersonates, ``--list`` lists).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass

from kubernetes import client


@dataclass(frozen=True)
class Ask:
    verb: str
    resource: str
    subresource: str = ""
    group: str = ""
    name: str = ""
    namespace: str = ""          # "" = the namespace the question is asked in

    @classmethod
    def parse(cls, text: str) -> "Ask":
        words = text.split()
        namespace = ""
        if "-n" in words:
            at = words.index("-n")
            namespace, words = words[at + 1], words[:at] + words[at + 2:]
        verb, what, *name = words
        resource, _, subresource = what.partition("/")
        resource, _, group = resource.partition(".")
        return cls(verb, resource, subresource, group, name[0] if name else "", namespace)

    def attributes(self, namespace: str) -> dict:
        """The review's resourceAttributes, in ``namespace`` unless the ask names another."""
        attrs = {"verb": self.verb, "resource": self.resource, "group": self.group,
                 "subresource": self.subresource, "name": self.name,
                 "namespace": self.namespace or namespace}
        return {k: v for k, v in attrs.items() if v}

    def in_namespace(self, namespace: str) -> "Ask":
        return Ask(self.verb, self.resource, self.subresource, self.group, self.name, namespace)


def _ask(text_or_ask: str | Ask) -> Ask:
    return text_or_ask if isinstance(text_or_ask, Ask) else Ask.parse(text_or_ask)


def subject_review(api: client.ApiClient, user: str, groups: list[str], ask: str | Ask,
                   namespace: str) -> bool:
    """May ``user`` (in ``groups``) do ``ask`` in ``namespace``? (SubjectAccessReview)"""
    body = {"spec": {"user": user, "groups": list(groups),
                     "resourceAttributes": _ask(ask).attributes(namespace)}}
    return bool(client.AuthorizationV1Api(api).create_subject_access_review(body).status.allowed)


def self_review(api: client.ApiClient, ask: str | Ask, namespace: str) -> bool:
    """May the client behind ``api`` do ``ask`` in ``namespace``? (SelfSubjectAccessReview)"""
    body = {"spec": {"resourceAttributes": _ask(ask).attributes(namespace)}}
    return bool(client.AuthorizationV1Api(api).create_self_subject_access_review(body).status.allowed)


def matrix(api: client.ApiClient, user: str, groups: list[str], asks: list[str],
           namespace: str) -> list[dict]:
    """One row per question: {"request": text, "allowed": "yes"/"no"}."""
    return [{"request": text, "allowed": "yes" if subject_review(api, user, groups, text, namespace) else "no"}
            for text in asks]


def grid(api: client.ApiClient, user: str, groups: list[str], verbs: list[str],
         resources: list[str], namespace: str) -> dict[str, dict[str, bool]]:
    """{resource: {verb: allowed}} for every verb x resource (resources as in ``Ask``)."""
    return {r: {v: subject_review(api, user, groups, f"{v} {r}", namespace) for v in verbs}
            for r in resources}


def kubectl_can_i(*args: str) -> tuple[bool, str]:
    """Run ``kubectl auth can-i ARGS`` with the kit's kubeconfig; (its answer, its output).
    kubectl exits 0 for yes and 1 for no."""
    from kitlib.cluster.tools import binary_path
    from kitlib.kube import kubeconfig_path
    cmd = [str(binary_path("kubectl")), "--kubeconfig", str(kubeconfig_path()), "auth", "can-i", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if out.returncode not in (0, 1) or (out.returncode == 1 and out.stdout.strip() != "no"):
        raise RuntimeError(f"kubectl auth can-i {' '.join(args)}: {out.stderr.strip()}")
    return out.returncode == 0, out.stdout.rstrip()
