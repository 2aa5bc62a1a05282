"""JupyterHub inside the room's hub pod (``python -m kitlib.workshop.k8s.hub ROOM_MOUNT``).

The logins are the room's roster (``kitlib.workshop.hub.RosterAuthenticator``, reading the
room Secret); each learner's server is a pod of its own made by KubeSpawner, JupyterHub's
standard spawner for Kubernetes: the course image, run as an ordinary user with no
privileges and no service-account token, limited in CPU and memory, with a claim of its own
for the home (workspace and cluster state). Its first process, ``kitlib.workshop.k8s.learner``,
starts the learner's own Docker-free control plane inside the pod and then the Jupyter
server, so every chapter sees a cluster of its own, on the pod's loopback alone.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kitlib.workshop.k8s import manifests as mf

SETTINGS = "settings.json"
HOME = "/home/kit"
PROXY_API_PORT = 8001
START_TIMEOUT = 300         # the learner's cluster starts before the server answers
HOME_SIZE = "2Gi"           # a learner's claim: workspace and cluster state


def learner_environment() -> dict[str, str]:
    return {"HOME": HOME, "KIT_STATE_DIR": f"{HOME}/.kit/state",
            "KIT_CACHE_DIR": f"{HOME}/.cache/kitlib", "KIT_PROVIDER": "kwok",
            "KIT_WORKSPACE": f"{HOME}/workspace", "MPLCONFIGDIR": f"{HOME}/.cache/matplotlib"}


def configure(c, room_dir: str) -> None:
    """JupyterHub's settings in the hub pod (called from the config file ``main`` writes)."""
    from kitlib.workshop.hub import _landing
    settings = json.loads((Path(room_dir) / SETTINGS).read_text())
    c.JupyterHub.ip, c.JupyterHub.port = "0.0.0.0", mf.PUBLIC_PORT
    c.JupyterHub.hub_bind_url = f"http://0.0.0.0:{mf.API_PORT}"
    c.JupyterHub.hub_connect_url = f"http://hub.{settings['namespace']}.svc:{mf.API_PORT}"
    c.ConfigurableHTTPProxy.command = [settings["proxy"]]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
    c.JupyterHub.db_url = "sqlite:///jupyterhub.sqlite"
    c.JupyterHub.cleanup_servers = False        # learners' pods outlive a hub restart
    c.JupyterHub.authenticator_class = RosterAuthenticator
    c.RosterAuthenticator.room_dir = room_dir
    c.Authenticator.allowed_users = set(settings["learners"])
    c.JupyterHub.default_url = _landing
    c.JupyterHub.spawner_class = LearnerKubeSpawner

    k = c.KubeSpawner
    k.image, k.image_pull_policy = settings["image"], settings["pull"]
    if settings.get("node"):
        k.node_selector = {"kubernetes.io/hostname": settings["node"]}
    k.component_label = mf.LEARNER_COMPONENT
    k.uid = k.gid = k.fs_gid = mf.UID
    k.allow_privilege_escalation = False
    k.container_security_context = mf.restricted()
    k.automount_service_account_token = False
    k.extra_pod_config = {"enableServiceLinks": False}
    k.cmd = ["python", "-m", "kitlib.workshop.k8s.learner"]
    k.port = mf.SERVER_PORT
    k.environment = learner_environment()
    k.notebook_dir = f"{HOME}/workspace"
    k.default_url = "/lab/tree/00-setup.ipynb"
    k.mem_limit = f"{settings['memory_mb']}M"
    # Requests equal to the limit: a room too big for the cluster leaves a server Pending,
    # with the scheduler's reason, instead of learners' kernels killed for memory later.
    k.mem_guarantee = k.mem_limit
    k.cpu_limit, k.cpu_guarantee = float(settings["cpus"]), 0.1
    k.storage_pvc_ensure = True
    k.pvc_name_template = "home-{username}"
    k.storage_capacity = HOME_SIZE
    if settings.get("storage_class"):
        k.storage_class = settings["storage_class"]
    k.volumes = [{"name": "home", "persistentVolumeClaim": {"claimName": "home-{username}"}}]
    k.volume_mounts = [{"name": "home", "mountPath": HOME}]
    k.start_timeout = k.http_timeout = START_TIMEOUT


try:
    from kubespawner import KubeSpawner

    from kitlib.workshop.hub import RosterAuthenticator  # noqa: F401  (named in the config)
except ImportError:         # outside the hub pod: the classes are not needed
    pass
else:
    class LearnerKubeSpawner(KubeSpawner):
        """A learner's server pod; the instructor has none (the room is seen with
        `kit workshop status`)."""

        async def start(self):
            from kitlib.workshop.room import INSTRUCTOR
            if self.user.name == INSTRUCTOR:
                from tornado.web import HTTPError
                raise HTTPError(400, "The instructor has no server in the room")
            return await super().start()


def main(argv: list[str]) -> None:
    [room_dir] = argv
    config = Path("jupyterhub_config.py")
    config.write_text("from kitlib.workshop.k8s.hub import configure\n"
                      f"configure(c, {room_dir!r})\n")
    os.execvp(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", str(config.resolve())])


if __name__ == "__main__":
    main(sys.argv[1:])
