"""Chapter 05's stage: the five simulated nodes the chapter adds to the cluster, the
public scenarios of each question on them, and the end-to-end check's workload."""
from __future__ import annotations

from exercises.scheduler import scenarios as S
from exercises.scheduler.scenarios import Scenario, expr, taint, toleration

SCENARIO = "ch05"            # label value of the chapter's simulated nodes


def chapter_nodes() -> list[dict]:
    """Five simulated nodes with different sizes, labels and taints."""
    return [
        S.node("ch05-cordoned", cpu="4", memory="8Gi", unschedulable=True,
               labels={"zone": "b", "cpu-count": "4"}),
        S.node("ch05-gpu", cpu="4", memory="16Gi", taints=[taint("gpu", "true", "NoSchedule")],
               labels={"zone": "a", "accelerator": "nvidia", "cpu-count": "4"}),
        S.node("ch05-large", cpu="8", memory="16Gi", labels={"zone": "b", "disktype": "hdd", "cpu-count": "8"}),
        S.node("ch05-small", cpu="2", memory="4Gi", pods=4,
               labels={"zone": "a", "disktype": "ssd", "cpu-count": "2"}),
        S.node("ch05-spot", cpu="4", memory="8Gi", taints=[taint("spot", "true", "PreferNoSchedule")],
               labels={"zone": "c", "lifecycle": "spot", "cpu-count": "4"}),
    ]


def checked_nodes(scenario: str = SCENARIO) -> list[dict]:
    """The chapter's nodes as the API server shows them once they are Ready: labelled with
    the scenario, and the cordoned node tainted node.kubernetes.io/unschedulable:NoSchedule
    by the node-lifecycle controller. The graded checks run on these, so they need no
    cluster and give the same answer wherever they run."""
    out = []
    for n in chapter_nodes():
        n["metadata"]["labels"][S.SCENARIO_LABEL] = scenario
        if n["spec"].get("unschedulable"):
            n["spec"]["taints"] = [*n["spec"].get("taints", []),
                                   taint("node.kubernetes.io/unschedulable", "", "NoSchedule")]
        out.append(n)
    return out


def _load(prefix: str, n: int, cpu: str | None = None, memory: str | None = None) -> list[dict]:
    return [S.pod(f"{prefix}-{i}", cpu, memory) for i in range(n)]


def public_scenarios(nodes: list[dict] | None = None) -> dict[str, list[Scenario]]:
    """Public scenarios per question, on ``nodes`` (the chapter's nodes as the API shows
    them, or ``chapter_nodes()`` without a cluster)."""
    nodes = nodes or chapter_nodes()
    sc = lambda name, p, placed=None: Scenario(name, p, nodes, placed or {})
    gpu_tol = toleration("gpu", "true", "NoSchedule", "Equal")
    return {
        "NodeUnschedulable": [
            sc("cordoned node rejects a plain pod", S.pod("plain", "100m", "128Mi")),
            sc("tolerating the cordon taint lets the pod in",
               S.pod("tolerant", "100m", tolerations=[toleration("node.kubernetes.io/unschedulable",
                                                                 operator="Exists", effect="NoSchedule")])),
        ],
        "NodeResourcesFit": [
            sc("small pod fits everywhere", S.pod("small", "500m", "1Gi")),
            sc("exactly the free CPU fits; 1m more does not",
               S.pod("edge", "1500m", "1Gi"), {"ch05-small": _load("busy", 1, "500m", "1Gi"),
                                               "ch05-large": _load("busy", 1, "6501m")}),
            sc("memory too large for some nodes", S.pod("mem", "100m", "10Gi")),
            sc("both CPU and memory short: both reasons", S.pod("big", "6", "12Gi"),
               {"ch05-large": _load("busy", 1, "3", "6Gi")}),
            sc("pod slots full: Too many pods", S.pod("one-more", "100m", "100Mi"),
               {"ch05-small": _load("tiny", 4, "10m", "10Mi")}),
            sc("request-less pod needs only a pod slot", S.pod("nothing"),
               {"ch05-small": _load("tiny", 4), "ch05-large": _load("busy", 1, "8", "16Gi")}),
            sc("an init container bigger than the app: its request counts",
               S.pod("init", "500m", "512Mi", init_containers=[S.container("migrate", "3", "256Mi")])),
            sc("pod overhead is added to the requests",
               S.pod("sandboxed", "1900m", "3Gi", overhead={"cpu": "250m", "memory": "1200Mi"})),
        ],
        "NodeAffinity": [
            sc("nodeSelector disktype=ssd", S.pod("ssd", node_selector={"disktype": "ssd"})),
            sc("required affinity zone In [a, c]", S.pod("zones", required=[[expr("zone", "In", "a", "c")]])),
            sc("NotIn and DoesNotExist in one term",
               S.pod("no-gpu", required=[[expr("zone", "NotIn", "c"), expr("accelerator", "DoesNotExist")]])),
            sc("terms are ORed", S.pod("either", required=[[expr("disktype", "In", "hdd")],
                                                           [expr("lifecycle", "Exists")]])),
            sc("nodeSelector AND affinity must both hold",
               S.pod("both", node_selector={"zone": "a"}, required=[[expr("cpu-count", "Gt", "2")]])),
            sc("a value that is not a valid label value: its term matches nothing",
               S.pod("typo", required=[[expr("zone", "In", "a", "zone c")], [expr("disktype", "In", "hdd")]])),
        ],
        "TaintToleration.filter": [
            sc("no tolerations: only NoSchedule taints repel", S.pod("plain", "100m")),
            sc("toleration gpu=true:NoSchedule (Equal)", S.pod("gpu", tolerations=[gpu_tol])),
            sc("toleration with the wrong value does not help",
               S.pod("wrong", tolerations=[toleration("gpu", "false", "NoSchedule", "Equal")])),
            sc("Exists with an empty key tolerates every taint",
               S.pod("all", tolerations=[toleration(operator="Exists")])),
        ],
        "TaintToleration.score": [
            sc("no tolerations: the spot node scores lowest", S.pod("plain", "100m")),
            sc("tolerating spot:PreferNoSchedule evens it out",
               S.pod("spot-ok", tolerations=[toleration("spot", "true", "PreferNoSchedule")])),
            sc("NoSchedule tolerations don't count here",
               S.pod("spot-ns", tolerations=[toleration("spot", "true", "NoSchedule"), gpu_tol])),
        ],
        "LeastAllocated": [
            sc("empty nodes, pod 1 CPU / 2Gi", S.pod("p", "1", "2Gi")),
            sc("request-less pod counts as 100m / 200Mi", S.pod("nothing")),
            sc("loaded nodes (some pods request nothing)", S.pod("p", "250m", "512Mi"),
               {"ch05-large": _load("busy", 2, "2", "3Gi") + _load("free", 3),
                "ch05-small": _load("busy", 1, "1", "1Gi"), "ch05-spot": _load("free", 2)}),
        ],
        "BalancedAllocation": [
            sc("balanced pod on empty nodes", S.pod("p", "1", "2Gi")),
            sc("CPU-heavy pod next to memory-heavy load", S.pod("cpu", "2", "256Mi"),
               {"ch05-large": _load("mem", 1, "500m", "8Gi"), "ch05-spot": _load("mem", 1, "100m", "4Gi")}),
            sc("memory-only pod: missing CPU request counts as 0", S.pod("mem", memory="2Gi"),
               {"ch05-large": _load("busy", 1, "4", "2Gi")}),
            sc("best-effort pod (no requests): 0 everywhere", S.pod("nothing")),
        ],
        "why pending": [
            sc("a 16-CPU pod: every reason on every node", S.pod("huge", "16", "1Gi")),
            sc("a pod that fits somewhere: those nodes list nothing",
               S.pod("ssd", "1", "1Gi", node_selector={"disktype": "ssd"})),
        ],
        "decisions": [
            sc("a pod goes to the best-scored node", S.pod("web", "500m", "1Gi")),
            sc("nothing fits: 0/5 nodes are available", S.pod("huge", "16", "1Gi")),
            sc("a tie goes to the first node name", S.pod("p", "250m", "512Mi"),
               {"ch05-large": _load("busy", 2, "2", "3Gi") + _load("free", 3),
                "ch05-small": _load("busy", 1, "1", "1Gi"), "ch05-spot": _load("free", 2)}),
        ],
    }


def e2e_workload(scenario: str = SCENARIO) -> list[dict]:
    """A batch for the end-to-end check: every pod is confined to the scenario's nodes."""
    pods = [
        S.pod("e01-web", "500m", "1Gi"), S.pod("e02-api", "1", "2Gi"),
        S.pod("e03-train", "2", "8Gi", tolerations=[toleration("gpu", "true", "NoSchedule", "Equal")],
              node_selector={"accelerator": "nvidia"}),
        S.pod("e04-db", "1", "2Gi", node_selector={"disktype": "ssd"}),
        S.pod("e05-sidecar"), S.pod("e06-batch", "2", "1Gi", required=[[expr("zone", "In", "b")]]),
        S.pod("e07-cpu", "3", "1Gi"), S.pod("e08-cache", "1500m", "6Gi"),
        S.pod("e09-huge", "100", "1Gi"), S.pod("e10-small", "250m", "256Mi"),
        S.pod("e11-spot", "1", "1Gi", tolerations=[toleration("spot", operator="Exists")],
              preferred=[(50, [expr("lifecycle", "In", "spot")])]),
        S.pod("e12-web", "500m", "1Gi"),
    ]
    for p in pods:
        p["spec"].setdefault("nodeSelector", {})[S.SCENARIO_LABEL] = scenario
    return pods
