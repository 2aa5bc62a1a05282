"""Boot, reuse, inspect and remove the course's Kubernetes cluster.

    >>> from kitlib import cluster
    >>> cluster.up()            # reuse the running cluster, or make one
    >>> cluster.status()
    >>> cluster.down()

Three providers share one interface (``kitlib.cluster.base.Provider``):
``kind`` (Docker), ``kwok`` (Docker-free: real control plane, simulated nodes) and
``existing`` (a kubeconfig someone hands you). Without a choice, the kit reuses what it
recorded, else picks kind when a Docker engine answers, else kwok, and says why.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from kitlib.cluster import docker
from kitlib.cluster.base import DEFAULT_NAME, ClusterDir, ClusterError, Provider, Status
from kitlib.cluster.providers.existing import KUBECONFIG_ENV, ExistingProvider
from kitlib.cluster.providers.kind import KindProvider
from kitlib.cluster.providers.kwok import KwokProvider
from kitlib.paths import state_dir

PROVIDERS: dict[str, type[Provider]] = {
    "kind": KindProvider, "kwok": KwokProvider, "existing": ExistingProvider}
PROVIDER_ENV, NAME_ENV = "KIT_PROVIDER", "KIT_CLUSTER"
KUBECACHEDIR_ENV = "KUBECACHEDIR"     # kubectl's discovery cache (default ~/.kube/cache)
ALIASES = {"docker-free": "kwok", "dockerfree": "kwok"}

__all__ = ["up", "down", "status", "choose_provider", "ClusterError", "PROVIDERS"]


def cluster_name(name: str | None = None) -> str:
    return name or os.environ.get(NAME_ENV) or DEFAULT_NAME


def choose_provider(requested: str | None = None, name: str | None = None,
                    engine_answers: Callable[[], tuple[bool, str]] = docker.engine_answers
                    ) -> tuple[str, str]:
    """Which provider to use, and why (one line for the user)."""
    requested = (requested or os.environ.get(PROVIDER_ENV) or "").strip().lower()
    requested = ALIASES.get(requested, requested)
    if requested:
        if requested not in PROVIDERS:
            raise ClusterError(f"unknown provider {requested!r}; choose one of "
                               f"{', '.join(PROVIDERS)} (or docker-free for kwok)")
        return requested, "chosen explicitly (--provider or KIT_PROVIDER)"
    record = ClusterDir(cluster_name(name)).read()
    if record:
        return record.provider, f"the kit already manages cluster {record.name!r} with it"
    if os.environ.get(KUBECONFIG_ENV):
        return "existing", f"{KUBECONFIG_ENV} is set"
    ok, why = engine_answers()
    if ok:
        return "kind", f"{why} answers, so pods run in real containers"
    return "kwok", f"no Docker engine ({why}); real control plane with simulated nodes"


def _provider(requested: str | None, name: str | None, report) -> Provider:
    chosen, why = choose_provider(requested, name)
    report(f"provider: {chosen} ({why})")
    return PROVIDERS[chosen](ClusterDir(cluster_name(name)), report)


def kubectl_cache_dir() -> Path:
    """Where kubectl keeps its discovery cache for the kit's clusters (set as $KUBECACHEDIR)."""
    return state_dir() / "kubectl-cache"


def _use_in_this_process(cluster: ClusterDir) -> None:
    """Point this process (and `!kubectl` cells) at the kit's kubeconfig and tools; kubectl's
    discovery cache goes to the kit's state directory, not ~/.kube/cache."""
    from kitlib.cluster.tools import binary_path
    os.environ["KUBECONFIG"] = str(cluster.kubeconfig)
    os.environ[KUBECACHEDIR_ENV] = str(kubectl_cache_dir())
    kubectl_dir = str(binary_path("kubectl").parent)
    if kubectl_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = kubectl_dir + os.pathsep + os.environ.get("PATH", "")


def up(provider: str | None = None, name: str | None = None, report=None) -> Status:
    """Make sure the cluster is running (reusing it if it is) and return its status."""
    from kitlib.progress import reporter
    with reporter(report) as say:
        p = _provider(provider, name, say)
        p.preflight()
        try:
            p.up()
        except KeyboardInterrupt:
            say("interrupted: `kit up` or `kit down` will clean up what was started")
            raise
        _use_in_this_process(p.cluster)
        return status(name)


def down(name: str | None = None, report=None) -> None:
    """Remove the cluster the kit made (only that one). Harmless when there is none."""
    from kitlib.progress import reporter
    with reporter(report) as say:
        cluster = ClusterDir(cluster_name(name))
        record = cluster.read()
        if record is None and not cluster.path.exists():
            say(f"no cluster {cluster.name!r} recorded; nothing to remove")
        else:
            provider = record.provider if record else "kwok"   # partial kwok state has no record
            PROVIDERS[provider](cluster, say).down()
        _remove_if_empty(cluster.path.parent)          # <state>/clusters, when nothing is left


def _remove_if_empty(directory: Path) -> None:
    """Remove ``directory`` only if it is empty (rmdir never deletes contents)."""
    try:
        directory.rmdir()          # only ever removes an empty directory
    except OSError:
        pass


def status(name: str | None = None) -> Status:
    cluster = ClusterDir(cluster_name(name))
    record = cluster.read()
    if record is None:
        return Status(cluster.name, "-", False, "not created (run `kit up`)")
    alive, detail = PROVIDERS[record.provider](cluster, lambda _: None).running()
    if record.phase != "ready":
        detail = f"unfinished ({record.phase}); `kit up` or `kit down` cleans it. {detail}"
    return Status(cluster.name, record.provider, alive, detail, str(cluster.kubeconfig))
