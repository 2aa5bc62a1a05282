"""`kit workshop up --on NAME`: the room on an existing Kubernetes cluster instead of one
machine. JupyterHub runs in a pod (``hub.py``), each learner's server in a pod of its own
with their own Docker-free control plane inside (``learner.py``); the kit's cluster NAME
may be kind (the course image is built here and loaded onto a worker) or any cluster the
kit knows (``--image``: the course image pushed where its nodes pull from).

On this machine the room is a folder (``--dir``) holding only ``kube-room.json`` (the
cluster, the namespace, the learners' password hashes) and ``credentials.csv``; on the
cluster, one namespace holds everything (``manifests.py``), so ``down`` deletes it and
with it every learner's pod and claim. A namespace the kit did not make is never touched.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kitlib.errors import KitError
from kitlib.workshop.k8s import manifests as mf
from kitlib.workshop.room import Learner, Room, append_credentials, hash_password, new_password

ROOM_FILE = "kube-room.json"
CREDENTIALS = "credentials.csv"
HUB_READY_TIMEOUT = 300


@dataclass
class KubeRoom:
    dir: str
    cluster: str                        # the kit's cluster the room runs on
    namespace: str
    memory_mb: int = 2048
    cpus: float = 1.0
    storage_class: str = ""             # "" : the cluster's default
    service_type: str = "ClusterIP"
    learners: dict[str, str] = field(default_factory=dict)     # name -> password hash

    @property
    def path(self) -> Path:
        return Path(self.dir)

    def save(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / ROOM_FILE
        target.write_text(json.dumps(asdict(self), indent=1))
        os.chmod(target, 0o600)

    @classmethod
    def load(cls, directory: str | Path) -> "KubeRoom | None":
        file = Path(directory) / ROOM_FILE
        return cls(**json.loads(file.read_text())) if file.is_file() else None

    def api(self):
        from kitlib.kube import api_client, kubeconfig_path
        return api_client(kubeconfig_path(self.cluster))


def _namespace_for(directory: Path) -> str:
    return "kit-workshop-" + hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:8]


def _room_files(room: KubeRoom, image: str, pull: str, node: str | None) -> dict[str, bytes]:
    """The room Secret: the roster as the one-machine hub's authenticator reads it, and the
    hub's settings (``hub.configure``)."""
    from kitlib.workshop.k8s.hub import HOME, SETTINGS
    from kitlib.workshop.k8s.image import PROXY
    roster = Room(mf.ROOM_MOUNT, learners=[
        Learner(name, name, mf.UID, HOME, digest) for name, digest in room.learners.items()])
    settings = {"namespace": room.namespace, "image": image, "pull": pull, "node": node,
                "proxy": PROXY, "learners": sorted(room.learners), "memory_mb": room.memory_mb,
                "cpus": room.cpus, "storage_class": room.storage_class}
    return {"room.json": json.dumps(asdict(roster)).encode(),
            SETTINGS: json.dumps(settings).encode()}


def _claim_namespace(api, room: KubeRoom) -> None:
    """Make the room's namespace, or find it ours; never take over one the kit did not make."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException
    core = client.CoreV1Api(api)
    try:
        found = core.read_namespace(room.namespace)
    except ApiException as exc:
        if exc.status != 404:
            raise
        core.create_namespace(mf.namespace(room.namespace, room.path.name or "room"))
        return
    if mf.ROOM_LABEL not in (found.metadata.labels or {}):
        raise KitError(f"namespace {room.namespace} exists and is not a room the kit made; "
                       "it is left alone (choose another --dir)")
    if found.status.phase == "Terminating":
        raise KitError(f"namespace {room.namespace} is still being deleted; try again in a minute")


def _crashing(core, namespace: str, pods: list) -> str | None:
    """The last lines the hub printed, when its container is in CrashLoopBackOff."""
    for pod in pods:
        for st in pod.status.container_statuses or []:
            if st.state.waiting and st.state.waiting.reason == "CrashLoopBackOff":
                log = core.read_namespaced_pod_log(pod.metadata.name, namespace, previous=True,
                                                   tail_lines=20)
                return log.strip()
    return None


def _wait_for_hub(api, room: KubeRoom, report) -> None:
    from kubernetes import client

    from kitlib.cluster.image_target import image_trouble
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    deadline, said = time.monotonic() + HUB_READY_TIMEOUT, None
    while time.monotonic() < deadline:
        dep = apps.read_namespaced_deployment("hub", room.namespace)
        if (dep.status.updated_replicas or 0) >= 1 and (dep.status.ready_replicas or 0) >= 1 \
                and (dep.status.replicas or 0) == 1:
            report("JupyterHub is ready")
            return
        pods = core.list_namespaced_pod(room.namespace, label_selector=mf.HUB_SELECTOR).items
        trouble = image_trouble(pods)
        if trouble:
            raise KitError(f"the hub's pod cannot get the course image ({trouble})")
        crashed = _crashing(core, room.namespace, pods)
        if crashed:
            raise KitError(f"JupyterHub keeps stopping in its pod; the end of its log:\n{crashed}")
        phase = ", ".join(sorted({p.status.phase for p in pods})) or "no pod yet"
        if phase != said:
            report(f"  hub pod: {phase}")
            said = phase
        time.sleep(2)
    raise KitError(f"JupyterHub was not ready within {HUB_READY_TIMEOUT}s: "
                   f"kubectl -n {room.namespace} describe pod -l {mf.HUB_SELECTOR}")


def up(directory: Path, names: list[str], cluster: str, *, image: str | None = None,
       memory_mb: int = 2048, cpus: float = 1.0, storage_class: str = "",
       service_type: str = "ClusterIP", report=print) -> KubeRoom:
    from kitlib import kube
    from kitlib.cluster import image_target
    from kitlib.workshop.k8s import image as course_image
    from kitlib.workshop.room import ROOM_FILE as MACHINE_ROOM
    directory = directory.resolve()
    if (directory / MACHINE_ROOM).exists():
        raise KitError(f"{directory} holds a room on this machine; choose another --dir")
    room = KubeRoom.load(directory) or KubeRoom(str(directory), cluster, _namespace_for(directory),
                                                memory_mb, cpus, storage_class, service_type)
    if room.cluster != cluster:
        raise KitError(f"the room in {directory} runs on {room.cluster!r}, not {cluster!r}")
    new = [n for n in names if n not in room.learners]
    passwords = {n: new_password() for n in new}
    room.learners.update({n: hash_password(p) for n, p in passwords.items()})
    room.save()
    # Where to log in depends on how the hub is reached (`forward`, an Ingress, a NodePort).
    append_credentials(room.path / CREDENTIALS, [(n, p, "") for n, p in sorted(passwords.items())])
    api = room.api()
    _claim_namespace(api, room)          # first: a foreign namespace is refused at once
    where = image_target.target(cluster, image, course_image.build, course_image.REPO,
                                "`python -m kitlib.workshop.k8s.image`", report)
    files = _room_files(room, where.image, where.pull, where.node)
    hub = mf.hub_deployment(where.image, where.pull, where.node)
    # A new roster or image restarts the hub (it reads both when it starts); learners'
    # servers keep running.
    version = hashlib.sha256(b"".join(files.values())).hexdigest()[:12]
    hub["spec"]["template"]["metadata"]["annotations"] = {"kitlib/room-version": version}
    report(f"room {room.namespace} on {cluster!r}: {len(room.learners)} learners")
    kube.apply(api, [mf.room_secret(files), *mf.hub_access(), mf.hub_state_claim(room.storage_class), hub,
                     mf.hub_service(room.service_type), mf.learners_policy()], room.namespace)
    _wait_for_hub(api, room, report)
    report(f"logins: {room.path / CREDENTIALS}\nopen it from this machine: "
           f"kit workshop forward --dir {room.path}  (then http://127.0.0.1:{mf.PUBLIC_PORT}/)")
    return room


def forward_command(room: KubeRoom, port: int = mf.PUBLIC_PORT) -> list[str]:
    """kubectl port-forward to the hub's Service, on this machine's loopback only."""
    from kitlib.cluster import tools
    from kitlib.kube import kubeconfig_path
    kubectl = tools.ensure(["kubernetes"], report=lambda s: None)["kubectl"]
    return [str(kubectl), "--kubeconfig", str(kubeconfig_path(room.cluster)), "-n", room.namespace,
            "port-forward", "--address", "127.0.0.1", "svc/hub", f"{port}:{mf.PUBLIC_PORT}"]


def learner_pods(room: KubeRoom) -> dict[str, object]:
    """{learner: their server's pod} for every learner whose server exists."""
    from kubernetes import client
    pods = client.CoreV1Api(room.api()).list_namespaced_pod(
        room.namespace, label_selector=f"component={mf.LEARNER_COMPONENT}").items
    return {p.metadata.annotations.get("hub.jupyter.org/username", p.metadata.name): p for p in pods}


def exec_in(room: KubeRoom, pod: str, command: list[str], timeout: float = 60) -> str:
    """Run ``command`` in a learner's server container; its output (stdout and stderr)."""
    from kubernetes import client
    from kubernetes.stream import stream
    return stream(client.CoreV1Api(room.api()).connect_get_namespaced_pod_exec, pod, room.namespace,
                  container="notebook", command=command, stdout=True, stderr=True, stdin=False,
                  tty=False, _request_timeout=timeout)


def status(room: KubeRoom) -> list[dict]:
    """`kit workshop status` for the room: each learner's row read inside their pod."""
    from concurrent.futures import ThreadPoolExecutor
    pods = learner_pods(room)
    with ThreadPoolExecutor(max_workers=8) as pool:     # about 2 s a pod, asked at once
        return list(pool.map(lambda name: _status_row(room, name, pods.get(name)), sorted(room.learners)))


def _status_row(room: KubeRoom, name: str, pod) -> dict:
    """One learner's row, read inside their pod (``learner.py --status``)."""
    from kitlib.workshop.status import LearnerStatus
    ready = pod is not None and pod.status.phase == "Running" and all(
        s.ready for s in pod.status.container_statuses or [])
    detail = "no server" if pod is None else f"server pod {pod.status.phase}"
    if ready:
        try:
            out = exec_in(room, pod.metadata.name, ["python", "-m", "kitlib.workshop.k8s.learner", "--status"])
            return dict(json.loads(out.strip().splitlines()[-1]), learner=name)
        except Exception as exc:         # noqa: BLE001 - one learner's pod must not hide the room
            detail = f"no answer from the pod ({type(exc).__name__})"
    return asdict(LearnerStatus(name, detail, False, "-", None, "-", 0, 0))


NOTEBOOK = re.compile(r"^[0-9]{2}-[A-Za-z0-9._-]+\.ipynb$")
GIVE_LIMIT = 100_000            # bytes: one exec argument carries a feedback file


def _running(room: KubeRoom) -> tuple[dict[str, str], list[str]]:
    """({learner: their running server pod}, [learners with none])."""
    pods, found, missing = learner_pods(room), {}, []
    for name in sorted(room.learners):
        pod = pods.get(name)
        if pod is not None and pod.status.phase == "Running":
            found[name] = pod.metadata.name
        else:
            missing.append(name)
    return found, missing


def collect(room: KubeRoom, chapters: list[str] | None = None, report=print) -> Path:
    """Every running learner's graded chapters (or those named, by number) copied out of
    their pod into ``<dir>/collected/<learner>/``, as `kit workshop collect` does on one
    machine. What a pod sends is the learner's to shape: only plain notebook names are
    written, inside the learner's folder."""
    import base64
    import shutil
    target = room.path / "collected"
    shutil.rmtree(target, ignore_errors=True)
    running, missing = _running(room)
    count = 0
    for name, pod in running.items():
        try:
            out = exec_in(room, pod, ["python", "-m", "kitlib.workshop.k8s.learner", "--collect",
                                      *(chapters or [])], timeout=120)
            files = json.loads(out.strip().splitlines()[-1])
        except Exception as exc:          # noqa: BLE001 - one learner's pod must not stop the room
            report(f"{name}: nothing collected ({type(exc).__name__}: {exc})")
            continue
        for filename, data in files.items():
            if not NOTEBOOK.match(str(filename)):
                report(f"{name}: skipped {str(filename)[:60]!r} (not a chapter notebook's name)")
                continue
            (target / name).mkdir(parents=True, exist_ok=True)
            (target / name / filename).write_bytes(base64.b64decode(data))
            count += 1
    report(f"collected {count} notebooks from {len(running)} learners into {target}")
    if missing:
        report(f"not collected (no server running): {', '.join(missing)}")
    return target


def give_back(room: KubeRoom, report=print) -> int:
    """Each learner's feedback from ``<dir>/graded/feedback/<learner>/`` into their pod's
    ``workspace/feedback/``."""
    import base64
    feedback = room.path / "graded" / "feedback"
    if not feedback.exists():
        raise KitError("nothing graded yet: run `kit workshop grade` first")
    running, missing = _running(room)
    given = 0
    for name, pod in running.items():
        for path in sorted((feedback / name).glob("*")) if (feedback / name).is_dir() else []:
            if path.stat().st_size > GIVE_LIMIT:
                report(f"{name}: {path.name} is over {GIVE_LIMIT} bytes; hand it over another way")
                continue
            exec_in(room, pod, ["python", "-m", "kitlib.workshop.k8s.learner", "--give", path.name,
                                base64.b64encode(path.read_bytes()).decode()])
            given += 1
    report(f"returned {given} feedback files to {len(running)} learners' workspace/feedback/")
    if missing:
        report(f"not returned (no server running): {', '.join(missing)}")
    return given


def reset(room: KubeRoom, name: str, report=print) -> None:
    """A fresh cluster for one learner, made inside their running server's pod (their
    notebooks stay); nobody else is touched."""
    from kitlib.errors import UsageError
    if name not in room.learners:
        raise UsageError(f"no learner {name!r} in this room; `kit workshop status` lists them")
    running, _ = _running(room)
    if name not in running:
        raise KitError(f"{name} has no server running: their cluster lives in it. It starts when "
                       "they log in; reset it then")
    report(f"{name}: removing their cluster and starting a fresh one in their pod")
    out = exec_in(room, running[name], ["python", "-m", "kitlib.workshop.k8s.learner", "--reset"],
                  timeout=600)
    if "ready:" not in out:
        raise KitError(f"{name}: the fresh cluster did not start:\n{out[-1500:]}")
    report(f"{name}: a fresh cluster is running")


def down(directory: Path, report=print) -> None:
    """Delete the room's namespace (hub, learners' pods and claims) and the room's files
    here; collected/ and graded/ stay."""
    from kitlib.kube import delete_namespace
    room = KubeRoom.load(directory)
    if room is None:
        raise KitError(f"no room on a cluster in {directory} (no {ROOM_FILE})")
    report(f"deleting namespace {room.namespace} on {room.cluster!r} (every learner's pod and claim)")
    delete_namespace(room.api(), room.namespace, wait=True, timeout=300)
    for name in (ROOM_FILE, CREDENTIALS):
        (room.path / name).unlink(missing_ok=True)
    report("room removed")

