"""A mini kube-scheduler: the scheduling framework (Filter, Score, NormalizeScore,
weights, Bind), kube-scheduler's default profile to fill with plugins, and a scheduling
loop that places real pods on the kit's cluster.

    from kitlib.scheduler import Scheduler, build_framework
    with Scheduler(api, build_framework(plugins)):   # pods with schedulerName "kit-scheduler"
        ...                                          # are placed while the block runs

    python -m kitlib.scheduler --framework module:function   # the same as a process

The plugins themselves (kube-scheduler v1.37.0's maths) are chapter 05's exercise; its
stage, checks and reference live in ``exercises.scheduler``, not here.

Layout (kube-scheduler's names):
    framework.py   Status, NodeInfo, Framework (filter -> score -> normalize -> pick)
    plugins/       the default profile's order and weights, shared helpers (tolerations,
                   node-selector requirements, normalization), preferred node affinity
    resources.py   quantities, a pod's requests, a node's allocatable
    cache.py       nodes and bound pods (fed by kitlib.client's informers), assumed pods
    queue.py       the scheduling queue: priority order, back-off for pods that fit nowhere
    scheduler.py   informers, scheduling loop, binding, events
    visual.py      per-node x per-plugin tables, utilization plots
"""
from kitlib.scheduler.framework import (
                                        MAX_NODE_SCORE,
                                        Framework,
                                        FunctionPlugin,
                                        NodeInfo,
                                        Result,
                                        Status,
                                        unresolvable,
                                        unschedulable,
)
from kitlib.scheduler.plugins import (
                                        build_framework,
                                        default_framework,
                                        requirement_matches,
                                        tolerates,
                                        tolerations_tolerate_taint,
)
from kitlib.scheduler.resources import Resource, pod_requests
from kitlib.scheduler.scheduler import SCHEDULER_NAME, Scheduler, SchedulingFailing

__all__ = ["MAX_NODE_SCORE", "Framework", "FunctionPlugin", "NodeInfo", "Result", "SchedulingFailing", "Status",
           "unresolvable", "unschedulable", "build_framework", "default_framework",
           "requirement_matches", "tolerates", "tolerations_tolerate_taint", "Resource",
           "pod_requests", "SCHEDULER_NAME", "Scheduler"]
