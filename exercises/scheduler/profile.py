"""The eight functions chapter 05 asks for, put in kube-scheduler's default profile as its
plugins. The learner's functions and the chapter's reference go through the same
``framework(...)``; preferred node affinity, which the exercise skips, comes from kitlib."""
from __future__ import annotations

from typing import Callable

from kitlib.scheduler import Framework, FunctionPlugin, build_framework
from kitlib.scheduler.plugins import PreferredNodeAffinity

# What the chapter's solution cells define, in the order the questions ask for them.
FUNCTIONS = ("node_unschedulable_filter", "node_resources_fit_filter", "node_affinity_filter",
             "taint_toleration_filter", "taint_toleration_score", "taint_toleration_normalize",
             "least_allocated_score", "balanced_allocation_score")


def framework(functions: dict[str, Callable], scheduler_name: str = "kit-scheduler") -> Framework:
    """The profile made of ``functions`` (name in FUNCTIONS -> function)."""
    f = functions
    preferred = PreferredNodeAffinity()
    return build_framework({
        "NodeUnschedulable": FunctionPlugin("NodeUnschedulable", filter=f["node_unschedulable_filter"]),
        "TaintToleration": FunctionPlugin("TaintToleration", filter=f["taint_toleration_filter"],
                                          score=f["taint_toleration_score"],
                                          normalize_score=f["taint_toleration_normalize"]),
        "NodeAffinity": FunctionPlugin("NodeAffinity", filter=f["node_affinity_filter"],
                                       score=preferred.score, normalize_score=preferred.normalize_score),
        "NodeResourcesFit": FunctionPlugin("NodeResourcesFit", filter=f["node_resources_fit_filter"],
                                           score=f["least_allocated_score"]),
        "NodeResourcesBalancedAllocation": FunctionPlugin("NodeResourcesBalancedAllocation",
                                                          score=f["balanced_allocation_score"]),
    }, scheduler_name)
