"""Helpers the plugins share (kube-scheduler keeps these in component-helpers and
plugins/helper): toleration matching, node-selector requirements, score normalization."""
from __future__ import annotations

import re

from kitlib.scheduler.framework import MAX_NODE_SCORE

_INT64 = (-2**63, 2**63 - 1)


def tolerates(toleration: dict, taint: dict) -> bool:
    """Does one toleration tolerate one taint? An empty effect matches every effect, an
    empty key (with Exists) matches every key; operator Equal (the default) compares
    values, Exists ignores them."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return operator == "Exists"      # Lt/Gt are behind a feature gate that is off by default


def tolerations_tolerate_taint(tolerations: list[dict] | None, taint: dict) -> bool:
    return any(tolerates(t, taint) for t in tolerations or [])


# apimachinery's validation: a label value is empty or at most 63 characters, alphanumeric
# at both ends with "-", "_" and "." inside; a key is [prefix/]name with a DNS-subdomain prefix
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_GO_INT = re.compile(r"[+-]?[0-9]+")          # what strconv.ParseInt(s, 10, 64) accepts


def is_valid_label_value(value) -> bool:
    return isinstance(value, str) and len(value) <= 63 and _LABEL_VALUE.fullmatch(value) is not None


def is_valid_label_key(key) -> bool:
    if not isinstance(key, str) or key.count("/") > 1:
        return False
    prefix, _, name = key.rpartition("/")
    if "/" in key and not (prefix and len(prefix) <= 253 and _DNS_SUBDOMAIN.fullmatch(prefix)):
        return False
    return bool(name) and is_valid_label_value(name)


def _as_int(text) -> int | None:
    """strconv.ParseInt(text, 10, 64): ASCII digits with an optional sign, in int64."""
    if not isinstance(text, str) or not _GO_INT.fullmatch(text):
        return None
    value = int(text)
    return value if _INT64[0] <= value <= _INT64[1] else None


def requirement_is_valid(requirement: dict) -> bool:
    """Would kube-scheduler accept this ``matchExpressions`` entry (labels.NewRequirement)?
    A valid key; In/NotIn with values, Exists/DoesNotExist without; Gt/Lt with exactly one
    integer; and every value a valid label value. The API server checks only the key and
    the number of values when a pod is created, so a pod can carry an invalid entry."""
    key, op = requirement.get("key"), requirement.get("operator")
    values = requirement.get("values") or []
    if not is_valid_label_key(key):
        return False
    if op in ("In", "NotIn"):
        ok = bool(values)
    elif op in ("Exists", "DoesNotExist"):
        ok = not values
    elif op in ("Gt", "Lt"):
        ok = len(values) == 1 and _as_int(values[0]) is not None
    else:
        ok = False
    return ok and all(is_valid_label_value(v) for v in values)


def requirement_matches(requirement: dict, labels: dict) -> bool:
    """One ``matchExpressions`` entry against a node's labels: In, NotIn, Exists,
    DoesNotExist, Gt, Lt, as kube-scheduler (component-helpers' nodeaffinity, apimachinery's
    labels.Requirement) does it. An entry kube-scheduler cannot parse matches nothing — a
    value that is not a valid label value (even under NotIn), Gt/Lt with anything but one
    integer — and so does Gt/Lt when the node's label is not an integer ("4.5", "four")."""
    if not requirement_is_valid(requirement):
        return False
    key, op = requirement["key"], requirement["operator"]
    values = requirement.get("values") or []
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    have = _as_int(labels.get(key))           # Gt, Lt
    if have is None:
        return False
    want = _as_int(values[0])
    return have > want if op == "Gt" else have < want


def field_requirement_matches(requirement: dict, node: dict) -> bool:
    """One ``matchFields`` entry: only ``metadata.name`` with In/NotIn and one value."""
    values = requirement.get("values") or []
    if requirement.get("operator") not in ("In", "NotIn") or len(values) != 1:
        return False
    actual = node["metadata"]["name"] if requirement.get("key") == "metadata.name" else ""
    return (actual == values[0]) if requirement["operator"] == "In" else (actual != values[0])


def default_normalize_score(scores: dict[str, int], reverse: bool = False,
                            max_priority: int = MAX_NODE_SCORE) -> dict[str, int]:
    """Rescale 0..max(scores) to 0..100 (integer maths); ``reverse`` turns it upside down
    (for "fewer is better" counts, like intolerable taints)."""
    highest = max(scores.values(), default=0)
    if highest == 0:
        return {n: (max_priority if reverse else s) for n, s in scores.items()}
    out = {}
    for n, s in scores.items():
        s = max_priority * s // highest
        out[n] = max_priority - s if reverse else s
    return out
