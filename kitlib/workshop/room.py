"""A workshop room on disk: who the learners are and where each one's things live.

    <room>/room.json            the learners, the hub's address, the limits (root only)
    <room>/credentials.csv      each learner's login and password, for the instructor to hand out,
                                and the instructor's own (the room's page in the hub)
    <room>/cache/tools/         the cluster tools, shared read-only by every learner
    <room>/hub/                 JupyterHub's config, database, cookie secret and log
    <room>/learners/<name>/     a learner's home (theirs alone, mode 700):
        workspace/                their copies of the chapters
        .kit/state/               their cluster (KIT_STATE_DIR)
    <room>/collected/, graded/  what `kit workshop collect` and `grade` made

The room is made and read as root; a learner's home belongs to their own system user.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kitlib.cgroups import Limits
from kitlib.errors import UsageError

ROOM_FILE = "room.json"
USER_PREFIX = "kitws-"                # every system user a room makes starts with this
NAME = re.compile(r"^[a-z][a-z0-9]{0,19}$")
DEFAULT_DIR = Path("/srv/kit-workshop")
INSTRUCTOR = "instructor"              # the hub login that sees the room's page, and no server
LEARNER_LIMITS = Limits(memory_mb=2048, processes=2048, cpus=1.0)   # a cluster and Jupyter
# Learners' clusters `up` starts at once: two per core (on 2 cores a room of 10 came up in
# 82 / 47 / 50 / 41 / 49 s with 1 / 2 / 3 / 4 / 6 at once: benchmarks/workshop_up.py); at
# most 8, as more at once were never measured.
DEFAULT_PARALLEL = min(8, 2 * (os.cpu_count() or 1))
_ROUNDS = 200_000


def share(root: Path) -> None:
    """Make ``root`` and everything under it readable (and folders searchable) by all."""
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            mode = path.stat().st_mode
            path.chmod(mode | (0o055 if path.is_dir() or mode & 0o100 else 0o044))


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise UsageError(f"learner name {name!r}: use 1-20 lowercase letters and digits, "
                         "starting with a letter (it becomes part of a system user name)")
    if name == INSTRUCTOR:
        raise UsageError(f"learner name {name!r} is the instructor's login; pick another")
    return name


def hash_password(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _ROUNDS).hex()
    return f"pbkdf2-sha256${salt}${digest}"


def password_matches(password: str, stored: str) -> bool:
    try:
        _, salt, _ = stored.split("$")
    except ValueError:
        return False
    return hmac.compare_digest(hash_password(password, salt), stored)


def new_password() -> str:
    """Easy to read aloud and type: three groups of four lowercase letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


@dataclass
class Learner:
    name: str
    user: str                          # the system user: USER_PREFIX + name
    uid: int
    home: str
    password_hash: str
    cgroups: list[str] = field(default_factory=list)

    @property
    def workspace(self) -> Path:
        return Path(self.home) / "workspace"

    @property
    def cache_dir(self) -> Path:
        """Their own kit cache (KIT_CACHE_DIR), the room's shared parts linked in."""
        return Path(self.home) / ".cache" / "kitlib"

    @property
    def state_dir(self) -> Path:
        return Path(self.home) / ".kit" / "state"

    @property
    def kubeconfig(self) -> Path:
        from kitlib.cluster.base import DEFAULT_NAME
        return self.state_dir / "clusters" / DEFAULT_NAME / "kubeconfig"


@dataclass
class Room:
    dir: str
    hub_ip: str = "127.0.0.1"
    hub_port: int = 8000
    python: str = ""                   # the interpreter learners run (kitlib.workshop.python)
    limits: Limits = field(default_factory=lambda: Limits(**asdict(LEARNER_LIMITS)))
    learners: list[Learner] = field(default_factory=list)
    instructor_hash: str = ""          # the instructor's hub login (the room's page only)

    @property
    def path(self) -> Path:
        return Path(self.dir)

    @property
    def tag(self) -> str:
        """Short and unique per room folder: names its cgroups and its iptables chain."""
        return hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:8]

    @property
    def cache_dir(self) -> Path:
        return self.path / "cache"

    @property
    def hub_dir(self) -> Path:
        return self.path / "hub"

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.hub_ip in ("", "0.0.0.0") else self.hub_ip
        return f"http://{host}:{self.hub_port}/"

    def learner(self, name: str) -> Learner:
        for learner in self.learners:
            if name in (learner.name, learner.user):
                return learner
        raise UsageError(f"no learner {name!r} in this room; `kit workshop status` lists them")

    def save(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        target = self.path / ROOM_FILE
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        os.chmod(tmp, 0o600)
        tmp.replace(target)

    @classmethod
    def load(cls, directory: str | Path) -> "Room":
        file = Path(directory) / ROOM_FILE
        if not file.is_file():
            raise UsageError(f"no workshop room in {directory} (no {ROOM_FILE}); "
                             "make one with `kit workshop up`")
        data = json.loads(file.read_text())
        return cls(**dict(data, limits=Limits(**data["limits"]),
                          learners=[Learner(**entry) for entry in data["learners"]]))


def append_credentials(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """Logins for the instructor to hand out — login, password, where to log in — added to
    ``path``, readable by its owner alone."""
    import csv
    new = not path.exists()
    with open(path, "a", newline="") as out:
        os.chmod(path, 0o600)
        writer = csv.writer(out)
        if new:
            writer.writerow(["login", "password", "url"])
        writer.writerows(rows)


def roster(path: str | None, count: int | None) -> list[str]:
    """Learner names from a roster file (one per line, or a CSV's first column; '#' starts
    a comment) or ``count`` numbered names."""
    if path:
        if not Path(path).is_file():
            raise UsageError(f"roster {path}: no such file (one learner name per line)")
        names = []
        for line in Path(path).read_text().splitlines():
            name = line.split("#", 1)[0].split(",", 1)[0].strip().lower()
            if name and name != "name":
                names.append(check_name(name))
    elif count:
        names = [f"learner{i:02d}" for i in range(1, count + 1)]
    else:
        raise UsageError("say who comes: --learners N or --roster FILE")
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise UsageError(f"the roster names {', '.join(sorted(duplicates))} more than once")
    if not names:
        raise UsageError(f"the roster {path} names nobody")
    return names
