"""Helpers the plugins share (kube-scheduler keeps these in component-helpers and
plugins/helper): toleration matching, node-selector requirements, score normalization."""
from __future__ import annotations

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


def _as_int(text: str) -> int | None:
    try:
        value = int(text) if text.strip() == text and "_" not in text else None
    except (ValueError, AttributeError):
        return None
    return value if value is not None and _INT64[0] <= value <= _INT64[1] else None


def requirement_matches(requirement: dict, labels: dict) -> bool:
    """One ``matchExpressions`` entry against a node's labels: In, NotIn, Exists,
    DoesNotExist, Gt, Lt. A malformed requirement (In without values, Gt with a
    non-integer) matches nothing, as in kube-scheduler."""
    key, op = requirement.get("key"), requirement.get("operator")
    values = requirement.get("values") or []
    if op in ("In", "NotIn"):
        if not values:
            return False
        return (labels.get(key) in values) if op == "In" else (labels.get(key) not in values)
    if op == "Exists":
        return not values and key in labels
    if op == "DoesNotExist":
        return not values and key not in labels
    if op in ("Gt", "Lt"):
        if len(values) != 1 or _as_int(values[0]) is None or key not in labels:
            return False
        have = _as_int(labels[key])
        if have is None:
            return False
        return have > _as_int(values[0]) if op == "Gt" else have < _as_int(values[0])
    return False


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
