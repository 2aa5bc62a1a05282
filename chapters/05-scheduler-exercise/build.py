"""Writes chapters/05-scheduler-exercise.ipynb (run from the repository root:
``python chapters/05-scheduler-exercise/build.py``), then refresh its outputs with
``KIT_STATE_DIR=/tmp/kit-$USER python -m kitlib.notebooks chapters/05-scheduler-exercise.ipynb``."""
from pathlib import Path

from kitlib.notebooks import code, graded, md, notebook, write

OUT = Path(__file__).resolve().parent.parent / "05-scheduler-exercise.ipynb"
cells = []
add = cells.append


def solution(grade_id, source):
    add(graded(code(source), grade_id, solution=True))


def tests(grade_id, points, source):
    add(graded(code(source), grade_id, points=points, grade=True, locked=True))


add(md("""
# 05 · Write a scheduler

**Objectives.** After this chapter you can
- say what kube-scheduler weighs when it places a pod, and why a pod stays `Pending`;
- read a scheduling decision as *filters* (can the node take the pod?) and *scores*
  (how good is it?), with weights, as kube-scheduler's framework does;
- implement kube-scheduler's core plugins — NodeUnschedulable, NodeResourcesFit,
  NodeAffinity, TaintToleration, LeastAllocated, BalancedAllocation — with its exact
  integer maths, and watch your scheduler place real pods through the API;
- compare your scheduler with kube-scheduler on the same workload.

**Estimated time:** 90–120 minutes (about 15 minutes to just read and run it).

Covers: S13, S30 (and design item D3, the mini-scheduler exercise)
"""))
add(code("from kitlib import cluster\ncluster.up()", ignore_output=True))
add(md("""
## The stage: five simulated nodes

The checks below run on nodes made for this chapter: simulated (KWOK) nodes with chosen
CPU, memory, pod slots, labels and taints, added to the running cluster and labelled
`kit.course/scenario=ch05` so the last cell removes exactly them. The API server treats
them as any other node; KWOK plays their kubelet (they turn Ready, pods bound to them
turn Running, no container starts).
"""))
add(code("""
from kitlib.kube import api_client, table
from kitlib.grading import run_cases
from kitlib.scheduler import (Status, NodeInfo, pod_requests, tolerates, requirement_matches,
                              Scheduler, default_framework, MAX_NODE_SCORE)
from kitlib.scheduler import checks, scenarios as S, visual
from kitlib.scheduler.scenarios import Scenario, expr, taint, toleration

api = api_client()
S.create_nodes(api, checks.chapter_nodes(), checks.SCENARIO)
nodes = S.read_nodes(api, checks.SCENARIO)           # as the API server shows them
public = checks.public_scenarios(nodes)               # the public checks' scenarios

print(table([{"node": n["metadata"]["name"],
              "cpu": n["status"]["allocatable"]["cpu"], "memory": n["status"]["allocatable"]["memory"],
              "pods": n["status"]["allocatable"]["pods"],
              "labels": ",".join(f"{k}={v}" for k, v in sorted(n["metadata"]["labels"].items())
                                 if k in ("zone", "disktype", "accelerator", "lifecycle", "cpu-count")),
              "taints": ",".join(f"{t['key']}:{t['effect']}" for t in n["spec"].get("taints", []))}
             for n in nodes]))
"""))
add(md("""
Notice `ch05-cordoned`: we only set `spec.unschedulable: true` (what `kubectl cordon`
does); the node-lifecycle controller added the taint `node.kubernetes.io/unschedulable`
by itself.

## What kube-scheduler weighs (S13)

kube-scheduler watches for pods that have been created but have no node
(`spec.nodeName` empty) and whose `spec.schedulerName` is its own (`default-scheduler`).
For each it picks a node by weighing the pod's **individual** resource requests against
what is left on each node, the **collective** demand already placed there, the **state**
of the node (cordoned, tainted, out of pod slots) and the pod's **constraints**
(node selectors, affinity, tolerations). Then it writes its choice to the API — a
*binding* — and the node's kubelet starts the pod. Placement is therefore automatic
(S30): you say what a pod needs, Kubernetes bin-packs pods onto nodes.

## The scheduling framework

Since v1.19 kube-scheduler is a *framework* of plugins, called at extension points:

| step | question | in this kit |
|---|---|---|
| **Filter** | can this node take the pod? Each filter says yes, or no with a reason | `filter(pod, node_info) -> None or Status` |
| **Score** | how good is each remaining node, 0–100? | `score(pod, node_info) -> int` |
| **NormalizeScore** | rescale one plugin's scores to 0–100 | `normalize_score(pod, {node: score}) -> {node: score}` |
| **weights** | total = Σ weight × score; the highest total wins | TaintToleration 3, NodeAffinity 2, NodeResourcesFit 1, BalancedAllocation 1 |
| **Bind** | write the choice: `POST …/pods/<name>/binding` with the pod's UID | `kitlib.scheduler.Scheduler` |

If no node passes the filters the pod stays `Pending` and gets a `FailedScheduling`
event that counts the reasons: `0/5 nodes are available: 1 node(s) had untolerated
taint(s), …`. Filters run in order and the first "no" decides for that node.
kube-scheduler picks at random among tied nodes; ours picks the name that sorts first,
so runs are repeatable.

`kitlib.scheduler` mirrors kube-scheduler v1.37.0 (`pkg/scheduler/framework/plugins`,
one module per plugin). Here is its reference deciding where a 1 CPU / 2Gi pod goes —
a row per node, a column per plugin:
"""))
add(code("""
web = S.pod("web", "1", "2Gi")
infos = [NodeInfo(n) for n in nodes]
print(visual.explain(default_framework(), web, infos))
"""))
add(md("""
Read it row by row: the cordoned node never reaches the taint filter; the GPU node's taint
repels the pod; the spot node passes the filters but loses 300 points on its
`PreferNoSchedule` taint; `ch05-large` has the most room left.

## Your turn

Write each plugin in its cell; the cell after it checks your code against the reference
on scenarios — node by node — and prints one line per scenario. A `NodeInfo` gives you
`node_info.node` (the Node as a dict), `.name`, `.labels`, `.taints`, `.unschedulable`,
`.pods`, `.allocatable`, `.requested` and `.non_zero_requested` (each a `Resource` with
`milli_cpu`, `memory` in bytes and, for `allocatable`, `pods`). `pod_requests(pod)` sums a
pod's requests; `pod_requests(pod, non_zero=True)` counts a container with no request as
100m CPU / 200Mi memory. A filter returns `None` when the node fits, else
`Status.unschedulable("reason")` (room might free up) or `Status.unresolvable("reason")`
(the node can never take it; kube-scheduler uses this to skip preemption — the checks
accept either and compare the reasons).

### Q1 · NodeUnschedulable (filter)

A cordoned node (`spec.unschedulable: true`) takes no new pods — unless the pod tolerates
the taint `node.kubernetes.io/unschedulable:NoSchedule`. `tolerates(toleration, taint)`
tells whether one toleration tolerates one taint. Reason: `node(s) were unschedulable`.
"""))
solution("q1-node-unschedulable", '''
def node_unschedulable_filter(pod, node_info):
    """None if the node is not cordoned or the pod tolerates the cordon."""
    ### BEGIN SOLUTION
    if not node_info.unschedulable:
        return None
    cordon = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    if any(tolerates(t, cordon) for t in pod["spec"].get("tolerations") or []):
        return None
    return Status.unresolvable("node(s) were unschedulable")
    ### END SOLUTION
''')
tests("q1-node-unschedulable-tests", 3, '''
cases = checks.filter_cases(node_unschedulable_filter, "NodeUnschedulable", public["NodeUnschedulable"])
### BEGIN HIDDEN TESTS
cases += checks.filter_cases(node_unschedulable_filter, "NodeUnschedulable", [
    Scenario("Exists toleration without a key", S.pod("h", tolerations=[toleration(operator="Exists")]), nodes),
    Scenario("wrong effect does not tolerate the cordon",
             S.pod("h", tolerations=[toleration("node.kubernetes.io/unschedulable", operator="Exists",
                                                effect="NoExecute")]), nodes),
], hidden=True)
### END HIDDEN TESTS
summary = run_cases("Q1 NodeUnschedulable", cases)
assert summary.all_passed, "some checks failed: see the lines marked ✘"
''')
add(md("""
### Q2 · NodeResourcesFit (filter)

Does the node have room? Compare the pod's **real** requests (`pod_requests(pod)` — no
defaults here) with `allocatable - requested` on the node, and check the pod slots.
Report *every* shortage, in this order, with these exact reasons:
`Too many pods` (pods on the node + 1 > allocatable pods), `Insufficient cpu`,
`Insufficient memory`. A resource the pod does not request (0) is never short.
"""))
solution("q2-node-resources-fit", '''
def node_resources_fit_filter(pod, node_info):
    """None if the pod fits; else Status.unschedulable(every reason that applies)."""
    ### BEGIN SOLUTION
    want, free = pod_requests(pod), node_info.allocatable
    used = node_info.requested
    reasons = []
    if len(node_info.pods) + 1 > free.pods:
        reasons.append("Too many pods")
    if want.milli_cpu > 0 and want.milli_cpu > free.milli_cpu - used.milli_cpu:
        reasons.append("Insufficient cpu")
    if want.memory > 0 and want.memory > free.memory - used.memory:
        reasons.append("Insufficient memory")
    return Status.unschedulable(*reasons) if reasons else None
    ### END SOLUTION
''')
tests("q2-node-resources-fit-tests", 6, '''
cases = checks.filter_cases(node_resources_fit_filter, "NodeResourcesFit", public["NodeResourcesFit"])
### BEGIN HIDDEN TESTS
tiny = S.node("h-tiny", cpu="1", memory="1Gi", pods=2)
cases += checks.filter_cases(node_resources_fit_filter, "NodeResourcesFit", [
    Scenario("exact memory fit", S.pod("h", "100m", "512Mi"), [tiny], {"h-tiny": [S.pod("a", "900m", "512Mi")]}),
    Scenario("pods full and CPU short together", S.pod("h", "200m"), [tiny],
             {"h-tiny": [S.pod("a", "900m"), S.pod("b")]}),
    Scenario("milli-CPU quantities", S.pod("h", "0.5"), [tiny], {"h-tiny": [S.pod("a", "501m")]}),
], hidden=True)
### END HIDDEN TESTS
summary = run_cases("Q2 NodeResourcesFit", cases)
assert summary.all_passed, "some checks failed: see the lines marked ✘"
''')
add(md("""
### Q3 · NodeAffinity (filter)

Two ways a pod restricts its nodes, and both must hold:
- `spec.nodeSelector`: every label must be on the node with exactly that value;
- `spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms`:
  **at least one** term must match; inside a term **every** `matchExpressions` entry must
  match (`requirement_matches(requirement, labels)` handles In, NotIn, Exists,
  DoesNotExist, Gt, Lt). A term with no expressions matches nothing.

Reason: `node(s) didn't match Pod's node affinity/selector`. (Terms may also use
`matchFields` on `metadata.name`; the checks do not, and you may ignore them.)
"""))
solution("q3-node-affinity", '''
def node_affinity_filter(pod, node_info):
    """None if nodeSelector and required node affinity both allow the node."""
    ### BEGIN SOLUTION
    labels = node_info.labels
    for key, value in (pod["spec"].get("nodeSelector") or {}).items():
        if labels.get(key) != value:
            return Status.unresolvable("node(s) didn't match Pod's node affinity/selector")
    affinity = (pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}
    required = affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is None:
        return None
    for term in required.get("nodeSelectorTerms") or []:
        exprs = term.get("matchExpressions") or []
        if exprs and all(requirement_matches(e, labels) for e in exprs):
            return None
    return Status.unresolvable("node(s) didn't match Pod's node affinity/selector")
    ### END SOLUTION
''')
tests("q3-node-affinity-tests", 5, '''
cases = checks.filter_cases(node_affinity_filter, "NodeAffinity", public["NodeAffinity"])
### BEGIN HIDDEN TESTS
cases += checks.filter_cases(node_affinity_filter, "NodeAffinity", [
    Scenario("an empty term matches nothing", S.pod("h", required=[[]]), nodes),
    Scenario("Lt on a numeric label", S.pod("h", required=[[expr("cpu-count", "Lt", "5")]]), nodes),
    Scenario("nodeSelector on a missing label", S.pod("h", node_selector={"gpu": "yes"}), nodes),
], hidden=True)
### END HIDDEN TESTS
summary = run_cases("Q3 NodeAffinity", cases)
assert summary.all_passed, "some checks failed: see the lines marked ✘"
''')
add(md("""
### Q4 · TaintToleration (filter, score, normalize)

A taint repels pods that do not tolerate it:
- **filter**: reject the node if it has a taint with effect `NoSchedule` or `NoExecute`
  that none of the pod's tolerations tolerates. Reason: `node(s) had untolerated taint(s)`.
- **score**: count the node's `PreferNoSchedule` taints not tolerated by the pod's
  tolerations *whose effect is empty or `PreferNoSchedule`*. Fewer is better, so…
- **normalize**: turn the counts around: with `m` the highest count,
  `100 - 100 * count // m` (and every node 100 when `m` is 0).
"""))
solution("q4-taint-toleration", '''
def taint_toleration_filter(pod, node_info):
    ### BEGIN SOLUTION
    tolerations = pod["spec"].get("tolerations") or []
    for t in node_info.taints:
        if t.get("effect") in ("NoSchedule", "NoExecute") and not any(tolerates(x, t) for x in tolerations):
            return Status.unresolvable("node(s) had untolerated taint(s)")
    return None
    ### END SOLUTION


def taint_toleration_score(pod, node_info):
    ### BEGIN SOLUTION
    tolerations = [x for x in pod["spec"].get("tolerations") or []
                   if x.get("effect") in (None, "", "PreferNoSchedule")]
    return sum(1 for t in node_info.taints if t.get("effect") == "PreferNoSchedule"
               and not any(tolerates(x, t) for x in tolerations))
    ### END SOLUTION


def taint_toleration_normalize(pod, scores):
    """scores: {node name: count} -> {node name: 0..100}, fewer taints scoring higher."""
    ### BEGIN SOLUTION
    highest = max(scores.values(), default=0)
    if highest == 0:
        return {node: MAX_NODE_SCORE for node in scores}
    return {node: MAX_NODE_SCORE - MAX_NODE_SCORE * s // highest for node, s in scores.items()}
    ### END SOLUTION
''')
tests("q4-taint-toleration-tests", 8, '''
cases = checks.filter_cases(taint_toleration_filter, "TaintToleration.filter", public["TaintToleration.filter"],
                           prefix="filter: ")
cases += checks.score_cases(taint_toleration_score, "TaintToleration.score", public["TaintToleration.score"],
                            prefix="score: ")
cases += checks.normalize_cases(taint_toleration_score, taint_toleration_normalize, public["TaintToleration.score"])
### BEGIN HIDDEN TESTS
many = [S.node("h-a", taints=[taint("x", "1", "PreferNoSchedule"), taint("y", "1", "PreferNoSchedule"),
                               taint("z", "1", "PreferNoSchedule")]),
        S.node("h-b", taints=[taint("x", "1", "PreferNoSchedule")]), S.node("h-c"),
        S.node("h-d", taints=[taint("evict", "", "NoExecute")])]
hidden = [Scenario("3, 1 and 0 PreferNoSchedule taints", S.pod("h"), many),
          Scenario("empty-effect toleration counts", S.pod("h", tolerations=[toleration("x", "1")]), many)]
cases += checks.filter_cases(taint_toleration_filter, "TaintToleration.filter", hidden, hidden=True,
                            prefix="filter: ")
cases += checks.score_cases(taint_toleration_score, "TaintToleration.score", hidden, hidden=True,
                            prefix="score: ")
cases += checks.normalize_cases(taint_toleration_score, taint_toleration_normalize, hidden, hidden=True)
### END HIDDEN TESTS
summary = run_cases("Q4 TaintToleration", cases)
assert summary.all_passed, "some checks failed: see the lines marked ✘"
''')
add(md("""
### Q5 · LeastAllocated (NodeResourcesFit's score)

Prefer emptier nodes. Use the **non-zero** requests (`pod_requests(pod, non_zero=True)`
and `node_info.non_zero_requested`): only *scoring* gives a container without requests
100m CPU / 200Mi memory, so that many request-less pods don't all look free and pile
onto one node. With the pod included, for CPU and for memory:

    requested = node's non-zero requests + pod's non-zero requests
    score(r)  = (allocatable - requested) * 100 // allocatable      (0 if requested > allocatable)

and the node's score is `(score(cpu) + score(memory)) // 2` (weights 1 and 1; skip a
resource whose allocatable is 0). Integer maths throughout, as in kube-scheduler.
"""))
solution("q5-least-allocated", '''
def least_allocated_score(pod, node_info):
    ### BEGIN SOLUTION
    want, have, alloc = pod_requests(pod, non_zero=True), node_info.non_zero_requested, node_info.allocatable
    total = weights = 0
    for requested, allocatable in ((have.milli_cpu + want.milli_cpu, alloc.milli_cpu),
                                   (have.memory + want.memory, alloc.memory)):
        if allocatable == 0:
            continue
        total += 0 if requested > allocatable else (allocatable - requested) * MAX_NODE_SCORE // allocatable
        weights += 1
    return total // weights if weights else 0
    ### END SOLUTION
''')
tests("q5-least-allocated-tests", 5, '''
cases = checks.score_cases(least_allocated_score, "LeastAllocated", public["LeastAllocated"])
### BEGIN HIDDEN TESTS
odd = [S.node("h-odd", cpu="3", memory="3Gi"), S.node("h-big", cpu="96", memory="384Gi")]
cases += checks.score_cases(least_allocated_score, "LeastAllocated", [
    Scenario("rounding down on odd sizes", S.pod("h", "1", "1Gi"), odd, {"h-odd": [S.pod("a", "333m")]}),
    Scenario("request-less pods already placed", S.pod("h"), odd, {"h-odd": [S.pod("a"), S.pod("b")]}),
], hidden=True)
### END HIDDEN TESTS
summary = run_cases("Q5 LeastAllocated", cases)
assert summary.all_passed, "some checks failed: see the lines marked ✘"
''')
add(md("""
### Q6 · BalancedAllocation

Prefer nodes whose CPU and memory would be used in similar proportions. This follows
**kube-scheduler v1.37.0**, which scores the *change* in balance a pod causes (kubernetes
PR #135573, late 2025; before it, the score was just the balance with the pod). With the
**real** requests (no defaults):

    fraction(r) = min(requested(r) / allocatable(r), 1)          # floats, for cpu and memory
    balance     = int((1 - abs(f_cpu - f_mem) / 2) * 100)
    with_pod    = balance of (node's requests + pod's requests)
    without_pod = balance of (node's requests)
    score       = 50 + (50 + with_pod - without_pod) // 2

A pod that requests nothing at all is not scored by this plugin: return 0.
"""))
solution("q6-balanced-allocation", '''
def balanced_allocation_score(pod, node_info):
    ### BEGIN SOLUTION
    want, have, alloc = pod_requests(pod), node_info.requested, node_info.allocatable
    if want.milli_cpu == 0 and want.memory == 0:
        return 0

    def balance(cpu, memory):
        fractions = [min(used / total, 1.0) for used, total in ((cpu, alloc.milli_cpu), (memory, alloc.memory))
                     if total > 0]
        std = abs(fractions[0] - fractions[1]) / 2 if len(fractions) == 2 else 0.0
        return int((1 - std) * MAX_NODE_SCORE)

    with_pod = balance(have.milli_cpu + want.milli_cpu, have.memory + want.memory)
    without_pod = balance(have.milli_cpu, have.memory)
    return MAX_NODE_SCORE // 2 + (MAX_NODE_SCORE // 2 + with_pod - without_pod) // 2
    ### END SOLUTION
''')
tests("q6-balanced-allocation-tests", 5, '''
cases = checks.score_cases(balanced_allocation_score, "BalancedAllocation", public["BalancedAllocation"])
### BEGIN HIDDEN TESTS
skew = [S.node("h-a", cpu="4", memory="4Gi"), S.node("h-b", cpu="4", memory="32Gi")]
cases += checks.score_cases(balanced_allocation_score, "BalancedAllocation", [
    Scenario("a pod that worsens the balance", S.pod("h", "3", "100Mi"), skew),
    Scenario("a pod that repairs the balance", S.pod("h", "100m", "3Gi"), skew,
             {"h-a": [S.pod("a", "3", "100Mi")], "h-b": [S.pod("a", "3", "1Gi")]}),
], hidden=True)
### END HIDDEN TESTS
summary = run_cases("Q6 BalancedAllocation", cases)
assert summary.all_passed, "some checks failed: see the lines marked ✘"
''')
add(md("""
## Q7 · Your scheduler, for real

Your functions become kube-scheduler's plugins (preferred node affinity, which the
exercise skips, comes from the reference). The table shows your framework deciding for
the same pod as before:
"""))
add(code('''
my_framework = checks.learner_framework(
    unschedulable=node_unschedulable_filter, fit=node_resources_fit_filter, affinity=node_affinity_filter,
    taint_filter=taint_toleration_filter, taint_score=taint_toleration_score,
    taint_normalize=taint_toleration_normalize, least_allocated=least_allocated_score,
    balanced=balanced_allocation_score)
print(visual.explain(my_framework, web, infos))
'''))
add(md("""
The last check runs your scheduler — watch, queue, filter, score, bind — against the API
server: twelve real pods (one of which fits nowhere) are created with
`schedulerName: kit-scheduler`, your scheduler places them, and the placements, the
`Pending` pod's reasons and the `Scheduled` events are read back from the API.
"""))
tests("q7-end-to-end-tests", 6, '''
cases = checks.decision_cases(my_framework, public["decisions"])
### BEGIN HIDDEN TESTS
twins = [S.node("h-b", cpu="2", memory="2Gi"), S.node("h-a", cpu="2", memory="2Gi")]
cases += checks.decision_cases(my_framework, [
    Scenario("identical nodes: the first name wins", S.pod("h", "1", "1Gi"), twins)], hidden=True)
### END HIDDEN TESTS
cases += checks.end_to_end_cases(api, my_framework)
summary = run_cases("Q7 your scheduler", cases)
assert summary.all_passed, "some checks failed: see the lines marked ✘"
''')
add(md("""
## Watch it work

`Scheduler(...).start()` runs the scheduler in background threads of this kernel (in a
terminal: `python -m kitlib.scheduler`). Pods that name it in `spec.schedulerName` are
placed; every other pod is left to kube-scheduler. A batch of pods:
"""))
add(code('''
import uuid
from kubernetes import client
from kitlib.kube import wait_for
core = client.CoreV1Api(api)
ns = f"ch05-demo-{uuid.uuid4().hex[:4]}"
core.create_namespace({"metadata": {"name": ns}})
batch = [S.pod(f"demo-{i:02d}", cpu, mem, node_selector={"kit.course/scenario": "ch05"}, namespace=ns)
         for i, (cpu, mem) in enumerate([("500m", "1Gi"), ("1", "512Mi"), ("250m", "2Gi"), (None, None)] * 4)]
expected = checks.simulate(my_framework, batch, [NodeInfo(n) for n in S.read_nodes(api, "ch05")])

with Scheduler(api, my_framework):                # started here, stopped at the end of the block
    S.create_pods(api, ns, batch)
    wait_for(lambda: all(p["spec"].get("nodeName") for p in S.list_pods(api, ns)), timeout=60,
             what="16 pods bound")
placed = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in S.list_pods(api, ns)}
assert placed == expected, (placed, expected)
print(table([{"pod": k, "node": v} for k, v in sorted(placed.items())]))
'''))
add(md("The scheduler's events, as `kubectl get events` would show them (first three):"))
add(code('''
wait_for(lambda: len(core.list_namespaced_event(ns).items) >= len(batch), timeout=30, what="events")
events = sorted(core.list_namespaced_event(ns).items, key=lambda e: e.involved_object.name)
print(table([{"reason": e.reason, "from": e.reporting_component, "message": e.message.replace(ns, "<ns>")}
             for e in events[:3]]))
assert all(e.reason == "Scheduled" for e in events)
'''))
add(md("How full is each node now? (Requested CPU and memory as a share of allocatable.)"))
add(code('''
rows = visual.utilization(api, "kit.course/scenario=ch05")
assert sum(r["pods"] for r in rows) == len(batch)
visual.plot_utilization(rows, "After the batch: requested share of each node");
''', ignore_output=True))
add(md("""
## A race: your scheduler and kube-scheduler

The same 40 pods go to two identical pools of four simulated nodes, one pool placed by
kube-scheduler, the other by your scheduler. Both count from the first pod created to the
last one bound, so creating the pods is part of the time; the benchmark in
`benchmarks/scheduler.py` measures bigger runs. Balance: spread of pods per node and the
standard deviation of CPU use across the pool (lower is more even).
"""))
add(code('''
results = visual.race(api, my_framework, nodes=4, pods=40)
print(table(results))
assert [r["scheduler"] for r in results] == ["kube-scheduler", "kit-scheduler"]
assert all(r["pods/s"] > 0 for r in results)
''', ignore_output=True))
add(md("""
## Key points

- kube-scheduler places pods that have no node yet, only those whose `schedulerName` is
  its own; it weighs requests against what is free, the node's state and the pod's
  constraints (S13), which is what makes placement automatic (S30).
- A decision is **filters** (all must pass; the first "no" gives the reason) then
  **scores** (0–100 per plugin, normalized, weighted, summed). No node passing means
  `Pending` plus a `FailedScheduling` event counting the reasons.
- Filters use real requests; LeastAllocated scoring counts a missing request as
  100m CPU / 200Mi memory. v1.37.0's BalancedAllocation scores the *change* in balance.
- Taints repel, tolerations let pods in; cordoning a node is a taint too.
- Binding is a write to the API (`pods/binding`, with the pod's UID); a conflict means the
  world changed and is news, not a crash.
"""))
add(code('''
# Clean up: this chapter's namespace and scenario nodes (the cluster stays up)
from kitlib.kube import delete_namespace
delete_namespace(api, ns, wait=True)
print("removed", S.delete_nodes(api, checks.SCENARIO), "scenario nodes")
'''))

write(notebook(cells), OUT)
print(f"wrote {OUT}")
