"""The code passes ruff with the project's configuration (pyproject.toml, [tool.ruff])."""
import subprocess
import sys

from kitlib.paths import REPO_DIR


def test_ruff_finds_nothing():
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise", "kitlib", "exercises",
                          "tests", "benchmarks", "conftest.py"], cwd=REPO_DIR,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_would_find_a_real_defect(tmp_path):
    """The configuration is live: an unused import and an undefined name are reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\nprint(undefined_name)\n")
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                          str(REPO_DIR / "pyproject.toml"), str(bad)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "F401" in run.stdout and "F821" in run.stdout
