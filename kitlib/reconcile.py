"""Control loops in plain Python, before the real ones: observe, compare with what is
wanted, act a little, repeat. Chapter 2's thermostat and its graded exercise (the decision
step of a ReplicaSet-like controller)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kitlib.checks import Case


@dataclass
class Room:
    """A room that loses heat to the outside, with a heater that adds 1.5 °C a step."""
    temperature: float
    outside: float = 10.0
    heater_on: bool = False

    def tick(self) -> None:
        self.temperature += (1.5 if self.heater_on else 0.0) - 0.1 * (self.temperature - self.outside)
        self.temperature = round(self.temperature, 2)


def thermostat(desired: float, observed: float, band: float = 0.5) -> str:
    """The reconcile step: compare desired with observed and decide; it keeps no memory."""
    if observed < desired - band:
        return "heat"
    if observed > desired + band:
        return "off"
    return "hold"


def run_loop(room: Room, desired: float, steps: int,
             disturbances: dict[int, float] | None = None) -> list[dict]:
    """Run the control loop ``steps`` times. ``disturbances`` maps a step to a sudden
    change of temperature (a window opened). Returns one row per step."""
    rows = []
    for step in range(steps):
        if disturbances and step in disturbances:
            room.temperature = round(room.temperature + disturbances[step], 2)
        observed = room.temperature                       # observe
        action = thermostat(desired, observed)            # compare
        if action != "hold":                              # act
            room.heater_on = action == "heat"
        rows.append({"step": step, "desired": desired, "observed": observed, "action": action})
        room.tick()
    return rows


# --- the exercise: what should a ReplicaSet controller do? ---------------------------

@dataclass(frozen=True)
class Pod:
    name: str
    ready: bool = True
    terminating: bool = False
    age: int = 100                  # seconds


def reference_plan(desired: int, pods: list[Pod]) -> dict:
    """Terminating pods are already going: they do not count. Create what is missing; when
    there are too many, delete the not-ready ones first, then the youngest (ties: by name)."""
    active = [p for p in pods if not p.terminating]
    if len(active) <= desired:
        return {"create": desired - len(active), "delete": []}
    order = sorted(active, key=lambda p: (p.ready, p.age, p.name))
    return {"create": 0, "delete": sorted(p.name for p in order[: len(active) - desired])}


def _expect(fn: Callable, desired: int, pods: list[Pod]) -> Callable[[], None]:
    def check() -> None:
        want = reference_plan(desired, pods)
        got = fn(desired, list(pods))
        assert isinstance(got, dict), f"return a dict like {want}, not {type(got).__name__}"
        assert set(got) == {"create", "delete"}, f"the dict needs exactly the keys 'create' and 'delete', got {sorted(got)}"
        assert isinstance(got["create"], int), f"'create' must be an int, got {got['create']!r}"
        assert got["create"] == want["create"], f"create {want['create']} pods, not {got['create']}"
        deleted = sorted(got["delete"]) if isinstance(got["delete"], (list, tuple, set)) else got["delete"]
        assert deleted == want["delete"], f"delete {want['delete']}, not {deleted}"
    return check


def plan_cases(fn: Callable) -> list[Case]:
    three = [Pod("web-a", age=100), Pod("web-b", age=300), Pod("web-c", age=200)]
    return [
        Case("desired == current: nothing to do", _expect(fn, 3, three), time_limit=5),
        Case("2 pods missing: create 2", _expect(fn, 5, three), time_limit=5),
        Case("one too many: delete the youngest", _expect(fn, 2, three), time_limit=5),
        Case("terminating pods do not count", _expect(fn, 3, [Pod("web-a", terminating=True), *three[1:]]), time_limit=5),
        Case("scale to zero deletes all", _expect(fn, 0, three), time_limit=5),
    ]


def hidden_plan_cases(fn: Callable) -> list[Case]:
    mixed = [Pod("web-a", age=300), Pod("web-b", ready=False, age=500), Pod("web-c", age=50),
             Pod("web-d", terminating=True, age=10)]
    return [
        Case("not-ready pods are deleted first", _expect(fn, 2, mixed), time_limit=5, hidden=True),
        Case("no pods at all", _expect(fn, 2, []), time_limit=5, hidden=True),
    ]
