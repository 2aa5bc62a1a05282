"""The learner kernel's sandbox, as bubblewrap is told to make it (no sandbox started)."""
from kitlib.grading import jail


def test_the_kernel_starts_in_the_notebooks_folder(tmp_path):
    run = tmp_path / "run"
    args = jail.bwrap_args(jail.Spec(name="t", uid=jail.uid_for(1), private=str(tmp_path),
                                     cwd=str(run)))
    assert args[args.index("--chdir") + 1] == str(run)
    assert ["--bind", str(tmp_path), str(tmp_path)] == args[args.index("--bind"):args.index("--bind") + 3]
    default = jail.bwrap_args(jail.Spec(name="t", uid=jail.uid_for(1), private=str(tmp_path)))
    assert default[default.index("--chdir") + 1] == str(tmp_path)
