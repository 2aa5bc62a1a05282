"""NodeResourcesBalancedAllocation: prefer nodes whose CPU and memory would be used in
similar proportions, so that neither runs out while the other sits idle.

This follows kube-scheduler **v1.37.0**, i.e. the formula *after* kubernetes PR #135573
(late 2025), which scores the *change* in balance the pod causes:

    fraction(r)   = min(requested(r) / allocatable(r), 1)      (real requests, no defaults)
    balance(req)  = int((1 - std) * 100), std = |f_cpu - f_mem| / 2 for two resources
    with_pod      = balance(node's requests + pod's requests)
    without_pod   = balance(node's requests)
    score         = 50 + (50 + with_pod - without_pod) // 2     (integer maths, 50..100)

Before that PR the score was just ``with_pod``. A pod that requests nothing at all
(best effort) is not scored by this plugin (score 0 on every node). Resources a node does
not have (allocatable 0) are left out.
"""
from __future__ import annotations

import math

from kitlib.scheduler.framework import MAX_NODE_SCORE, NodeInfo
from kitlib.scheduler.resources import pod_requests

NAME = "NodeResourcesBalancedAllocation"


def balanced_resource_score(requested: list[int], allocatable: list[int]) -> int:
    fractions = []
    for req, alloc in zip(requested, allocatable):
        if alloc == 0:
            continue
        fractions.append(min(req / alloc, 1.0))
    std = 0.0
    if len(fractions) == 2:
        std = abs((fractions[0] - fractions[1]) / 2)
    elif len(fractions) > 2:
        mean = sum(fractions) / len(fractions)
        std = math.sqrt(sum((f - mean) ** 2 for f in fractions) / len(fractions))
    return int((1 - std) * MAX_NODE_SCORE)


def balanced_allocation_score(pod: dict, node_info: NodeInfo) -> int:
    want = pod_requests(pod)
    if want.milli_cpu == 0 and want.memory == 0:
        return 0                                  # best effort: skipped
    alloc = [node_info.allocatable.milli_cpu, node_info.allocatable.memory]
    before = [node_info.requested.milli_cpu, node_info.requested.memory]
    after = [before[0] + want.milli_cpu, before[1] + want.memory]
    with_pod = balanced_resource_score(after, alloc)
    without_pod = balanced_resource_score(before, alloc)
    half = MAX_NODE_SCORE // 2
    return half + (half + with_pod - without_pod) // 2


class BalancedAllocation:
    name = NAME

    def score(self, pod: dict, node_info: NodeInfo) -> int:
        return balanced_allocation_score(pod, node_info)
