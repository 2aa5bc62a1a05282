"""NodeUnschedulable: a cordoned node (``spec.unschedulable: true``, what
``kubectl cordon`` sets) takes no new pods, unless the pod tolerates the taint
``node.kubernetes.io/unschedulable:NoSchedule``."""
from __future__ import annotations

from kitlib.scheduler.framework import NodeInfo, Status
from kitlib.scheduler.plugins.helpers import tolerations_tolerate_taint

NAME = "NodeUnschedulable"
ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}


class NodeUnschedulable:
    name = NAME

    def filter(self, pod: dict, node_info: NodeInfo) -> Status | None:
        if not node_info.unschedulable:
            return None
        if tolerations_tolerate_taint(pod["spec"].get("tolerations"), UNSCHEDULABLE_TAINT):
            return None
        return Status.unresolvable(ERR_REASON_UNSCHEDULABLE)
