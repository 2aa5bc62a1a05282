"""`kit workshop up` starts the learners' clusters a few at once: never more than asked, a
line each as it finishes, the room saved from the main thread only, and one learner's
failure costs no other (the rest start, then an error names who failed). Everything done
as root (users, cgroups, the hub, the firewall) is faked; `clusters.up` is the test's."""
import re
import subprocess
import threading
import time

import pytest

from kitlib import cgroups
from kitlib.cluster import ports
from kitlib.errors import KitError
from kitlib.workshop import accounts, clusters, firewall, hub, lifecycle, python
from kitlib.workshop.room import Learner, Room


class Machine:
    """The root-only parts of `up`, faked; ``cluster_up(learner)`` stands for `kit up`."""

    def __init__(self, monkeypatch, tmp_path):
        self.directory = tmp_path / "room"
        self.running: set[str] = set()
        self.lines: list[str] = []
        self.threads: set[str] = set()           # where report and room.save were called
        self.hub_started = self.guarded = 0
        self.cluster_up = lambda learner: None
        save = Room.save

        def saved(room):
            self.threads.add(threading.current_thread().name)
            save(room)

        def up(room, learner):
            self.cluster_up(learner)
            self.running.add(learner.name)

        fakes = [(lifecycle, "require_root", lambda: None),
                 (lifecycle, "hash_password", lambda password: "hash"),
                 (clusters, "fill_cache", lambda room, report: None),
                 (clusters, "give_cache", lambda room, learner: None),
                 (clusters, "healthy", lambda learner: (learner.name in self.running, "")),
                 (clusters, "up", up),
                 (python, "room_python", lambda cache: "/usr/bin/python3"),
                 (hub, "proxy_command", lambda report: ["proxy"]),
                 (hub, "pid", lambda room: None),
                 (hub, "start", lambda room, proxy, report: self._count("hub_started")),
                 (firewall, "guard", lambda room, report: self._count("guarded") or 0),
                 (firewall, "chain", lambda room: "KIT-TEST"),
                 (accounts, "create", lambda name, home, hashed: Learner(
                     name, "kitws-" + name, 5000 + len(name), str(home), hashed)),
                 (accounts, "give_workspace", lambda learner: ["00-setup.ipynb"]),
                 (cgroups, "make_cgroups", lambda name, limits: [f"/fake/{name}"]),
                 (Room, "save", saved)]
        for owner, name, fake in fakes:
            monkeypatch.setattr(owner, name, fake)

    def _count(self, what: str) -> None:
        setattr(self, what, getattr(self, what) + 1)

    def report(self, line: str) -> None:
        self.threads.add(threading.current_thread().name)
        self.lines.append(line)

    def up(self, names: list[str], parallel: int) -> Room:
        return lifecycle.up(self.directory, names, hub_ip="127.0.0.1", hub_port=18000,
                            limits=cgroups.Limits(), parallel=parallel, report=self.report)

    def learner_lines(self) -> list[str]:
        return [line for line in self.lines if re.match(r"\[\d+/\d+\] ", line)]


@pytest.fixture
def machine(monkeypatch, tmp_path):
    return Machine(monkeypatch, tmp_path)


@pytest.mark.parametrize("parallel", [1, 2, 3])
def test_never_more_clusters_start_at_once_than_asked(machine, parallel):
    at_once, peak, lock = 0, 0, threading.Lock()
    together = threading.Barrier(parallel)       # `parallel` must be starting at one moment

    def cluster_up(learner):
        nonlocal at_once, peak
        with lock:
            at_once += 1
            peak = max(peak, at_once)
        together.wait(timeout=5)
        time.sleep(0.05)
        with lock:
            at_once -= 1

    machine.cluster_up = cluster_up
    room = machine.up([f"l{i}" for i in range(6)], parallel)
    assert peak == parallel
    assert machine.running == {learner.name for learner in room.learners}
    assert len(machine.learner_lines()) == 6


def test_each_learner_gets_a_line_as_their_cluster_finishes(machine):
    bo_done = threading.Event()

    def cluster_up(learner):
        if learner.name == "ana":
            assert bo_done.wait(timeout=5)           # ana's cluster finishes last
        else:
            time.sleep(0.05)
            bo_done.set()

    machine.cluster_up = cluster_up
    machine.up(["ana", "bo"], parallel=2)
    lines = machine.learner_lines()
    assert re.fullmatch(r"\[1/2\] bo: cluster started, 1 new notebooks \(\d+\.\ds\)", lines[0])
    assert re.fullmatch(r"\[2/2\] ana: cluster started, 1 new notebooks \(\d+\.\ds\)", lines[1])
    assert float(lines[1].rsplit("(", 1)[1][:-2]) >= 0.05
    assert machine.threads == {threading.main_thread().name}, "reported or saved off the main thread"
    assert machine.lines[-1].startswith("the room is ready: http://127.0.0.1:18000/")


def test_one_failed_cluster_stops_no_other_and_up_again_starts_it(machine):
    def cluster_up(learner):
        time.sleep(0.02)
        if learner.name == "bo":
            raise KitError("bo's cluster did not start:\netcd: address already in use")

    machine.cluster_up = cluster_up
    with pytest.raises(KitError, match=r"the clusters of bo did not start") as failed:
        machine.up(["ana", "bo", "cy", "dan"], parallel=2)
    assert "ana" not in str(failed.value) and "up` again" in str(failed.value)
    assert machine.running == {"ana", "cy", "dan"}
    lines = machine.learner_lines()
    assert len(lines) == 4 and sorted(int(line[1]) for line in lines) == [1, 2, 3, 4]
    (bo,) = [line for line in lines if " bo: " in line]
    assert "cluster FAILED" in bo and "address already in use" in bo
    assert machine.guarded == 1 and machine.hub_started == 1      # the others can work
    assert [learner.name for learner in Room.load(machine.directory).learners] == [
        "ana", "bo", "cy", "dan"]

    machine.cluster_up = lambda learner: time.sleep(0.1)
    machine.lines.clear()
    machine.up(["ana", "bo", "cy", "dan"], parallel=2)      # again: only bo's is started
    lines = machine.learner_lines()
    assert lines[-1].startswith("[4/4] bo: cluster started, 1 new notebooks")
    assert sum("cluster already running" in line for line in lines[:3]) == 3


def test_any_error_of_a_learner_is_reported_not_only_the_kits(machine):
    def cluster_up(learner):
        raise subprocess.SubprocessError("runuser: user kitws-ana does not exist")

    machine.cluster_up = cluster_up
    with pytest.raises(KitError, match="the clusters of ana did not start"):
        machine.up(["ana"], parallel=4)
    assert "runuser: user kitws-ana does not exist" in machine.learner_lines()[0]


def test_stopping_early_starts_no_more_clusters(monkeypatch, tmp_path):
    started = []
    monkeypatch.setattr(clusters, "healthy", lambda learner: (False, ""))
    monkeypatch.setattr(clusters, "up", lambda room, learner: started.append(learner.name)
                        or time.sleep(0.1))
    room = Room(str(tmp_path))
    room.learners = [Learner(f"l{i}", f"kitws-l{i}", 5000 + i, str(tmp_path / f"l{i}"), "h")
                     for i in range(5)]
    starting = clusters.start_all(room, room.learners, parallel=1)
    next(starting)
    starting.close()                         # as Ctrl-C does: the one running finishes
    assert len(started) <= 2


def test_learners_pick_ports_from_shares_of_their_own(tmp_path):
    room = Room(str(tmp_path))
    room.learners = [Learner(f"l{i}", f"kitws-l{i}", 5000 + i, str(tmp_path / f"l{i}"), "h")
                     for i in range(3)]
    given = [clusters.environment(room, learner)[ports.PORTS_ENV] for learner in room.learners]
    spans = [tuple(map(int, share.split("-"))) for share in given]
    assert len(set(given)) == 3 and all(high - low + 1 == ports.SHARE_WIDTH for low, high in spans)


def test_a_learners_command_joins_their_cgroups_without_a_preexec_fn(tmp_path, monkeypatch):
    """A preexec_fn is not safe with threads (clusters start from several); a shell joins."""
    groups = [tmp_path / "memory", tmp_path / "pids"]
    for group in groups:
        group.mkdir()
    command = cgroups.command_in([*map(str, groups), str(tmp_path / "gone")],
                                 ["sh", "-c", 'echo $$ "$@"', "sh", "a b", "--", "c"])
    ran = subprocess.run(command, capture_output=True, text=True, check=True)
    pid, args = ran.stdout.split(" ", 1)
    assert args == "a b -- c\n" and ran.stderr == ""
    assert all((group / "cgroup.procs").read_text().strip() == pid for group in groups)

    seen = {}
    monkeypatch.setattr(clusters.subprocess, "run", lambda args, **kw: seen.update(kw, args=args))
    room = Room(str(tmp_path))
    room.learners = [Learner("ana", "kitws-ana", 5000, str(tmp_path), "h", [str(groups[0])])]
    clusters.run_as(room, room.learners[0], ["true"])
    assert "preexec_fn" not in seen and seen["args"][:2] == ["/bin/sh", "-c"]
    assert seen["args"][-4:] == ["-u", "kitws-ana", "--", "true"]
