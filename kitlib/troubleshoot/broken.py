"""Pods and Services broken on purpose, one fault each, for chapter 7 to diagnose.
Only the course images are used (there is no registry); the image that cannot be pulled
names a loopback registry that refuses connections inside the node."""
from __future__ import annotations

from kubernetes import client

from kitlib.troubleshoot import look

UNPULLABLE = "127.0.0.1:9/kit/missing:1.0"     # connection refused: nothing leaves the machine
BUSYBOX, NGINX = "busybox:1.36", "nginx:1.27"


def pod(name: str, image: str = NGINX, labels: dict | None = None, **container) -> dict:
    """A one-container pod; ``container`` fields are merged into the container."""
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {"demo": name}},
            "spec": {"terminationGracePeriodSeconds": 1,
                     "containers": [{"name": "main", "image": image, **container}]}}


def with_spec(manifest: dict, **spec) -> dict:
    manifest["spec"].update(spec)
    return manifest


def sleeper(name: str, resources: dict | None = None) -> dict:
    return pod(name, BUSYBOX, command=["sleep", "3600"], resources=resources or {})


def unschedulable() -> list[dict]:
    """Three pods the scheduler cannot place, for three different reasons."""
    return [
        pod("too-big", resources={"requests": {"cpu": "64", "memory": "64Mi"}}),
        with_spec(pod("wants-control-plane"),          # only the control plane is named: tainted
                  nodeSelector={"kubernetes.io/hostname": "kit-control-plane"}),
        with_spec(pod("wants-mars"), affinity={"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "topology.kubernetes.io/zone",
                                       "operator": "In", "values": ["mars-1"]}]}]}}}),
    ]


def container_faults() -> list[dict]:
    """Faults only real containers show: a pull that fails, a crash loop, an OOM kill."""
    return [
        pod("bad-image", UNPULLABLE),
        pod("crasher", BUSYBOX, command=["sh", "-c",
                                         "echo starting; echo 'fatal: /etc/app.conf not found' >&2; exit 3"]),
        # dd needs a 64 MiB buffer; the limit is 24 MiB. It waits a moment first: killed in
        # its first milliseconds, the runtime may not be watching the cgroup's OOM events
        # yet and reports a plain "Error (exit 137)" instead of OOMKilled.
        with_spec(pod("hungry", BUSYBOX,
                      command=["sh", "-c", "sleep 3; exec dd if=/dev/zero of=/dev/null bs=64M count=4"],
                      resources={"requests": {"memory": "24Mi"}, "limits": {"memory": "24Mi"}}),
                  restartPolicy="Never"),
    ]


def _probe(path: str) -> dict:
    return {"httpGet": {"path": path, "port": 80}, "periodSeconds": 2, "failureThreshold": 1,
            "timeoutSeconds": 1}


def probe_faults() -> list[dict]:
    """nginx answers 404 on /healthz: one pod fails its readiness probe (kept, not Ready,
    no traffic), one its liveness probe (restarted again and again)."""
    return [pod("not-ready", labels={"app": "shop"}, readinessProbe=_probe("/healthz"),
                ports=[{"containerPort": 80}]),
            pod("not-alive", livenessProbe=_probe("/healthz"))]


def shop_services() -> list[dict]:
    """A healthy nginx pod labelled app=shop plus three Services: right, selecting nothing
    (a typo), and sending traffic to a port nobody listens on."""
    def service(name, selector, target_port):
        return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                "spec": {"selector": selector,
                         "ports": [{"port": 80, "targetPort": target_port}]}}
    return [pod("shop", labels={"app": "shop"}, ports=[{"containerPort": 80}]),
            service("shop", {"app": "shop"}, 80),
            service("shop-typo", {"app": "shpo"}, 80),
            service("shop-port", {"app": "shop"}, 8080)]


def shows_fault(api, namespace: str, name: str, provider: str) -> bool:
    """Has pod ``name`` reached the state the chapter talks about? (Docker-free: the
    simulated kubelet reports every scheduled pod Running and Ready.)"""
    p = client.CoreV1Api(api).read_namespaced_pod(name, namespace)
    if not p.spec.node_name:
        return bool(look.scheduling_message(api, namespace, name))
    if provider != "kind":
        return p.status.phase == "Running"
    status = look.container_status(p)
    return {"bad-image": status["reason"] == "ImagePullBackOff",
            # between two restarts the kubelet reports CrashLoopBackOff or the last exit
            "crasher": status["restarts"] >= 2 and status["last ended"].startswith("Error"),
            # the kernel's OOM killer ends it with SIGKILL (exit 137); containerd names that
            # OOMKilled when its OOM event comes before the exit, on cgroup v1 not always
            "hungry": status["reason"].endswith("(exit 137)"),
            "not-ready": p.status.phase == "Running" and not look.ready(p),
            "not-alive": status["restarts"] >= 1,
            }.get(name, look.ready(p))
