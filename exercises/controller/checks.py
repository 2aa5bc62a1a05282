"""The checks of chapter 06: each runs the learner's code in a fresh controller and
namespace against the real cluster (``harness``), does something to a PodSet, and says in
one line what went wrong. The chapter builds ``reconcile`` in eight graded steps, each a
function with its own check cell (``STEPS``):

    step(1, owned_pods)                          # pure: checked on made-up pods
    step(2, owned_pods, create_pod)              # the kit's loop (``assemble``) runs the parts
    ...
    step(8, reconcile)                           # the learner's whole controller: chaos round
    step(8, reconcile, hidden=ROWS)              # the hidden checks: defined in the
                                                 # chapter's hidden tests only
    run_all(names, hidden=ROWS)                  # every check (tests, benchmarks)

Every check has a functional bound (it gives the controller N seconds to get there) and a
time limit, and the checks of one call share CELL_BUDGET seconds (``run_within``), so a
wrong controller fails lines, never the grader's per-cell time limit. Bounds cover only the
controller's own work (how many pods, what status); pods becoming Ready is the kubelet's
work and is waited for as a condition, so a slow or loaded cluster does not fail a correct
controller; errors in the learner's code (exceptions, infinite loops, wrong return values,
pods created without end) end a check at once with the controller's description of the
error. Creations are counted by what the API server created (a POST, or a server-side
apply answered 201), so any correct way of creating pods passes.
"""
from __future__ import annotations

import json
import random
import time
from typing import TYPE_CHECKING

from kubernetes.client.exceptions import ApiException

from exercises.controller.harness import (
    KUBELET_READY_WAIT,
    Fatal,
    Harness,
    describe_writes,
    explained,
    pods_text,
)
from kitlib.checks import Case, CaseResult, Summary
from kitlib.checks.cases import _publish, run_case
from kitlib.controller import GROUP, PLURAL, VERSION, controller_of, install_crd, is_active, is_ready
from kitlib.controller.crd import wait_for_garbage_collector
from kitlib.kube import requests_served

if TYPE_CHECKING:
    from kitlib.controller.counting import Write

CASE_LIMIT = 90           # seconds: the backstop; each check's own bounds are shorter
CELL_BUDGET = 90          # seconds all the checks of one call (one graded cell) may take:
                          # the grader interrupts a cell after 120 (Limits.cell_timeout)
HIDDEN_BUDGET = 25         # of it, for the hidden checks a cell runs after its public ones
CLEANUP_RESERVE = 8       # seconds kept for a timed-out check to stop its controllers
MIN_CASE_TIME = 10        # seconds kept for each check still to run
LAST_CHAOS: dict = {}     # the chaos round's timeline, for kitlib.controller.plot.plot_chaos


def check_scale_up(api, reconcile):
    with Harness(api, reconcile) as h:
        h.create("web", 3)
        h.converge("web", 3, stable=0.3)    # on the way: the last wait holds longer
        h.scale("web", 5)
        h.converge("web", 5)


def check_scale_down(api, reconcile):
    with Harness(api, reconcile) as h:
        h.create("web", 4)
        h.converge("web", 4, stable=0.3)
        h.scale("web", 1)
        with explained("after scaling 4 -> 1"):
            h.converge("web", 1)


def check_self_healing(api, reconcile):
    with Harness(api, reconcile) as h:
        h.create("web", 3)
        before = {p["metadata"]["name"] for p in h.converge("web", 3, stable=0.3)}
        victims = sorted(before)[:2]
        for name in victims:
            h.delete_pod(name)
        with explained("after deleting 2 of 3 pods"):
            pods = h.converge("web", 3, stable=0.5)
        names = {p["metadata"]["name"] for p in pods}
        assert not names & set(victims), "the deleted pods are still counted"


def check_status(api, reconcile):
    with Harness(api, reconcile) as h:
        h.create("web", 2)
        h.converge("web", 2, ready=True, stable=0.3)
        h.status_is("web", 2)
        h.scale("web", 3)
        h.converge("web", 3, ready=True, stable=0.3)
        with explained("after scaling 2 -> 3"):
            h.status_is("web", 3)


def check_deletion(api, reconcile):
    with Harness(api, reconcile) as h:
        ps = h.create("web", 2)
        pods = h.converge("web", 2, stable=0.3)
        for pod in pods:
            ref = controller_of(pod)
            assert ref.get("blockOwnerDeletion") is True, (
                "the ownerReference lacks blockOwnerDeletion: true")
            assert ref.get("kind") == "PodSet" and ref.get("name") == "web", (
                f"the ownerReference names {ref.get('kind')}/{ref.get('name')}, not PodSet/web")
        h.custom.delete_namespaced_custom_object(GROUP, VERSION, h.namespace, PLURAL, "web")
        uid = ps["metadata"]["uid"]
        # the garbage collector's part ends when it has deleted a pod: a kubelet may take a
        # while longer to stop the containers, so a Terminating pod counts as removed
        names = {q["metadata"]["name"] for q in pods}
        left = lambda: [p for p in h.pods() if not p["metadata"].get("deletionTimestamp")
                        and (p["metadata"]["name"] in names
                             or (controller_of(p) or {}).get("uid") == uid)]
        h.wait(lambda: not left(), 30,
               lambda: f"{pods_text(len(left()))} not deleted 30s after their PodSet was "
                       "(the garbage collector follows ownerReferences)")


def check_terminating(api, reconcile):
    with Harness(api, reconcile) as h:
        h.create("web", 3)
        pods = h.converge("web", 3, stable=0.3)
        held = sorted(p["metadata"]["name"] for p in pods)[0]
        h.hold(held)                     # a finalizer: deleted, it stays Terminating
        mark = h.ctrl.api.writes
        h.delete_pod(held)
        with explained(f"while its deleted pod {held} stays Terminating"):
            h.converge("web", 3, ready=True, stable=0.5)
            h.status_is("web", 3)
        with explained(f"after scaling 3 -> 2 while {held} is Terminating"):
            h.scale("web", 2)
            h.converge("web", 2, stable=1.0)
        again = [w for w in h.writes(mark) if w.kind == "DELETE pods" and w.name == held]
        assert not again, (f"deleted the Terminating pod {held} again ({len(again)}x): it is "
                           "already going; count and choose among active pods only (is_active)")
        h.release(held)
        with explained(f"after the Terminating pod {held} went away"):
            h.converge("web", 2, ready=True, stable=0.3)
            h.status_is("web", 2)


def check_unready(api, reconcile):
    gate = "course.kitlib.dev/not-yet"    # pods stay Pending (never Ready) while gated
    with Harness(api, reconcile) as h:
        h.create("web", 3, schedulingGates=[{"name": gate}])
        pods = h.converge("web", 3, stable=0.3)
        with explained("while its 3 pods are not Ready"):
            h.status_is("web", 3, ready=0, stable=1.0)
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"])[:2]:
            h.core.patch_namespaced_pod(pod["metadata"]["name"], h.namespace, [
                {"op": "remove", "path": "/spec/schedulingGates"}],
                _content_type="application/json-patch+json")
        ps = h.get("web")
        h.wait(lambda: sum(map(is_ready, h.owned(ps))) == 2, KUBELET_READY_WAIT,
               lambda: f"{sum(map(is_ready, h.owned(ps)))} of 2 released pods Ready after "
                       f"{KUBELET_READY_WAIT}s")
        with explained("after 2 of its 3 pods became Ready"):
            h.status_is("web", 3, ready=2, stable=0.5)


def check_foreign_pods(api, reconcile):
    with Harness(api, reconcile) as h:
        cm = h.core.create_namespaced_config_map(h.namespace, {"metadata": {"name": "other-owner"}})
        h.create("web", 4)
        db = h.create("web-db", 2, labels={"app": "web", "tier": "db"})   # web's selector matches
        h.converge("web", 4, stable=0.3)
        db_pods = {p["metadata"]["name"] for p in h.converge("web-db", 2, stable=0.3)}
        other_ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "other-owner",
                     "uid": cm.metadata.uid, "controller": True, "blockOwnerDeletion": False}
        h.core.create_namespaced_pod(h.namespace, {"metadata": {
            "name": "someone-elses", "labels": {"app": "web"}, "ownerReferences": [other_ref]},
            "spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10"}]}})
        h.scale("web", 1)

        def spared():               # what went wrong with the others' pods, if anything
            by_name = {p["metadata"]["name"]: p for p in h.pods()}
            theirs = by_name.get("someone-elses")
            assert theirs is not None and is_active(theirs), (
                "scaling down deleted a pod controlled by a ConfigMap: delete only pods you control")
            assert (controller_of(theirs) or {}).get("uid") == cm.metadata.uid, (
                "a pod controlled by a ConfigMap was taken over")
            kept = {n for n in db_pods if n in by_name and is_active(by_name[n])
                    and (controller_of(by_name[n]) or {}).get("uid") == db["metadata"]["uid"]}
            assert kept == db_pods, (
                f"{pods_text(len(db_pods - kept))} of PodSet web-db (its labels also match web's "
                "selector) deleted or taken over: labels select, ownerReferences decide")

        try:
            with explained("after scaling 4 -> 1 beside pods of others that its selector matches"):
                h.converge("web", 1, stable=1.0)
        except Fatal:
            raise
        except AssertionError:
            spared()                # the cause, when others' pods were hit
            raise
        spared()


def check_adoption(api, reconcile):
    with Harness(api, reconcile) as h:
        spec = {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10"}]}
        cm = h.core.create_namespaced_config_map(h.namespace, {"metadata": {"name": "other-owner"}})
        other_ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "other-owner",
                     "uid": cm.metadata.uid, "controller": True, "blockOwnerDeletion": False}
        h.core.create_namespaced_pod(h.namespace, {"metadata": {"name": "orphan", "labels": {"app": "web"}},
                                                   "spec": spec})
        h.core.create_namespaced_pod(h.namespace, {"metadata": {
            "name": "someone-elses", "labels": {"app": "web"}, "ownerReferences": [other_ref]},
            "spec": spec})
        h.core.create_namespaced_pod(h.namespace, {"metadata": {"name": "unrelated",
                                                                "labels": {"app": "db"}}, "spec": spec})
        ps = h.create("web", 2)
        pods = h.converge("web", 2)
        names = {p["metadata"]["name"] for p in pods}
        assert "orphan" in names, ("the orphan pod with the PodSet's labels was not adopted "
                                   "(give it an ownerReference) and a new pod was made instead")
        by_name = {p["metadata"]["name"]: p for p in h.pods()}
        theirs = by_name.get("someone-elses")
        assert theirs is not None and is_active(theirs), "a pod owned by someone else was deleted"
        assert (controller_of(theirs) or {}).get("uid") == cm.metadata.uid, (
            "a pod controlled by another owner was taken over")
        unrelated = by_name.get("unrelated")
        assert unrelated is not None and is_active(unrelated), "a pod the selector does not match was deleted"
        assert controller_of(unrelated) is None, "a pod the selector does not match was adopted"
        assert ps["metadata"]["uid"]


def check_zero_writes(api, reconcile):
    with Harness(api, reconcile) as h:
        h.create("web", 3)
        pods = h.converge("web", 3, ready=True, stable=0.3)
        h.status_is("web", 3)
        h.ctrl.wait_idle(timeout=10, settle=0.5)
        mark = h.ctrl.api.writes
        served = podset_updates(h.api)
        # Events that change nothing the controller cares about, and resyncs.
        h.custom.patch_namespaced_custom_object(GROUP, VERSION, h.namespace, PLURAL, "web",
                                                {"metadata": {"annotations": {"touched": "yes"}}})
        h.core.patch_namespaced_pod(pods[0]["metadata"]["name"], h.namespace,
                                    {"metadata": {"annotations": {"touched": "yes"}}})
        for _ in range(3):
            h.ctrl.resync()
            h.ctrl.wait_idle(timeout=10, settle=0.3)
        bug = h.fatal()
        if bug:
            raise Fatal(bug)
        extra = h.writes(mark)
        assert not extra, (f"{len(extra)} API writes although nothing changed ({describe_writes(extra)}): "
                           "compare with what exists and write only what differs")
        if served is not None:        # writes that changed nothing show in no watch
            unseen = podset_updates(h.api) - served - 1          # 1: the annotation above
            assert unseen <= 0, (f"{unseen:.0f} PodSet updates not made through ctx although nothing "
                                 "changed (a client of your own?): compare with what exists and "
                                 "write only what differs")


def podset_updates(api) -> float | None:
    """Updates of PodSets (status included) the API server has answered, from anyone."""
    return requests_served(api, PLURAL, ("PUT", "PATCH", "APPLY"), group=GROUP)


def check_conflicts(api, reconcile):
    armed = {"on": False, "hits": 0}

    def conflict(write: Write, body) -> None:
        if armed["on"] and write.resource == f"{PLURAL}/status":
            armed["hits"] += 1
            exc = ApiException(status=409, reason="Conflict")
            exc.body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                   "reason": "Conflict", "code": 409, "message":
                                   f'Operation cannot be fulfilled on {PLURAL}.{GROUP} "{write.name}": '
                                   "the object has been modified; please apply your changes to the "
                                   "latest version and try again"})
            raise exc

    with Harness(api, reconcile) as h:
        h.ctrl.api.before_write.append(conflict)
        h.create("web", 2)
        h.converge("web", 2, ready=True, stable=0.3)
        h.status_is("web", 2)
        armed["on"] = True              # the API server now answers 409 to status writes
        h.scale("web", 4)
        h.converge("web", 4, ready=True, stable=1.5)
        armed["on"] = False
        try:
            h.status_is("web", 4, timeout=15)
        except Fatal:
            raise
        except AssertionError as exc:
            raise AssertionError(f"{armed['hits']} status writes got 409 Conflict, and then {exc}: "
                                 "re-read and write again, or raise so the framework retries") from None


def check_stale_cache(api, reconcile):
    with Harness(api, reconcile, pod_event_delay=1.5) as h:
        h.create("web", 3)
        end = time.monotonic() + 2.0     # while the pod cache lags, wake reconcile often
        while time.monotonic() < end:
            h.ctrl.enqueue(f"{h.namespace}/web")
            time.sleep(0.1)
        h.converge("web", 3, stable=2.0)
        created = h.created()        # by POST or by server-side apply
        assert len(created) == 3, (
            f"created {len(created)} pods for 3 replicas while the pod cache lagged 1.5s: "
            "remember what you asked for until the cache shows it (ctx.expectations)")


def check_chaos(api, reconcile, seed: int = 6, final: int = 5, bound: float = 30):
    rng = random.Random(seed)
    plan = [(1.0, "scale", 7), (4.0, "scale", 3), (6.5, "scale", final)]
    samples, events = [], []
    with Harness(api, reconcile) as h:
        ps = h.create("web", 4)
        t0 = time.monotonic()
        desired = 4
        next_kill = 0.8

        def sample():
            pods = h.owned(ps)
            samples.append((round(time.monotonic() - t0, 2), desired, len(pods),
                            sum(1 for p in pods if is_ready(p))))
            return pods

        LAST_CHAOS.clear()
        LAST_CHAOS.update(samples=samples, events=events, final=final, bound=bound)
        # The plan runs to its end even when a slow cluster makes an iteration long.
        while plan or time.monotonic() - t0 < 8.0:
            now = time.monotonic() - t0
            if plan and now >= plan[0][0]:
                _, _, desired = plan.pop(0)
                h.scale("web", desired)
                events.append((round(now, 2), f"scale to {desired}"))
                sample()
            pods = sample()
            if now >= next_kill and pods:
                victims = rng.sample(sorted(p["metadata"]["name"] for p in pods),
                                     min(len(pods), rng.randint(1, 2)))
                for name in victims:
                    h.delete_pod(name)
                events.append((round(now, 2), f"delete {len(victims)}"))
                next_kill += 0.8
                sample()
            bug = h.fatal()
            if bug:
                raise Fatal(bug)
            time.sleep(0.05)
        chaos_end = time.monotonic() - t0
        LAST_CHAOS["chaos_end"] = round(chaos_end, 2)

        def counted():
            return len(sample()) == final
        h.wait(counted, bound, interval=0.05,
               failure=lambda: f"{pods_text(samples[-1][2])}, want {final}, {bound:g}s after the "
                               "chaos ended")

        def settled():
            pods = sample()
            return len(pods) == final and all(is_ready(p) for p in pods)
        h.wait(settled, KUBELET_READY_WAIT, interval=0.1,
               failure=lambda: f"{samples[-1][2]} pods ({samples[-1][3]} Ready), want {final} "
                               f"Ready, {bound + KUBELET_READY_WAIT:g}s after the chaos ended")
        converged = time.monotonic() - t0
        LAST_CHAOS["converged_at"] = round(converged, 2)
        h.converge("web", final, ready=True, stable=1.0, timeout=10)
        sample()
        LAST_CHAOS["converged_after"] = round(converged - chaos_end, 2)


# ---------------------------------------------------------------------------- pure checks
# Steps 1 and 3 are functions of plain data: checked on made-up pods, without a cluster.
def _pod(name, uid=None, *, controller=True, labels=None, deleting=False, phase="Running",
         node="kit-worker", ready=True, created="2026-01-01T00:00:00Z") -> dict:
    meta = {"name": name, "namespace": "ns", "labels": labels or {"app": "web"},
            "creationTimestamp": created, "resourceVersion": "1", "uid": f"pod-{name}"}
    if uid:
        meta["ownerReferences"] = [{"apiVersion": "course.kitlib.dev/v1", "kind": "PodSet",
                                    "name": "web", "uid": uid, "controller": controller}]
    if deleting:
        meta["deletionTimestamp"] = "2026-01-01T00:01:00Z"
    return {"metadata": meta, "spec": {"nodeName": node} if node else {},
            "status": {"phase": phase, "conditions": [
                {"type": "Ready", "status": "True" if ready else "False"}]}}


def _podset(uid="ps-1", replicas=3, generation=1) -> dict:
    from kitlib.controller import podset
    ps = podset("web", replicas, namespace="ns")
    ps["metadata"].update(uid=uid, generation=generation, resourceVersion="1")
    return ps


def _names(pods) -> list[str]:
    if not isinstance(pods, (list, tuple)):
        raise AssertionError(f"returned {type(pods).__name__}, want a list of pods")
    if not all(isinstance(p, dict) and "metadata" in p for p in pods):
        raise AssertionError("returned a list of something else than pods (the dicts given)")
    return sorted(p["metadata"]["name"] for p in pods)


def check_owned_counts(api, parts):
    owned_pods = parts["owned_pods"]
    pods = [_pod("a", "ps-1"), _pod("b", "ps-1", ready=False, node=None, phase="Pending"),
            _pod("c", "ps-1")]
    got = _names(owned_pods(_podset(), pods))
    assert got == ["a", "b", "c"], f"found {got} of 3 pods the PodSet controls, want all 3"
    assert _names(owned_pods(_podset(), [])) == [], "found pods in an empty list"


def check_owned_leaves_out(api, parts):
    owned_pods = parts["owned_pods"]
    cases = {
        "a pod being deleted (deletionTimestamp)": _pod("x", "ps-1", deleting=True),
        "a pod that has Succeeded": _pod("x", "ps-1", phase="Succeeded"),
        "a pod that has Failed": _pod("x", "ps-1", phase="Failed"),
        "a pod another PodSet controls": _pod("x", "ps-2"),
        "a pod without owner whose labels match": _pod("x"),
        "a pod with only a non-controller ownerReference to it": _pod("x", "ps-1", controller=False),
    }
    for what, pod in cases.items():
        got = _names(owned_pods(_podset(), [_pod("a", "ps-1"), pod]))
        assert got == ["a"], f"counted {what} (got {got}, want ['a'])"


def check_extras_order(api, parts):
    choose = parts["choose_extras"]
    old_ready = _pod("old-ready", "ps-1", created="2026-01-01T00:00:00Z")
    new_ready = _pod("new-ready", "ps-1", created="2026-01-01T00:05:00Z")
    not_ready = _pod("not-ready", "ps-1", ready=False, created="2026-01-01T00:00:00Z")
    pending = _pod("pending", "ps-1", ready=False, node=None, phase="Pending",
                   created="2026-01-01T00:00:00Z")
    pods = [old_ready, new_ready, not_ready, pending]
    for count, want in ((1, ["pending"]), (2, ["not-ready", "pending"]),
                        (3, ["new-ready", "not-ready", "pending"]), (0, [])):
        got = _names(choose(pods, count))
        assert got == want, (f"chose {got} as the {count} extras, want {want} (not scheduled "
                             "first, then not Ready, then the newest)")


# ---------------------------------------------------------------------------- steps
def assemble(owned_pods, create_pod=None, choose_extras=None, status_of=None,
             adopt_orphans=None, sync_pods=None, write_status=None):
    """The kit's loop around the learner's parts so far (steps 2 to 7): each part the
    learner has not written yet is done the plain way, or not at all (no create_pod: no
    creations; no adopt_orphans: no adoption). Step 8's ``reconcile`` is all the learner's."""
    from kitlib.controller import GROUP, PLURAL, VERSION, is_ready

    def plain_sync(ctx, key, podset, mine):
        if not ctx.expectations.satisfied(key):
            return
        diff = podset["spec"].get("replicas", 1) - len(mine)
        if diff > 0 and create_pod:
            ctx.expectations.expect(key, creations=diff)
            for done in range(diff):
                try:
                    create_pod(ctx, podset)
                except BaseException:
                    for _ in range(diff - done):
                        ctx.expectations.creation_observed(key)
                    raise
        elif diff < 0 and choose_extras:
            victims = [p["metadata"]["name"] for p in choose_extras(mine, -diff)]
            ctx.expectations.expect(key, deletions=victims)
            for name in victims:
                try:
                    ctx.core.delete_namespaced_pod(name, podset["metadata"]["namespace"])
                except ApiException as exc:
                    ctx.expectations.deletion_observed(key, name)
                    if exc.status != 404:
                        raise

    def plain_status(podset, pods):
        return {"replicas": len(pods), "readyReplicas": sum(map(is_ready, pods)),
                "observedGeneration": podset["metadata"]["generation"]}

    def plain_write(ctx, podset, status):
        if any((podset.get("status") or {}).get(k) != v for k, v in status.items()):
            podset["status"] = {**(podset.get("status") or {}), **status}
            ctx.custom.replace_namespaced_custom_object_status(
                GROUP, VERSION, podset["metadata"]["namespace"], PLURAL,
                podset["metadata"]["name"], podset)

    def reconcile(ctx, key):
        namespace, name = key.split("/")
        podset = ctx.podsets.get(namespace, name)
        if podset is None:
            ctx.expectations.forget(key)
            return None
        if podset["metadata"].get("deletionTimestamp"):
            return None
        pods = ctx.pods.list(namespace)
        mine = list(owned_pods(podset, pods))
        if adopt_orphans:
            mine += list(adopt_orphans(ctx, podset, pods))
        (sync_pods or plain_sync)(ctx, key, podset, mine)
        (write_status or plain_write)(ctx, podset, (status_of or plain_status)(podset, mine))
        return None
    return reconcile


PURE = {check_owned_counts, check_owned_leaves_out, check_extras_order}

# step: (title, the parts it adds, its public checks as (name, check, points, hidden));
# the hidden checks are written in the chapter's test cell, not here (only their points are)
STEPS = {
    1: ("Step 1 · count what you own", ["owned_pods"], [
        ("counts the active pods it controls", check_owned_counts, 1, False),
        ("leaves out Terminating, finished, others' pods", check_owned_leaves_out, 1, False),
    ]),
    2: ("Step 2 · create the missing", ["create_pod"], [
        ("scale up: creates pods up to spec.replicas", check_scale_up, 2, False),
        ("self-healing: replaces deleted pods", check_self_healing, 2, False),
        ("deleting the PodSet removes its pods", check_deletion, 1, False),
    ]),
    3: ("Step 3 · delete the extras", ["choose_extras"], [
        ("chooses the least useful pods first", check_extras_order, 1, False),
        ("scale down: deletes the extra pods", check_scale_down, 2, False),
        ("scale down spares pods of others with its labels", check_foreign_pods, 1, False),
        ("a Terminating pod: not counted, not deleted again", check_terminating, 1, False),
    ]),
    4: ("Step 4 · status", ["status_of"], [
        ("status: replicas, readyReplicas, observedGeneration", check_status, 1, False),
        ("readyReplicas leaves out pods that are not Ready", check_unready, 1, False),
    ]),
    5: ("Step 5 · adoption", ["adopt_orphans"], [
        ("adopts orphans, ignores pods owned by others", check_adoption, 2, False),
    ]),
    6: ("Step 6 · expectations", ["sync_pods"], [
        ("no duplicate pods while the cache lags", check_stale_cache, 2, False),
    ]),
    7: ("Step 7 · conflicts", ["write_status"], [
        ("no API writes in a steady state", check_zero_writes, 1, False),
        ("survives 409 Conflict on status writes", check_conflicts, 1, False),
    ]),
    8: ("Step 8 · your reconcile, the chaos round", ["reconcile"], [
        ("chaos: random deletions while scaling converge", check_chaos, 2, False),
    ]),
}
HIDDEN_POINTS = {8: 2}    # the points of each step's hidden checks (in the chapter)
PARTS = [part for _, adds, _ in STEPS.values() for part in adds]
ALL = [row for _, _, rows in STEPS.values() for row in rows]


def _cases(api, parts: dict, reconcile, table) -> list[Case]:
    return [Case(name, (lambda f=f: f(api, parts if f in PURE else reconcile)), points,
                 CASE_LIMIT, hidden)
            for name, f, points, hidden in table]


def run_within(title: str, cases: list[Case], budget: float | None = None, show: bool = True,
               out_of: float | None = None) -> Summary:
    """``run_cases``, but all the cases share ``budget`` seconds: each gets what is left
    less CLEANUP_RESERVE, keeping MIN_CASE_TIME for every case after it (at most half of
    what is left); a case that runs
    over fails with a line, and one that finds no time left fails without running. So a
    wrong controller costs one cell a failed line, never the grader's cell time-out."""
    budget = CELL_BUDGET if budget is None else budget
    summary = Summary(title, [], out_of)
    end = time.monotonic() + budget
    for i, case in enumerate(cases):
        after = len(cases) - i - 1
        remaining = end - time.monotonic() - CLEANUP_RESERVE
        left = remaining - min(MIN_CASE_TIME * after, remaining / 2)   # keep some for the rest
        if left < MIN_CASE_TIME / 2:
            summary.results.append(CaseResult(
                case.name, False, 0, case.points,
                f"not run: the checks before it used up this cell's {budget:g}s", case.hidden))
            continue
        limit = min(case.time_limit, left)
        result = run_case(Case(case.name, case.check, case.points, limit, case.hidden))
        if not result.passed and result.message.startswith("took longer than"):
            result.message = (f"took longer than the {limit:.2g}s this check had (of this cell's "
                              f"{budget:g}s): a controller that never settles?")
        summary.results.append(result)
    if show:
        print(summary.render())
    _publish(summary)
    return summary


def points(table) -> float:
    return sum(row[2] for row in table)


def _prepare(api):
    from kitlib.kube import api_client
    api = api or api_client()
    install_crd(api)
    wait_for_garbage_collector(api)     # a new CRD: deleting a PodSet deletes its pods
    return api


def step(number: int, *parts, api=None, show=True, hidden=None) -> Summary:
    """Run step ``number``'s checks on the learner's parts so far, given in the order the
    steps add them (``step(3, owned_pods, create_pod, choose_extras)``); step 8 takes
    ``reconcile`` alone. ``hidden``: rows ``(name, check, points)`` the chapter's hidden
    tests define, run instead of the step's public checks."""
    title, _, rows = STEPS[number]
    wanted = PARTS[:PARTS.index(STEPS[number][1][-1]) + 1]
    if number == 8:
        names = {"reconcile": parts[0]} if len(parts) == 1 else dict(zip(wanted, parts))
        reconcile = names["reconcile"]
    else:
        if len(parts) != len(wanted):
            raise TypeError(f"step {number} takes {len(wanted)} functions: {', '.join(wanted)}")
        names = dict(zip(wanted, parts))
        reconcile = assemble(**names)
    for part, func in names.items():
        if not callable(func):
            raise AssertionError(f"{part} must be a function, not {type(func).__name__}")
    table = rows if hidden is None else [(name, check, points, True) for name, check, points in hidden]
    if hidden is not None:
        title += " (hidden checks)"
    api = _prepare(api) if any(row[1] not in PURE for row in table) else api
    # one cell runs a step's public checks, then its hidden ones: together within CELL_BUDGET
    budget = CELL_BUDGET
    if HIDDEN_POINTS.get(number):
        budget = HIDDEN_BUDGET if hidden is not None else CELL_BUDGET - HIDDEN_BUDGET
    return run_within(title, _cases(api, names, reconcile, table), budget=budget, show=show,
                      out_of=None if hidden is not None else points(rows) + HIDDEN_POINTS.get(number, 0))


def run_all(solution, api=None, show=True, only=None, hidden=()) -> Summary:
    """Every check on a whole solution: the names the chapter's solution cells define
    (the pure checks test its parts), or a ``reconcile`` alone (they are left out), and
    the ``hidden`` rows ``(name, check, points)`` (``reference.hidden_rows()``). The
    cluster checks run ``reconcile``. No grader's cell limit here: no shared budget."""
    names = {"reconcile": solution} if callable(solution) else dict(solution)
    every = ALL + [(name, check, pts, True) for name, check, pts in hidden]
    table = [row for row in every if (row[1] not in PURE or all(
        p in names for p in _parts_of(row[1])))
        and (only is None or row[1] in only or row[0] in only)]
    api = _prepare(api)
    return run_within("PodSet controller: every check", _cases(api, names, names["reconcile"], table),
                      budget=CASE_LIMIT * len(table), show=show)


def _parts_of(check) -> list[str]:
    for _, adds, rows in STEPS.values():
        if any(row[1] is check for row in rows):
            return adds
    return []
