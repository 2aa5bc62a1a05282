"""Every `kit` command, given what a user might get wrong: one line on stderr saying what is
wrong and what to do, exit status 2, never a traceback. Nothing here needs a cluster."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kitlib import cli
from kitlib.cluster import target
from kitlib.paths import REPO_DIR

PURE = REPO_DIR / "tests" / "fixtures" / "grading" / "pure-exercise.ipynb"


@pytest.fixture
def files(tmp_path, monkeypatch):
    """A private state directory, and the kinds of bad input a user hands the kit."""
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    for var in ("KIT_PROVIDER", "KIT_KUBECONFIG", "KIT_CONTEXT", "KIT_CLUSTER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(target, "_in_use", None)
    (tmp_path / "not-json.ipynb").write_text("{ this is not JSON")
    (tmp_path / "not-a-notebook.ipynb").write_text('{"hello": "world"}')
    (tmp_path / "folder.ipynb").mkdir()                  # a folder where a file is expected
    (tmp_path / "empty").mkdir()
    (tmp_path / "a-file").write_text("x")
    (tmp_path / "submitted" / "alice").mkdir(parents=True)
    shutil.copy(PURE, tmp_path / "submitted" / "alice" / PURE.name)
    monkeypatch.chdir(tmp_path)                          # no ./chapters here
    return tmp_path


CASES = [
    # (arguments, what the line must say); relative paths are inside the `files` folder
    (["up", "--provider", "minikube"], "unknown provider 'minikube'; choose one of kind"),
    (["up", "--name", "a b"], "cluster name 'a b': use letters"),
    (["up", "--kubeconfig", "missing.yaml"], "kubeconfig missing.yaml: no such file"),
    (["up", "--kubeconfig", "folder.ipynb"], "kubeconfig folder.ipynb cannot be read: Is a directory"),
    (["up", "--kubeconfig", "not-json.ipynb"], "kubeconfig not-json.ipynb is not valid YAML"),
    (["up", "--kubeconfig", "a-file"], "a-file is not a kubeconfig"),
    (["up", "--provider", "kwok", "--context", "dev"], "are for the existing provider, not kwok"),
    (["up", "--provider"], "argument --provider: expected one argument (see `kit up --help`)"),
    (["down", "--name", "kit/../x"], "cluster name 'kit/../x'"),
    (["down", "extra"], "unrecognized arguments: extra"),
    (["status", "--name", "9lives"], "cluster name '9lives'"),
    (["doctor", "--jsn"], "unrecognized arguments: --jsn"),
    (["tools", "kubernetes", "bogus"], "unknown tool group 'bogus'; choose from kubernetes, etcd"),
    (["tools", "--source", "ftp"], "argument --source: invalid choice: 'ftp'"),
    (["env", "--name", "-"], "cluster name '-'"),
    (["release", "missing.ipynb"], "missing.ipynb: no such file"),
    (["release", "not-json.ipynb"], "not-json.ipynb is not a Jupyter notebook"),
    (["release", "folder.ipynb"], "folder.ipynb is a directory, not a notebook file"),
    (["release", str(PURE), "--out", "a-file"], "--out a-file is a file; give a folder"),
    (["grade", "missing"], "missing: no such file or folder"),
    (["grade", "empty"], "empty holds no notebooks"),
    (["grade", "submitted", "--source", "not-a-notebook.ipynb"],
     "not-a-notebook.ipynb is not a Jupyter notebook"),
    (["grade", "submitted", "--source", str(PURE), "--out", "a-file"], "--out a-file is a file"),
    (["grade", "submitted", "--source", str(PURE), "--cluster", "nosuch"],
     "no cluster 'nosuch' recorded; start it with `kit up --name nosuch`"),
    (["grade", "submitted", "--source", str(PURE), "--on", "kit", "--name", "kit"],
     "cannot be combined with --name or --no-cluster"),
    (["grade", "submitted", "--source", str(PURE), "--image", "x"], "--image names the grader image for --on"),
    (["grade", "submitted", "--source", str(PURE), "--on", "nosuch"], "no cluster 'nosuch' recorded"),
    (["grade", "submitted", "--jobs", "0"], "argument --jobs/-j: 0 must be greater than 0"),
    (["grade", "submitted", "--timeout", "soon"], "argument --timeout: 'soon' is not a number"),
    (["validate", "missing.ipynb"], "missing.ipynb: no such file"),
    (["validate", "not-json.ipynb"], "not-json.ipynb is not a Jupyter notebook (Notebook does not appear to be JSON"),
    (["validate", "not-a-notebook.ipynb"], "not-a-notebook.ipynb is not a Jupyter notebook"),
    (["validate", "folder.ipynb"], "folder.ipynb is a directory"),
    (["validate", str(PURE), "--cell-timeout", "-1"], "--cell-timeout: -1 must be greater than 0"),
    (["progress", "--path", "missing"], "no workspace at missing: `kit workspace` makes it"),
    (["progress", "--plot"], "argument --plot: expected one argument"),
    (["workspace", "--path", "a-file"], "--path a-file is a file; give a folder"),
    (["workspace", "--path", "ws", "--fresh", "99"], "no single chapter '99'; the chapters are: 00-setup"),
    (["workspace", "--path", "ws", "--reset", "06"], "argument --reset: expected 2 arguments"),
    (["workspace", "--path", "ws", "--fresh", "05", "--reset", "06", "x"], "not allowed with argument"),
    (["workshop", "up", "--dir", "ws"], "one of the arguments --learners --roster is required"),
    (["workshop", "up", "--dir", "ws", "--learners", "0"], "--learners: 0 must be greater than 0"),
    (["workshop", "up", "--dir", "ws", "--roster", "missing.txt"], "roster missing.txt: no such file"),
    (["workshop", "up", "--dir", "ws", "--roster", "a-file", "--learners", "2"], "not allowed with argument"),
    (["workshop", "status", "--dir", "empty"], "no workshop room in"),
    (["workshop", "reset", "--dir", "empty"], "the following arguments are required: learner"),
    (["workshop", "grade", "--dir", "empty"], "no workshop room in"),
    (["workshop", "bundle", "a-file", "--no-images"], "a-file is not an empty folder"),
    (["workshop", "unbundle", "empty"], "empty is not a bundle (manifest.json"),
    (["workshop", "tidy"], "invalid choice: 'tidy'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
]


def one_line_error(capsys, argv: list[str]) -> str:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()


@pytest.mark.parametrize("argv, says", CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_bad_input_is_one_line_and_exit_2(files, capsys, argv, says):
    line = one_line_error(capsys, argv)
    assert line.startswith("kit") and says in line, line
    assert not (files / "state" / "clusters").exists()     # nothing was started


def test_every_command_is_covered():
    commands = {action.dest for action in cli.build_parser()._subparsers._group_actions[0]._choices_actions}
    assert commands == {"up", "down", "status", "doctor", "tools", "env", "release", "grade", "validate",
                        "workspace", "progress", "workshop"}
    assert commands <= {argv[0] for argv, _ in CASES}


@pytest.mark.parametrize("argv", [["validate", "secret.ipynb"], ["up", "--kubeconfig", "secret.ipynb"]])
def test_an_unreadable_file_is_one_line(files, capsys, monkeypatch, argv):
    (files / "secret.ipynb").write_text("{}")
    real = Path.read_text

    def read_text(self, *args, **kwargs):
        if self.name == "secret.ipynb":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)      # as root, chmod would not stop us
    assert "secret.ipynb cannot be read" in one_line_error(capsys, argv)


def test_status_into_a_closed_pipe_is_quiet(tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)                       # like `kit status | head` once head has gone
    env = {**os.environ, "KIT_STATE_DIR": str(tmp_path)}
    try:
        proc = subprocess.run([sys.executable, "-m", "kitlib.cli", "status"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=env, timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == 1 and proc.stderr == ""


def test_outside_a_clone_the_kit_says_so_in_one_line(tmp_path):
    """What a wheel installs: the package without the repository around it."""
    shutil.copytree(REPO_DIR / "kitlib", tmp_path / "site" / "kitlib",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site"), "KIT_STATE_DIR": str(tmp_path / "state")}
    for command in (["up"], ["tools"]):
        proc = subprocess.run([sys.executable, "-m", "kitlib.cli", *command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith(f"kit {command[0]}: kitlib runs from a clone of the course "
                                      f"repository: {tmp_path / 'site' / 'kitlib'} is not inside one")
        assert len(proc.stderr.splitlines()) == 1
    assert not (tmp_path / "state" / "clusters").exists()
