"""The kind provider: Kubernetes nodes as Docker containers, with real containers
inside them. The main road for learners who have Docker.

The node image is the pinned ``kindest/node`` when it is here or can be pulled; otherwise
(offline, no registry, ``KIT_NO_PULL``) the kit builds a compatible one on this machine
(``kitlib.cluster.nodeimage``). Where no Docker engine runs but ``dockerd`` is installed and
we are root, the kit starts a private engine of its own (``kitlib.cluster.dockerd``).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kitlib.cluster import course_images, docker, nodeimage, tools
from kitlib.cluster.base import ClusterError, Provider, Record
from kitlib.cluster.dockerd import PrivateEngine
from kitlib.cluster.health import probe, wait_ready
from kitlib.cluster.processes import stop_all_under
from kitlib.cluster.versions import load as load_versions
from kitlib.paths import REPO_CLUSTER_DIR

KIND_CONFIG = REPO_CLUSTER_DIR / "kind-config.yaml"
NO_PULL_ENV = "KIT_NO_PULL"
IMAGE_ENV = "KIT_KIND_IMAGE"     # use exactly this node image (a mirror, your own build)


def create_command(kind: Path, name: str, kubeconfig: Path, image: str,
                   config: Path = KIND_CONFIG, wait: str = "5m") -> list[str]:
    """The `kind create cluster` command line the kit runs."""
    return [str(kind), "create", "cluster", "--name", name, "--config", str(config),
            "--image", image, "--kubeconfig", str(kubeconfig), "--wait", wait]


def delete_command(kind: Path, name: str, kubeconfig: Path) -> list[str]:
    return [str(kind), "delete", "cluster", "--name", name, "--kubeconfig", str(kubeconfig)]


def missing_image_message(image: str, reason: str) -> str:
    return (f"the kind node image {image} is not on this machine and {reason}.\n"
            f"Fix: with internet access run `docker pull {image}` and `kit up` again; unset "
            f"{IMAGE_ENV} to let the kit build a node image here; "
            "or use the Docker-free provider: `kit up --provider kwok`.")


def pulls_allowed() -> bool:
    return not os.environ.get(NO_PULL_ENV)


def engine_available() -> tuple[bool, str]:
    """Could kind run here: an engine answers, or the kit may start its own?"""
    ok, why = docker.engine_answers()
    if ok:
        return True, why
    can, reason = PrivateEngine.can_start()
    return can, ("the kit can start its own Docker engine" if can else f"{why}; {reason}")


def use_engine(report) -> str | None:
    """Make sure a Docker engine answers: the user's own, else the kit's private one
    (started now). Returns the private engine's DOCKER_HOST, or None for the user's."""
    engine = PrivateEngine()
    ok, why = docker.engine_answers()
    if ok:     # the user's engine, or ours already exported (a second call, `kit env`)
        return engine.host if os.environ.get("DOCKER_HOST") == engine.host else None
    can, reason = engine.can_start()
    if not can:
        raise ClusterError(f"kind needs a running Docker engine, but {why}.\n"
                           "Fix: start Docker (Docker Desktop, or `sudo systemctl start docker`), "
                           "or use the Docker-free provider: `kit up --provider kwok`. "
                           f"(The kit could not start its own engine: {reason}.)")
    host = engine.start(report)
    os.environ["DOCKER_HOST"] = host        # for kind, docker and kubectl-free helpers alike
    return host


def choose_node_image(report) -> tuple[str, str]:
    """(image, how): the override, the pinned image (present or pulled), or a local build."""
    override = os.environ.get(IMAGE_ENV)
    if override:
        if docker.image_present(override):
            return override, f"{IMAGE_ENV}"
        raise ClusterError(missing_image_message(override, f"{IMAGE_ENV} names it"))
    pinned = load_versions().kind_node_image
    if docker.image_present(pinned):
        return pinned, "pinned, present"
    if pulls_allowed():
        try:
            docker.pull(pinned, report, timeout=900)
            return pinned, "pinned, pulled"
        except ClusterError as exc:
            report(f"cannot pull {pinned.split('@')[0]} ({str(exc)[:100]}); "
                   "building a compatible node image here instead")
    else:
        report(f"{NO_PULL_ENV} is set: using a node image built on this machine")
    return nodeimage.build(report), "built here"


class KindProvider(Provider):
    name = "kind"

    def _kind(self) -> Path:
        return tools.ensure(["kind"], report=self.report)["kind"]

    def preflight(self) -> None:
        self._use_recorded_engine()
        self._private_host = use_engine(self.report)

    def _use_recorded_engine(self) -> None:
        record = self.cluster.read()
        host = (record.details.get("docker_host") if record else None)
        if host and not os.environ.get("DOCKER_HOST"):
            os.environ["DOCKER_HOST"] = host       # the private engine this cluster lives in

    def existing_clusters(self) -> list[str]:
        out = subprocess.run([str(self._kind()), "get", "clusters"], capture_output=True,
                             text=True, timeout=60)
        return out.stdout.split()

    def up(self) -> None:
        self.preflight()
        record = self.cluster.read()
        if self.cluster.name in self.existing_clusters():
            if not record:
                raise ClusterError(
                    f"a kind cluster named {self.cluster.name!r} exists that the kit did not "
                    "create; it is left alone. Pick another name: `kit up --name NAME` "
                    "(or KIT_CLUSTER=NAME).")
            alive, detail = self.running()
            if alive and record.phase == "ready":
                self.report(f"cluster {self.cluster.name!r} is already up ({detail}); reusing it")
                self._restart_stopped_components()
                return
            self.report("removing an unfinished kind cluster from an earlier run")
            self._delete()
        image, how = choose_node_image(self.report)
        tools.ensure(["kubernetes"], report=self.report)     # kubectl, for the chapters
        details = {"image": image, "image_source": how, "docker_host": self._private_host}
        self.cluster.write(Record(self.cluster.name, self.name, details=details))
        self.report(f"creating kind cluster {self.cluster.name!r} (1 control plane, 2 workers) "
                    f"from {image.split('@')[0]} ({how})")
        cmd = create_command(self._kind(), self.cluster.name, self.cluster.kubeconfig, image)
        run_reporting(cmd, self.report, "kind create cluster", timeout=900)
        course_images.load_into_kind(self._kind(), self.cluster.name,
                                     pull=pulls_allowed() and how != "built here", report=self.report)
        wait_ready(self.cluster.kubeconfig, expected_nodes=3, timeout=300, report=self.report)
        self.cluster.write(Record(self.cluster.name, self.name, phase="ready", details=details))

    def _delete(self) -> None:
        cmd = delete_command(self._kind(), self.cluster.name, self.cluster.kubeconfig)
        subprocess.run(cmd, capture_output=True, text=True, timeout=300)

    def down(self) -> None:
        record = self.cluster.read()
        if not record:
            self.report(f"no cluster {self.cluster.name!r} recorded; nothing to remove")
            return
        host = record.details.get("docker_host")
        if host:
            os.environ["DOCKER_HOST"] = host
        ok, why = docker.engine_answers()
        if ok:
            self._delete()
        else:
            self.report(f"cannot reach Docker ({why}); forgetting the cluster record only")
        stop_all_under(self.cluster.path)      # the simulated-nodes helper, if started
        self.cluster.remove()
        if host and not _clusters_using(host):
            PrivateEngine().stop(self.report)
        self.report(f"cluster {self.cluster.name!r} removed")

    def running(self) -> tuple[bool, str]:
        return probe(self.cluster.kubeconfig)

    # ----------------------------------------------------------------- components
    # Static pods: the kubelet of the control-plane node runs what /etc/kubernetes/manifests
    # holds, so a manifest moved out of that folder stops its component, moved back starts it.
    stoppable = ("kube-scheduler", "kube-controller-manager")
    MANIFESTS, PARKED = "/etc/kubernetes/manifests", "/etc/kubernetes/stopped-by-kit"

    def _node_exec(self, *cmd: str) -> str:
        self._use_recorded_engine()
        return docker.run("exec", f"{self.cluster.name}-control-plane", *cmd, timeout=60)

    def component_running(self, component: str) -> bool:
        out = self._node_exec("crictl", "ps", "--quiet", "--state", "Running",
                              "--name", f"^{component}$")
        return bool(out.strip())

    def stop_component(self, component: str) -> None:
        self._node_exec("sh", "-c", f"mkdir -p {self.PARKED} && if [ -e {self.MANIFESTS}/{component}.yaml ]; "
                        f"then mv {self.MANIFESTS}/{component}.yaml {self.PARKED}/; fi")

    def start_component(self, component: str) -> None:
        self._node_exec("sh", "-c", f"if [ -e {self.PARKED}/{component}.yaml ]; "
                        f"then mv {self.PARKED}/{component}.yaml {self.MANIFESTS}/; fi")

    def signal_component(self, component: str, sig: str) -> None:
        # with the node's shell alone: every process of that name (the kernel keeps 15 chars)
        self._node_exec("sh", "-c", f"for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = "
                        f"{component[:15]} ] && kill -{sig} ${{p#/proc/}}; done; true")


KIND_HINTS = ("Set kubectl context", "You can now", "Have a question", "Not sure what", "Thanks for")


def run_reporting(cmd: list[str], report, what: str, timeout: float) -> None:
    """Run ``cmd``, passing its progress lines (kind's "✓ Preparing nodes" …) to ``report``;
    raise ClusterError with the end of its output if it fails."""
    import time
    lines: list[str] = []
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            line = "".join(ch for ch in raw if ch.isascii()).strip().removesuffix("...").strip()
            if line and line not in lines[-1:]:       # kind prints each step twice (start, done)
                lines.append(line)
                if line[0].isupper() and not line.startswith(KIND_HINTS):   # steps, not hints
                    report(f"  kind: {line}")
            if time.monotonic() - started > timeout:
                raise ClusterError(f"{what} took longer than {timeout:.0f}s")
    except BaseException:         # too slow or interrupted: kind must not go on
        proc.kill()
        proc.wait()
        raise
    if proc.wait() != 0:
        raise ClusterError(f"{what} failed:\n" + "\n".join(lines[-25:]))


def _clusters_using(host: str) -> list[str]:
    """Names of recorded kind clusters that live in the private engine at ``host``."""
    from kitlib.cluster.base import ClusterDir
    from kitlib.paths import state_dir
    names = []
    for path in (state_dir() / "clusters").glob("*/state.json"):
        record = ClusterDir(path.parent.name).read()
        if record and record.provider == "kind" and record.details.get("docker_host") == host:
            names.append(record.name)
    return names
