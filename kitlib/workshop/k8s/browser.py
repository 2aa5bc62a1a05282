"""A learner's browser against a room's hub: how the kit's tests and benchmarks act as a
learner (log in, start their server and wait until it answers through the proxy, stop it).
A session with the hub's cookies, talking only to ``base`` (the hub on this machine's
loopback, as `kit workshop forward` serves it; ``wait_for_hub`` until it answers there)."""
from __future__ import annotations

import subprocess
import time

import requests

START_TIMEOUT = 420          # the learner's pod, their cluster inside it, then their server


def wait_for_hub(base: str, forward: subprocess.Popen, timeout: float = 120) -> None:
    """Until the hub answers at ``base`` through ``forward`` (the port-forward's process)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(base + "hub/health", timeout=5).ok:
                return
        except requests.ConnectionError:
            pass
        if forward.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the hub did not answer at {base}: {forward.stderr.read() if forward.stderr else ''}")
        time.sleep(0.5)


class Browser:
    def __init__(self, base: str):
        self.base, self.http = base, requests.Session()

    def login(self, name: str, password: str) -> requests.Response:
        self.http.get(self.base + "hub/login", timeout=30)
        return self.http.post(self.base + "hub/login", timeout=60, data={
            "username": name, "password": password, "_xsrf": self.http.cookies.get("_xsrf", "")})

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, timeout=60)

    def start_server(self, name: str, timeout: float = START_TIMEOUT, poll: float = 3) -> requests.Response:
        """Ask the hub for the learner's server and wait until it answers through the proxy
        (looking every ``poll`` seconds); the server's ``api/status``."""
        self.get("hub/spawn")                       # starts it (and shows the pending page)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # The page logs the browser into the server (JupyterHub's OAuth), as a click would.
            page = self.get(f"user/{name}/lab")
            if page.status_code == 200 and page.url.endswith(f"/user/{name}/lab"):
                return self.get(f"user/{name}/api/status")
            time.sleep(poll)
        raise TimeoutError(f"{name}'s server did not answer within {timeout:g}s: {page.status_code} {page.url}")

    def stop_server(self, name: str) -> requests.Response:
        """The hub's "Stop My Server" button."""
        return self.http.delete(f"{self.base}hub/api/users/{name}/server", timeout=120,
                                headers={"X-XSRFToken": self.hub_xsrf()})

    def hub_xsrf(self) -> str:
        """The hub's XSRF cookie (each server the browser opened sets one of its own)."""
        return next(c.value for c in self.http.cookies if c.name == "_xsrf" and c.path.startswith("/hub"))
