"""Stop and start the control plane's own components, to watch what each one does by its
absence (chapter 10), on clusters the kit made:

    >>> from kitlib.cluster import components
    >>> components.stop("kube-scheduler")        # new pods now stay Pending
    >>> components.start("kube-scheduler")       # and are placed again
    >>> with components.stopped("kube-controller-manager"): ...   # restarted on the way out
    >>> with components.frozen("kube-scheduler"): ...   # hung, not stopped: keeps its Lease

kind runs them as static pods of the control-plane node (the kubelet runs what its
manifests folder holds); the Docker-free provider as local processes started by kwokctl,
etcd included. A cluster the kit did not make (the existing provider) is never touched.
`kit up` starts again whatever a chapter left stopped.
"""
from __future__ import annotations

import contextlib
import time

from kitlib.cluster.base import ClusterDir, ClusterError, Provider

COMPONENTS = ("kube-scheduler", "kube-controller-manager", "etcd")


def _cluster_provider(name: str | None, report) -> Provider:
    from kitlib.cluster import PROVIDERS, cluster_name
    cluster = ClusterDir(cluster_name(name))
    record = cluster.read()
    if record is None or record.phase != "ready":
        raise ClusterError(f"cluster {cluster.name!r} is not up: run `kit up` first")
    return PROVIDERS[record.provider](cluster, report)


def _provider(component: str, name: str | None, report) -> Provider:
    provider = _cluster_provider(name, report)
    if component not in provider.stoppable:
        if component not in COMPONENTS:
            raise ClusterError(f"{component!r} is not a control-plane component the kit can "
                               f"stop; choose one of {', '.join(COMPONENTS)}")
        can = ", ".join(provider.stoppable) or "none: the kit did not make this cluster"
        raise ClusterError(f"the kit does not stop {component} on the {provider.name} "
                           f"provider (it can: {can})")
    return provider


def _wait(provider: Provider, component: str, want: bool, timeout: float) -> float:
    started = time.monotonic()
    while provider.component_running(component) != want:
        if time.monotonic() - started > timeout:
            state = "running" if want else "stopped"
            raise ClusterError(f"{component} is not {state} after {timeout:.0f}s")
        time.sleep(0.5)
    return time.monotonic() - started


def stoppable(name: str | None = None) -> tuple[str, ...]:
    """The components the kit can stop on this cluster: none where it did not make the
    cluster (an existing one, or a learner's kernel while it is graded)."""
    try:
        return _cluster_provider(name, lambda _: None).stoppable
    except ClusterError:
        return ()


def running(component: str, name: str | None = None) -> bool:
    """Is ``component`` of the kit's cluster running now?"""
    return _provider(component, name, lambda _: None).component_running(component)


def stop(component: str, name: str | None = None, report=print, timeout: float = 90) -> None:
    """Stop ``component``; returns once it has exited."""
    provider = _provider(component, name, report)
    provider.stop_component(component)
    took = _wait(provider, component, False, timeout)
    report(f"{component} stopped ({took:.0f}s)")


def start(component: str, name: str | None = None, report=print, timeout: float = 120) -> None:
    """Start ``component`` again (nothing happens if it runs); returns once it runs."""
    provider = _provider(component, name, report)
    provider.start_component(component)
    took = _wait(provider, component, True, timeout)
    report(f"{component} running ({took:.0f}s)")


@contextlib.contextmanager
def stopped(component: str, name: str | None = None, report=print):
    """``component`` stopped inside the block, started again however the block ends."""
    stop(component, name, report)
    try:
        yield
    finally:
        start(component, name, report)


def freeze(component: str, name: str | None = None, report=print) -> None:
    """Freeze ``component`` (SIGSTOP): it holds on to everything and does nothing, as a hung
    process does — unlike :func:`stop`, it does not hand back its leader-election Lease."""
    _provider(component, name, report).signal_component(component, "STOP")
    report(f"{component} frozen")


def thaw(component: str, name: str | None = None, report=print) -> None:
    _provider(component, name, report).signal_component(component, "CONT")
    report(f"{component} thawed")


@contextlib.contextmanager
def frozen(component: str, name: str | None = None, report=print):
    """``component`` frozen inside the block, thawed however the block ends."""
    freeze(component, name, report)
    try:
        yield
    finally:
        thaw(component, name, report)


def start_all(provider: Provider) -> list[str]:
    """Start whatever the provider's components a chapter left stopped (``kit up`` on a
    running cluster) and thaw what one left frozen; the names it started."""
    left = [c for c in provider.stoppable if not provider.component_running(c)]
    for component in provider.stoppable:
        if component not in left:
            provider.signal_component(component, "CONT")     # a no-op unless frozen
    for component in left:
        provider.start_component(component)
        _wait(provider, component, True, 120)
    return left


def all_running(name: str | None = None, report=print) -> list[str]:
    """Every component the kit can stop on this cluster running and thawed; the names it
    had to start."""
    return start_all(_cluster_provider(name, report))
