"""Stopping and starting control-plane components on the kit's own cluster: what each does
is seen by its absence, and everything is running again afterwards (kitlib.cluster.components)."""
import pytest
from kubernetes import client

from kitlib import cluster, kube
from kitlib.cluster import components
from kitlib.cluster.base import ClusterError

pytestmark = pytest.mark.cluster
QUIET = {"report": lambda line: None}


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36",
                                     "imagePullPolicy": "IfNotPresent"}]}}


def test_without_the_scheduler_a_pod_waits_and_is_placed_once_it_is_back(api):
    core = client.CoreV1Api(api)
    with kube.temp_namespace(api, "components") as ns:
        with components.stopped("kube-scheduler", **QUIET):
            assert not components.running("kube-scheduler")
            core.create_namespaced_pod(ns, pod("waits"))
            with pytest.raises(TimeoutError):
                kube.wait_for(lambda: core.read_namespaced_pod("waits", ns).spec.node_name, 8)
        assert components.running("kube-scheduler")
        node = kube.wait_for(lambda: core.read_namespaced_pod("waits", ns).spec.node_name, 60)
        assert node.startswith(cluster.status().name)


def test_without_the_controller_manager_a_deployment_makes_no_replicaset(api):
    apps = client.AppsV1Api(api)
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": pod("x")["spec"]}}}
    with kube.temp_namespace(api, "components") as ns:
        with components.stopped("kube-controller-manager", **QUIET):
            apps.create_namespaced_deployment(ns, deployment)
            with pytest.raises(TimeoutError):
                kube.wait_for(lambda: apps.list_namespaced_replica_set(ns).items, 8)
        kube.wait_for(lambda: apps.list_namespaced_replica_set(ns).items, 60)


def test_kit_up_starts_again_what_was_left_stopped():
    components.stop("kube-scheduler", **QUIET)
    try:
        lines = []
        cluster.up(report=lines.append)
        assert components.running("kube-scheduler")
        assert any("started again what was left stopped: kube-scheduler" in line for line in lines), lines
    finally:
        components.start("kube-scheduler", **QUIET)


def test_bad_names_get_one_clear_line():
    with pytest.raises(ClusterError, match="not a control-plane component the kit can stop; "
                                           "choose one of kube-scheduler"):
        components.stop("kube-schedular")
    if cluster.status().provider == "kind":
        with pytest.raises(ClusterError, match="does not stop etcd on the kind provider"):
            components.stop("etcd")
    with pytest.raises(ClusterError, match="is not up: run `kit up` first"):
        components.running("kube-scheduler", name="no-such-cluster")


def test_without_etcd_the_api_server_cannot_answer_docker_free(api):
    if cluster.status().provider != "kwok":
        pytest.skip("etcd is stopped on the Docker-free provider only")
    core = client.CoreV1Api(api)
    with components.stopped("etcd", **QUIET):
        with pytest.raises(Exception):        # noqa: B017 - a 5xx or a timeout, either way no answer
            core.list_namespace(_request_timeout=5)
    kube.wait_for(lambda: core.list_namespace(_request_timeout=5).items, 60)


def test_a_frozen_component_keeps_its_lease_and_kit_up_thaws_it(api):
    import datetime as dt
    import time
    leases = client.CoordinationV1Api(api)

    def renewed_ago():
        spec = leases.read_namespaced_lease("kube-controller-manager", "kube-system").spec
        return (dt.datetime.now(dt.timezone.utc) - spec.renew_time).total_seconds(), spec.holder_identity

    components.freeze("kube-controller-manager", **QUIET)
    try:
        time.sleep(6)
        age, holder = renewed_ago()
        assert age > 5 and holder, (age, holder)      # hung: still held, no longer renewed
        assert components.running("kube-controller-manager")
        cluster.up(report=lambda line: None)
        kube.wait_for(lambda: renewed_ago()[0] < 3, 30)
    finally:
        components.thaw("kube-controller-manager", **QUIET)
