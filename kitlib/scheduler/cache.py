"""The scheduler's cache: every node and every bound pod, kept current by the scheduler's
informers (``kitlib.client``), plus the pods this scheduler has *assumed* onto a node
while their binding is still in flight."""
from __future__ import annotations

import threading

from kitlib.scheduler.framework import NodeInfo

TERMINAL = ("Succeeded", "Failed")


class Cache:
    def __init__(self):
        self.lock = threading.RLock()
        self.nodes: dict[str, NodeInfo] = {}
        self.pod_node: dict[str, str] = {}       # uid -> node name (bound or assumed)
        self.assumed: set[str] = set()           # uids bound by us, not yet seen bound
        self._orphans: dict[str, dict] = {}      # pods bound to nodes not (yet) in the cache

    # ---------------------------------------------------------------- nodes
    def set_node(self, node: dict) -> None:
        with self.lock:
            name = node["metadata"]["name"]
            if name in self.nodes:
                self.nodes[name].set_node(node)
            else:
                info = NodeInfo(node)
                for uid, pod in list(self._orphans.items()):
                    if pod["spec"].get("nodeName") == name:
                        info.add_pod(pod)
                        del self._orphans[uid]
                self.nodes[name] = info

    def remove_node(self, name: str) -> None:
        with self.lock:
            info = self.nodes.pop(name, None)
            for pod in info.pods if info else []:
                self._orphans[pod["metadata"]["uid"]] = pod

    # ---------------------------------------------------------------- pods
    def _drop(self, uid: str) -> None:
        node = self.pod_node.pop(uid, None)
        self.assumed.discard(uid)
        self._orphans.pop(uid, None)
        if node and node in self.nodes:
            self.nodes[node].remove_pod(uid)

    def _place(self, pod: dict, node: str) -> None:
        uid = pod["metadata"]["uid"]
        self.pod_node[uid] = node
        if node in self.nodes:
            self.nodes[node].add_pod(pod)
        else:
            self._orphans[uid] = pod

    def update_pod(self, pod: dict) -> None:
        """A pod as the API shows it now: count it where it is bound, unless finished."""
        uid, node = pod["metadata"]["uid"], pod["spec"].get("nodeName")
        phase = (pod.get("status") or {}).get("phase")
        with self.lock:
            if not node:
                if uid in self.assumed:      # our binding has not shown up yet: keep it
                    return
                self._drop(uid)
                return
            self._drop(uid)
            if phase not in TERMINAL:
                self._place(pod, node)

    def delete_pod(self, pod: dict) -> None:
        with self.lock:
            self._drop(pod["metadata"]["uid"])

    def assume(self, pod: dict, node: str) -> None:
        """Count the pod on ``node`` now, before the binding is confirmed, so the next
        cycle already sees the space as taken."""
        bound = {**pod, "spec": {**pod["spec"], "nodeName": node}}
        with self.lock:
            self._drop(pod["metadata"]["uid"])
            self._place(bound, node)
            self.assumed.add(pod["metadata"]["uid"])

    def forget(self, pod: dict) -> None:
        """The binding failed: undo ``assume``."""
        with self.lock:
            uid = pod["metadata"]["uid"]
            if uid in self.assumed:
                self._drop(uid)

    def node_infos(self) -> list[NodeInfo]:
        with self.lock:
            return list(self.nodes.values())
