"""Chapter 02's check: the decision step of a ReplicaSet-like controller,
``plan(desired, pods) -> {"create": n, "delete": [names]}``. Terminating pods do not
count; surplus pods go not-ready first, then youngest (ties by name). The expected plans
are worked out by hand; the hidden ones are in the chapter's test cell (its hidden-test
block), not here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kitlib.checks import Case


@dataclass(frozen=True)
class Pod:
    """What the learner's ``plan`` gets for each pod that exists now."""
    name: str
    ready: bool = True
    terminating: bool = False
    age: int = 100                  # seconds


def expect(fn: Callable, desired: int, pods: list[Pod], create: int,
            delete: list[str]) -> Callable[[], None]:
    want = {"create": create, "delete": delete}

    def check() -> None:
        got = fn(desired, list(pods))
        assert isinstance(got, dict), f"return a dict like {want}, not {type(got).__name__}"
        assert set(got) == {"create", "delete"}, (f"the dict needs exactly the keys 'create' and "
                                                  f"'delete', got {sorted(got)}")
        assert isinstance(got["create"], int), f"'create' must be an int, got {got['create']!r}"
        assert got["create"] == create, f"create {create} pods, not {got['create']}"
        deleted = sorted(got["delete"]) if isinstance(got["delete"], (list, tuple, set)) else got["delete"]
        assert deleted == delete, f"delete {delete}, not {deleted}"
    return check


def plan_cases(fn: Callable) -> list[Case]:
    three = [Pod("web-a", age=100), Pod("web-b", age=300), Pod("web-c", age=200)]
    going = [Pod("web-a", terminating=True), *three[1:]]
    return [
        Case("desired == current: nothing to do", expect(fn, 3, three, 0, []), time_limit=5),
        Case("2 pods missing: create 2", expect(fn, 5, three, 2, []), time_limit=5),
        Case("one too many: delete the youngest", expect(fn, 2, three, 0, ["web-a"]), time_limit=5),
        Case("terminating pods do not count", expect(fn, 3, going, 1, []), time_limit=5),
        Case("scale to zero deletes all", expect(fn, 0, three, 0, ["web-a", "web-b", "web-c"]),
             time_limit=5),
    ]

