"""What a newcomer meets on the first run: `./course start`'s options, kubectl's cache kept
in the kit's state directory, `kit down` leaving no empty directory, the package metadata."""
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from kitlib import cli, cluster
from kitlib.cluster.base import ClusterDir, Record
from kitlib.paths import REPO_DIR


def _dry_start(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`./course start ARGS` with COURSE_DRY_RUN=1: prints the commands, runs nothing."""
    env = {**os.environ, "COURSE_DRY_RUN": "1"}
    return subprocess.run(["bash", str(REPO_DIR / "course"), "start", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=30)


def _kit_up_args(out: str) -> list[str]:
    line = next(line for line in out.splitlines() if line.startswith("kit up"))
    return shlex.split(line)[2:]


@pytest.mark.parametrize("form", ["separate", "equals"])
def test_course_start_passes_the_existing_provider_options_to_kit_up(tmp_path, form):
    opts = {"--provider": "existing", "--kubeconfig": "my config", "--context": "dev",
            "--name": "k2"}
    args = ([a for k, v in opts.items() for a in (k, v)] if form == "separate"
            else [f"{k}={v}" for k, v in opts.items()])
    run = _dry_start(*args, "--headless", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    up = _kit_up_args(run.stdout)
    # a relative kubeconfig is the caller's, although the script works from the repository
    assert up == ["--provider", "existing", "--kubeconfig", str(tmp_path / "my config"),
                  "--context", "dev", "--name", "k2"]
    parsed = cli.build_parser().parse_args(["up", *up])     # and `kit up` accepts them
    assert (parsed.provider, parsed.kubeconfig, parsed.context, parsed.name) == (
        "existing", str(tmp_path / "my config"), "dev", "k2")


def test_course_start_rejects_unknown_options_and_missing_values(tmp_path):
    assert _dry_start("--bogus", cwd=tmp_path).returncode == 2
    missing = _dry_start("--provider", "existing", "--context", cwd=tmp_path)
    assert missing.returncode == 2 and "--context needs a value" in missing.stderr


def test_course_start_opens_the_workspace_or_with_instructor_the_sources(tmp_path):
    run = _dry_start(cwd=tmp_path)
    assert "kit workspace --lab" in run.stdout and "--instructor" not in run.stdout
    assert _kit_up_args(run.stdout) == []
    run = _dry_start("--instructor", "--headless", cwd=tmp_path)
    assert "kit workspace --lab --headless --instructor" in run.stdout


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


def test_kit_env_keeps_kubectls_cache_in_the_state_dir(state, capsys):
    assert cli.main(["env"]) == 0
    out = capsys.readouterr().out
    assert f"export KUBECACHEDIR={state / 'kubectl-cache'}" in out.splitlines()


def test_use_in_this_process_sets_kubecachedir(state, monkeypatch):
    for var in ("KUBECONFIG", "KUBECACHEDIR", "PATH"):
        monkeypatch.setenv(var, os.environ.get(var, ""))     # restored after the test
    cluster._use_in_this_process(ClusterDir("kit"))
    assert os.environ["KUBECACHEDIR"] == str(state / "kubectl-cache")
    assert os.environ["KUBECONFIG"] == str(state / "clusters" / "kit" / "kubeconfig")


def _existing_cluster(name: str) -> ClusterDir:
    """A recorded cluster of the existing provider: its down() only forgets it."""
    c = ClusterDir(name)
    c.write(Record(name, "existing", phase="ready", details={}))
    c.kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    return c


def test_down_removes_the_empty_clusters_dir_and_nothing_else(state):
    _existing_cluster("kit")
    (state / "dockerd").mkdir()
    cluster.down("kit", report=lambda _: None)
    assert not (state / "clusters").exists()
    assert (state / "dockerd").is_dir()


def test_down_keeps_the_clusters_dir_while_another_cluster_is_in_it(state):
    _existing_cluster("kit")
    other = _existing_cluster("other")
    cluster.down("kit", report=lambda _: None)
    assert not ClusterDir("kit").path.exists()
    assert other.record_file.is_file() and (state / "clusters").is_dir()


def test_pyproject_license_is_an_spdx_expression():
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())
    license_ = meta["project"]["license"]
    assert isinstance(license_, str), "a TOML table here is deprecated by setuptools"
    try:
        from packaging.licenses import canonicalize_license_expression
    except ImportError:            # packaging < 24.2
        pass
    else:
        assert canonicalize_license_expression(license_) == license_
    assert all((REPO_DIR / f).is_file() for f in meta["project"]["license-files"])
    from packaging.requirements import Requirement
    setuptools = [Requirement(r) for r in meta["build-system"]["requires"]
                  if Requirement(r).name == "setuptools"]
    # SPDX strings and license-files need setuptools 77
    assert setuptools and not setuptools[0].specifier.contains("76.1")
