"""Watching Kubernetes converge: desired state (a Deployment's ``spec.replicas``) against
current state (its ``status.readyReplicas``), recorded from a WATCH stream while we break
things, then plotted.

    rec = ReplicaRecorder(api, ns, "web")
    with rec:                                    # a background watch records every change
        rec.mark("deleted 2 pods"); delete_pods(api, ns, "app=web", 2)
        rec.wait_converged()
    rec.plot()
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from kitlib import kube

IMAGE = "nginx:1.27"


# A namespace of the chapter's own; delete it with kitlib.kube.delete_namespace.
new_namespace = kube.new_namespace


def deployment(name: str, replicas: int, image: str = IMAGE) -> dict:
    """The desired state, written down: a Deployment of ``replicas`` pods."""
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "labels": labels},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": image}]}}}}


def live_pods(api: client.ApiClient, namespace: str, selector: str) -> list[client.V1Pod]:
    """Pods matching ``selector`` that are not being deleted, by name."""
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=selector).items
    return sorted((p for p in pods if not p.metadata.deletion_timestamp), key=lambda p: p.metadata.name)


def is_ready(pod: client.V1Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or []))


def pod_rows(api: client.ApiClient, namespace: str, selector: str) -> list[dict]:
    return [{"pod": p.metadata.name, "node": p.spec.node_name or "-", "phase": p.status.phase,
             "ready": is_ready(p)} for p in live_pods(api, namespace, selector)]


def delete_pods(api: client.ApiClient, namespace: str, selector: str, count: int) -> list[str]:
    """Delete ``count`` live pods (the first by name): a simulated failure."""
    victims = [p.metadata.name for p in live_pods(api, namespace, selector)][:count]
    core = client.CoreV1Api(api)
    for name in victims:
        core.delete_namespaced_pod(name, namespace)
    return victims


def converged(api: client.ApiClient, namespace: str, name: str) -> bool:
    """Current state matches desired: the controller saw the latest spec, and exactly
    ``spec.replicas`` pods exist, all ready."""
    d = client.AppsV1Api(api).read_namespaced_deployment(name, namespace)
    s, want = d.status, d.spec.replicas
    return ((s.observed_generation or 0) >= d.metadata.generation
            and (s.replicas or 0) == want and (s.ready_replicas or 0) == want
            and (s.updated_replicas or 0) == want
            and len(live_pods(api, namespace, f"app={name}")) == want)


@dataclass
class Sample:
    t: float            # seconds since recording began
    desired: int        # spec.replicas
    ready: int          # status.readyReplicas
    pods: int           # status.replicas (pods that exist, ready or not)


class ReplicaRecorder:
    """Records (desired, ready) of one Deployment from a watch stream, in a background
    thread, from ``start()`` (or ``with``) until ``stop()``."""

    def __init__(self, api: client.ApiClient, namespace: str, name: str):
        self.api, self.namespace, self.name = api, namespace, name
        self.samples: list[Sample] = []
        self.marks: list[tuple[float, str]] = []
        self.events = 0                  # watch events received
        self.error: Exception | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    def now(self) -> float:
        return time.monotonic() - self._t0

    def start(self) -> "ReplicaRecorder":
        """List, then watch from the list's resourceVersion (as informers do): no change
        made after ``start()`` returns can be missed. The Deployment may not exist yet."""
        self._t0 = time.monotonic()
        listed = client.AppsV1Api(self.api).list_namespaced_deployment(
            self.namespace, field_selector=f"metadata.name={self.name}")
        for d in listed.items:
            self._record(d)
        self._thread = threading.Thread(target=self._run, args=(listed.metadata.resource_version,),
                                        name="replica-watch", daemon=True)
        self._thread.start()
        return self

    def _run(self, version: str | None) -> None:
        apps = client.AppsV1Api(self.api)
        while not self._stop.is_set():
            w = watch.Watch()
            try:
                # short server-side timeouts, so stop() is noticed within a second or two
                for event in w.stream(apps.list_namespaced_deployment, self.namespace,
                                      field_selector=f"metadata.name={self.name}",
                                      resource_version=version, timeout_seconds=2,
                                      _request_timeout=10):
                    d = event["object"]
                    version = d.metadata.resource_version
                    self.events += 1
                    self._record(d)
                    if self._stop.is_set():
                        w.stop()
            except ApiException as exc:
                if exc.status == 410:           # our resourceVersion is too old: list afresh
                    version = None
                    continue
                self.error = exc
                return
            except Exception as exc:            # keep the recording, report the failure
                self.error = exc
                return

    def _record(self, d) -> None:
        s = Sample(round(self.now(), 3), d.spec.replicas or 0,
                   d.status.ready_replicas or 0, d.status.replicas or 0)
        last = self.samples[-1] if self.samples else None
        if not last or (last.desired, last.ready, last.pods) != (s.desired, s.ready, s.pods):
            self.samples.append(s)

    def mark(self, label: str) -> None:
        """Note an action (a deletion, a scale) on the time line."""
        self.marks.append((round(self.now(), 3), label))

    def wait_converged(self, timeout: float = 90) -> float:
        """Wait until the cluster has converged (and the watch has seen it); return when."""
        kube.wait_for(lambda: converged(self.api, self.namespace, self.name), timeout=timeout,
                      what=f"deployment {self.name} to converge")
        want = client.AppsV1Api(self.api).read_namespaced_deployment(self.name, self.namespace).spec.replicas
        kube.wait_for(lambda: self.error or (self.samples and self.samples[-1].desired == want
                                             and self.samples[-1].ready == want),
                      timeout=30, what="the watch to report convergence")
        if self.error:
            raise RuntimeError(f"the watch failed: {self.error}")
        return self.now()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=15)

    def __enter__(self) -> "ReplicaRecorder":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def dips(self) -> list[Sample]:
        """Samples where current was below desired."""
        return [s for s in self.samples if s.ready < s.desired]

    def plot(self, title: str = "Desired vs current replicas (from the watch stream)"):
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(9, 3.5))
        last = max([s.t for s in self.samples] + [t for t, _ in self.marks])
        end = last * 1.05 + 0.05          # a little past the last change
        ts = [s.t for s in self.samples] + [end]
        for attr, style, label in (("desired", "--", "desired (spec.replicas)"),
                                   ("ready", "-", "current (status.readyReplicas)")):
            values = [getattr(s, attr) for s in self.samples]
            ax.step(ts, values + values[-1:], style, where="post", label=label, linewidth=2)
        for t, label in self.marks:
            ax.axvline(t, color="grey", linewidth=0.8)
            ax.annotate(label, (t, 0.2), rotation=90, fontsize=8, ha="right", va="bottom")
        ax.set_xlabel("seconds")
        ax.set_ylabel("replicas")
        ax.set_ylim(bottom=0)
        ax.set_title(title)
        ax.legend(loc="lower right")
        fig.tight_layout()
        return fig
