"""The scheduling framework: the extension points of kube-scheduler, small enough to read.

    Filter  -> which nodes *can* take the pod      (every filter must say yes)
    Score   -> how good each feasible node is      (0..100 per plugin)
    NormalizeScore -> rescale a plugin's scores to 0..100 (optional, per plugin)
    weights -> total = sum(weight * score); the highest total wins
    Bind    -> tell the API server (pods/binding) — done by kitlib.scheduler.scheduler

A plugin is any object with a ``name`` and some of ``filter(pod, node_info)``,
``score(pod, node_info)``, ``normalize_score(pod, scores)``. ``FunctionPlugin`` turns
plain functions (what the exercise asks learners to write) into one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from kitlib.scheduler.resources import Resource, node_allocatable, pod_requests

MAX_NODE_SCORE = 100
MIN_NODE_SCORE = 0

SUCCESS = "Success"
UNSCHEDULABLE = "Unschedulable"
UNSCHEDULABLE_AND_UNRESOLVABLE = "UnschedulableAndUnresolvable"
ERROR = "Error"


class Status:
    """What a filter says about one node. ``None`` from a filter also means success."""

    __slots__ = ("code", "reasons", "plugin")

    def __init__(self, code: str = SUCCESS, reasons: Iterable[str] = (), plugin: str = ""):
        self.code, self.reasons, self.plugin = code, list(reasons), plugin

    @classmethod
    def unschedulable(cls, *reasons: str) -> "Status":
        """The pod does not fit now (preemption might help): e.g. "Insufficient cpu"."""
        return cls(UNSCHEDULABLE, reasons)

    @classmethod
    def unresolvable(cls, *reasons: str) -> "Status":
        """The pod can never fit this node as it is: taints, selectors, cordon."""
        return cls(UNSCHEDULABLE_AND_UNRESOLVABLE, reasons)

    @property
    def is_success(self) -> bool:
        return self.code == SUCCESS

    def __eq__(self, other) -> bool:
        return isinstance(other, Status) and (self.code, self.reasons) == (other.code, other.reasons)

    def __repr__(self) -> str:
        return f"Status({self.code}{', ' if self.reasons else ''}{', '.join(map(repr, self.reasons))})"


def unschedulable(*reasons: str) -> Status:
    return Status.unschedulable(*reasons)


def unresolvable(*reasons: str) -> Status:
    return Status.unresolvable(*reasons)


class NodeInfo:
    """A node and the pods bound to it, with their requests summed (the scheduler cache's
    view, like kube-scheduler's NodeInfo)."""

    def __init__(self, node: dict, pods: Iterable[dict] = ()):
        self.node = node
        self.name: str = node["metadata"]["name"]
        self.allocatable: Resource = node_allocatable(node)
        self.pods: list[dict] = []
        self.requested = Resource()             # real requests: what filters compare
        self.non_zero_requested = Resource()    # with 100m / 200Mi defaults: LeastAllocated
        for p in pods:
            self.add_pod(p)

    # --- what plugins read
    @property
    def labels(self) -> dict:
        return self.node.get("metadata", {}).get("labels") or {}

    @property
    def taints(self) -> list[dict]:
        return (self.node.get("spec") or {}).get("taints") or []

    @property
    def unschedulable(self) -> bool:
        return bool((self.node.get("spec") or {}).get("unschedulable"))

    # --- what the cache does
    def add_pod(self, pod: dict) -> None:
        self.pods.append(pod)
        self.requested.add(pod_requests(pod))
        self.non_zero_requested.add(pod_requests(pod, non_zero=True))

    def remove_pod(self, uid: str) -> dict | None:
        for i, p in enumerate(self.pods):
            if p["metadata"].get("uid") == uid:
                del self.pods[i]
                self.requested.add(pod_requests(p), -1)
                self.non_zero_requested.add(pod_requests(p, non_zero=True), -1)
                return p
        return None

    def set_node(self, node: dict) -> None:
        self.node, self.allocatable = node, node_allocatable(node)

    def __repr__(self) -> str:
        return (f"NodeInfo({self.name}: {len(self.pods)} pods, cpu {self.requested.milli_cpu}m/"
                f"{self.allocatable.milli_cpu}m, memory {self.requested.memory}/{self.allocatable.memory})")


class FunctionPlugin:
    """A plugin made of plain functions: ``filter(pod, node_info) -> Status | None``,
    ``score(pod, node_info) -> int``, ``normalize_score(pod, {node: score}) -> {node: score}``."""

    def __init__(self, name: str, filter: Callable | None = None, score: Callable | None = None,
                 normalize_score: Callable | None = None):
        self.name = name
        if filter is not None:
            self.filter = filter
        if score is not None:
            self.score = score
        if normalize_score is not None:
            self.normalize_score = normalize_score

    def __repr__(self) -> str:
        points = [p for p in ("filter", "score", "normalize_score") if hasattr(self, p)]
        return f"FunctionPlugin({self.name}: {', '.join(points)})"


def _raised(exc: Exception) -> str:
    """What a plugin raised, as kube-scheduler words it ("KeyError: 'cpu'"); a plugin whose
    cell still raises NotImplementedError is called not written yet."""
    from kitlib.checks.cases import NOT_IMPLEMENTED
    return NOT_IMPLEMENTED if isinstance(exc, NotImplementedError) else f"{type(exc).__name__}: {exc}"


class PluginError(Exception):
    """A plugin raised or returned something unusable; the pod's cycle ends with an error
    (kube-scheduler: "running "X" filter plugin: ...")."""


@dataclass
class Result:
    """Everything one scheduling cycle found out about one pod."""
    pod: dict
    node: str | None                                     # the chosen node, or None
    statuses: dict[str, Status] = field(default_factory=dict)      # per node: filter verdict
    raw: dict[str, dict[str, int]] = field(default_factory=dict)   # plugin -> node -> score
    normalized: dict[str, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)           # node -> weighted sum
    num_nodes: int = 0
    error: str = ""
    error_type: str = ""                # the exception a plugin raised, e.g. "KeyError"

    @property
    def feasible(self) -> list[str]:
        return [n for n, s in self.statuses.items() if s.is_success]

    @property
    def message(self) -> str:
        """kube-scheduler's FailedScheduling text: "0/3 nodes are available: 1 node(s) had
        untolerated taint(s), 2 Insufficient cpu." (reasons counted and sorted)."""
        if self.error:
            return self.error
        counts: dict[str, int] = {}
        for status in self.statuses.values():
            for reason in status.reasons:
                counts[reason] = counts.get(reason, 0) + 1
        text = f"0/{self.num_nodes} nodes are available:"
        parts = sorted(f"{n} {r}" for r, n in counts.items())
        return text + (f" {', '.join(parts)}." if parts else "")


class Framework:
    """A scheduling profile: filter plugins in order, score plugins with weights."""

    def __init__(self, filters: Iterable = (), scores: Iterable[tuple] = (),
                 scheduler_name: str = "kit-scheduler"):
        self.filters = list(filters)
        self.scores = [(p, int(w)) for p, w in scores]
        self.scheduler_name = scheduler_name

    def run_filters(self, pod: dict, node_info: NodeInfo) -> Status:
        """The first filter that rejects the node decides (like kube-scheduler)."""
        for plugin in self.filters:
            try:
                status = plugin.filter(pod, node_info)
            except Exception as exc:
                raise PluginError(f'running "{plugin.name}" filter plugin: '
                                  f"{_raised(exc)}") from exc
            if status is None:
                continue
            if not isinstance(status, Status):
                raise PluginError(f'running "{plugin.name}" filter plugin: returned '
                                  f"{type(status).__name__}, want Status or None")
            if not status.is_success:
                return Status(status.code, status.reasons, plugin.name)
        return Status()

    def run_scores(self, pod: dict, node_infos: list[NodeInfo], result: Result) -> None:
        for ni in node_infos:
            result.totals.setdefault(ni.name, 0)
        for plugin, weight in self.scores:
            raw = {}
            for ni in node_infos:
                try:
                    value = plugin.score(pod, ni)
                except Exception as exc:
                    raise PluginError(f'running "{plugin.name}" score plugin: '
                                      f"{_raised(exc)}") from exc
                if isinstance(value, bool) or not isinstance(value, int):
                    raise PluginError(f'"{plugin.name}" score plugin returned '
                                      f"{type(value).__name__} {value!r}, want int")
                raw[ni.name] = value
            result.raw[plugin.name] = dict(raw)
            normalized = raw
            if hasattr(plugin, "normalize_score"):
                try:
                    normalized = plugin.normalize_score(pod, dict(raw))
                except Exception as exc:
                    raise PluginError(f'running "{plugin.name}" normalize score: '
                                      f"{_raised(exc)}") from exc
                if not isinstance(normalized, dict) or set(normalized) != set(raw):
                    raise PluginError(f'"{plugin.name}" normalize_score must return a dict '
                                      "with the same nodes")
            for node, value in normalized.items():
                if isinstance(value, bool) or not isinstance(value, int) or \
                        not MIN_NODE_SCORE <= value <= MAX_NODE_SCORE:
                    raise PluginError(f'plugin "{plugin.name}" returns an invalid score '
                                      f"{value!r} for node {node}, it should be in the range "
                                      f"[{MIN_NODE_SCORE}, {MAX_NODE_SCORE}]")
            result.normalized[plugin.name] = dict(normalized)
            for node, value in normalized.items():
                result.totals[node] = result.totals.get(node, 0) + value * weight

    def schedule(self, pod: dict, node_infos: Iterable[NodeInfo], explain: bool = False) -> Result:
        """One scheduling cycle: filter every node, score the feasible ones, pick the best.
        Ties go to the node whose name sorts first (kube-scheduler picks one of the tied
        nodes at random). With one feasible node, scoring is skipped, as kube-scheduler
        does — unless ``explain`` asks for every score."""
        infos = sorted(node_infos, key=lambda ni: ni.name)
        result = Result(pod, None, num_nodes=len(infos))
        try:
            for ni in infos:
                result.statuses[ni.name] = self.run_filters(pod, ni)
            feasible = [ni for ni in infos if result.statuses[ni.name].is_success]
            if not feasible:
                return result
            if len(feasible) == 1 and not explain:
                result.node = feasible[0].name
                return result
            self.run_scores(pod, feasible, result)
        except PluginError as exc:
            result.error = str(exc)
            result.error_type = type(exc.__cause__).__name__ if exc.__cause__ else ""
            return result
        best = max(result.totals.values())
        result.node = min(n for n, t in result.totals.items() if t == best)
        return result
