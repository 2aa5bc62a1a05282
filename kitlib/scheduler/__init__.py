"""A mini kube-scheduler: the scheduling framework (Filter, Score, NormalizeScore,
weights, Bind), reference plugins with kube-scheduler v1.37.0's maths, and a scheduling
loop that places real pods on the kit's cluster.

    from kitlib.scheduler import Scheduler
    with Scheduler():                        # pods with schedulerName "kit-scheduler"
        ...                                  # are placed while the block runs

    python -m kitlib.scheduler               # the same as a process (Ctrl-C stops it)

Layout (kube-scheduler's names):
    framework.py   Status, NodeInfo, Framework (filter -> score -> normalize -> pick)
    plugins/       NodeUnschedulable, NodeResourcesFit (+ LeastAllocated), NodeAffinity,
                   TaintToleration, BalancedAllocation — one module each
    cache.py       nodes and bound pods (fed by kitlib.client's informers), assumed pods
    queue.py       the scheduling queue: priority order, back-off for pods that fit nowhere
    scheduler.py   informers, scheduling loop, binding, events
    scenarios.py   simulated nodes and pods for exercises and tests
    checks.py      the exercise's graded checks
    visual.py      per-node x per-plugin tables, utilization plots, the race
"""
from kitlib.scheduler.framework import (MAX_NODE_SCORE, Framework, FunctionPlugin, NodeInfo,
                                        Result, Status, unresolvable, unschedulable)
from kitlib.scheduler.plugins import (build_framework, default_framework, requirement_matches,
                                      tolerates, tolerations_tolerate_taint)
from kitlib.scheduler.resources import Resource, pod_requests
from kitlib.scheduler.scheduler import SCHEDULER_NAME, Scheduler

__all__ = ["MAX_NODE_SCORE", "Framework", "FunctionPlugin", "NodeInfo", "Result", "Status",
           "unresolvable", "unschedulable", "build_framework", "default_framework",
           "requirement_matches", "tolerates", "tolerations_tolerate_taint", "Resource",
           "pod_requests", "SCHEDULER_NAME", "Scheduler"]
