"""The kind provider: Kubernetes nodes as Docker containers, with real containers
inside them. The main road for learners who have Docker."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from kitlib.cluster import docker, tools
from kitlib.cluster.base import ClusterError, Provider, Record
from kitlib.cluster.processes import stop_all_under
from kitlib.cluster.health import probe, wait_ready
from kitlib.cluster.versions import load as load_versions
from kitlib.paths import REPO_CLUSTER_DIR

KIND_CONFIG = REPO_CLUSTER_DIR / "kind-config.yaml"
NO_PULL_ENV = "KIT_NO_PULL"
IMAGE_ENV = "KIT_KIND_IMAGE"     # override the pinned node image (a mirror, a local build)


def create_command(kind: Path, name: str, kubeconfig: Path, image: str,
                   config: Path = KIND_CONFIG, wait: str = "5m") -> list[str]:
    """The `kind create cluster` command line the kit runs."""
    return [str(kind), "create", "cluster", "--name", name, "--config", str(config),
            "--image", image, "--kubeconfig", str(kubeconfig), "--wait", wait]


def delete_command(kind: Path, name: str, kubeconfig: Path) -> list[str]:
    return [str(kind), "delete", "cluster", "--name", name, "--kubeconfig", str(kubeconfig)]


def missing_image_message(image: str, reason: str) -> str:
    return (f"the kind node image {image} is not on this machine and {reason}.\n"
            f"Fix: with internet access run `docker pull {image}` and `kit up` again; "
            "or use the Docker-free provider: `kit up --provider kwok`.")


class KindProvider(Provider):
    name = "kind"

    @property
    def image(self) -> str:
        return os.environ.get(IMAGE_ENV) or load_versions().kind_node_image

    def preflight(self) -> None:
        ok, why = docker.engine_answers()
        if not ok:
            raise ClusterError(f"kind needs a running Docker engine, but {why}.\n"
                               "Fix: start Docker (Docker Desktop, or `sudo systemctl start "
                               "docker`), or use the Docker-free provider: `kit up --provider kwok`.")

    def _kind(self) -> Path:
        return tools.ensure(["kind"], report=self.report)["kind"]

    def existing_clusters(self) -> list[str]:
        out = subprocess.run([str(self._kind()), "get", "clusters"], capture_output=True,
                             text=True, timeout=60)
        return out.stdout.split()

    def ensure_image(self) -> None:
        if docker.image_present(self.image):
            return
        if os.environ.get(NO_PULL_ENV):
            raise ClusterError(missing_image_message(self.image, f"pulling is off ({NO_PULL_ENV} is set)"))
        try:
            docker.pull(self.image, self.report)
        except ClusterError as exc:
            raise ClusterError(missing_image_message(self.image, f"pulling failed: {exc}")) from None

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
                return
            self.report("removing an unfinished kind cluster from an earlier run")
            self._delete()
        self.ensure_image()
        tools.ensure(["kubernetes"], report=self.report)     # kubectl, for the chapters
        self.cluster.write(Record(self.cluster.name, self.name))
        self.report(f"creating kind cluster {self.cluster.name!r} (1 control plane, 2 workers)")
        cmd = create_command(self._kind(), self.cluster.name, self.cluster.kubeconfig, self.image)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise ClusterError("kind create cluster failed:\n" + proc.stderr[-2000:])
        wait_ready(self.cluster.kubeconfig, expected_nodes=3, timeout=180, report=self.report)
        self.cluster.write(Record(self.cluster.name, self.name, phase="ready",
                                  details={"image": self.image}))

    def _delete(self) -> None:
        cmd = delete_command(self._kind(), self.cluster.name, self.cluster.kubeconfig)
        subprocess.run(cmd, capture_output=True, text=True, timeout=300)

    def down(self) -> None:
        if not self.cluster.read():
            self.report(f"no cluster {self.cluster.name!r} recorded; nothing to remove")
            return
        ok, why = docker.engine_answers()
        if ok:
            self._delete()
        else:
            self.report(f"cannot reach Docker ({why}); forgetting the cluster record only")
        stop_all_under(self.cluster.path)      # the simulated-nodes helper, if started
        self.cluster.remove()
        self.report(f"cluster {self.cluster.name!r} removed")

    def running(self) -> tuple[bool, str]:
        return probe(self.cluster.kubeconfig)
