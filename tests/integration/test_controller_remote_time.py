"""A reconcile that runs in the learner's kernel, as `kit grade` runs chapter 06's checks:
its own time is CPU time (the learner's code's there, the checker's thread's here), so an
infinite loop is stopped while a correct reconcile on a starved grader (other submissions
busy on every core) is not.
Before this was measured, a correct submission lost the adoption check's points under CI's
load: "reconcile did not return within 5s of its own time"."""
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from kubernetes import client

from kitlib.controller import GROUP, PLURAL, VERSION, Controller, install_crd, podset
from kitlib.grading.remote import RemoteFunction, own_clock
from kitlib.kube import temp_namespace, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "grading"))
from kernels import ANSWER, learner_kernel  # noqa: E402

pytestmark = pytest.mark.cluster

LEARNERS_CODE = f"""
import time

def reconcile(ctx, key):
    namespace, name = key.split("/")
    if name == "loop":
        while True:
            pass
    end = time.process_time() + 0.02          # a little work of its own, as real code does
    while time.process_time() < end:
        pass
    ctx.custom.patch_namespaced_custom_object("{GROUP}", "{VERSION}", namespace, "{PLURAL}",
                                              name, {{"metadata": {{}}}})
""" + ANSWER


@pytest.fixture
def learner():
    """A learner's kernel with ``reconcile`` defined, and its process id."""
    with learner_kernel() as (kernel, pid):
        kernel.request(LEARNERS_CODE, "defining reconcile", timeout=30)
        yield kernel, pid


def controller(api, kernel, ns, timeout):
    """What the checks' harness starts when graded."""
    return Controller(api, RemoteFunction(kernel, "reconcile", 60), namespace=ns,
                      reconcile_timeout=timeout, resync_period=600, own_clock=own_clock(kernel))


def patched(ctrl, name):
    return [w for w in ctrl.api.since(0) if w.name == name and w.resource == PLURAL]


def test_a_loop_in_the_learners_kernel_is_stopped_slow_api_calls_are_not(api, learner):
    install_crd(api)
    kernel, _ = learner
    with temp_namespace(api, "ctl-remote") as ns:
        custom = client.CustomObjectsApi(api)
        for name in ("slow", "loop"):
            custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, podset(name, 0))
        ctrl = controller(api, kernel, ns, timeout=1)
        ctrl.api.before_write.append(lambda write, body: time.sleep(1.5))   # a slow API server
        ctrl.start()
        try:
            wait_for(lambda: patched(ctrl, "slow") and any("within 1s" in e.message for e in ctrl.errors),
                     timeout=60, what="the slow reconcile to finish and the loop to be stopped")
            assert all(e.key == f"{ns}/loop" for e in ctrl.errors), [e.message for e in ctrl.errors]
        finally:
            assert ctrl.stop()


@contextlib.contextmanager
def starved(pid: int, running: float = 0.02, frozen: float = 0.2):
    """Let process ``pid`` run only ``running`` seconds in every ``running + frozen`` (what a
    grader busy with other submissions does to a kernel, made the same every time)."""
    done = threading.Event()

    def cycle():
        while not done.is_set():
            os.kill(pid, signal.SIGSTOP)
            done.wait(frozen)
            os.kill(pid, signal.SIGCONT)
            done.wait(running)

    thread = threading.Thread(target=cycle, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        os.kill(pid, signal.SIGCONT)


def test_a_starved_learners_kernel_is_not_an_infinite_loop(api, learner):
    """The learner's kernel runs a tenth of the time: each call takes seconds of wall time,
    little of it the learner's code running; none may time out."""
    install_crd(api)
    kernel, pid = learner
    with temp_namespace(api, "ctl-remote") as ns, starved(pid):
        custom = client.CustomObjectsApi(api)
        names = [f"web{i}" for i in range(3)]
        for name in names:
            custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, podset(name, 0))
        ctrl = controller(api, kernel, ns, timeout=1)
        started = time.monotonic()
        with ctrl:
            wait_for(lambda: all(patched(ctrl, n) for n in names) or ctrl.errors, timeout=120,
                     what="three reconciles in a starved kernel")
            took = time.monotonic() - started
            assert not ctrl.errors, [e.message for e in ctrl.errors]
    assert took > 3, f"the kernel was not starved: 3 reconciles took {took:.1f}s"
    assert not [t for t in threading.enumerate() if t.name.startswith("podset-controller")]
