"""A sandbox for the learner's kernel while it is graded.

The kernel runs under bubblewrap (``bwrap``) as a user id of its own, with:

* a filesystem made of the system's programs and libraries, Python and the kit's library
  (read-only), and one private folder (read-write) holding the notebook's copy, its home and
  its cluster's state — no path to the instructor's notebooks, hidden tests, other
  submissions, feedback, the gradebook or anyone's home;
* its own process namespace (a daemon it double-forks dies with it) and its own /tmp;
* limits on memory, processes and CPU (a cgroup where one can be made, process limits as
  well), and the cgroup's processes killed as a whole at the end.

``python -m kitlib.grading.jail SPEC.json -- KERNEL ARGS`` is the kernel command the
kernelspec names: it joins the cgroup, hands the connection file to the sandbox user and
replaces itself with bwrap.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kitlib import cgroups
from kitlib.cgroups import Limits

FIRST_UID = 61000           # sandbox user ids: FIRST_UID + slot (no passwd entry needed)
UID_SLOTS = 4000
SYSTEM_DIRS = ("/usr", "/etc", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/opt")


@dataclass
class Spec:
    name: str                       # unique per submission (cgroup and log names)
    uid: int
    private: str                    # the one writable folder
    cwd: str = ""                   # where the kernel starts (in private; default private):
                                    # the notebook's folder, its supporting files beside it
    readable: list[str] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    cgroups: list[str] = field(default_factory=list)   # made by prepare()

    def save(self, path: Path) -> Path:
        path.write_text(json.dumps(asdict(self)))
        return path

    @classmethod
    def load(cls, path: Path) -> "Spec":
        data = json.loads(Path(path).read_text())
        return cls(**dict(data, limits=Limits(**data["limits"])))


def available() -> tuple[bool, str]:
    """Can this machine sandbox a kernel? (bubblewrap and setpriv, run as root)."""
    if os.geteuid() != 0:
        return False, "grading runs the learner's kernel as another user, which needs root"
    for tool, package in (("bwrap", "bubblewrap"), ("setpriv", "util-linux")):
        if shutil.which(tool) is None:
            return False, f"{tool} is not installed (Debian package {package})"
    return True, "bubblewrap"


def uid_for(number: int) -> int:
    return FIRST_UID + number % UID_SLOTS


def kit_paths() -> list[str]:
    """What the kernel must read: Python, the kit's library and exercises, its cluster
    definitions (pinned versions, CRDs), the cluster tools. Not the chapters or tests."""
    from kitlib.paths import PACKAGE_DIR, REPO_DIR
    paths = {sys.prefix, sys.base_prefix, str(PACKAGE_DIR)}
    for folder in ("exercises", "cluster"):
        if (REPO_DIR / folder).is_dir():
            paths.add(str(REPO_DIR / folder))
    try:
        from kitlib.cluster.tools import binary_path
        paths.add(str(binary_path("kubectl").parent))
    except Exception:
        pass
    return sorted(p for p in paths if not any(p.startswith(s + "/") or p == s for s in SYSTEM_DIRS))


# --- the sandbox ------------------------------------------------------------------------------

def prepare(spec: Spec) -> Spec:
    """Make the private folder the sandbox user's own, and the cgroups."""
    private = Path(spec.private)
    private.mkdir(parents=True, exist_ok=True)
    for path in [private, *private.rglob("*")]:
        os.lchown(path, spec.uid, spec.uid)
    private.chmod(0o700)
    spec.cgroups = cgroups.make_cgroups(spec.name, spec.limits)
    return spec


def bwrap_args(spec: Spec) -> list[str]:
    args = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc",
            "--unshare-uts", "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp"]
    for path in SYSTEM_DIRS:
        p = Path(path)
        if p.is_symlink():
            args += ["--symlink", os.readlink(p), path]
        elif p.is_dir():
            args += ["--ro-bind", path, path]
    made: set[str] = set()

    def parents(path: str) -> list[str]:
        """The folders above ``path``, made traversable (bwrap would make them 0700)."""
        out = []
        for parent in reversed(Path(path).parents):
            top = str(parent)
            if top != "/" and top not in made and not any(top == s or top.startswith(s + "/")
                                                          for s in SYSTEM_DIRS):
                out += ["--perms", "0755", "--dir", top]
                made.add(top)
        return out

    for path in spec.readable:
        if Path(path).exists():
            args += [*parents(path), "--ro-bind", path, path]
    args += parents(spec.private)
    args += ["--bind", spec.private, spec.private, "--chdir", spec.cwd or spec.private]
    return args


def command(spec: Spec, kernel: list[str]) -> list[str]:
    """bwrap, then the drop to the sandbox user with process limits, then ``kernel``."""
    limits = spec.limits
    drop = ["setpriv", f"--reuid={spec.uid}", f"--regid={spec.uid}", "--clear-groups",
            "--no-new-privs", "--inh-caps=-all", "--"]
    prlimit = ["prlimit", f"--nproc={limits.processes}", "--core=0"]
    if not spec.cgroups:            # no cgroup: at least bound the address space
        prlimit.append(f"--as={limits.memory_mb * 4 << 20}")
    return [*bwrap_args(spec), "--", *drop, *prlimit, "--", *kernel]


def kernel_spec(spec_file: Path, folder: Path) -> str:
    """A kernelspec running ipykernel inside the sandbox; returns its name."""
    name = "kit-learner"
    where = folder / name
    where.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "kitlib.grading.jail", str(spec_file), "--",
            sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (where / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "learner (sandboxed)", "language": "python",
        "interrupt_mode": "message"}))
    return name


def _connection_file(kernel: list[str]) -> str | None:
    for flag, value in zip(kernel, kernel[1:]):
        if flag == "-f":
            return value
    return None


def main(argv: list[str]) -> int:
    """The kernel command: join the cgroups, give the connection file to the sandbox user,
    become bwrap."""
    spec_file, sep, *kernel = argv
    if sep != "--" or not kernel:
        print("usage: python -m kitlib.grading.jail SPEC.json -- KERNEL ARGS", file=sys.stderr)
        return 2
    spec = Spec.load(Path(spec_file))
    cgroups.join(spec.cgroups)
    connection = _connection_file(kernel)
    if connection and Path(connection).exists():
        os.chown(connection, spec.uid, spec.uid)
    # ipykernel would watch this pid, which its own process namespace cannot see; bwrap's
    # --die-with-parent does that job
    os.environ.pop("JPY_PARENT_PID", None)
    args = command(spec, kernel)
    os.execvp(args[0], args)
    return 1    # pragma: no cover


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
