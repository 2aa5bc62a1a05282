"""JupyterHub for a workshop room: one login per learner, each learner's Jupyter server run
as their own system user, in their cgroups, with their own cluster's environment.

The hub runs as root (it must start servers as other users) with its state in
``<room>/hub``; its proxy is JupyterHub's standard configurable-http-proxy, installed by
``npm ci`` from the lockfile in ``proxy/`` (integrity-checked) into the kit's cache.

    jupyterhub -f <room>/hub/jupyterhub_config.py     # what `kit workshop up` starts
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kitlib.errors import KitError
from kitlib.workshop.room import INSTRUCTOR, Room

PROXY_DIR = Path(__file__).parent / "proxy"
CONFIG = "jupyterhub_config.py"
PID_FILE = "hub.pid"
START_TIMEOUT = 60


def proxy_command(report=print) -> str:
    """configurable-http-proxy, installed once per lockfile into the kit's cache."""
    from kitlib.paths import cache_dir
    lock = (PROXY_DIR / "package-lock.json").read_bytes()
    target = cache_dir() / f"workshop-proxy-{hashlib.sha256(lock).hexdigest()[:12]}"
    binary = target / "node_modules" / ".bin" / "configurable-http-proxy"
    if binary.exists():
        return str(binary)
    if shutil.which("npm") is None:
        raise KitError("JupyterHub's proxy needs Node.js and npm (Debian: apt install npm)")
    report("installing JupyterHub's proxy (configurable-http-proxy) with npm ci")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copy(PROXY_DIR / name, target / name)
    result = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--omit=dev"], cwd=target,
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0 or not binary.exists():
        raise KitError("npm ci for JupyterHub's proxy failed:\n" + result.stderr[-1500:])
    return str(binary)


def write_config(room: Room, proxy: str) -> Path:
    room.hub_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(room.hub_dir, 0o700)
    config = room.hub_dir / CONFIG
    config.write_text(
        "# Written by `kit workshop up`; the settings are made in kitlib.workshop.hub.configure.\n"
        "from kitlib.workshop.hub import configure\n"
        f"configure(c, {room.dir!r}, {proxy!r})\n")
    return config


def configure(c, room_dir: str, proxy: str) -> None:
    """JupyterHub's settings for the room (called from the generated config file)."""
    from kitlib.cluster.ports import loopback_ports
    room = Room.load(room_dir)
    hub, (hub_port, proxy_api_port, page_port) = room.hub_dir, loopback_ports(3)
    c.JupyterHub.ip, c.JupyterHub.port = room.hub_ip, room.hub_port
    c.JupyterHub.hub_ip, c.JupyterHub.hub_port = "127.0.0.1", hub_port
    c.ConfigurableHTTPProxy.command = [proxy]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(hub / "proxy.pid")
    c.JupyterHub.db_url = f"sqlite:///{hub / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(hub / "cookie_secret")
    c.JupyterHub.pid_file = str(hub / PID_FILE)
    c.JupyterHub.cleanup_servers = True       # `workshop down` stops every learner's server
    c.JupyterHub.authenticator_class = RosterAuthenticator
    c.JupyterHub.spawner_class = LearnerSpawner
    c.Authenticator.allowed_users = {learner.user for learner in room.learners} | {INSTRUCTOR}
    c.Authenticator.admin_users = set()
    # The room's page (room_page.py), run by the hub as root; only the instructor may open it,
    # and lands there after logging in (the instructor has no server of their own).
    c.JupyterHub.services = [{
        "name": "room", "url": f"http://127.0.0.1:{page_port}", "oauth_no_confirm": True,
        "command": [sys.executable, "-m", "kitlib.workshop.room_page", room_dir]}]
    c.JupyterHub.load_roles = [{"name": "room-instructor", "users": [INSTRUCTOR],
                                "scopes": ["access:services!service=room"]}]
    c.JupyterHub.default_url = _landing
    c.Spawner.cmd = [room.python or sys.executable, "-m", "jupyterhub.singleuser"]
    c.Spawner.default_url = "/lab/tree/00-setup.ipynb"
    c.Spawner.notebook_dir = "~/workspace"
    c.Spawner.start_timeout = START_TIMEOUT
    c.Spawner.http_timeout = START_TIMEOUT
    c.RosterAuthenticator.room_dir = room_dir
    c.LearnerSpawner.room_dir = room_dir


def _landing(handler) -> str:
    """Where a login lands: the instructor on the room's page, a learner (as JupyterHub
    does by default) on their own server, through the spawn page when it is not running:
    since JupyterHub 2 a stopped server's URL answers 424 and starts nothing."""
    user = handler.current_user
    if user is None:
        return handler.base_url + "hub/login"
    if user.name == INSTRUCTOR:
        return handler.base_url + "services/room/"
    return user.url if user.spawner.active else handler.base_url + "hub/spawn"


def start(room: Room, proxy: str, report=print) -> None:
    """Start the hub in the background; return once it answers."""
    import urllib.request
    config = write_config(room, proxy)
    log = open(room.hub_dir / "hub.log", "ab")
    subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=room.hub_dir,
                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(room.url + "hub/health", timeout=2)
            report(f"JupyterHub answers at {room.url}")
            return
        except OSError:
            time.sleep(0.5)
    raise KitError(f"JupyterHub did not answer at {room.url} within {START_TIMEOUT}s; "
                   f"its log: {room.hub_dir / 'hub.log'}")


def pid(room: Room) -> int | None:
    try:
        value = int((room.hub_dir / PID_FILE).read_text().strip())
        os.kill(value, 0)
        return value
    except (OSError, ValueError):
        return None


def stop(room: Room, timeout: float = 30) -> None:
    """Stop the hub (it stops every learner's server and its proxy on the way out)."""
    from kitlib.cluster.processes import terminate
    value = pid(room)
    if value is not None:
        terminate(value, grace=timeout)


# --- JupyterHub classes (imported by the hub only) ---------------------------------------

try:
    from jupyterhub.auth import Authenticator
    from jupyterhub.spawner import LocalProcessSpawner
    from traitlets import Unicode
except ImportError:         # the hub is not installed: the classes are not needed
    pass
else:
    class RosterAuthenticator(Authenticator):
        """A learner logs in with the name on the roster and the password the instructor
        handed out (stored hashed in room.json)."""
        room_dir = Unicode(config=True)

        async def authenticate(self, handler, data):
            from kitlib.workshop.room import password_matches
            room = Room.load(self.room_dir)
            name = str(data.get("username", "")).strip().lower()
            if name == INSTRUCTOR:
                ok = password_matches(str(data.get("password", "")), room.instructor_hash)
                return INSTRUCTOR if ok else None
            for learner in room.learners:
                if name in (learner.name, learner.user):
                    if password_matches(str(data.get("password", "")), learner.password_hash):
                        return learner.user
                    return None
            return None

    class LearnerSpawner(LocalProcessSpawner):
        """The learner's server, as their system user, in their cgroups, with their cluster."""
        room_dir = Unicode(config=True)

        def _learner(self):
            room = Room.load(self.room_dir)
            return room, room.learner(self.user.name)

        async def start(self):
            if self.user.name == INSTRUCTOR:
                from tornado.web import HTTPError
                raise HTTPError(400, "The instructor has no server here: the room's page is "
                                     "at /services/room/")
            return await super().start()

        def get_env(self):
            from kitlib.workshop.clusters import environment
            env = super().get_env()
            room, learner = self._learner()
            env.update(environment(room, learner))
            return env

        def make_preexec_fn(self, name):
            from kitlib import cgroups
            drop_privileges = super().make_preexec_fn(name)
            groups = self._learner()[1].cgroups

            def preexec():
                cgroups.join(groups)
                drop_privileges()
            return preexec
