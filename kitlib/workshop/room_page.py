"""The room at a glance as a page in JupyterHub (``/services/room/``), for the instructor's
login only: `kit workshop status`'s table and chart, refreshed every 30 seconds.

A JupyterHub managed service: the hub starts it (as root, so it can read the learners'
saved notebooks) and its OAuth lets through only users granted ``access:services!service=room``
— the instructor (``kitlib.workshop.hub``). Learners get 403.

    python -m kitlib.workshop.room_page ROOM_DIR      # what the hub runs
"""
from __future__ import annotations

import base64
import html
import io
import os
import sys
from urllib.parse import urlparse

REFRESH_SECONDS = 30


def render(statuses, chart_png: bytes) -> str:
    """The page: one row per learner (cluster not answering in red) and the chart."""
    rows = []
    for s in statuses:
        memory = f"{s.memory_mb} MiB" if s.memory_mb is not None else "-"
        style = "" if s.healthy else ' style="color:#b00020"'
        rows.append(f"<tr{style}><td>{html.escape(s.learner)}</td><td>{html.escape(s.cluster)}</td>"
                    f"<td>{html.escape(s.jupyter)}</td><td>{memory}</td><td>{html.escape(s.reached)}</td>"
                    f"<td>{s.passed} of {s.run}</td></tr>")
    chart = base64.b64encode(chart_png).decode()
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>The room</title>'
            f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">'
            "<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em 1em;text-align:left}"
            "th{border-bottom:1px solid #888}</style></head><body>"
            f"<h1>The room: {len(statuses)} learners</h1>"
            "<table><tr><th>learner</th><th>cluster</th><th>Jupyter</th><th>memory</th>"
            "<th>reached</th><th>questions passed (of checked)</th></tr>"
            + "".join(rows) + "</table>"
            f'<p><img alt="questions passed per learner" src="data:image/png;base64,{chart}"></p>'
            f"<p>Refreshed every {REFRESH_SECONDS} s; the same as <code>kit workshop status</code>."
            "</p></body></html>")


def main(room_dir: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from jupyterhub.services.auth import HubOAuthCallbackHandler, HubOAuthenticated
    from jupyterhub.utils import url_path_join
    from tornado import ioloop, web

    from kitlib.workshop import status
    from kitlib.workshop.room import Room

    class RoomPage(HubOAuthenticated, web.RequestHandler):
        @web.authenticated
        def get(self):
            statuses = status.room_status(Room.load(room_dir))
            figure = status.plot(statuses)
            png = io.BytesIO()
            figure.savefig(png, format="png", dpi=100)
            plt.close(figure)
            self.set_header("Cache-Control", "no-store")
            self.write(render(statuses, png.getvalue()))

    prefix = os.environ["JUPYTERHUB_SERVICE_PREFIX"]
    app = web.Application([(prefix, RoomPage),
                           (url_path_join(prefix, "oauth_callback"), HubOAuthCallbackHandler)],
                          cookie_secret=os.urandom(32))
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    app.listen(url.port, url.hostname)
    ioloop.IOLoop.current().start()


if __name__ == "__main__":
    main(sys.argv[1])
