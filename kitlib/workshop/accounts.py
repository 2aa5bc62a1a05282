"""One system user per learner, with a private home: the learner's Jupyter server, kernels
and cluster run as that user, so file permissions keep learners apart (and apart from the
instructor). The room only ever removes users it made itself (recorded in room.json)."""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from kitlib.errors import KitError
from kitlib.paths import REPO_DIR
from kitlib.workshop.room import USER_PREFIX, Learner


def _exists(user: str) -> bool:
    try:
        pwd.getpwnam(user)
        return True
    except KeyError:
        return False


def create(name: str, home: Path, password_hash: str) -> Learner:
    """A new system user ``kitws-<name>`` whose home is ``home`` (mode 700)."""
    user = USER_PREFIX + name
    if _exists(user):
        raise KitError(f"system user {user} already exists and this room did not make it: "
                       "remove it (userdel) or run `kit workshop down` for the room that made it")
    home.parent.mkdir(parents=True, exist_ok=True)
    home.parent.chmod(0o711)           # a learner reaches their home, lists no one else's
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                    "--home-dir", str(home), "--shell", "/bin/bash", user],
                   check=True, capture_output=True, text=True)
    entry = pwd.getpwnam(user)
    home.mkdir(mode=0o700, exist_ok=True)
    own_tree(home, user)
    return Learner(name=name, user=user, uid=entry.pw_uid, home=str(home),
                   password_hash=password_hash)


def own_tree(path: Path, user: str) -> None:
    """Give ``path`` and everything under it to ``user`` (links themselves, not targets)."""
    entry = pwd.getpwnam(user)
    for item in [path, *path.rglob("*")]:
        try:
            os.lchown(item, entry.pw_uid, entry.pw_gid)
        except FileNotFoundError:
            pass


def give_workspace(learner: Learner) -> list[str]:
    """The learner's copies of the chapters (as `kit workspace` makes them), theirs to edit."""
    from kitlib.learner.workspace import Workspace
    result = Workspace(learner.workspace, REPO_DIR / "chapters").sync()
    own_tree(Path(learner.home), learner.user)
    return list(result.added)


def give_file(learner: Learner, source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` inside the learner's home, as theirs (feedback)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    entry, home, path = pwd.getpwnam(learner.user), Path(learner.home), target
    while home in path.parents:
        os.lchown(path, entry.pw_uid, entry.pw_gid)
        path = path.parent


def remove(learner: Learner) -> None:
    """Remove the learner's system user and home (only a user this room made)."""
    if _exists(learner.user) and pwd.getpwnam(learner.user).pw_uid == learner.uid:
        subprocess.run(["userdel", learner.user], capture_output=True, text=True)
    shutil.rmtree(learner.home, ignore_errors=True)
