"""Small facts about pods and owners that every controller needs (pods are the plain
dicts the informer caches)."""
from __future__ import annotations


def matches(selector: dict | None, labels: dict | None) -> bool:
    """Does a ``{"matchLabels": {...}}`` selector select these labels? An empty or
    missing selector selects nothing (as for ReplicaSets)."""
    wanted = (selector or {}).get("matchLabels") or {}
    labels = labels or {}
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def controller_of(obj: dict) -> dict | None:
    """The ownerReference with ``controller: true`` (an object has at most one), or None."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def is_active(pod: dict) -> bool:
    """Still counts towards a replica count: not being deleted, not finished."""
    return (not pod["metadata"].get("deletionTimestamp")
            and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))


def is_ready(pod: dict) -> bool:
    """Its Ready condition is True."""
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])
