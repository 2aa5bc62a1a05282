"""`kit workshop up --on NAME`: the room on an existing Kubernetes cluster — JupyterHub and
every learner's server as pods, each learner's own Docker-free control plane inside their
pod — on the kind cluster the session booted (the kind pass of `./course test`).

A room of two, reached as a learner would: through the hub (on this machine's loopback, by
`kit workshop forward`), logging in with the handed-out passwords. Each learner's server
runs chapter 0 against their own cluster; neither can get into the other's server or
cluster; the pods run with no privileges and no token for the cluster underneath; a
learner's notebooks outlive their server; `down` leaves nothing."""
import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from kubernetes import client

from kitlib.cluster.ports import loopback_ports
from kitlib.workshop import grading
from kitlib.workshop.k8s import room as k8s_room
from kitlib.workshop.k8s.browser import Browser, wait_for_hub

pytestmark = [pytest.mark.cluster, pytest.mark.skipif(
    os.environ.get("KIT_PROVIDER") != "kind", reason="pods on real nodes: runs in the kind pass of `./course test`")]

LEARNERS = ["ada", "bob"]


@pytest.fixture(scope="module")
def room(tmp_path_factory, api):
    directory = tmp_path_factory.mktemp("k8s-room") / "room"
    lines: list[str] = []
    made = k8s_room.up(directory, LEARNERS, "kit", memory_mb=1536, cpus=1.0, report=lines.append)
    [port] = loopback_ports(1)
    # What the instructor runs to open the hub here; it forwards again when the hub's pod changes.
    forward = subprocess.Popen([sys.executable, "-m", "kitlib.cli", "workshop", "forward", "--dir",
                                str(directory), "--port", str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for_hub(base, forward)
        passwords = {row["login"]: row["password"] for row in csv.DictReader((directory / "credentials.csv").open())}
        browsers = {}
        for name in LEARNERS:
            browsers[name] = Browser(base)
            assert browsers[name].login(name, passwords[name]).ok
            browsers[name].start_server(name)
        yield made, browsers, passwords, lines, forward
    finally:
        os.killpg(forward.pid, signal.SIGINT)
        forward.wait(10)
        k8s_room.down(directory, report=lines.append)


def _pod(made, name: str) -> str:
    return k8s_room.learner_pods(made)[name].metadata.name


def _in_pod(made, name: str, script: str) -> str:
    return k8s_room.exec_in(made, _pod(made, name), ["python", "-c", script], timeout=300)


def test_a_wrong_password_is_refused_and_a_learner_reaches_only_their_own_server(room):
    made, browsers, passwords, *_ = room
    stranger = Browser(browsers["ada"].base)
    stranger.login("ada", passwords["bob"])
    assert "/hub/login?" in stranger.get("user/ada/lab").url
    assert browsers["ada"].get("user/ada/api/status").json()["kernels"] >= 0
    assert browsers["bob"].get("user/ada/lab").status_code == 403
    assert browsers["bob"].get("user/ada/api/status").status_code == 403


def test_each_learner_runs_chapter_0_on_a_cluster_of_their_own(room):
    made, *_ = room
    seen = {}
    for name in LEARNERS:
        out = _in_pod(made, name, (
            "import subprocess, json\n"
            "from kitlib.kube import api_client, kubeconfig_path\n"
            "from kubernetes import client\n"
            "api = api_client(kubeconfig_path())\n"
            "nodes = [n.metadata.name for n in client.CoreV1Api(api).list_node().items]\n"
            "uid = client.CoreV1Api(api).read_namespace('kube-system').metadata.uid\n"
            # The chapter with its exercise solved (the sources); the learner's own copy
            # stops at the check of the exercise they have not written yet.
            "run = subprocess.run(['jupyter', 'execute', '--output', '/tmp/ch00-run',"
            " '/srv/kit/chapters/00-setup.ipynb'], cwd='/tmp', capture_output=True, text=True)\n"
            "print(json.dumps({'host': api.configuration.host, 'nodes': nodes, 'uid': uid,"
            " 'rc': run.returncode, 'err': run.stderr[-2000:]}))\n"))
        seen[name] = json.loads(out.strip().splitlines()[-1])
        assert seen[name]["rc"] == 0, seen[name]["err"]
        assert re.match(r"https://127\.0\.0\.1:\d+$", seen[name]["host"]), seen[name]
        assert seen[name]["nodes"], seen[name]
    assert seen["ada"]["uid"] != seen["bob"]["uid"]      # two clusters, not one shared


def test_one_learners_pod_cannot_reach_anothers_cluster_or_the_cluster_underneath(room):
    made, *_ = room
    bob = k8s_room.learner_pods(made)["bob"]
    port = _in_pod(made, "bob", "from kitlib.kube import api_client, kubeconfig_path\n"
                   "print(api_client(kubeconfig_path()).configuration.host.rsplit(':', 1)[1])").strip()
    out = _in_pod(made, "ada", (
        "import os, socket\n"
        f"try:\n    socket.create_connection(({bob.status.pod_ip!r}, {port}), timeout=5)\n"
        "    print('CONNECTED')\nexcept OSError as exc:\n    print('REFUSED', type(exc).__name__)\n"
        "print('UID', os.getuid(), 'TOKEN', os.path.exists('/var/run/secrets/kubernetes.io/serviceaccount/token'))\n"))
    assert "REFUSED" in out and "CONNECTED" not in out, out
    assert "UID 1000 TOKEN False" in out, out
    spec = bob.spec.containers[0].security_context
    assert spec.allow_privilege_escalation is False and not spec.privileged
    assert spec.capabilities.drop == ["ALL"]


def test_status_shows_every_learner_with_a_ready_cluster(room):
    made, *_ = room
    rows = {row["learner"]: row for row in k8s_room.status(made)}
    assert set(rows) == set(LEARNERS)
    for row in rows.values():
        assert row["healthy"] and row["cluster"] == "ready" and row["jupyter"] == "running", row
        assert row["memory_mb"] and row["memory_mb"] > 100, row


def test_a_learners_notebooks_and_cluster_outlive_their_server(room):
    made, browsers, *_ = room
    _in_pod(made, "ada", "import pathlib; pathlib.Path('/home/kit/workspace/mine.txt').write_text('kept')")
    _in_pod(made, "ada", "from kitlib.kube import api_client, kubeconfig_path\nfrom kubernetes import client\n"
            "client.CoreV1Api(api_client(kubeconfig_path())).create_namespace({'metadata': {'name': 'kept'}})")
    stopped = browsers["ada"].stop_server("ada")            # "Stop My Server" in the hub
    assert stopped.status_code in (202, 204), stopped.text
    deadline = time.monotonic() + 120
    while "ada" in k8s_room.learner_pods(made) and time.monotonic() < deadline:
        time.sleep(2)
    browsers["ada"].start_server("ada")
    out = _in_pod(made, "ada", "import pathlib\nfrom kitlib.kube import api_client, kubeconfig_path\n"
                  "from kubernetes import client\n"
                  "print(pathlib.Path('/home/kit/workspace/mine.txt').read_text(),"
                  " client.CoreV1Api(api_client(kubeconfig_path())).read_namespace('kept').metadata.name)")
    assert out.split() == ["kept", "kept"], out


def test_a_learner_added_later_replaces_the_hub_and_keeps_everyones_login_and_server(room):
    made, browsers, _, lines, forward = room
    servers = {name: _pod(made, name) for name in LEARNERS}
    k8s_room.up(made.path, [*LEARNERS, "cy"], "kit", report=lines.append)
    wait_for_hub(browsers["ada"].base, forward)
    for name in LEARNERS:        # no new login, no restart: the hub's state lives on a claim
        # (the new hub answers before it has put the running servers' routes back)
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            answer = browsers[name].get(f"user/{name}/api/status")
            if answer.status_code == 200 and answer.url.endswith(f"/user/{name}/api/status"):
                break
            time.sleep(2)
        assert answer.status_code == 200 and answer.url.endswith(f"/user/{name}/api/status"), \
            (name, answer.status_code, answer.url, answer.text[:300])
    assert {name: _pod(made, name) for name in LEARNERS} == servers
    passwords = {row["login"]: row["password"] for row in csv.DictReader((made.path / "credentials.csv").open())}
    newcomer = requests.Session()            # logs in (to the hub's home: no server started)
    newcomer.get(browsers["ada"].base + "hub/login")
    answer = newcomer.post(browsers["ada"].base + "hub/login?next=%2Fhub%2Fhome", allow_redirects=False,
                           data={"username": "cy", "password": passwords["cy"],
                                 "_xsrf": newcomer.cookies.get("_xsrf", "")})
    assert answer.status_code == 302 and answer.headers["location"].endswith("/hub/home"), answer.text


NAMESPACES = ("from kitlib.kube import api_client, kubeconfig_path\nfrom kubernetes import client\n"
              "core = client.CoreV1Api(api_client(kubeconfig_path()))\n")


def test_reset_gives_one_learner_a_fresh_cluster_and_leaves_the_other_alone(room):
    made, *_ = room
    for name in LEARNERS:
        _in_pod(made, name, NAMESPACES + "core.create_namespace({'metadata': {'name': 'mine'}})")
    k8s_room.reset(made, "bob", report=lambda s: None)
    listing = NAMESPACES + "import os\nprint(sorted(n.metadata.name for n in core.list_namespace().items)," \
                           " os.path.exists('/home/kit/workspace/00-setup.ipynb'))"
    assert "'mine'" not in _in_pod(made, "bob", listing) and "True" in _in_pod(made, "bob", listing)
    assert "'mine'" in _in_pod(made, "ada", listing)


# Run in ada's pod: her chapter 0 with the instructor's answer in each solution cell.
SOLVE_CHAPTER_0 = """
from kitlib.grading import nbmeta as m
import nbformat
mine = "/home/kit/workspace/00-setup.ipynb"
answers = m.by_grade_id(m.read("/srv/kit/chapters/00-setup.ipynb"))
nb = m.read(mine)
for cell in nb.cells:
    if m.is_solution(cell):
        cell.source = answers[m.grade_id(cell)].source
nbformat.write(nb, mine)
"""


def test_the_room_is_collected_graded_and_given_its_feedback(room):
    made, *_ = room
    _in_pod(made, "ada", SOLVE_CHAPTER_0)
    lines = []
    collected = k8s_room.collect(made, ["00"], report=lines.append)
    assert sorted(p.relative_to(collected).as_posix() for p in collected.rglob("*")
                  if p.is_file()) == ["ada/00-setup.ipynb", "bob/00-setup.ipynb"], lines
    grading.grade(made, jobs=2)
    rows = {r["student"]: r for r in csv.DictReader((made.path / "graded" / "gradebook.csv").open())}
    assert float(rows["ada"]["points"]) == float(rows["ada"]["max_points"]) > 0, rows
    assert float(rows["bob"]["points"]) == 0, rows
    assert k8s_room.give_back(made, report=lines.append) == 2
    given = _in_pod(made, "bob", "import os; print(os.listdir('/home/kit/workspace/feedback'))")
    assert "00-setup" in given, given


def test_down_leaves_nothing(tmp_path, api):
    """Run last in the module's order: the room fixture's teardown has not run yet, so this
    checks a room of its own, made and removed here (one learner, no server started)."""
    directory = tmp_path / "room"
    made = k8s_room.up(directory, ["cy"], "kit", report=lambda s: None)
    k8s_room.down(directory, report=lambda s: None)
    core = client.CoreV1Api(api)
    assert made.namespace not in [n.metadata.name for n in core.list_namespace().items]
    assert not (directory / "kube-room.json").exists() and not (directory / "credentials.csv").exists()
    assert not [pv.metadata.name for pv in core.list_persistent_volume().items
                if (pv.spec.claim_ref and pv.spec.claim_ref.namespace == made.namespace)]


def test_a_namespace_the_kit_did_not_make_is_left_alone(tmp_path, api):
    directory = tmp_path / "room"
    name = k8s_room._namespace_for(directory)
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": name}})
    try:
        with pytest.raises(Exception, match="not a room the kit made"):
            k8s_room.up(directory, ["cy"], "kit", report=lambda s: None)
        assert core.read_namespace(name).status.phase == "Active"
    finally:
        core.delete_namespace(name)
    Path(directory / "kube-room.json").unlink(missing_ok=True)
