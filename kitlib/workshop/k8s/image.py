"""The course image: a workshop room's hub and each learner's server pod on an existing
Kubernetes cluster, where a learner's own Docker-free control plane runs inside their pod.

Built here, never pulled, in two layers by the kit's image recipe (``cluster/kit_image.py``):

* ``kitlib/course-base:<key>`` — Debian with Python, Node.js (for the proxy), procps,
  util-linux and tini; all of kitlib's Python dependencies (JupyterLab and the widgets too)
  with JupyterHub and KubeSpawner (the ``workshop`` extra); the Docker-free cluster's tools;
  JupyterHub's proxy, configurable-http-proxy, as ``npm ci`` installed it into the kit's
  cache here (the build has no network), at ``PROXY``.
* ``kitlib/course:<key>`` — the base plus this checkout's ``kitlib``, ``exercises``,
  ``cluster`` and the whole ``chapters`` folder (notebooks and their supporting files:
  ``kit workspace`` makes a learner's copies from them) in ``/srv/kit``.

``tini`` is the entrypoint: the control plane's processes, whose starter exits, are
reaped by it rather than left as zombies of the Jupyter server. The user ``kit`` (uid
1000, home /home/kit) exists, but ``HOME`` and ``KIT_STATE_DIR`` are not set: each pod
sets its own.

    python -m kitlib.workshop.k8s.image      # builds it (unless present); prints its tag
"""
from __future__ import annotations

from pathlib import Path

from kitlib.cluster import kit_image
from kitlib.cluster.base import Report

BASE_REPO = "kitlib/course-base"
REPO = "kitlib/course"
# Chapter 1's VM (qemu) is not here: the room's pods run chapters 0 and 2-10.
PACKAGES = ["python3", "python3-venv", "procps", "util-linux", "nodejs", "tini"]
PROXY_HOME = "/opt/proxy"
PROXY = f"{PROXY_HOME}/node_modules/.bin/configurable-http-proxy"
ENTRYPOINT = ["/usr/bin/tini", "-g", "--"]
# The hub's and learners' pods run as this uid; with a name, getpass.getuser() (chapter 7's
# lab seed), whoami and a terminal's prompt work without $USER.
USER = ("kit", 1000)


def _proxy_folder(report: Report) -> Path:
    """The kit cache's folder of configurable-http-proxy (``npm ci`` from the lockfile in
    ``kitlib/workshop/proxy/``, run here the first time)."""
    from kitlib.workshop import hub
    return Path(hub.proxy_command(report)).parents[2]


def build(report: Report = print) -> str:
    """The course image for this checkout (built unless already here); its tag."""
    kit_image.need_docker("the course image")
    wheels = kit_image.wheelhouse("course", extras=("workshop",), report=report)
    base = kit_image.base(BASE_REPO, PACKAGES, wheels, kit_image.ENV, "kitlib course base",
                          folders={PROXY_HOME: _proxy_folder(report)}, entrypoint=ENTRYPOINT,
                          user=USER, report=report)
    return kit_image.kit_layer(REPO, base, kit_image.kit_files(chapters=("**/*",)),
                               "kitlib course: a workshop's hub and learners' servers", report=report)


if __name__ == "__main__":          # build it by hand, e.g. to push it to a registry
    print(build())
