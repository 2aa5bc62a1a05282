"""`kit workshop` on this machine: a room of two learners, each with a cluster, a workspace
and a Jupyter server of their own behind JupyterHub — and kept apart: files, credentials,
processes, the hub's access rules, a cluster one of them breaks. `down` leaves nothing."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import requests

from kitlib.workshop import clusters, grading, lifecycle
from kitlib.workshop.room import ROOM_FILE, Room

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="workshop mode makes system users: root only"),
    pytest.mark.skipif(subprocess.run(["sh", "-c", "command -v npm"], capture_output=True).returncode,
                       reason="JupyterHub's proxy needs npm"),
]


def kit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kitlib.cli", "workshop", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def room():
    from kitlib.cluster.ports import loopback_ports
    directory = Path(tempfile.mkdtemp(prefix="kit-workshop-test-"))
    port = loopback_ports(1)[0]
    made = kit("up", "--learners", "2", "--dir", str(directory), "--port", str(port),
               "--memory", "1536")
    assert made.returncode == 0, made.stdout + made.stderr
    room = Room.load(directory)
    yield room
    if (directory / ROOM_FILE).exists():        # a test stopped before the last one took it down
        gone = kit("down", "--dir", str(directory), "--purge")
        assert gone.returncode == 0, gone.stdout + gone.stderr
    shutil.rmtree(directory, ignore_errors=True)


def as_learner(room: Room, learner, *args: str) -> subprocess.CompletedProcess:
    return clusters.run_as(room, learner, list(args), timeout=300)


def login(room: Room, name: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(room.url + "hub/login")
    session.post(room.url + "hub/login", data={"username": name, "password": password,
                                              "_xsrf": session.cookies.get("_xsrf", "")})
    return session


def password(room: Room, name: str) -> str:
    for line in (room.path / "credentials.csv").read_text().splitlines()[1:]:
        login_name, secret, _ = line.split(",")
        if login_name == name:
            return secret
    raise AssertionError(f"{name} has no credentials")


def test_each_learner_has_a_ready_cluster_of_their_own(room):
    a, b = room.learners
    assert clusters.healthy(a)[0] and clusters.healthy(b)[0]
    servers = {who.name: [line for line in who.kubeconfig.read_text().splitlines() if "server:" in line]
               for who in room.learners}
    assert servers["learner01"] != servers["learner02"]
    for learner in room.learners:
        owners = {p.info["uids"].real for p in psutil.process_iter(["uids", "name"])
                  if p.info["name"] == "kube-apiserver" and str(learner.home) in " ".join(p.cmdline())}
        assert owners == {learner.uid}, f"{learner.name}'s API server runs as {owners}"
    chart = Path(tempfile.mkdtemp()) / "room.png"
    status = kit("status", "--dir", str(room.path), "--plot", str(chart))
    assert status.returncode == 0 and status.stdout.count("ready") == 2, status.stdout
    assert chart.stat().st_size > 1000


def test_a_learner_reaches_no_one_elses_files_nor_the_rooms(room):
    a, b = room.learners
    for path in (a.kubeconfig, a.workspace / "00-setup.ipynb", room.path / ROOM_FILE,
                 room.path / "credentials.csv", room.hub_dir / "jupyterhub.sqlite"):
        assert path.exists(), path
        read = as_learner(room, b, "cat", str(path))
        assert read.returncode != 0 and "Permission denied" in read.stderr, path
    wrote = as_learner(room, b, "touch", str(a.workspace / "planted.txt"))
    assert wrote.returncode != 0 and not (a.workspace / "planted.txt").exists()
    own = as_learner(room, b, "cat", str(b.kubeconfig))
    assert own.returncode == 0 and "server:" in own.stdout


def test_one_learners_credentials_are_refused_by_anothers_cluster(room):
    import yaml
    a, b = room.learners
    user = yaml.safe_load(a.kubeconfig.read_text())["users"][0]["user"]
    other = yaml.safe_load(b.kubeconfig.read_text())["clusters"][0]["cluster"]
    answer = requests.get(other["server"] + "/api/v1/namespaces", timeout=10,
                          verify=other["certificate-authority"],
                          cert=(user["client-certificate"], user["client-key"]))
    assert answer.status_code == 401


def test_a_learners_cluster_ports_answer_only_that_learner(room):
    """etcd answers plain HTTP without credentials: only its learner (and root) get through."""
    from kitlib.workshop import firewall
    a, b = room.learners
    ports = firewall.cluster_ports(a)
    assert len(ports) >= 4, ports
    probe = ("import sys, urllib.request\n"
             "for port in sys.argv[1:]:\n"
             "    try: urllib.request.urlopen(f'http://127.0.0.1:{port}/version', timeout=3); print(port, 'open')\n"
             "    except Exception as exc: print(port, type(exc).__name__)\n")
    theirs = as_learner(room, b, room.python, "-c", probe, *map(str, ports)).stdout
    own = as_learner(room, a, room.python, "-c", probe, *map(str, ports)).stdout
    assert "open" not in theirs, theirs                       # refused: ConnectionResetError
    assert "open" in own, own           # etcd's /version answers its own learner, no credentials


def test_a_learner_cannot_signal_anothers_processes(room):
    a, b = room.learners
    pid = next(p.pid for p in psutil.process_iter(["uids", "name"])
               if p.info["name"] == "kube-apiserver" and p.info["uids"].real == a.uid)
    killed = as_learner(room, b, "kill", "-STOP", str(pid))
    assert killed.returncode != 0 and psutil.Process(pid).status() != psutil.STATUS_STOPPED


def test_the_hub_logs_each_learner_into_their_own_server_only(room):
    a, b = room.learners
    assert "spawn" not in login(room, "learner01", "not-the-password").get(room.url + "hub/home").url
    session = login(room, "learner01", password(room, "learner01"))
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        page = session.get(room.url + f"user/{a.user}/lab")
        if page.status_code == 200 and "spawn-pending" not in page.url:
            break
        time.sleep(1)
    # "?redirects=1": the hub answered first (the proxy had no route to the new server yet)
    # and sent the browser back; the page itself came from the learner's server.
    assert page.status_code == 200 and urlsplit(page.url).path.endswith(f"/user/{a.user}/lab"), page.url
    status = session.get(room.url + f"user/{a.user}/api/status")
    assert status.status_code == 200 and "started" in status.json()
    servers = [p for p in psutil.process_iter(["uids", "cmdline"])
               if "jupyterhub.singleuser" in " ".join(p.info["cmdline"] or [])
               and p.info["uids"].real in (a.uid, b.uid)]
    assert [p.info["uids"].real for p in servers] == [a.uid]
    server = servers[0]
    groups = Path(f"/proc/{server.pid}/cgroup").read_text()
    assert all(Path(g).name in groups for g in a.cgroups), groups
    other = session.get(room.url + f"user/{b.user}/api/contents")
    assert other.status_code in (403, 404) or "login" in other.url, (other.status_code, other.url)
    assert "00-setup.ipynb" not in other.text


def test_the_room_page_is_the_instructors_alone(room):
    a, b = room.learners
    instructor = login(room, "instructor", password(room, "instructor"))
    landing = instructor.get(room.url)          # lands on the page, through the hub's OAuth
    assert landing.status_code == 200 and landing.url == room.url + "services/room/", landing.url
    assert f"<td>{a.name}</td>" in landing.text and f"<td>{b.name}</td>" in landing.text
    assert "data:image/png;base64," in landing.text and 'http-equiv="refresh"' in landing.text
    instructor.get(room.url + "hub/spawn")     # the instructor has no server of their own
    assert not [p for p in psutil.process_iter(["cmdline"])
                if "jupyterhub.singleuser" in " ".join(p.info["cmdline"] or [])
                and "instructor" in " ".join(p.info["cmdline"] or [])]
    learner = login(room, a.name, password(room, a.name))
    denied = learner.get(room.url + "services/room/")
    assert denied.status_code == 403 and f"<td>{b.name}</td>" not in denied.text, denied.status_code
    assert "services/room" not in login(room, "instructor", "wrong").get(room.url).url


RUN_CHAPTER = """
import sys, nbformat, nbclient
path = sys.argv[1]
nb = nbformat.read(path, 4)
nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                        resources={"metadata": {"path": str(__import__("pathlib").Path(path).parent)}}).execute()
print("".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs))
"""


def test_chapter_0_runs_in_the_learners_kernel_on_their_own_cluster(room):
    a = room.learners[0]
    ran = as_learner(room, a, room.python, "-c", RUN_CHAPTER, str(a.workspace / "00-setup.ipynb"))
    assert ran.returncode == 0, ran.stderr[-2000:]
    tools = str(Path(a.home) / ".cache" / "kitlib" / "tools")           # linked to the room's
    assert "kit-worker2" in ran.stdout and tools in ran.stdout, ran.stdout[-3000:]
    # the learner's copy: the graded question is still theirs to answer
    assert "worker_names: 0/3 points" in ran.stdout and "not implemented yet" in ran.stdout


def schedulers(room: Room) -> set[int]:
    """Which of the room's learners have a kube-scheduler running (a stopped one may linger
    as a zombie)."""
    uids = {learner.uid for learner in room.learners}
    return {p.info["uids"].real for p in psutil.process_iter(["uids", "name", "status"])
            if p.info["name"] == "kube-scheduler" and p.info["status"] != psutil.STATUS_ZOMBIE
            and p.info["uids"].real in uids}


def test_a_learner_who_breaks_their_cluster_breaks_no_one_elses(room):
    a, b = room.learners
    stop = ("from kitlib.cluster import components;"
            "components.stop('kube-scheduler');"
            "print('running:', components.running('kube-scheduler'))")
    stopped = as_learner(room, a, room.python, "-c", stop)
    assert "running: False" in stopped.stdout, stopped.stdout + stopped.stderr[-2000:]
    assert schedulers(room) == {b.uid}
    assert clusters.healthy(b)[0]
    reset = kit("reset", "learner01", "--dir", str(room.path))
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert schedulers(room) == {a.uid, b.uid} and clusters.healthy(a)[0]


def test_collect_takes_graded_chapters_and_return_gives_feedback_to_its_learner(room):
    a, b = room.learners
    collected = grading.collect(room, ["02"], report=lambda s: None)
    assert sorted(p.relative_to(collected).as_posix() for p in collected.rglob("*.ipynb")) == [
        "learner01/02-desired-state.ipynb", "learner02/02-desired-state.ipynb"]
    feedback = room.path / "graded" / "feedback" / "learner01"      # as `kit grade` writes it
    feedback.mkdir(parents=True)
    (feedback / "02-desired-state.md").write_text("# 02: 3/4 points\n")
    assert grading.give_back(room, report=lambda s: None) == 1
    given = a.workspace / "feedback" / "02-desired-state.md"
    assert given.stat().st_uid == a.uid and "3/4" in given.read_text()
    assert not (b.workspace / "feedback").exists()
    assert as_learner(room, b, "cat", str(given)).returncode != 0


def test_down_leaves_nothing_running_no_users_and_keeps_the_results(room):
    """Last in this file: it takes the room down (the fixture's own `down` then has nothing to do)."""
    (room.path / "graded").mkdir(exist_ok=True)       # as `kit workshop grade` leaves it
    lifecycle.down(room.path, report=lambda s: None)
    for learner in room.learners:
        assert not [p for p in psutil.process_iter(["uids", "status"])
                    if p.info["uids"].real == learner.uid and p.info["status"] != psutil.STATUS_ZOMBIE]
        assert subprocess.run(["id", learner.user], capture_output=True).returncode != 0
        assert not any(Path(g).exists() for g in learner.cgroups)
        assert not Path(learner.home).exists()
    left = {p.name for p in room.path.iterdir()}
    assert "graded" in left and left <= {"collected", "graded"}                   # results kept
    from kitlib.workshop import firewall
    assert subprocess.run(["iptables", "-n", "-L", firewall.chain(room)], capture_output=True).returncode != 0
    assert not [p for p in psutil.process_iter(["cmdline"])
                if str(room.path) in " ".join(p.info["cmdline"] or [])]          # hub, proxy
