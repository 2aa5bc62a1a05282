"""`kit workshop up`, `reset` and `down`: a room's users, clusters, workspaces and hub made,
repaired and removed. ``up`` can be run again: it adds new names from the roster and
restarts whatever is not running (several learners' clusters at once, ``parallel``; one
that fails stops no other); ``down`` removes what the room made and nothing else."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import psutil

from kitlib import cgroups
from kitlib.cgroups import Limits
from kitlib.errors import KitError
from kitlib.workshop import accounts, clusters, firewall, hub, python
from kitlib.workshop.room import (
    DEFAULT_PARALLEL,
    INSTRUCTOR,
    ROOM_FILE,
    Learner,
    Room,
    append_credentials,
    hash_password,
    new_password,
)

CREDENTIALS = "credentials.csv"
KEPT_ON_DOWN = ("collected", "graded")      # the instructor's results outlive the room


def require_root() -> None:
    if os.geteuid() != 0:
        raise KitError("workshop mode makes a system user and a cgroup per learner: "
                       "run it as root (sudo .venv/bin/kit workshop ...)")


def up(directory: Path, names: list[str], *, hub_ip: str, hub_port: int, limits: Limits,
       parallel: int = DEFAULT_PARALLEL, report=print) -> Room:
    require_root()
    if (directory / ROOM_FILE).exists():
        room = Room.load(directory)
        report(f"room {directory} exists with {len(room.learners)} learners; "
               "adding new names and restarting what is not running")
    else:
        if directory.exists() and any(directory.iterdir()):
            raise KitError(f"{directory} is not empty and holds no room; choose another --dir")
        room = Room(str(directory.resolve()), hub_ip=hub_ip, hub_port=hub_port, limits=limits)
    room.path.mkdir(parents=True, exist_ok=True)
    os.chmod(room.path, 0o711)          # learners pass through to their homes, list nothing
    room.save()
    report("the cluster tools, shared read-only")
    clusters.fill_cache(room, report=report)
    room.python = python.room_python(room.cache_dir)
    room.save()
    proxy = hub.proxy_command(report=report)

    if not room.instructor_hash:        # the room's page in the hub (room_page.py)
        password = new_password()
        room.instructor_hash = hash_password(password)
        room.save()
        _write_credentials(room, [(INSTRUCTOR, password)], url=room.url + "services/room/")
    known = {learner.name for learner in room.learners}
    for name in names:
        if name in known:
            continue
        password = new_password()
        learner = accounts.create(name, room.path / "learners" / name, hash_password(password))
        room.learners.append(learner)
        room.save()                     # saved at once: `down` can undo a half-made room,
        _write_credentials(room, [(name, password)])    # and no password is lost on the way

    prepared = {}                       # name: (new notebooks, seconds)
    for learner in room.learners:       # quick, and the room is saved from here only
        started = time.monotonic()
        if not learner.cgroups:
            learner.cgroups = cgroups.make_cgroups(f"ws-{room.tag}-{learner.name}", room.limits)
            room.save()
        added = accounts.give_workspace(learner)
        clusters.give_cache(room, learner)
        prepared[learner.name] = (len(added), time.monotonic() - started)
    report(f"{len(room.learners)} workspaces ready; starting the clusters, {parallel} at once")
    failed = _start_clusters(room, prepared, parallel, report)
    guarded = firewall.guard(room, report=report)
    report(f"{guarded} cluster ports kept to their own learner (iptables chain {firewall.chain(room)})")
    if hub.pid(room) is None:
        hub.start(room, proxy, report=report)
    if failed:
        raise KitError(f"the clusters of {', '.join(failed)} did not start (why: above); the "
                       f"others run, the room is up at {room.url}: `kit workshop up` again "
                       "(same --dir) starts what is not running")
    report(f"the room is ready: {room.url}  (logins and passwords: {room.path / CREDENTIALS})")
    return room


def _start_clusters(room: Room, prepared: dict[str, tuple[int, float]], parallel: int,
                    report) -> list[str]:
    """Every learner's cluster running, ``parallel`` started at once, a line each as it
    finishes; the names of the learners whose cluster did not start."""
    failed, count = [], len(room.learners)
    for number, (learner, seconds, outcome) in enumerate(
            clusters.start_all(room, room.learners, parallel), 1):
        notebooks, seconds = prepared[learner.name][0], seconds + prepared[learner.name][1]
        if isinstance(outcome, Exception):
            failed.append(learner.name)
            report(f"[{number}/{count}] {learner.name}: cluster FAILED ({seconds:.1f}s): {outcome}")
            continue
        report(f"[{number}/{count}] {learner.name}: "
               f"{'cluster started' if outcome else 'cluster already running'}, "
               f"{notebooks} new notebooks ({seconds:.1f}s)")
    return failed


def _write_credentials(room: Room, rows: list[tuple[str, str]], url: str = "") -> None:
    if rows:
        append_credentials(room.path / CREDENTIALS, [(name, password, url or room.url)
                                                     for name, password in rows])


def reset(directory: Path, name: str, report=print) -> Learner:
    """A fresh cluster for one learner (their notebooks stay); nobody else is touched."""
    require_root()
    room = Room.load(directory)
    learner = room.learner(name)
    clusters.down(room, learner)
    clusters.up(room, learner)
    firewall.guard(room, report=report)       # the fresh cluster has new ports
    report(f"{learner.name}: a fresh cluster is running")
    return learner


def _kill_user_processes(learner: Learner) -> None:
    """Backstop after the cgroups: anything still running as the learner's own user."""
    for proc in psutil.process_iter(["uids"]):
        try:
            if proc.info["uids"] and proc.info["uids"].real == learner.uid:
                proc.kill()
        except psutil.Error:
            pass


def down(directory: Path, *, purge: bool = False, report=print) -> None:
    require_root()
    room = Room.load(directory)
    hub.stop(room)
    firewall.unguard(room)
    for learner in room.learners:
        try:
            clusters.down(room, learner)
        except Exception as exc:        # noqa: BLE001 - the cgroups and the user go anyway
            report(f"{learner.name}: `kit down` failed ({exc}); stopping its processes")
        cgroups.kill_cgroups(learner.cgroups)
        _kill_user_processes(learner)
        accounts.remove(learner)
        report(f"{learner.name}: cluster, server, user and home removed")
    kept = [] if purge else [room.path / n for n in KEPT_ON_DOWN if (room.path / n).exists()]
    for item in room.path.iterdir():
        if item not in kept:
            shutil.rmtree(item) if item.is_dir() and not item.is_symlink() else item.unlink()
    if not kept:
        room.path.rmdir()
    report("room removed" + (f"; kept {', '.join(str(k) for k in kept)}" if kept else ""))
