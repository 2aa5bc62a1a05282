"""Convergence recorded from a real watch stream: break the desired state, see the
controllers restore it."""
import pytest
from kubernetes import client

from kitlib import kube
from kitlib.desired import convergence as cv

pytestmark = pytest.mark.cluster


def test_deleted_pods_are_replaced_and_the_watch_sees_the_dip(api, namespace):
    rec = cv.ReplicaRecorder(api, namespace, "web")
    with rec:
        kube.apply(api, cv.deployment("web", 3), namespace=namespace)
        rec.wait_converged()
        before = {p.metadata.name for p in cv.live_pods(api, namespace, "app=web")}
        rec.mark("delete 2")
        victims = cv.delete_pods(api, namespace, "app=web", 2)
        rec.wait_converged()
    after = {p.metadata.name for p in cv.live_pods(api, namespace, "app=web")}
    assert len(victims) == 2 and set(victims) <= before
    assert len(after) == 3 and not (set(victims) & after)
    assert rec.error is None and rec.events >= 3
    assert rec.samples[0].ready < 3                      # recorded from before the rollout
    after_mark = [s for s in rec.samples if s.t >= rec.marks[0][0]]
    assert any(s.ready < s.desired for s in after_mark), rec.samples
    assert (rec.samples[-1].desired, rec.samples[-1].ready) == (3, 3)
    assert len(rec.plot().axes) == 1


def test_changing_desired_state_is_followed(api, namespace):
    kube.apply(api, cv.deployment("web", 2), namespace=namespace)
    kube.wait_for(lambda: cv.converged(api, namespace, "web"), what="2 replicas")
    rec = cv.ReplicaRecorder(api, namespace, "web")
    with rec:
        kube.apply(api, cv.deployment("web", 4), namespace=namespace)
        rec.wait_converged()
    assert [s.desired for s in rec.samples][-1] == 4
    assert rec.samples[-1].ready == 4
    d = client.AppsV1Api(api).read_namespaced_deployment("web", namespace)
    assert d.metadata.generation == 2                    # one spec change, one new generation

