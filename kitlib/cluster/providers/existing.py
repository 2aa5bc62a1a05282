"""The existing provider: a cluster someone else runs (an instructor's, a cloud one).
The kit copies the chosen context into its own kubeconfig and never creates, changes or
deletes the cluster itself."""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from kitlib.cluster.base import ClusterError, Provider, Record
from kitlib.cluster.health import probe
from kitlib.cluster.processes import stop_all_under
from kitlib.cluster.target import CONTEXT_ENV, KUBECONFIG_ENV


def read_kubeconfig(path: Path) -> dict:
    """The kubeconfig at ``path`` as a dict, or ClusterError saying what is wrong with it."""
    try:
        config = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ClusterError(f"kubeconfig {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClusterError(f"kubeconfig {path} cannot be read: "
                           f"{getattr(exc, 'strerror', None) or exc}") from None
    except yaml.YAMLError as exc:
        raise ClusterError(f"kubeconfig {path} is not valid YAML "
                           f"({str(exc).splitlines()[0]})") from None
    if not isinstance(config, dict) or not isinstance(config.get("contexts"), list):
        raise ClusterError(f"{path} is not a kubeconfig (it has no list of contexts)")
    return config


def extract_context(source: dict, context: str | None) -> dict:
    """A standalone kubeconfig holding only ``context`` (default: the current one)."""
    name = context or source.get("current-context")
    by_name = lambda key: {item["name"]: item for item in source.get(key) or []
                           if isinstance(item, dict) and "name" in item}
    contexts = by_name("contexts")
    if name not in contexts:
        raise ClusterError(f"context {name!r} not found; contexts are: {', '.join(contexts) or 'none'}")
    ctx = contexts[name]
    clusters, users = by_name("clusters"), by_name("users")
    body = ctx.get("context") or {}
    cluster_name, user_name = body.get("cluster"), body.get("user")
    if cluster_name not in clusters:
        raise ClusterError(f"context {name!r} names cluster {cluster_name!r}, which is not defined")
    return {"apiVersion": "v1", "kind": "Config", "current-context": name,
            "contexts": [ctx], "clusters": [clusters[cluster_name]],
            "users": [users[user_name]] if user_name in users else [], "preferences": {}}


class ExistingProvider(Provider):
    name = "existing"

    def __init__(self, cluster, report=print, source: str | None = None,
                 context: str | None = None):
        super().__init__(cluster, report)
        self.source, self.context = source, context

    def up(self) -> None:
        if not self.source:
            raise ClusterError("the existing provider needs a kubeconfig: `kit up --provider "
                               "existing --kubeconfig PATH [--context NAME]` (or "
                               f"{KUBECONFIG_ENV}=PATH and {CONTEXT_ENV}=NAME)")
        source = Path(self.source)
        config = extract_context(read_kubeconfig(source), self.context)
        _resolve_relative_paths(config, source.parent)
        self.cluster.path.mkdir(parents=True, exist_ok=True)
        self.cluster.kubeconfig.touch(mode=0o600)
        self.cluster.kubeconfig.write_text(yaml.safe_dump(config))
        alive, detail = self.running()
        if not alive:
            self.cluster.remove()
            raise ClusterError(f"context {config['current-context']!r} in {source}: {detail}")
        self.cluster.write(Record(self.cluster.name, self.name, phase="ready",
                                  details={"source": str(source),
                                           "context": config["current-context"]}))
        self.report(f"using context {config['current-context']!r} from {source} ({detail})")

    def down(self) -> None:
        stop_all_under(self.cluster.path)      # the simulated-nodes helper, if started
        self.cluster.remove()
        self.report("forgot the existing cluster; it was not created by the kit and keeps running")

    def running(self) -> tuple[bool, str]:
        return probe(self.cluster.kubeconfig)


def _resolve_relative_paths(config: dict, base: Path) -> None:
    """Certificate and key files named relative to the source kubeconfig stay valid."""
    for section, key in (("clusters", "cluster"), ("users", "user")):
        for item in config.get(section) or []:
            body = item.get(key) or {}
            for field in ("certificate-authority", "client-certificate", "client-key"):
                if field in body and not os.path.isabs(body[field]):
                    body[field] = str((base / body[field]).resolve())
