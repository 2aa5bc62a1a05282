"""Reference plugins, one module each, named as in kube-scheduler v1.37.0
(pkg/scheduler/framework/plugins), and the default profile that strings them together.

Filters run in kube-scheduler's order (NodeUnschedulable, TaintToleration, NodeAffinity,
NodeResourcesFit); scores carry kube-scheduler's default weights (TaintToleration 3,
NodeAffinity 2, NodeResourcesFit/LeastAllocated 1, BalancedAllocation 1).
"""
from __future__ import annotations

from kitlib.scheduler.framework import Framework
from kitlib.scheduler.plugins.balanced_allocation import BalancedAllocation
from kitlib.scheduler.plugins.helpers import (default_normalize_score, requirement_matches,
                                              tolerates, tolerations_tolerate_taint)
from kitlib.scheduler.plugins.nodeaffinity import NodeAffinity
from kitlib.scheduler.plugins.noderesources_fit import NodeResourcesFit
from kitlib.scheduler.plugins.nodeunschedulable import NodeUnschedulable
from kitlib.scheduler.plugins.tainttoleration import TaintToleration

FILTER_ORDER = ("NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodeResourcesFit")
SCORE_WEIGHTS = {"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1,
                 "NodeResourcesBalancedAllocation": 1}


def reference_plugins() -> dict[str, object]:
    return {p.name: p for p in (NodeUnschedulable(), TaintToleration(), NodeAffinity(),
                                NodeResourcesFit(), BalancedAllocation())}


def build_framework(plugins: dict[str, object] | None = None,
                    scheduler_name: str = "kit-scheduler") -> Framework:
    """A profile from plugins by name (missing ones come from the reference). Each plugin
    takes part in the extension points it implements."""
    chosen = {**reference_plugins(), **(plugins or {})}
    filters = [chosen[n] for n in FILTER_ORDER if hasattr(chosen[n], "filter")]
    scores = [(chosen[n], w) for n, w in SCORE_WEIGHTS.items() if hasattr(chosen[n], "score")]
    return Framework(filters, scores, scheduler_name=scheduler_name)


def default_framework(scheduler_name: str = "kit-scheduler") -> Framework:
    return build_framework(None, scheduler_name)


__all__ = ["BalancedAllocation", "NodeAffinity", "NodeResourcesFit", "NodeUnschedulable",
           "TaintToleration", "build_framework", "default_framework", "reference_plugins",
           "tolerates", "tolerations_tolerate_taint", "requirement_matches",
           "default_normalize_score", "FILTER_ORDER", "SCORE_WEIGHTS"]
