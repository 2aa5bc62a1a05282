"""Control loops in plain Python, before the real ones: observe, compare with what is
wanted, act a little, repeat. Chapter 2's thermostat (its exercise, the decision step of a
ReplicaSet-like controller, is ``exercises.desired``)."""
from __future__ import annotations

from dataclasses import dataclass


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

