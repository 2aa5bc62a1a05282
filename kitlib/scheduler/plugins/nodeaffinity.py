"""NodeAffinity's score: preferred node affinity adds points. (Its filter — nodeSelector
and required node affinity — is chapter 05's exercise, so the framework does not ship it.)

Score: sum of the weights of the preferred terms the node matches, then normalized so the
best node gets 100. A term's expressions are ANDed; an empty term matches nothing.
"""
from __future__ import annotations

from kitlib.scheduler.framework import NodeInfo
from kitlib.scheduler.plugins.helpers import default_normalize_score, field_requirement_matches, requirement_matches

NAME = "NodeAffinity"


def term_matches(term: dict, node: dict) -> bool | None:
    """True/False for a term, None for an empty term (which is ignored)."""
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return None
    labels = node.get("metadata", {}).get("labels") or {}
    return (all(requirement_matches(r, labels) for r in exprs)
            and all(field_requirement_matches(r, node) for r in fields))


class PreferredNodeAffinity:
    """The score and normalize halves of kube-scheduler's NodeAffinity plugin."""
    name = NAME

    def score(self, pod: dict, node_info: NodeInfo) -> int:
        affinity = ((pod["spec"].get("affinity") or {}).get("nodeAffinity")) or {}
        total = 0
        for pref in affinity.get("preferredDuringSchedulingIgnoredDuringExecution") or []:
            weight = pref.get("weight") or 0
            if weight and term_matches(pref.get("preference") or {}, node_info.node):
                total += weight
        return total

    def normalize_score(self, pod: dict, scores: dict[str, int]) -> dict[str, int]:
        return default_normalize_score(scores, reverse=False)
