"""Leader-election Leases: how kube-scheduler and kube-controller-manager tell the cluster
they are alive. Each holds a Lease in kube-system (``holderIdentity``) and renews it every
couple of seconds (``renewTime``); a second copy of the component would wait until the
Lease is ``leaseDurationSeconds`` old before taking over. This module shows the raw
fields; deciding who is down from them is chapter 10's exercise."""
from __future__ import annotations

import datetime as dt

from kubernetes import client
from kubernetes.client.exceptions import ApiException

NAMESPACE = "kube-system"
COMPONENTS = ("kube-scheduler", "kube-controller-manager")


def rows(api: client.ApiClient, names: tuple[str, ...] = COMPONENTS) -> list[dict]:
    """One row per Lease: holder, when renewed (seconds ago), for how long it holds."""
    leases = client.CoordinationV1Api(api)
    now = dt.datetime.now(dt.timezone.utc)
    out = []
    for name in names:
        try:
            spec = leases.read_namespaced_lease(name, NAMESPACE).spec
        except ApiException as exc:
            if exc.status != 404:
                raise
            out.append({"lease": name, "holderIdentity": "(no Lease)", "renewed": "-",
                        "leaseDurationSeconds": "-", "transitions": "-"})
            continue
        renewed = spec.renew_time or spec.acquire_time
        age = f"{(now - renewed).total_seconds():.1f}s ago" if renewed else "never"
        holder = spec.holder_identity or '""'
        out.append({"lease": name, "holderIdentity": holder if len(holder) < 30 else holder[:27] + "...",
                    "renewed": age, "leaseDurationSeconds": spec.lease_duration_seconds,
                    "transitions": spec.lease_transitions or 0})
    return out
