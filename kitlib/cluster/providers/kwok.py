"""The Docker-free provider: a real control plane run by ``kwokctl`` (binary runtime)
with KWOK simulating the nodes. Every API behaviour is real; only the containers are
make-believe (pods become Running without any process behind them)."""
from __future__ import annotations

import json
import os
import string
import subprocess
from pathlib import Path

import yaml

from kitlib.cluster import tools
from kitlib.cluster.base import ClusterError, Provider, Record
from kitlib.cluster.ports import loopback_ports
from kitlib.cluster.processes import processes_under, stop_all_under, terminate
from kitlib.cluster.versions import load as load_versions
from kitlib.paths import REPO_CLUSTER_DIR

KWOK_DIR = REPO_CLUSTER_DIR / "kwok"
CREATE_TIMEOUT = "3m"
# kwokctl would pick these ports counting down from 32767, so two clusters created at the
# same moment can collide; the kit hands them out instead (kitlib.cluster.ports).
PORT_OPTIONS = ("kubeApiserverPort", "etcdPort", "etcdPeerPort", "kwokControllerPort",
                "kubeControllerManagerPort", "kubeSchedulerPort")


class KwokProvider(Provider):
    name = "kwok"
    # Extra ``component=flag=value`` settings for kwokctl's --extra-args, for a cluster a
    # chapter makes for itself (chapter 08's encrypted etcd); the kit's cluster has none.
    extra_args: tuple[str, ...] = ()

    # ----------------------------------------------------------------- paths and env
    @property
    def workdir(self) -> Path:
        """kwokctl's own work dir (pki, etcd data, logs, pids): inside the kit's state."""
        return self.cluster.path / "kwok"

    def _env(self) -> dict[str, str]:
        # KUBECONFIG too, so nothing kwokctl runs can fall back to ~/.kube/config.
        return {**os.environ, "KWOK_WORKDIR": str(self.workdir),
                "KUBECONFIG": str(self.cluster.kubeconfig)}

    def _kwokctl(self, *args: str, check: bool = True, stream: bool = False,
                 timeout: float = 300) -> subprocess.CompletedProcess:
        cmd = [str(tools.binary_path("kwokctl")), *args, "--name", self.cluster.name]
        if not stream:
            return subprocess.run(cmd, env=self._env(), capture_output=True, text=True,
                                  timeout=timeout, check=check)
        proc = subprocess.Popen(cmd, env=self._env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = []
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                lines.append(line.rstrip())
                if line.strip():
                    self.report("  kwokctl: " + _strip_log_prefix(line.rstrip()))
            code = proc.wait(timeout=timeout)
        except BaseException:       # interrupted: kwokctl must not go on starting components
            proc.kill()
            proc.wait()
            raise
        if check and code != 0:
            raise ClusterError("kwokctl failed:\n" + "\n".join(lines[-20:]))
        return subprocess.CompletedProcess(cmd, code, "\n".join(lines), "")

    # ----------------------------------------------------------------- lifecycle
    def up(self) -> None:
        record = self.cluster.read()
        if record and record.phase == "ready":
            alive, detail = self.running()
            if alive:
                self.report(f"cluster {self.cluster.name!r} is already up ({detail}); reusing it")
                self._restart_stopped_components()
                return
            self.report(f"cluster {self.cluster.name!r} was stopped; starting it again")
            try:
                self._kwokctl("start", "cluster", stream=True)
                self._wait_ready()
                return
            except (ClusterError, subprocess.SubprocessError) as exc:
                self.report(f"restart failed ({exc}); recreating the cluster")
        if record:   # a crash or Ctrl-C during an earlier `up`: clean it first
            self.report("cleaning up an unfinished cluster from an earlier run")
            self._delete_processes()

        self.cluster.write(Record(self.cluster.name, self.name))
        paths = tools.ensure(["kubernetes", "etcd", "kwok"], report=self.report)
        config = self._write_config(paths)
        self.report("starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler "
                    "and kwok-controller as local processes")
        self._kwokctl("create", "cluster", "--config", str(config),
                      "--kubeconfig", str(self.cluster.kubeconfig),
                      "--timeout", CREATE_TIMEOUT, "--wait", CREATE_TIMEOUT,
                      *(f"--extra-args={arg}" for arg in self.extra_args), stream=True)
        self._create_nodes()
        self._wait_ready()
        self.cluster.write(Record(self.cluster.name, self.name, phase="ready",
                                  details={"workdir": str(self.workdir)}))

    def down(self) -> None:
        if not self.cluster.path.exists():
            self.report(f"no cluster {self.cluster.name!r} recorded; nothing to remove")
            return
        self._delete_processes()
        self.cluster.remove()
        self.report(f"cluster {self.cluster.name!r} removed")

    def running(self) -> tuple[bool, str]:
        from kitlib.cluster.health import probe
        return probe(self.cluster.kubeconfig)

    # ----------------------------------------------------------------- components
    stoppable = ("kube-scheduler", "kube-controller-manager", "etcd")

    def _pid_file(self, component: str) -> Path:
        return self.workdir / "clusters" / self.cluster.name / "pids" / f"{component}.pid"

    def _component_pid(self, component: str) -> int | None:
        """The component's live process: its pid file names it and its command line is
        this cluster's binary (a stale pid reused by another process does not count)."""
        import psutil
        try:
            pid = int(self._pid_file(component).read_text().strip())
            proc = psutil.Process(pid)
            alive = proc.status() != psutil.STATUS_ZOMBIE
            ours = str(self.workdir) in " ".join(proc.cmdline())
        except (OSError, ValueError, psutil.Error):
            return None
        return pid if alive and ours else None

    def component_running(self, component: str) -> bool:
        return self._component_pid(component) is not None

    def stop_component(self, component: str) -> None:
        pid = self._component_pid(component)
        if pid is not None:
            left = terminate(pid, grace=10)
            if left:
                raise ClusterError(f"{component} (pid {pid}) did not stop")
        # kwokctl starts what has no pid file, so `start cluster` brings back only this one
        self._pid_file(component).unlink(missing_ok=True)

    def signal_component(self, component: str, sig: str) -> None:
        import signal
        pid = self._component_pid(component)
        if pid is None:
            raise ClusterError(f"{component} is not running")
        os.kill(pid, getattr(signal, f"SIG{sig}"))

    def start_component(self, component: str) -> None:
        if not self.component_running(component):
            self._pid_file(component).unlink(missing_ok=True)
            self._kwokctl("start", "cluster", timeout=120)

    # ----------------------------------------------------------------- pieces
    def _write_config(self, paths: dict[str, Path]) -> Path:
        config = yaml.safe_load((KWOK_DIR / "kwokctl.yaml").read_text())
        v = load_versions()
        config["options"].update({
            "kubeVersion": v.kubernetes, "etcdVersion": v.etcd.lstrip("v"),
            "kubeApiserverBinary": str(paths["kube-apiserver"]),
            "kubeControllerManagerBinary": str(paths["kube-controller-manager"]),
            "kubeSchedulerBinary": str(paths["kube-scheduler"]),
            "kubectlBinary": str(paths["kubectl"]),
            "etcdBinary": str(paths["etcd"]),
            "kwokControllerBinary": str(paths["kwok"]),
            "cacheDir": str(self.workdir / "cache"),
            **dict(zip(PORT_OPTIONS, loopback_ports(len(PORT_OPTIONS)))),
        })
        target = self.cluster.path / "kwokctl.yaml"
        target.write_text(yaml.safe_dump(config, sort_keys=False))
        return target

    def _create_nodes(self) -> None:
        from kubernetes import client
        from kubernetes.client.exceptions import ApiException

        from kitlib.kube import api_client
        text = string.Template((KWOK_DIR / "nodes.yaml").read_text()).substitute(
            cluster=self.cluster.name)
        core = client.CoreV1Api(api_client(self.cluster.kubeconfig))
        for node in yaml.safe_load_all(text):
            try:
                core.create_node(node)
            except ApiException as exc:
                if exc.status != 409:
                    raise
        self.report("created 3 simulated nodes: " + ", ".join(
            f"{self.cluster.name}-{n}" for n in ("control-plane", "worker", "worker2")))

    def _wait_ready(self, timeout: float = 240) -> None:
        # Usually 5-10 s; a busy machine (a class graded four at a time on two cores) has
        # taken kube-controller-manager over two minutes to make the default ServiceAccount.
        from kitlib.cluster.health import wait_ready
        wait_ready(self.cluster.kubeconfig, expected_nodes=3, timeout=timeout, report=self.report)

    def _delete_processes(self) -> None:
        pids = processes_under(self.cluster.path)
        if self.workdir.exists() and tools.binary_path("kwokctl").exists():
            try:
                self._kwokctl("delete", "cluster", "--kubeconfig", str(self.cluster.kubeconfig),
                              check=False, timeout=120)
            except subprocess.TimeoutExpired:
                self.report("kwokctl delete timed out; stopping leftover processes directly")
        # kwokctl returns once it has signalled the components; wait until they have
        # really exited (and released their ports), forcing any that linger.
        stop_all_under(self.cluster.path, also=pids)


def _strip_log_prefix(line: str) -> str:
    """kwokctl logs JSON when not on a terminal; keep its message and elapsed time."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line
    elapsed = (entry.get("elapsed") or {}).get("human")
    return entry.get("msg", line) + (f" ({elapsed})" if elapsed else "")
