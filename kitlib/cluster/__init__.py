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

from kitlib.cluster import docker, target
from kitlib.cluster.base import ClusterDir, ClusterError, Provider, Status
from kitlib.cluster.interrupts import shielded, sigterm_interrupts
from kitlib.cluster.providers.existing import ExistingProvider
from kitlib.cluster.providers.kind import KindProvider
from kitlib.cluster.providers.kwok import KwokProvider
from kitlib.paths import state_dir

PROVIDERS: dict[str, type[Provider]] = {
    "kind": KindProvider, "kwok": KwokProvider, "existing": ExistingProvider}
KUBECACHEDIR_ENV = "KUBECACHEDIR"     # kubectl's discovery cache (default ~/.kube/cache)
ALIASES = {"docker-free": "kwok", "dockerfree": "kwok"}

__all__ = ["up", "down", "status", "choose_provider", "cluster_name", "ClusterError", "PROVIDERS"]


def cluster_name(name: str | None = None) -> str:
    """The cluster meant by ``name``: itself, else the one this process brought up, else
    $KIT_CLUSTER, else "kit" (see kitlib.cluster.target)."""
    return target.resolve(name).name


def choose_provider(requested: str | None = None, name: str | None = None,
                    engine_answers: Callable[[], tuple[bool, str]] = docker.engine_answers,
                    kubeconfig: str | None = None) -> tuple[str, str]:
    """Which provider to use, and why (one line for the user)."""
    t = target.resolve(name, requested, kubeconfig)
    if t.provider:
        chosen = ALIASES.get(t.provider, t.provider)
        if chosen not in PROVIDERS:
            raise ClusterError(f"unknown provider {t.provider!r}; choose one of "
                               f"{', '.join(PROVIDERS)} (or docker-free for kwok)")
        return chosen, "chosen explicitly (--provider, --kubeconfig or KIT_PROVIDER)"
    record = ClusterDir(t.name).read()
    if record:
        return record.provider, f"the kit already manages cluster {record.name!r} with it"
    if t.kubeconfig:
        return "existing", f"{target.KUBECONFIG_ENV} is set"
    ok, why = engine_answers()
    if ok:
        return "kind", f"{why} answers, so pods run in real containers"
    return "kwok", f"no Docker engine ({why}); real control plane with simulated nodes"


def _provider(t: target.Target, explicit_source: bool, report) -> Provider:
    chosen, why = choose_provider(t.provider, t.name, kubeconfig=t.kubeconfig)
    cluster = ClusterDir(t.name)
    record = cluster.read()
    if record and record.provider != chosen:
        raise ClusterError(f"cluster {t.name!r} is a {record.provider} cluster; remove it with "
                           f"`kit down --name {t.name}` first, or choose another --name")
    if explicit_source and chosen != "existing":
        raise ClusterError("--kubeconfig and --context are for the existing provider, "
                           f"not {chosen}; drop them or use --provider existing")
    report(f"provider: {chosen} ({why})")
    if chosen == "existing":
        return ExistingProvider(cluster, report, source=t.kubeconfig, context=t.context)
    return PROVIDERS[chosen](cluster, report)


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


def up(provider: str | None = None, name: str | None = None, report=None,
       kubeconfig: str | Path | None = None, context: str | None = None) -> Status:
    """Make sure the cluster is running (reusing it if it is) and return its status.
    ``kubeconfig`` and ``context`` choose the existing provider's source. Afterwards the
    cluster is this process's default (``kube.api_client()``, ``status()``, ``down()``).
    Interrupted (Ctrl-C, SIGTERM) while making a cluster, it removes what it started."""
    from kitlib.paths import require_clone
    from kitlib.progress import reporter
    require_clone()
    t = target.resolve(name, provider, str(kubeconfig) if kubeconfig else None, context)
    with reporter(report) as say:
        p = _provider(t, bool(kubeconfig or context), say)
        p.preflight()
        record = p.cluster.read()
        creating = record is None or record.phase != "ready"
        try:
            with sigterm_interrupts():
                p.up()
        except KeyboardInterrupt:
            if not creating:
                raise           # a cluster that was ready before stays as it was
            with shielded():
                say("interrupted: removing what this `kit up` started")
                p.down()
            raise
        _use_in_this_process(p.cluster)
        target.use(t.name)
        return status(t.name)


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
        target.forget(cluster.name)
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
    if record.phase != "ready":     # being made now, or left by a crash
        detail = f"unfinished ({record.phase}); `kit up` or `kit down` cleans it. {detail}"
    return Status(cluster.name, record.provider, alive and record.phase == "ready", detail,
                  str(cluster.kubeconfig), record.phase)
