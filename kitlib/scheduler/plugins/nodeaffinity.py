"""NodeAffinity: ``spec.nodeSelector`` and required node affinity decide which nodes may
take the pod (filter); preferred node affinity adds points (score).

Filter: every ``nodeSelector`` label must be on the node with that exact value, AND (if
the pod has ``requiredDuringSchedulingIgnoredDuringExecution``) at least one
``nodeSelectorTerm`` must match — terms are ORed, the expressions inside a term ANDed.
An empty term matches nothing; a required affinity whose terms are all empty matches no
node at all.

Score: sum of the weights of the preferred terms the node matches, then normalized so the
best node gets 100.
"""
from __future__ import annotations

from kitlib.scheduler.framework import NodeInfo, Status
from kitlib.scheduler.plugins.helpers import (default_normalize_score, field_requirement_matches,
                                              requirement_matches)

NAME = "NodeAffinity"
ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"


def term_matches(term: dict, node: dict) -> bool | None:
    """True/False for a term, None for an empty term (which is ignored)."""
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return None
    labels = node.get("metadata", {}).get("labels") or {}
    return (all(requirement_matches(r, labels) for r in exprs)
            and all(field_requirement_matches(r, node) for r in fields))


def _node_affinity(pod: dict) -> dict:
    return ((pod["spec"].get("affinity") or {}).get("nodeAffinity")) or {}


def required_affinity_matches(pod: dict, node: dict) -> bool:
    selector = pod["spec"].get("nodeSelector") or {}
    labels = node.get("metadata", {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return True
    return any(term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])


class NodeAffinity:
    name = NAME

    def filter(self, pod: dict, node_info: NodeInfo) -> Status | None:
        if required_affinity_matches(pod, node_info.node):
            return None
        return Status.unresolvable(ERR_REASON_POD)

    def score(self, pod: dict, node_info: NodeInfo) -> int:
        total = 0
        for pref in _node_affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution") or []:
            weight = pref.get("weight") or 0
            if weight and term_matches(pref.get("preference") or {}, node_info.node):
                total += weight
        return total

    def normalize_score(self, pod: dict, scores: dict[str, int]) -> dict[str, int]:
        return default_normalize_score(scores, reverse=False)
