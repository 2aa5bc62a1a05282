"""Builds chapters/06-controller-exercise.ipynb (run from the repository root):

    .venv/bin/python chapters/06-controller-exercise/build.py
    KIT_STATE_DIR=/tmp/kit-$USER .venv/bin/python -m kitlib.notebooks chapters/06-controller-exercise.ipynb

The solution cell is the reference reconcile (kitlib/controller/reference.py) with the
nbgrader solution markers around its body; a unit test keeps the two identical.
"""
from __future__ import annotations

import inspect
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from kitlib.notebooks import code, graded, md, notebook, write  # noqa: E402
from kitlib.controller import reference  # noqa: E402

NOTEBOOK = HERE.parent / "06-controller-exercise.ipynb"


def solution_source() -> str:
    """The reference module's imports and reconcile, with the body between
    ### BEGIN SOLUTION / ### END SOLUTION (the docstring stays visible)."""
    module = inspect.getsource(reference)
    imports = module[module.index("from kubernetes"):module.index("\n\n\ndef reconcile")]
    func = inspect.getsource(reference.reconcile).rstrip("\n")
    lines = func.split("\n")
    end_doc = next(i for i, line in enumerate(lines[1:], 1) if line.rstrip().endswith('"""'))
    body = lines[end_doc + 1:]
    return "\n".join([imports, "", "", *lines[:end_doc + 1], "    ### BEGIN SOLUTION", *body,
                      "    ### END SOLUTION"])


CELLS = [
md("""
# 06 · The controller exercise: desired state and control loops

**Objectives.** After this chapter you can

* explain *desired state versus current state* and how Kubernetes recovers from failures on
  its own, by watching the built-in ReplicaSet controller repair a ReplicaSet live;
* say what a controller is — a control loop that watches resources and changes the state —
  and where the built-in ones run (kube-controller-manager: many loops, one process);
* write the heart of a controller yourself: a level-triggered `reconcile` for a small
  ReplicaSet-like custom resource, `PodSet`, that survives deleted pods, stale caches,
  conflicts and restarts.

**Estimated time:** 75 minutes (15 reading and watching, 60 for the exercise).

Covers: S06, S07, S14, S16

Prerequisites: chapters 02 (desired state), 03 (architecture) and 04 (pods and manifests).
"""),
code("""
from kitlib import cluster
cluster.up()
""", ignore_output=True),
code("""
import time
from kubernetes import client
from kitlib.kube import api_client, apply, delete_namespace, table, wait_for

api = api_client()
core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
RS_NS, PS_NS = "ch06-replicaset", "ch06-podset"      # this chapter's namespaces
for ns in (RS_NS, PS_NS):
    delete_namespace(api, ns, wait=True)             # left over from an interrupted run
    core.create_namespace({"metadata": {"name": ns}})
print("namespaces ready:", RS_NS, PS_NS)
"""),
md("""
## 1 · Desired state, current state, and the loop in between (S06, S16)

You never tell Kubernetes *"start three pods"*. You write down **what you want** — "there
should be three pods like this" — and a **controller** keeps comparing that *desired state*
with the *current state* of the cluster, acting until they match. When something breaks
later (a pod is deleted, a node dies), the two drift apart again, and the same loop repairs
it. Nobody has to notice or react by hand.

The replication controller of the outline (S16) is today's **ReplicaSet controller**: it
keeps the right number of pods for a ReplicaSet. Let's declare one.
"""),
code("""
LABELS = {"app": "web"}
apply(api, {
    "apiVersion": "apps/v1", "kind": "ReplicaSet",
    "metadata": {"name": "web", "namespace": RS_NS},
    "spec": {"replicas": 3, "selector": {"matchLabels": LABELS},
             "template": {"metadata": {"labels": LABELS},
                          "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})

def rs_row(name="web"):
    rs = apps.read_namespaced_replica_set(name, RS_NS)
    return {"desired": rs.spec.replicas, "current": rs.status.replicas or 0,
            "ready": rs.status.ready_replicas or 0}

wait_for(lambda: rs_row() == {"desired": 3, "current": 3, "ready": 3}, what="3 ready pods")
print(table([{"replicaset": "web", **rs_row()}]))
"""),
md("""
Who made those pods? Each carries an **ownerReference** naming the ReplicaSet, with
`controller: true` (this is *the* object responsible for it) and `blockOwnerDeletion`.
The events say which control loop acted: the `replicaset-controller`.
"""),
code("""
pods = core.list_namespaced_pod(RS_NS, label_selector="app=web").items
refs = {(r.kind, r.name, r.controller, r.block_owner_deletion)
        for p in pods for r in p.metadata.owner_references}
print(table([list(r) for r in sorted(refs)], ["owner kind", "owner name", "controller", "blockOwnerDeletion"]))

events = core.list_namespaced_event(RS_NS, field_selector="involvedObject.kind=ReplicaSet").items
who = sorted({(e.reason, e.source.component or e.reporting_component) for e in events})
print(table([list(w) for w in who], ["event reason", "reported by"]))
"""),
md("""
### Self-healing, live

Now break the current state: delete two of the three pods and sample the ReplicaSet every
50 ms. *Desired* never changes; *current* dips and the controller brings it back.
"""),
code("""
from kitlib.controller.plot import plot_timeline

before = {p.metadata.name for p in core.list_namespaced_pod(RS_NS, label_selector="app=web").items}
victims = sorted(before)[:2]
samples, t0 = [], time.monotonic()

def sample():
    pods = [p for p in core.list_namespaced_pod(RS_NS, label_selector="app=web").items
            if not p.metadata.deletion_timestamp]
    ready = sum(1 for p in pods for c in (p.status.conditions or []) if c.type == "Ready" and c.status == "True")
    samples.append((time.monotonic() - t0, 3, len(pods), ready))
    return pods

sample()
for name in victims:
    core.delete_namespaced_pod(name, RS_NS)
while time.monotonic() - t0 < 1.5:
    sample()
    time.sleep(0.05)
now = {p.metadata.name for p in sample()}
assert len(now) == 3 and not now & set(victims), now
print(f"deleted {victims}; replaced by {sorted(now - before)}")
plot_timeline(samples, [(0, "delete 2")], title="ReplicaSet web: 2 of 3 pods deleted at t=0");
""", ignore_output=True),
md("""
## 2 · Many controllers, one process: kube-controller-manager (S14)

The ReplicaSet controller is one of dozens of control loops — Deployment, Job, Node,
EndpointSlice, ServiceAccount, garbage collector, … — each logically separate, but compiled
into **one binary and run in one process**, `kube-controller-manager`. Only one copy acts at
a time: it holds a Lease (leader election), so a second copy for high availability waits.

A Deployment shows two of those loops cooperating: the Deployment controller creates a
ReplicaSet, the ReplicaSet controller creates its pods.
"""),
code("""
apply(api, {
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "api", "namespace": RS_NS},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
             "template": {"metadata": {"labels": {"app": "api"}},
                          "spec": {"containers": [{"name": "api", "image": "nginx:1.27"}]}}}})
wait_for(lambda: (apps.read_namespaced_deployment("api", RS_NS).status.ready_replicas or 0) == 2,
         what="deployment api ready")

def components():
    return sorted({e.source.component or e.reporting_component
                   for e in core.list_namespaced_event(RS_NS).items
                   if e.involved_object.kind in ("Deployment", "ReplicaSet")})
print("controllers that acted:", wait_for(lambda: len(components()) >= 2 and components(),
                                          what="events from both controllers"))

lease = client.CoordinationV1Api(api).read_namespaced_lease("kube-controller-manager", "kube-system")
print("kube-controller-manager leader lease held:", bool(lease.spec.holder_identity))
"""),
md("""
Scaling is just changing the desired state; the loop does the rest (compare with
chapter 02's `kubectl scale`).
"""),
code("""
apps.patch_namespaced_replica_set("web", RS_NS, {"spec": {"replicas": 5}})
wait_for(lambda: rs_row() == {"desired": 5, "current": 5, "ready": 5}, what="5 ready pods")
print(table([{"replicaset": "web", **rs_row()}]))
"""),
md("""
## 3 · A resource without a controller is just data (S07)

Controllers are what *change* the state. To see that, the kit ships its own small
ReplicaSet-like kind, **PodSet** (`cluster/crds/podsets.course.kitlib.dev.yaml`, group
`course.kitlib.dev`): `spec.replicas`, `spec.selector`, `spec.template`, and a status
subresource with `replicas` and `readyReplicas`. Installing the CustomResourceDefinition
teaches the API server the new kind…
"""),
code("""
from kitlib import controller
from kitlib.controller import GROUP, VERSION, PLURAL, podset

crd = controller.install_crd(api)
version = crd["spec"]["versions"][0]
print("kind:", crd["spec"]["names"]["kind"], "| group:", crd["spec"]["group"],
      "| version:", version["name"], "| subresources:", sorted(version["subresources"]))
print("kubectl get podsets shows:", [c["name"] for c in version["additionalPrinterColumns"]])
"""),
code("""
custom = client.CustomObjectsApi(api)
custom.create_namespaced_custom_object(GROUP, VERSION, PS_NS, PLURAL, podset("web", replicas=3))
time.sleep(3)
stored = custom.get_namespaced_custom_object(GROUP, VERSION, PS_NS, PLURAL, "web")
print("spec.replicas:", stored["spec"]["replicas"], "| status:", stored.get("status"),
      "| pods:", len(core.list_namespaced_pod(PS_NS).items))
"""),
md("""
…and the PodSet is stored, but **nothing happens**: no pods, no status. No control loop
watches PodSets yet. You are going to write it.

## 4 · The controller framework

`kitlib.controller` provides everything around the loop, shaped like every Kubernetes
controller (client-go's informer → work queue → sync handler):

```
 API server ──watch──▶ informers (caches of PodSets and pods)
                          │  every change → the key "namespace/name" of the PodSet concerned
                          ▼  (a pod → the PodSet that owns it; an orphan → PodSets whose selector matches)
                       work queue  ── deduplicated; one worker per key at a time;
                          │            periodic resync re-queues every PodSet
                          ▼
                  reconcile(ctx, key)  ◀── you write this
                          │  returns None (done) — or raises: retried with exponential backoff
```

What `ctx` gives you:

| | |
|---|---|
| `ctx.podsets.get(ns, name)` | the PodSet from the cache (a dict, or `None` if it is gone) |
| `ctx.pods.list(ns)` | every pod of the namespace from the cache (dicts) |
| `ctx.core`, `ctx.custom` | `CoreV1Api` and `CustomObjectsApi` to write with |
| `ctx.expectations` | `expect(key, creations=n)`, `expect(key, deletions=[names])`, `satisfied(key)`, `forget(key)`: what you asked for and the cache has not shown yet |

and helpers `matches(selector, labels)`, `controller_of(pod)`, `is_active(pod)`,
`is_ready(pod)` from `kitlib.controller`.

The queue's two promises, shown on a bare `WorkQueue`:
"""),
code("""
from kitlib.controller import WorkQueue, ExponentialBackoff

q = WorkQueue()
q.add("ch06/web"); q.add("ch06/web"); q.add("ch06/db")
print("queued twice, waiting once:", len(q))                 # 2 keys, not 3
key = q.get()                                                # a worker takes ch06/web …
q.add(key)                                                   # … and it changes meanwhile
print("while processing:", len(q), "ready; after done():", end=" ")
q.done(key)
print(len(q), "ready (processed again)")
backoff = ExponentialBackoff(base=0.05, cap=30)
print("retry delays after failures:", [backoff.when("ch06/web") for _ in range(6)], "…")
"""),
md("""
## 5 · Exercise: write `reconcile`

Write `reconcile(ctx, key)` for PodSets. It is called with a key `"namespace/name"` whenever
something about that PodSet *might* have changed — you are not told what. That is the point:

1. **Level-triggered.** Look at what exists *now* (the PodSet and the pods), compare it with
   `spec.replicas`, and close the gap. Never rely on "what the event was" or on memory of
   earlier calls: after a restart there is none.
2. **Ownership.** Count only *active* pods (`is_active`) whose controller ownerReference has
   the PodSet's `uid`. Create pods from `spec.template` with `generateName: "<name>-"` and an
   ownerReference `{apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true}` —
   then deleting the PodSet deletes its pods (the garbage collector does it). **Adopt** active
   pods without a controller whose labels match the selector (add your ownerReference);
   **never touch** pods controlled by someone else.
3. **Stale caches.** The cache lags behind the API server. Before creating or deleting, call
   `ctx.expectations.expect(...)`; act only when `ctx.expectations.satisfied(key)`.
   Otherwise you will create the same pods twice.
4. **Status** through the status subresource
   (`ctx.custom.replace_namespaced_custom_object_status`): `replicas`, `readyReplicas`,
   `observedGeneration` (= `metadata.generation`). On **409 Conflict** re-read the PodSet
   and try again (or raise: the framework retries with backoff).
5. **No writes when nothing changed.** In a steady state, a reconcile writes nothing.
6. Return `None`. Raise on errors you cannot handle.

The checks run your function in a fresh controller and namespace each, and print one line
per check. Errors in your code (exceptions, infinite loops, wrong return values) are
reported, never hang the checker.
"""),
graded(code(solution_source()), "podset-reconcile", solution=True),
md("""
### Check 1 — the basics (8 points)
Scale up, scale down, self-healing, status, and deletion through ownerReferences.
"""),
graded(code("""
from kitlib.controller import checks
summary = checks.basics(reconcile)
assert summary.all_passed, "some checks failed: see the lines above"
"""), "check-basics", grade=True, points=8, locked=True),
md("""
### Check 2 — robustness (10 points)
Adoption, zero writes in a steady state, and a chaos round (pods deleted at random while
the PodSet is scaled up and down). The hidden checks add 409 conflicts, a lagging cache,
and a restart in the middle of creating pods.
"""),
graded(code("""
summary = checks.robustness(reconcile)
assert summary.all_passed, "some checks failed: see the lines above"
### BEGIN HIDDEN TESTS
hidden = checks.robustness_hidden(reconcile)
assert hidden.all_passed, "some hidden checks failed"
### END HIDDEN TESTS
"""), "check-robustness", grade=True, points=10, locked=True),
md("""
### The chaos round, drawn

Desired (`spec.replicas`, black) against current (blue) and ready (green) pods while the
check deleted random pods (red lines) and scaled the PodSet 4 → 7 → 3 → 5. A good
controller keeps *current* glued to *desired*; dips are repaired within a fraction of a
second here.
"""),
code("""
from kitlib.controller.plot import plot_chaos
chaos = checks.LAST_CHAOS
assert chaos["samples"][-1][1:] == (chaos["final"],) * 3, chaos["samples"][-1]
print(f"settled {chaos['converged_after']:.1f}s after the chaos ended (bound {chaos['bound']}s)")
plot_chaos();
""", ignore_output=True),
md("""
## 6 · Your controller, live

The PodSet `web` from section 3 has been waiting without pods. Start your controller in the
background (threads in this kernel; `controller.stop_all()` stops it) and watch it catch up.
Outside a notebook the same controller runs as a process:
`python -m kitlib.controller --namespace ch06-podset` (add `--reconcile mymodule:reconcile`
for your own function).
"""),
code("""
ctrl = controller.start(api, reconcile, namespace=PS_NS)

def podset_row():
    ps = custom.get_namespaced_custom_object(GROUP, VERSION, PS_NS, PLURAL, "web")
    s = ps.get("status") or {}
    return {"desired": ps["spec"]["replicas"], "current": s.get("replicas"), "ready": s.get("readyReplicas")}

wait_for(lambda: podset_row() == {"desired": 3, "current": 3, "ready": 3}, what="PodSet web ready")
print(table([{"podset": "web", **podset_row()}]))
"""),
code("""
victim = sorted(p.metadata.name for p in core.list_namespaced_pod(PS_NS).items)[0]
core.delete_namespaced_pod(victim, PS_NS)
custom.patch_namespaced_custom_object(GROUP, VERSION, PS_NS, PLURAL, "web", {"spec": {"replicas": 4}})
wait_for(lambda: podset_row() == {"desired": 4, "current": 4, "ready": 4}, what="PodSet web at 4")
names = {p.metadata.name for p in core.list_namespaced_pod(PS_NS).items if not p.metadata.deletion_timestamp}
assert victim not in names
print(table([{"podset": "web", **podset_row()}]))
print("API writes by the controller so far:", ctrl.api.by_kind())
""", ignore_output=True),
code("""
controller.stop_all()
print("controller running:", ctrl.running)
"""),
md("""
## Key points

* **Desired vs current state (S06).** You declare what should exist; controllers keep
  comparing and acting until the cluster matches — which is also how it heals itself.
* **Controllers (S07)** are control loops: watch → queue → reconcile. A custom resource
  without a controller is only data.
* **Level-triggered** reconcile looks at what exists now, not at which event arrived; it is
  safe to run any number of times, after missed events and after restarts.
* **kube-controller-manager (S14)** runs dozens of such loops in one process; the
  **ReplicaSet controller (S16)** keeps the right number of pods for a ReplicaSet, exactly
  what your PodSet controller does.
* Real controllers need **ownerReferences** (garbage collection, adoption),
  **expectations** (caches lag), the **status subresource** with conflict retries, and
  **no writes when nothing changed**.

## Cleanup
"""),
code("""
controller.stop_all()
for ns in (RS_NS, PS_NS):
    delete_namespace(api, ns, wait=True)
print("removed", RS_NS, "and", PS_NS, "(the PodSet CRD stays installed for later chapters)")
"""),
]


if __name__ == "__main__":
    write(notebook(CELLS), NOTEBOOK)
    print(f"wrote {NOTEBOOK}")
