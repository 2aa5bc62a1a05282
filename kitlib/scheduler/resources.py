"""Resource quantities and what a pod asks for, computed the way kube-scheduler does.

Pods and nodes are plain dicts shaped like the API's JSON (``pod["spec"]["containers"]``),
so a manifest, an object read from the API and a test scenario all look the same.

Two views of a pod's requests (kube-scheduler keeps both):

* ``pod_requests(pod)`` — what the containers really request (a missing request is 0).
  Filtering (NodeResourcesFit) and BalancedAllocation use this.
* ``pod_requests(pod, non_zero=True)`` — the same, but a container that names no CPU
  request counts as 100m and one that names no memory request as 200Mi. Only
  LeastAllocated (NodeResourcesFit's score) uses this, so that many request-less pods do
  not all look "free" and pile onto one node.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache

DEFAULT_MILLI_CPU_REQUEST = 100                 # 0.1 core
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024      # 200 MiB

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal("1e3"), "M": Decimal("1e6"), "G": Decimal("1e9"),
            "T": Decimal("1e12"), "P": Decimal("1e15"), "E": Decimal("1e18")}


def parse_quantity(value) -> Decimal:
    """A Kubernetes quantity ("250m", "1.5Gi", "2", 4, "1e3") as a Decimal."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a quantity: {value!r}")
    text = value.strip()
    for suffix, factor in _BINARY.items():
        if text.endswith(suffix):
            return Decimal(text[:-2]) * factor
    if not text[-1].isdigit() and text[-1] in _DECIMAL:    # "1e3" ends in a digit
        return Decimal(text[:-1]) * _DECIMAL[text[-1]]
    return Decimal(text)


@lru_cache(maxsize=4096)
def _milli(value) -> int:
    return int((parse_quantity(value) * 1000).to_integral_value(rounding=ROUND_CEILING))


@lru_cache(maxsize=4096)
def _units(value) -> int:
    return int(parse_quantity(value).to_integral_value(rounding=ROUND_CEILING))


def milli_value(value) -> int:
    """Like Quantity.MilliValue(): thousandths, rounded up ("100m" -> 100, "1" -> 1000)."""
    return _milli(value) if isinstance(value, (str, int)) else _milli.__wrapped__(value)


def int_value(value) -> int:
    """Like Quantity.Value(): whole units, rounded up ("1Ki" -> 1024)."""
    return _units(value) if isinstance(value, (str, int)) else _units.__wrapped__(value)


@dataclass
class Resource:
    """CPU in millicores, memory in bytes (and, for a node, how many pods it takes)."""
    milli_cpu: int = 0
    memory: int = 0
    pods: int = 0

    def add(self, other: "Resource", sign: int = 1) -> None:
        self.milli_cpu += sign * other.milli_cpu
        self.memory += sign * other.memory

    def copy(self) -> "Resource":
        return Resource(self.milli_cpu, self.memory, self.pods)


def _requests_of(container: dict, non_zero: bool) -> Resource:
    requests = ((container.get("resources") or {}).get("requests")) or {}
    cpu = milli_value(requests["cpu"]) if "cpu" in requests else (
        DEFAULT_MILLI_CPU_REQUEST if non_zero else 0)
    memory = int_value(requests["memory"]) if "memory" in requests else (
        DEFAULT_MEMORY_REQUEST if non_zero else 0)
    return Resource(cpu, memory)


def pod_requests(pod: dict, non_zero: bool = False) -> Resource:
    """What ``pod`` requests: the sum over its containers, at least the largest init
    container (sidecars — restartPolicy Always — add up like containers), pod-level
    requests where set, plus the RuntimeClass overhead."""
    spec = pod.get("spec") or {}
    total = Resource()
    for c in spec.get("containers") or []:
        total.add(_requests_of(c, non_zero))
    sidecars, init_max = Resource(), Resource()
    for c in spec.get("initContainers") or []:
        r = _requests_of(c, non_zero)
        if c.get("restartPolicy") == "Always":
            total.add(r)
            sidecars.add(r)
            r = sidecars.copy()
        else:
            r.add(sidecars)
        init_max = Resource(max(init_max.milli_cpu, r.milli_cpu), max(init_max.memory, r.memory))
    total = Resource(max(total.milli_cpu, init_max.milli_cpu), max(total.memory, init_max.memory))
    pod_level = ((spec.get("resources") or {}).get("requests")) or {}
    if "cpu" in pod_level:
        total.milli_cpu = milli_value(pod_level["cpu"])
    if "memory" in pod_level:
        total.memory = int_value(pod_level["memory"])
    overhead = spec.get("overhead") or {}
    if "cpu" in overhead:
        total.milli_cpu += milli_value(overhead["cpu"])
    if "memory" in overhead:
        total.memory += int_value(overhead["memory"])
    return total


def node_allocatable(node: dict) -> Resource:
    alloc = ((node.get("status") or {}).get("allocatable")) or {}
    return Resource(milli_value(alloc.get("cpu", 0)), int_value(alloc.get("memory", 0)),
                    int_value(alloc.get("pods", 0)))


def fmt_cpu(milli: int) -> str:
    return f"{milli // 1000}" if milli % 1000 == 0 else f"{milli}m"


def fmt_memory(b: int) -> str:
    for unit, factor in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if b and b % factor == 0:
            return f"{b // factor}{unit}"
    return str(b)
