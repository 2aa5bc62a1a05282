"""The executor survives what learners' code does (fresh kernels, no cluster needed)."""
from nbformat.v4 import new_code_cell, new_notebook

from kitlib.grading.execute import Limits, run_notebook

LIMITS = Limits(cell_timeout=4, total_timeout=120, interrupt_grace=3, max_output_chars=2000)


def run(*sources, limits=LIMITS, tmp_path=None):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    info = run_notebook(nb, tmp_path, limits=limits)
    return info, [c.metadata["kitlib"]["run"]["status"] for c in nb.cells], nb


def test_errors_and_sys_exit_do_not_stop_the_notebook(tmp_path):
    info, status, _ = run("x = 1", "raise ValueError('no')", "import sys; sys.exit(3)", "exit()",
                          "assert x == 1", tmp_path=tmp_path)
    assert info.status == "completed"
    assert status == ["ok", "error", "error", "ok", "ok"]


def test_an_infinite_loop_is_interrupted_and_the_rest_runs(tmp_path):
    info, status, _ = run("y = 2", "while True: pass", "assert y == 2", tmp_path=tmp_path)
    assert status == ["ok", "timeout", "ok"]


def test_a_loop_that_ignores_interrupts_stops_the_notebook(tmp_path):
    info, status, _ = run("import time\nwhile True:\n    try:\n        time.sleep(0.05)\n"
                          "    except BaseException:\n        pass", "print('after')", tmp_path=tmp_path)
    assert info.status == "stopped" and "did not stop when interrupted" in info.message
    assert status == ["timeout", "not-run"]


def test_kernel_death_marks_the_rest_not_run(tmp_path):
    info, status, _ = run("import os; os._exit(1)", "print('never')", tmp_path=tmp_path)
    assert "kernel died" in info.message
    assert status == ["error", "not-run"]


def test_output_is_capped(tmp_path):
    _, status, nb = run("for _ in range(200):\n    print('z' * 1000)", "print('small')", tmp_path=tmp_path)
    assert status == ["ok", "ok"]
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert len(text) < 5000 and "output truncated" in text
    assert nb.cells[1].outputs[0]["text"] == "small\n"


def test_total_timeout_stops_before_remaining_cells(tmp_path):
    # The total counts from the kernel's start; margins wide enough for a loaded machine.
    limits = Limits(cell_timeout=60, total_timeout=20, interrupt_grace=2)
    info, status, _ = run("x = 1", "import time; time.sleep(60)", "print(1)",
                          limits=limits, tmp_path=tmp_path)
    assert status[0] == "ok" and status[-1] == "not-run"
    assert info.status == "stopped"
