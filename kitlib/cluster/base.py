"""What every cluster provider offers, and the kit's record of the clusters it made."""
from __future__ import annotations

import json
import os
import shutil
import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from kitlib.errors import KitError
from kitlib.paths import state_dir

Report = Callable[[str], None]
DEFAULT_NAME = "kit"


class ClusterError(KitError):
    """The cluster could not be made, reached or removed; the message says how to fix it."""


@dataclass
class Record:
    """What the kit wrote down about one cluster it manages (``state.json``)."""
    name: str
    provider: str
    phase: str = "creating"          # creating -> ready; a crash leaves "creating"
    created_at: float = field(default_factory=time.time)
    details: dict = field(default_factory=dict)


class ClusterDir:
    """``<state>/clusters/<name>/``: the kubeconfig and record of one cluster."""

    def __init__(self, name: str = DEFAULT_NAME):
        if not name.replace("-", "").isalnum() or not name[0].isalpha() or len(name) > 40:
            raise ClusterError(f"cluster name {name!r}: use letters, digits and '-', "
                               "start with a letter, at most 40 characters")
        self.name = name
        self.path = state_dir() / "clusters" / name

    @property
    def kubeconfig(self) -> Path:
        return self.path / "kubeconfig"

    @property
    def record_file(self) -> Path:
        return self.path / "state.json"

    def read(self) -> Record | None:
        try:
            return Record(**json.loads(self.record_file.read_text()))
        except FileNotFoundError:
            return None

    def write(self, record: Record) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.record_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(record), indent=2))
        os.replace(tmp, self.record_file)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


@dataclass
class Status:
    name: str
    provider: str
    running: bool
    detail: str
    kubeconfig: str | None = None
    phase: str = "absent"            # absent | creating (being made, or left by a crash) | ready


class Provider(ABC):
    """One way of getting a cluster. ``up`` is idempotent (reuses a running cluster),
    ``down`` is harmless when nothing is there, and neither ever touches a cluster
    the kit did not record in its own state directory."""

    name: str = ""

    def __init__(self, cluster: ClusterDir, report: Report = print):
        self.cluster = cluster
        self.report = report

    @abstractmethod
    def up(self) -> None: ...

    @abstractmethod
    def down(self) -> None: ...

    @abstractmethod
    def running(self) -> tuple[bool, str]:
        """Is the recorded cluster up? And a one-line detail."""

    def preflight(self) -> None:  # noqa: B027 - optional hook: most providers need no check
        """Raise ClusterError early (before any work) if this provider cannot run here."""

    # Control-plane components (kitlib.cluster.components): only where the kit runs them.
    stoppable: tuple[str, ...] = ()

    def component_running(self, component: str) -> bool:
        raise ClusterError(f"the {self.name} provider does not run the control plane itself")

    def stop_component(self, component: str) -> None:
        raise ClusterError(f"the {self.name} provider does not run the control plane itself")

    def start_component(self, component: str) -> None:
        raise ClusterError(f"the {self.name} provider does not run the control plane itself")

    def signal_component(self, component: str, sig: str) -> None:
        """Send ``sig`` ("STOP" or "CONT") to the component's process: a frozen component
        neither works nor says goodbye, as a hung or crashed one."""
        raise ClusterError(f"the {self.name} provider does not run the control plane itself")

    def _restart_stopped_components(self) -> None:
        from kitlib.cluster.components import start_all
        started = start_all(self)
        if started:
            self.report(f"started again what was left stopped: {', '.join(started)}")
