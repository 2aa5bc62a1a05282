"""The controller framework against the real cluster: the CRD installs idempotently,
the framework resyncs, retries failures with backoff, stops cleanly, and runs as a
process (python -m kitlib.controller)."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from kubernetes import client

from kitlib.controller import GROUP, PLURAL, VERSION, Controller, ReconcileFailing, install_crd, podset
from kitlib.kube import temp_namespace, wait_for
from kitlib.paths import REPO_DIR

pytestmark = pytest.mark.cluster


def controller_threads():
    return [t for t in threading.enumerate() if t.name.startswith(("podset-controller", "informer-"))]


def test_install_crd_is_idempotent_and_established(api):
    first = install_crd(api)
    second = install_crd(api)
    assert first["metadata"]["resourceVersion"] == second["metadata"]["resourceVersion"]
    conditions = {c["type"]: c["status"] for c in second["status"]["conditions"]}
    assert conditions["Established"] == "True"


def test_resync_backoff_and_clean_stop(api):
    install_crd(api)
    calls, failures = [], {"left": 3}

    def flaky(ctx, key):
        calls.append(key)
        if failures["left"] > 0:
            failures["left"] -= 1
            raise RuntimeError("not yet")
        return None

    with temp_namespace(api, "ctl-fw") as ns:
        client.CustomObjectsApi(api).create_namespaced_custom_object(
            GROUP, VERSION, ns, PLURAL, podset("web", 0))
        ctrl = Controller(api, flaky, namespace=ns, resync_period=0.3).start()
        try:
            # three failures, each retried after a backoff, then resyncs keep calling it
            wait_for(lambda: len(calls) >= 6, timeout=30, what="retries and resyncs")
            assert set(calls) == {f"{ns}/web"}
            assert all(e.message.startswith("reconcile raised RuntimeError: not yet (line") for e in ctrl.errors[:3])
            assert ctrl.queue.num_requeues(f"{ns}/web") == 0       # forgotten after success
        finally:
            assert ctrl.stop()
    assert not controller_threads()


def test_reconcile_timeout_counts_its_own_time_not_the_api_servers(api):
    """A reconcile waiting on a slow API server is not an infinite loop; one that loops in
    Python is stopped, and a stopped reconcile leaves the queue working for the next key."""
    install_crd(api)
    slow_done, looped = [], []

    def reconcile(ctx, key):
        if key.endswith("/slow"):
            for _ in range(3):      # 3 x 0.5 s in the API, longer than the 1 s timeout
                ctx.custom.patch_namespaced_custom_object(
                    GROUP, VERSION, key.split("/")[0], PLURAL, "slow", {"metadata": {}})
            slow_done.append(key)
        elif not looped:
            looped.append(key)
            while True:
                pass
        return None

    with temp_namespace(api, "ctl-fw") as ns:
        custom = client.CustomObjectsApi(api)
        for name in ("slow", "loop"):
            custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, podset(name, 0))
        ctrl = Controller(api, reconcile, namespace=ns, reconcile_timeout=1, workers=2,
                          resync_period=600)
        ctrl.api.before_write.append(lambda write, body: time.sleep(0.5))
        ctrl.start()
        try:
            wait_for(lambda: slow_done and any("within 1s" in e.message for e in ctrl.errors),
                     timeout=30, what="the slow reconcile to finish and the loop to be stopped")
            assert all(e.key == f"{ns}/loop" for e in ctrl.errors)
            ctrl.enqueue(f"{ns}/slow")          # the workers still take keys afterwards
            wait_for(lambda: len(slow_done) >= 2, timeout=30, what="a second slow reconcile")
        finally:
            assert ctrl.stop()
    assert not controller_threads()


def test_wait_for_gives_up_on_a_reconcile_retrying_cannot_fix(api):
    """A learner waiting on their controller reads its error at once, not a timeout a minute
    later; a reconcile that fails twice and then succeeds is waited for."""
    install_crd(api)
    left, done = {"failures": 2}, []

    def not_written(ctx, key):
        raise NotImplementedError()

    def buggy(ctx, key):
        return {}["spec"]

    def flaky(ctx, key):
        if left["failures"] > 0:
            left["failures"] -= 1
            raise RuntimeError("not yet")
        done.append(key)

    with temp_namespace(api, "ctl-fw") as ns:
        client.CustomObjectsApi(api).create_namespaced_custom_object(
            GROUP, VERSION, ns, PLURAL, podset("web", 0))
        for reconcile, error in ((not_written, "not implemented yet"), (buggy, "raised KeyError")):
            started = time.monotonic()
            with Controller(api, reconcile, namespace=ns, resync_period=600) as ctrl:
                with pytest.raises(ReconcileFailing, match=error):
                    ctrl.wait_for(lambda: False, what="something that never comes", timeout=60)
            assert time.monotonic() - started < 20
        with Controller(api, flaky, namespace=ns, resync_period=600) as ctrl:
            assert ctrl.wait_for(lambda: done, what="the flaky reconcile to succeed", timeout=30)
    assert not controller_threads()


def test_runs_as_a_process(api):
    install_crd(api)
    core, custom = client.CoreV1Api(api), client.CustomObjectsApi(api)
    with temp_namespace(api, "ctl-proc") as ns:
        proc = subprocess.Popen([sys.executable, "-m", "kitlib.controller", "--namespace", ns,
                                 "--reconcile", "exercises.controller.reference:reconcile"],
                                cwd=REPO_DIR, env=dict(os.environ), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        try:
            custom.create_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, podset("web", 2))
            wait_for(lambda: (custom.get_namespaced_custom_object(GROUP, VERSION, ns, PLURAL, "web")
                              .get("status") or {}).get("readyReplicas") == 2,
                     timeout=60, what="the process controller to make 2 ready pods")
            pods = core.list_namespaced_pod(ns).items
            assert len(pods) == 2
            assert all(p.metadata.owner_references[0].kind == "PodSet" for p in pods)
        finally:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "PodSet controller running" in out and "PodSet controller stopped" in out
