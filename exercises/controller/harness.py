"""The harness chapter 06's checks run a learner's ``reconcile`` in: a fresh namespace,
the kit's controller framework running it, and ways to act on PodSets and pods and to
wait until the controller has caught up (each wait has a functional bound)."""
from __future__ import annotations

import contextlib
import json
import time
import uuid
from typing import TYPE_CHECKING, Callable

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from kitlib.controller import (
    GROUP,
    PLURAL,
    VERSION,
    Controller,
    ControllerStopped,
    CountingApiClient,
    ExponentialBackoff,
    controller_of,
    is_active,
    is_ready,
    podset,
)
from kitlib.grading import remote

if TYPE_CHECKING:
    from kitlib.controller.counting import Write

RECONCILE_TIMEOUT = 5     # seconds of its own time one reconcile may take in the checks
                          # (graded: CPU time in the learner's kernel, see grading.remote)
KUBELET_READY_WAIT = 60   # seconds the node may take to make the right pods Ready
MAX_CREATIONS = 100       # pods one check's controllers may ask to create (the chaos round
                          # needs about 30): past it, every creation fails and the check does
HOLD = "course.kitlib.dev/hold"   # the finalizer the checks use to keep a deleted pod Terminating


class Fatal(AssertionError):
    """The controller reports an error that retrying will not fix."""


class TooManyCreations(RuntimeError):
    """Raised in reconcile by a pod creation past the harness's MAX_CREATIONS."""


@contextlib.contextmanager
def explained(when: str):
    """Prefix a failed check's message with when it happened (a Fatal passes unchanged)."""
    try:
        yield
    except Fatal:
        raise
    except AssertionError as exc:
        raise AssertionError(f"{when}: {exc}") from None


class Harness:
    """A namespace, a controller running ``reconcile`` in it, and ways to look at both."""

    def __init__(self, api: client.ApiClient, reconcile, *, pod_event_delay: float = 0.0,
                 prefix: str = "ch06-check"):
        if not callable(reconcile):
            raise AssertionError(f"reconcile must be a function reconcile(ctx, key), "
                                 f"not {type(reconcile).__name__}")
        self.api, self.reconcile = api, reconcile
        self.core, self.custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
        self.pod_event_delay = pod_event_delay
        self.namespace = f"{prefix}-{uuid.uuid4().hex[:6]}"
        self.controllers: list[Controller] = []
        self.ctrl: Controller | None = None
        self.max_creations = MAX_CREATIONS
        self.creations = 0          # create-like pod requests of all its controllers
        self.breach: str | None = None
        self.held: set[str] = set()

    def __enter__(self) -> "Harness":
        self.core.create_namespace({"metadata": {"name": self.namespace,
                                                 "labels": {"kitlib/temporary": "true"}}})
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        for ctrl in self.controllers:
            ctrl.stop(timeout=5)
        for name in list(self.held):      # a held pod would keep the namespace forever
            self.release(name)
        try:
            self.core.delete_namespace(self.namespace)
        except ApiException:
            pass

    def start(self) -> Controller:
        counted = CountingApiClient(self.api)
        counted.before_write.append(self._bound_creations)
        self.ctrl = Controller(counted, self.reconcile, namespace=self.namespace,
                               resync_period=600, reconcile_timeout=RECONCILE_TIMEOUT,
                               pod_event_delay=self.pod_event_delay,
                               backoff=ExponentialBackoff(base=0.05, cap=4.0),
                               own_clock=remote.own_clock())
        self.controllers.append(self.ctrl)
        return self.ctrl.start()

    def _bound_creations(self, write: Write, body) -> None:
        """A controller that creates pods without bound fails this check (a line), instead
        of filling the cluster until the grader's cell time limit ends it."""
        if write.resource != "pods" or not write.create_like:
            return
        self.creations += 1
        if self.creations > self.max_creations:
            self.breach = (f"reconcile asked to create more than {self.max_creations} pods "
                           "(creations must stop at spec.replicas: count what exists first)")
            raise TooManyCreations(self.breach)

    # ----------------------------------------------------------- the PodSet
    def create(self, name: str, replicas: int, labels: dict | None = None,
               **pod_spec) -> dict:
        """Create PodSet ``name``; ``pod_spec`` adds fields to its pod template's spec."""
        manifest = podset(name, replicas, labels)
        manifest["spec"]["template"]["spec"].update(pod_spec)
        return self.custom.create_namespaced_custom_object(
            GROUP, VERSION, self.namespace, PLURAL, manifest)

    def get(self, name: str) -> dict:
        return self.custom.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)

    def scale(self, name: str, replicas: int) -> None:
        self.custom.patch_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name,
                                                   {"spec": {"replicas": replicas}})

    # ----------------------------------------------------------- pods
    def pods(self) -> list[dict]:
        resp = self.core.list_namespaced_pod(self.namespace, _preload_content=False)
        return json.loads(resp.data)["items"]

    def owned(self, ps: dict, active_only: bool = True) -> list[dict]:
        uid = ps["metadata"]["uid"]
        return [p for p in self.pods() if (controller_of(p) or {}).get("uid") == uid
                and (is_active(p) or not active_only)]

    def delete_pod(self, name: str) -> None:
        try:
            self.core.delete_namespaced_pod(name, self.namespace)
        except ApiException as exc:
            if exc.status != 404:
                raise

    def hold(self, name: str) -> None:
        """Add a finalizer to pod ``name``: deleted, it stays Terminating until ``release``."""
        self.core.patch_namespaced_pod(name, self.namespace, {"metadata": {"finalizers": [HOLD]}})
        self.held.add(name)

    def release(self, name: str) -> None:
        try:
            self.core.patch_namespaced_pod(name, self.namespace, [
                {"op": "remove", "path": "/metadata/finalizers"}],
                _content_type="application/json-patch+json")
        except ApiException as exc:
            if exc.status not in (404, 422):
                raise
        self.held.discard(name)

    # ----------------------------------------------------------- waiting
    def fatal(self) -> str | None:
        """An error of reconcile that retrying will not fix (a bug in the code)."""
        if self.breach:
            return self.breach
        unseen = self.created_around_ctx()
        if unseen:
            return (f"{pods_text(unseen)} of the PodSet appeared that no request through ctx "
                    "created: create pods with ctx.core (or ctx.api), which the checks count")
        for err in self.ctrl.errors if self.ctrl else []:
            if not isinstance(err.exception, (ApiException, ControllerStopped)):
                return err.message
        return None

    def wait(self, predicate: Callable[[], object], timeout: float, failure: Callable[[], str],
             interval: float = 0.2) -> object:
        """Poll until ``predicate()`` is truthy; AssertionError(failure()) after ``timeout``
        seconds, or at once when reconcile has a bug."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            bug = self.fatal()
            if bug:
                raise Fatal(bug)
            if time.monotonic() > deadline:
                message = failure()
                last = self.ctrl.last_error if self.ctrl else None
                if last is not None:
                    message += f" (last error: {last.message})"
                raise AssertionError(message)
            time.sleep(interval)

    def converge(self, name: str, replicas: int, timeout: float = 20, ready: bool = False,
                 stable: float = 1.0) -> list[dict]:
        """Wait until exactly ``replicas`` active pods are controlled by PodSet ``name``
        (the controller gets ``timeout`` seconds), all Ready if ``ready`` (the kubelet gets
        KUBELET_READY_WAIT more), and they stay so for ``stable`` seconds."""
        ps = self.get(name)
        counted = lambda pods: len(pods) == replicas
        all_ready = lambda pods: counted(pods) and all(is_ready(p) for p in pods)
        self.wait(lambda: counted(self.owned(ps)), timeout, lambda: self._why(ps, replicas, timeout))
        if ready:
            self.wait(lambda: all_ready(self.owned(ps)), KUBELET_READY_WAIT,
                      lambda: self._why(ps, replicas, KUBELET_READY_WAIT, ready=True))
        good = all_ready if ready else counted
        since: list[float | None] = [None]

        def ok():
            pods = self.owned(ps)
            if not good(pods):
                since[0] = None
                return None
            since[0] = since[0] or time.monotonic()
            return pods if time.monotonic() - since[0] >= stable else None
        return self.wait(ok, timeout + stable, lambda: self._why(ps, replicas, timeout, ready))

    def _why(self, ps: dict, replicas: int, waited: float, ready: bool = False) -> str:
        pods = self.owned(ps)
        text = f"{pods_text(len(pods))} owned by the PodSet after {waited:g}s, want {replicas}"
        if ready and len(pods) == replicas:
            text = f"{sum(map(is_ready, pods))} of {replicas} pods Ready after {waited:g}s"
        labelled = [p for p in self.pods() if is_active(p) and controller_of(p) is None
                    and all((p["metadata"].get("labels") or {}).get(k) == v for k, v in
                            ps["spec"]["selector"]["matchLabels"].items())]
        if labelled:
            text += (f"; {pods_text(len(labelled))} with its labels have no ownerReference with "
                     "controller: true to it")
        return text

    def status_is(self, name: str, replicas: int, timeout: float = 15,
                  ready: int | None = None, stable: float = 0.0) -> dict:
        """Wait until the status says ``replicas`` pods, ``ready`` of them Ready (default:
        all) at the current generation, and still does ``stable`` seconds later."""
        ready = replicas if ready is None else ready
        want = lambda ps: {"replicas": replicas, "readyReplicas": ready,
                           "observedGeneration": ps["metadata"]["generation"]}

        def have(ps):       # a count left out means 0, as Kubernetes' own statuses do
            status = ps.get("status") or {}
            return {k: status.get(k, 0 if k.endswith("eplicas") else None) for k in want(ps)}

        def ok():
            ps = self.get(name)
            return ps if have(ps) == want(ps) else None

        def why():
            ps = self.get(name)
            have = {k: (ps.get("status") or {}).get(k) for k in want(ps)}
            return f"status is {have}, want {want(ps)}"
        ps = self.wait(ok, timeout, why)
        if stable:
            end = time.monotonic() + stable
            while time.monotonic() < end:
                time.sleep(0.2)
                if not ok():
                    raise AssertionError(f"the status changed again: {why()}")
        return ps

    def created_around_ctx(self) -> int:
        """Pods with a PodSet controller that its controllers' informers saw added, beyond
        the create requests they sent through ctx: made another way, so the checks that
        count writes would not see them (graded, the writes are counted in the checker's
        process, and only those through ctx)."""
        seen = set().union(*(c.pods_seen_created for c in self.controllers))
        asked = sum(1 for c in self.controllers for w in c.api.since(0)
                    if w.resource == "pods" and w.create_like)
        return max(0, len(seen) - asked)

    def writes(self, since: int = 0) -> list[Write]:
        return self.ctrl.api.since(since)

    def created(self, since: int = 0) -> list[Write]:
        """The requests of the current controller that made a new pod (POST, or apply)."""
        return [w for w in self.writes(since) if w.resource == "pods" and w.created]


def pods_text(n: int) -> str:
    return f"{n} pod" if n == 1 else f"{n} pods"


def describe_writes(writes: list[Write]) -> str:
    counts: dict[str, int] = {}
    for w in writes:
        counts[w.kind] = counts.get(w.kind, 0) + 1
    return ", ".join(f"{k} ×{n}" for k, n in sorted(counts.items()))
