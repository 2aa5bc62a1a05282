"""The CPU time a checker's thread is charged for the learner's kernel (kitlib/grading/
remote.py): what the learner's code uses while it runs that thread's request, not the time
it sleeps, waits for a request, or the thread waits behind another thread's call. So a
controller's watchdog stops an infinite loop but not a correct reconcile on a loaded grader."""
import os
import sys
import threading
import time
from pathlib import Path

import pytest

from kitlib.grading import codec
from kitlib.grading.remote import process_tree_cpu, thread_cpu_seconds

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "grading"))
from kernels import ANSWER, learner_kernel  # noqa: E402


def sleep(seconds: float) -> str:
    return f"import time\ntime.sleep({seconds})\n" + ANSWER


def spin(seconds: float) -> str:
    return (f"import time\nend = time.monotonic() + {seconds}\n"
            "while time.monotonic() < end:\n    pass\n" + ANSWER)


@pytest.fixture(scope="module")
def kernel():
    with learner_kernel() as (learner, _):
        yield learner


def charged_for(kernel, code: str) -> float:
    ident = threading.get_ident()
    before = kernel.cpu_seconds_of(ident)
    assert codec.load_result(kernel.request(code, "the test's call", timeout=30)) == 1
    return kernel.cpu_seconds_of(ident) - before


def test_cpu_of_a_process_tree_and_of_a_thread():
    assert process_tree_cpu(os.getpid()) > 0
    assert process_tree_cpu(2 ** 22 + 1) is None          # above any pid_max: no such process
    before = thread_cpu_seconds(threading.get_ident())
    end = time.monotonic() + 0.3
    while time.monotonic() < end:
        pass
    assert thread_cpu_seconds(threading.get_ident()) - before > 0.15


def test_a_sleeping_call_is_not_charged_a_spinning_one_is(kernel):
    assert charged_for(kernel, sleep(1.0)) < 0.3
    assert charged_for(kernel, spin(1.0)) > 0.7


def test_the_charge_grows_while_the_call_runs_and_not_in_the_queue(kernel):
    """The watchdog reads a thread's charge while its call still runs; a thread queued
    behind another thread's call is not charged for that call."""
    seen = {}

    def ask():
        seen["ident"] = threading.get_ident()
        kernel.request(spin(1.5), "the first call", timeout=30)

    first = threading.Thread(target=ask)
    first.start()
    time.sleep(0.8)
    assert kernel.cpu_seconds_of(seen["ident"]) > 0.3          # still running
    assert charged_for(kernel, ANSWER) < 0.3                   # queued behind it
    first.join()
    assert kernel.cpu_seconds_of(seen["ident"]) > 1.0
