"""Everything one graded submission runs in, made before it runs and removed after it.

    run = SubmissionRun(job, opts, workdir, cluster="throwaway")
    run.start(support=...)        # private folder, cluster, sandbox, kernelspec
    run_notebook(nb, run.run_dir, run.learner_env, plan=run.kernel_plan())
    warnings = run.stop()         # every process of the sandbox killed, cluster removed

* **Private folder** ``workdir/learner``: the notebook's working folder, its home, its
  kubeconfig; owned by the sandbox user. The checker's folder ``workdir/checker`` and the
  job's files stay the grader's.
* **Cluster**: ``throwaway`` makes a Docker-free cluster (real control plane) for this
  submission alone and removes it afterwards; the learner gets admin credentials to it and
  to nothing else. ``shared`` gives a namespace on the instructor's named cluster with
  credentials limited to it (sandbox.py). ``none``: no cluster.
* **Sandbox** (jail.py) where the machine allows it; otherwise the run says it was not
  sandboxed, in the report's warnings.
"""
from __future__ import annotations

import base64
import os
import shutil
import sys
from pathlib import Path

import yaml

from kitlib import cgroups
from kitlib.grading import jail

# The chapters' own name: its nodes are kit-control-plane, kit-worker, kit-worker2, as on
# a learner's cluster (the throwaway lives in a state folder of its own, apart from theirs).
THROWAWAY_NAME = "kit"
SUBMISSION_NAMESPACE = "submission"


def kernel_environment(workdir: Path, extra: dict, cluster: str | None = None) -> dict:
    """The grader's environment with a private HOME, the grading flag, a fixed hash seed and
    the cluster to use (``kit validate``'s kernel, and the checker's)."""
    from kitlib.checks.cases import GRADING_ENV
    from kitlib.cluster.target import NAME_ENV
    from kitlib.paths import cache_dir
    home = Path(workdir) / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    for name in ("KIT_NAMESPACE", "JPY_PARENT_PID", "MPLBACKEND"):
        env.pop(name, None)
    env.update({"HOME": str(home), "KIT_CACHE_DIR": str(cache_dir()), GRADING_ENV: "1",
                "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1",
                "IPYTHONDIR": str(home / ".ipython"), "MPLCONFIGDIR": str(home / ".matplotlib")})
    if cluster:
        env[NAME_ENV] = cluster
    env.update(extra)
    return env


def _sandbox_environment(private: Path, readable: list[str]) -> dict:
    """The learner kernel's whole environment: nothing of the grader's but the basics."""
    from kitlib.checks.cases import GRADING_ENV
    from kitlib.paths import cache_dir
    home = private / "home"
    path = [str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]
    for p in readable:
        if p.endswith("/bin") and p not in path:
            path.insert(0, p)
    env = {"PATH": os.pathsep.join(path), "HOME": str(home), "USER": "learner",
           "LANG": os.environ.get("LANG", "C.UTF-8"), "KIT_CACHE_DIR": str(cache_dir()),
           GRADING_ENV: "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "Agg",
           "PYTHONDONTWRITEBYTECODE": "1", "IPYTHONDIR": str(home / ".ipython"),
           "MPLCONFIGDIR": str(home / ".matplotlib"), "KIT_STATE_DIR": str(private / "state"),
           "KUBECACHEDIR": str(home / ".kube-cache"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "KIT_NO_PULL": "1"}
    return env


def flatten_kubeconfig(source: Path) -> dict:
    """``source`` with every referenced file (CA, client certificate and key) embedded, so a
    copy works without — and cannot be changed through — the files it named."""
    config = yaml.safe_load(Path(source).read_text()) or {}
    base = Path(source).parent
    pairs = (("clusters", "cluster", ("certificate-authority",)),
             ("users", "user", ("client-certificate", "client-key")))
    for section, inner, keys in pairs:
        for entry in config.get(section) or []:
            body = entry.get(inner) or {}
            for key in keys:
                if key in body:
                    path = Path(body.pop(key))
                    path = path if path.is_absolute() else base / path
                    body[f"{key}-data"] = base64.b64encode(path.read_bytes()).decode()
    return config


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(text)


class SubmissionRun:
    def __init__(self, job, opts, workdir: Path, cluster: str,
                 content: bytes = b"", isolation: str = "rbac"):
        self.job, self.opts, self.workdir = job, opts, Path(workdir)
        self.cluster, self.content = cluster, content
        self.isolation = isolation         # for a shared cluster only (see sandbox.py)
        self.private = self.workdir / "learner"
        self.run_dir = self.private / "run"
        self.checker_dir = self.workdir / "checker"
        self.learner_env: dict = {}
        self.checker_env: dict | None = None
        self.notices: list[str] = []
        self.spec: jail.Spec | None = None
        self._kernel_dirs: list | None = None
        self._kernel_name = "python3"
        self._cluster_state: Path | None = None
        self._namespace = None
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ start
    def start(self, support: Path | None = None) -> None:
        import time
        began = time.monotonic()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.private / "home").mkdir(parents=True, exist_ok=True)
        self.checker_dir.mkdir(parents=True, exist_ok=True)
        if support is not None and support.is_dir():
            shutil.copytree(support, self.run_dir / support.name, dirs_exist_ok=True)
        ok, why = jail.available()
        readable = jail.kit_paths() if ok else []
        self.learner_env = _sandbox_environment(self.private, readable) if ok else kernel_environment(
            self.private, {"KIT_STATE_DIR": str(self.private / "state")})
        checker_extra: dict = {}
        cluster_began = time.monotonic()
        if self.cluster == "throwaway":
            checker_extra = self._start_throwaway()
        elif self.cluster == "shared":
            checker_extra = self._start_shared()
        self.timings["cluster"] = time.monotonic() - cluster_began
        self.checker_env = kernel_environment(self.checker_dir, checker_extra)
        if ok:
            number = _number(self.workdir)
            self.spec = jail.prepare(jail.Spec(name=f"grade-{os.getpid()}-{number}",
                                               uid=jail.uid_for(number), private=str(self.private),
                                               cwd=str(self.run_dir),
                                               readable=readable))
            kernels = self.workdir / "kernels"
            self._kernel_name = jail.kernel_spec(self.spec.save(self.workdir / "jail.json"), kernels)
            self._kernel_dirs = [kernels]
        else:
            self.notices.append(f"the learner's kernel was not sandboxed: {why}")
        self.timings["sandbox"] = time.monotonic() - began - self.timings["cluster"]

    def _start_throwaway(self) -> dict:
        """A Docker-free cluster for this submission; the learner gets an admin kubeconfig
        with everything embedded, the checker the cluster's own files."""
        from kitlib import cluster
        from kitlib.cluster.simulated_nodes import CLUSTER_PLAYS_NODES_ENV
        from kitlib.cluster.target import KUBECONFIG_ENV, NAME_ENV, PROVIDER_ENV
        self._cluster_state = self.workdir / "cluster"
        os.environ["KIT_STATE_DIR"] = str(self._cluster_state)   # this worker process only
        log = open(self.workdir / "cluster.log", "a")
        try:
            cluster.up(provider="kwok", name=THROWAWAY_NAME,
                       report=lambda line: print(line, file=log, flush=True))
        finally:
            log.close()
        from kitlib.checks.namespace import NAMESPACE_ENV
        from kitlib.grading.sandbox import create_namespace
        from kitlib.kube import api_client, kubeconfig_path
        admin = kubeconfig_path(THROWAWAY_NAME)
        # notebooks written for `exercise_namespace` find the same one in both kernels
        create_namespace(api_client(admin), SUBMISSION_NAMESPACE)
        learner_config = self.private / "kubeconfig"
        _write_private(learner_config, yaml.safe_dump(flatten_kubeconfig(admin)))
        self.learner_env.update({"KUBECONFIG": str(learner_config), KUBECONFIG_ENV: str(learner_config),
                                 PROVIDER_ENV: "existing", NAME_ENV: THROWAWAY_NAME,
                                 NAMESPACE_ENV: SUBMISSION_NAMESPACE, CLUSTER_PLAYS_NODES_ENV: "1"})
        return {"KIT_STATE_DIR": str(self._cluster_state), NAME_ENV: THROWAWAY_NAME,
                "KUBECONFIG": str(admin), NAMESPACE_ENV: SUBMISSION_NAMESPACE}

    def _start_shared(self) -> dict:
        """A namespace of its own on the instructor's cluster (see sandbox.py)."""
        from kitlib.grading import sandbox
        from kitlib.kube import api_client, kubeconfig_path
        kubeconfig = kubeconfig_path(self.job.cluster)
        api = api_client(kubeconfig)
        name = sandbox.namespace_name(self.job.student, Path(self.job.source).stem, self.content)
        ctx = sandbox.submission_namespace(api, name, self.private, self.isolation,
                                           admin_kubeconfig=kubeconfig,
                                           token_seconds=int(self.opts.total_timeout) + 600)
        self.learner_env.update(ctx.__enter__())
        self._namespace = ctx
        from kitlib.cluster.target import NAME_ENV
        return {NAME_ENV: self.job.cluster, "KUBECONFIG": str(kubeconfig)}

    def kernel_plan(self):
        from kitlib.grading.execute import KernelPlan
        return KernelPlan(kernel_name=self._kernel_name, kernel_dirs=self._kernel_dirs,
                          connection_file=self.private / "kernel.json",
                          checker_env=self.checker_env, checker_cwd=self.checker_dir)

    # ------------------------------------------------------------------ stop
    def stop(self) -> list[str]:
        """Kill what the sandbox runs, remove the cluster or namespace; problems as warnings."""
        import time
        began = time.monotonic()
        warnings = []
        if self.spec is not None:
            cgroups.kill_cgroups(self.spec.cgroups)
        if self._namespace is not None:
            try:
                self._namespace.__exit__(None, None, None)
            except Exception as exc:
                warnings.append(f"the grading namespace was not removed: {exc}")
        if self._cluster_state is not None:
            from kitlib import cluster
            try:
                cluster.down(THROWAWAY_NAME, report=lambda line: None)
            except Exception as exc:
                warnings.append(f"the submission's cluster was not removed: {exc}")
        self.timings["cleanup"] = time.monotonic() - began
        return warnings


def _number(workdir: Path) -> int:
    """The batch numbers work folders 0000, 0001...; anything else gets a stable number."""
    try:
        return int(workdir.name)
    except ValueError:
        import zlib
        return zlib.crc32(str(workdir).encode())
