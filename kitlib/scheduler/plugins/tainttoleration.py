"""TaintToleration: taints on a node repel pods that do not tolerate them.

Filter: the node is rejected if it has a taint with effect NoSchedule or NoExecute that
none of the pod's tolerations tolerates. PreferNoSchedule taints never reject.

Score: count the node's PreferNoSchedule taints that the pod's tolerations (those with an
empty effect or effect PreferNoSchedule) do not tolerate — fewer is better — and
NormalizeScore reverses it: 100 * count // max_count, then 100 minus that (all zero: 100).
"""
from __future__ import annotations

from kitlib.scheduler.framework import NodeInfo, Status
from kitlib.scheduler.plugins.helpers import default_normalize_score, tolerations_tolerate_taint

NAME = "TaintToleration"
ERR_REASON_UNTOLERATED = "node(s) had untolerated taint(s)"


def untolerated_taint(pod: dict, node_info: NodeInfo) -> dict | None:
    tolerations = pod["spec"].get("tolerations") or []
    for taint in node_info.taints:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and \
                not tolerations_tolerate_taint(tolerations, taint):
            return taint
    return None


def count_intolerable_prefer_no_schedule(pod: dict, node_info: NodeInfo) -> int:
    tolerations = [t for t in pod["spec"].get("tolerations") or []
                   if not t.get("effect") or t.get("effect") == "PreferNoSchedule"]
    return sum(1 for taint in node_info.taints if taint.get("effect") == "PreferNoSchedule"
               and not tolerations_tolerate_taint(tolerations, taint))


class TaintToleration:
    name = NAME

    def filter(self, pod: dict, node_info: NodeInfo) -> Status | None:
        if untolerated_taint(pod, node_info) is None:
            return None
        return Status.unresolvable(ERR_REASON_UNTOLERATED)

    def score(self, pod: dict, node_info: NodeInfo) -> int:
        return count_intolerable_prefer_no_schedule(pod, node_info)

    def normalize_score(self, pod: dict, scores: dict[str, int]) -> dict[str, int]:
        return default_normalize_score(scores, reverse=True)
