"""Your scheduler and your PodSet controller as processes of their own beside the control
plane, the way kube-scheduler and kube-controller-manager run (chapter 10).

    with takeover.scheduler(folder) as mine:      # python -m kitlib.scheduler --name default-scheduler
        ...                                       # every new pod of the cluster is placed by it
    print(mine.tail())

Which code they run (yours from your chapter-5/6 notebooks in ``folder``, or the reference
where a notebook is unfinished) is decided by ``exercises.yours``. Each process is stopped,
with everything it started, when its block ends; ``availability`` samples a PodSet meanwhile.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from kubernetes import client

from kitlib.paths import REPO_DIR

FOLDER_ENV = "KIT_YOUR_NOTEBOOKS"      # read by exercises.yours


@dataclass
class Running:
    """A process of the learner's, with the lines it printed so far."""
    what: str
    proc: subprocess.Popen
    lines: list[str] = field(default_factory=list)

    def tail(self, n: int = 8) -> str:
        return "\n".join(self.lines[-n:])

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)


@contextlib.contextmanager
def _process(what: str, args: list[str], folder: Path, ready: str,
             timeout: float = 90) -> Iterator[Running]:
    env = {**os.environ, FOLDER_ENV: str(Path(folder).resolve()),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_DIR), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=REPO_DIR,
                            start_new_session=True)
    running = Running(what, proc)
    started = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            running.lines.append(line.rstrip())
            if ready in line:
                started.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while not started.wait(0.2):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start:\n{running.tail(15)}")
        try:
            yield running
        except BaseException:      # e.g. a wait that timed out: the process's log says why
            print(f"--- {what}, its last lines:\n{running.tail(12)}", flush=True)
            raise
    finally:
        _stop(proc)
        reader.join(timeout=5)


def _stop(proc: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM (the process stops its loops and says how it went), then the whole session."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def scheduler(folder: Path, name: str = "default-scheduler") -> contextlib.AbstractContextManager[Running]:
    """Your chapter-5 plugins scheduling every pod whose ``spec.schedulerName`` is ``name``
    (``default-scheduler``: every pod that names no other)."""
    return _process("your scheduler", ["kitlib.scheduler", "--framework", "exercises.yours:framework",
                                       "--name", name], folder, ready="watching pods")


def controller(folder: Path, namespace: str) -> contextlib.AbstractContextManager[Running]:
    """Your chapter-6 ``reconcile`` managing the PodSets of ``namespace``."""
    return _process("your PodSet controller", ["kitlib.controller", "--reconcile", "exercises.yours:reconcile",
                                               "--namespace", namespace], folder,
                    ready="PodSet controller running")


class Availability:
    """Samples (seconds, desired, active pods, ready pods) of PodSet ``name`` every
    ``every`` seconds in a thread, with events marked by :meth:`mark`."""

    def __init__(self, api: client.ApiClient, namespace: str, name: str, every: float = 0.5):
        from kitlib.controller import GROUP, PLURAL, VERSION
        self.custom, self.core = client.CustomObjectsApi(api), client.CoreV1Api(api)
        self.crd = (GROUP, VERSION, namespace, PLURAL, name)
        self.namespace, self.name, self.every = namespace, name, every
        self.samples: list[tuple[float, int, int, int]] = []
        self.events: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Availability":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def now(self) -> float:
        return round(time.monotonic() - self._t0, 1)

    def mark(self, label: str) -> None:
        self.events.append((self.now(), label))

    def _run(self) -> None:
        from kitlib.controller import is_active, is_ready
        while not self._stop.wait(self.every):
            try:
                desired = self.custom.get_namespaced_custom_object(*self.crd)["spec"]["replicas"]
                resp = self.core.list_namespaced_pod(self.namespace, label_selector=f"app={self.name}",
                                                     _preload_content=False)
                pods = [p for p in json.loads(resp.data)["items"] if is_active(p)]
            except Exception:          # a sample missed (the API busy) is only a gap
                continue
            self.samples.append((self.now(), desired, len(pods), sum(is_ready(p) for p in pods)))

    def mark_failure(self, started: float, timeline: list[dict]) -> None:
        """Mark, from a node failure's ``timeline`` (``kitlib.troubleshoot.nodefail``, which
        began at ``started``), when the node was tainted unreachable and its pods evicted."""
        seen = set()
        for row in timeline:
            at = started + float(row["after"].split()[0])
            on_node = next(v for k, v in row.items() if k.startswith("pods on "))
            for label, now in (("tainted unreachable", "unreachable" in row["node taints"]),
                               ("pods evicted", not on_node.endswith(" 0 evicted"))):
                if now and label not in seen:
                    seen.add(label)
                    self.events.append((round(at, 1), label))

    def least_ready(self) -> int:
        """The fewest Ready pods seen since the first event marked."""
        since = self.events[0][0] if self.events else 0
        return min((s[3] for s in self.samples if s[0] >= since), default=0)

    def plot(self, title: str):
        from kitlib.controller.plot import plot_timeline
        ax = plot_timeline(self.samples, self.events, title=title)
        top = ax.get_ylim()[1]
        for i, (at, label) in enumerate(sorted(self.events)):
            ax.annotate(label, (at, top), xytext=(3, -12 - 11 * (i % 3)), textcoords="offset points",
                        fontsize="small", color="dimgray")
        return ax
