"""Checks for chapter 10's exercise, run in the grader's own kernel: ``components_down(api)``
must say which of kube-scheduler and kube-controller-manager are down, from what the API
server shows.

Each scenario puts the cluster in a known state with the kit's own hands
(``kitlib.cluster.components``: a component *stopped* hands back its Lease on the way out;
one *frozen* keeps holding it and goes quiet, as a hung or crashed process does), waits
until the API shows that state (the checker reads the Leases itself), asks the learner's
function and compares with the truth the checker made. Everything runs again after each
scenario, however it ends.

The learner's function runs in the learner's kernel, which (when graded) has only an API
client: the machine's processes are not its to look at.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import time
from dataclasses import dataclass

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kitlib.checks import Case, Summary, run_cases
from kitlib.cluster import components

WATCHED = ("kube-scheduler", "kube-controller-manager")
POINTS = 6                     # the question's points: public and hidden scenarios together
SETTLE = 60                    # seconds the API may take to show a state (a Lease expiring)
QUIET = {"report": lambda line: None}


@dataclass(frozen=True)
class Scenario:
    name: str
    stop: tuple[str, ...] = ()
    freeze: tuple[str, ...] = ()
    points: float = 1

    @property
    def down(self) -> set[str]:
        return set(self.stop) | set(self.freeze)


PUBLIC = [
    Scenario("everything runs: nothing is down"),
    Scenario("kube-scheduler stopped", stop=("kube-scheduler",)),
    Scenario("kube-controller-manager stopped", stop=("kube-controller-manager",)),
]


def _shows_down(api, name: str) -> bool:
    """The checker's own reading of ``name``'s Lease: released, missing or expired."""
    try:
        spec = client.CoordinationV1Api(api).read_namespaced_lease(name, "kube-system").spec
    except ApiException as exc:
        if exc.status == 404:
            return True
        raise
    renewed = spec.renew_time or spec.acquire_time
    if not spec.holder_identity or renewed is None:
        return True
    age = (dt.datetime.now(dt.timezone.utc) - renewed).total_seconds()
    return age > (spec.lease_duration_seconds or 0)


def _wait_until_visible(api, down: set[str]) -> None:
    deadline = time.monotonic() + SETTLE
    while {n for n in WATCHED if _shows_down(api, n)} != down:
        if time.monotonic() > deadline:
            shown = sorted(n for n in WATCHED if _shows_down(api, n))
            raise RuntimeError(f"the cluster did not settle in {SETTLE}s: its Leases show "
                               f"{shown or 'nothing'} down, the checker made {sorted(down) or 'nothing'} "
                               "down (a broken cluster, not your answer: run `kit up`)")
        time.sleep(0.5)
    time.sleep(1.0)      # a margin: a Lease that just expired for us has for the learner too


def _as_names(value) -> set[str]:
    if isinstance(value, str) or not isinstance(value, (set, frozenset, list, tuple)):
        raise AssertionError(f"components_down returned {value!r}: return a set of component "
                             "names, e.g. {'kube-scheduler'}, or set() when all run")
    if not all(isinstance(v, str) for v in value):
        raise AssertionError(f"components_down returned {value!r}: the names must be strings")
    return set(value)


def _show(names: set[str]) -> str:
    return "{" + ", ".join(repr(n) for n in sorted(names)) + "}" if names else "set()"


@contextlib.contextmanager
def in_state(api, sc: Scenario):
    """The cluster as ``sc`` says, once the API shows it; everything running again after."""
    with contextlib.ExitStack() as stack:
        for name in sc.stop:
            stack.enter_context(components.stopped(name, **QUIET))
        for name in sc.freeze:
            stack.enter_context(components.frozen(name, **QUIET))
        _wait_until_visible(api, sc.down)
        yield


def verdict(components_down, api, sc: Scenario) -> None:
    """Ask ``components_down`` in ``sc``'s state (already made); AssertionError if wrong."""
    got = _as_names(components_down(api))
    if got != sc.down:
        raise AssertionError(f"your function returned {_show(got)}")


def scenario_case(api, components_down, sc: Scenario, hidden: bool = False) -> Case:
    def check() -> None:
        with in_state(api, sc):
            verdict(components_down, api, sc)
    return Case(sc.name, check, sc.points, time_limit=240, hidden=hidden)


def run(api, components_down, title: str, scenarios: list[Scenario], hidden: bool = False,
        out_of: float | None = None) -> Summary:
    components.all_running(**QUIET)      # a chapter cell may have left one stopped
    return run_cases(title, [scenario_case(api, components_down, sc, hidden) for sc in scenarios],
                     out_of=out_of)


def public(api, components_down) -> Summary:
    return run(api, components_down, "components_down: public checks", PUBLIC, out_of=POINTS)
