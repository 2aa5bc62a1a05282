"""NodeResourcesFit: does the node have room (CPU, memory, pod slots) for the pod? Its
score is the LeastAllocated strategy (kube-scheduler's default): prefer emptier nodes.

Filter (kube-scheduler fit.go ``fitsRequest``), with the pod's *real* requests:
  * "Too many pods"        when pods on node + 1 > allocatable pods
  * "Insufficient cpu"     when the pod asks for CPU and requested + pod > allocatable
  * "Insufficient memory"  likewise for memory
  (all failing reasons are reported, in that order; a pod requesting nothing only
  needs a pod slot)

Score (least_allocated.go), with the *non-zero* requests (request-less containers count
as 100m CPU / 200Mi memory):
  per resource r: (allocatable - requested) * 100 // allocatable   (0 if over-requested)
  score = (cpu_score * 1 + memory_score * 1) // 2                 (weights 1 and 1)
where requested already includes the pod being scheduled.
"""
from __future__ import annotations

from kitlib.scheduler.framework import MAX_NODE_SCORE, NodeInfo, Status
from kitlib.scheduler.resources import pod_requests

NAME = "NodeResourcesFit"
RESOURCE_WEIGHTS = (("cpu", 1), ("memory", 1))   # NodeResourcesFitArgs default


def insufficient_resources(pod: dict, node_info: NodeInfo) -> list[str]:
    reasons = []
    alloc, used = node_info.allocatable, node_info.requested
    if len(node_info.pods) + 1 > alloc.pods:
        reasons.append("Too many pods")
    want = pod_requests(pod)
    if want.milli_cpu == 0 and want.memory == 0:
        return reasons
    if want.milli_cpu > 0 and want.milli_cpu > alloc.milli_cpu - used.milli_cpu:
        reasons.append("Insufficient cpu")
    if want.memory > 0 and want.memory > alloc.memory - used.memory:
        reasons.append("Insufficient memory")
    return reasons


def least_requested_score(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


def least_allocated_score(pod: dict, node_info: NodeInfo) -> int:
    want = pod_requests(pod, non_zero=True)
    have = node_info.non_zero_requested
    per_resource = {
        "cpu": (have.milli_cpu + want.milli_cpu, node_info.allocatable.milli_cpu),
        "memory": (have.memory + want.memory, node_info.allocatable.memory)}
    node_score = weight_sum = 0
    for resource, weight in RESOURCE_WEIGHTS:
        requested, allocatable = per_resource[resource]
        if allocatable == 0:
            continue
        node_score += least_requested_score(requested, allocatable) * weight
        weight_sum += weight
    return node_score // weight_sum if weight_sum else 0


class NodeResourcesFit:
    name = NAME

    def filter(self, pod: dict, node_info: NodeInfo) -> Status | None:
        reasons = insufficient_resources(pod, node_info)
        return Status.unschedulable(*reasons) if reasons else None

    def score(self, pod: dict, node_info: NodeInfo) -> int:
        return least_allocated_score(pod, node_info)
