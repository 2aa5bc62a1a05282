"""Role, ClusterRole and binding manifests, and a look at the built-in aggregated roles.

A rule lists API groups, resources (``pods/log`` names a subresource), verbs and, to narrow
it to single objects, resourceNames. RBAC only adds: nothing is allowed unless a rule says
so, and there are no deny rules."""
from __future__ import annotations

from kubernetes import client

RBAC = "rbac.authorization.k8s.io/v1"


def rule(verbs: list[str], resources: list[str], group: str = "",
         names: list[str] | None = None) -> dict:
    r = {"apiGroups": [group], "resources": resources, "verbs": verbs}
    if names:
        r["resourceNames"] = names
    return r


def role(name: str, rules: list[dict], cluster: bool = False) -> dict:
    """A Role (namespaced: its rules apply in its namespace only) or a ClusterRole."""
    return {"apiVersion": RBAC, "kind": "ClusterRole" if cluster else "Role",
            "metadata": {"name": name}, "rules": rules}


def binding(name: str, role_name: str, service_account: str, namespace: str,
            role_kind: str = "Role", cluster: bool = False) -> dict:
    """A RoleBinding (grants in its namespace) or ClusterRoleBinding (grants everywhere) of
    ``role_name`` to the ServiceAccount ``namespace/service_account``."""
    return {"apiVersion": RBAC, "kind": "ClusterRoleBinding" if cluster else "RoleBinding",
            "metadata": {"name": name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name},
            "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}]}


def builtin_roles(api: client.ApiClient, names=("view", "edit", "admin")) -> list[dict]:
    """The user-facing ClusterRoles: the label that aggregates rules into each, how many
    rules it holds now, and a few things it allows or not."""
    rbac = client.RbacAuthorizationV1Api(api)
    rows = []
    for name in names:
        cr = rbac.read_cluster_role(name)
        labels = [k for s in cr.aggregation_rule.cluster_role_selectors for k in s.match_labels]
        rows.append({"ClusterRole": name,
                     "aggregates rules labelled": ", ".join(k.split("/")[1] for k in labels),
                     "rules": len(cr.rules or []), "get secrets": _allows(cr, "get", "secrets"),
                     "delete pods": _allows(cr, "delete", "pods"),
                     "create rolebindings": _allows(cr, "create", "rolebindings")})
    return rows


def _allows(cluster_role, verb: str, resource: str) -> bool:
    return any((verb in r.verbs or "*" in r.verbs) and resource in (r.resources or [])
               for r in cluster_role.rules or [])


def delete_cluster_objects(api: client.ApiClient, label: str) -> list[str]:
    """Delete the ClusterRoles and ClusterRoleBindings carrying ``label`` (key=value)."""
    rbac = client.RbacAuthorizationV1Api(api)
    gone = []
    kinds = ((rbac.list_cluster_role_binding, rbac.delete_cluster_role_binding, "ClusterRoleBinding"),
             (rbac.list_cluster_role, rbac.delete_cluster_role, "ClusterRole"))
    for lister, deleter, kind in kinds:
        for item in lister(label_selector=label).items:
            deleter(item.metadata.name)
            gone.append(f"{kind}/{item.metadata.name}")
    return gone


def scopes(api: client.ApiClient, resources: list[str]) -> list[dict]:
    """Whether each resource (core or RBAC group) lives in a namespace or the whole cluster."""
    found = {r.name: r.namespaced for api_ in (client.CoreV1Api(api), client.RbacAuthorizationV1Api(api))
             for r in api_.get_api_resources().resources}
    return [{"resource": name, "scope": "namespace" if found[name] else "cluster"} for name in resources]
