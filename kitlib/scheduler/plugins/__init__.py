"""kube-scheduler's default profile, as a shape to fill: which filter plugins run in which
order, and which score plugins count with which weight (kube-scheduler v1.37.0,
pkg/scheduler/framework/plugins). The framework brings the helpers plugins share and the
one part the exercise leaves out (preferred node affinity); the plugins themselves —
NodeUnschedulable, TaintToleration, NodeAffinity's filter, NodeResourcesFit with
LeastAllocated, BalancedAllocation — are what chapter 05 asks learners to write, so they
come from the learner or from the chapter's reference (``exercises.scheduler``).

Filters run in kube-scheduler's order (NodeUnschedulable, TaintToleration, NodeAffinity,
NodeResourcesFit); scores carry kube-scheduler's default weights (TaintToleration 3,
NodeAffinity 2, NodeResourcesFit/LeastAllocated 1, BalancedAllocation 1).
"""
from __future__ import annotations

from kitlib.scheduler.framework import Framework
from kitlib.scheduler.plugins.helpers import (
    default_normalize_score,
    requirement_matches,
    tolerates,
    tolerations_tolerate_taint,
)
from kitlib.scheduler.plugins.nodeaffinity import PreferredNodeAffinity

FILTER_ORDER = ("NodeUnschedulable", "TaintToleration", "NodeAffinity", "NodeResourcesFit")
SCORE_WEIGHTS = {"TaintToleration": 3, "NodeAffinity": 2, "NodeResourcesFit": 1,
                 "NodeResourcesBalancedAllocation": 1}


def build_framework(plugins: dict[str, object], scheduler_name: str = "kit-scheduler") -> Framework:
    """The default profile made of ``plugins`` (name -> plugin, one for every name in
    FILTER_ORDER and SCORE_WEIGHTS). Each takes part in the extension points it implements."""
    missing = sorted((set(FILTER_ORDER) | set(SCORE_WEIGHTS)) - set(plugins))
    if missing:
        raise ValueError(f"the profile needs the plugins {', '.join(missing)}")
    filters = [plugins[n] for n in FILTER_ORDER if hasattr(plugins[n], "filter")]
    scores = [(plugins[n], w) for n, w in SCORE_WEIGHTS.items() if hasattr(plugins[n], "score")]
    return Framework(filters, scores, scheduler_name=scheduler_name)


def default_framework(scheduler_name: str = "kit-scheduler") -> Framework:
    """There is no built-in profile: its plugins are chapter 05's exercise."""
    raise LookupError("kitlib.scheduler ships no scheduling plugins (writing them is chapter 05's "
                      "exercise): pass a Framework, e.g. build_framework(plugins), or the chapter's "
                      "reference exercises.scheduler.reference.framework()")


__all__ = ["PreferredNodeAffinity", "build_framework", "default_framework", "tolerates",
           "tolerations_tolerate_taint", "requirement_matches", "default_normalize_score",
           "FILTER_ORDER", "SCORE_WEIGHTS"]
