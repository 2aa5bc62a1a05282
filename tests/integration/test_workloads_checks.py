"""Chapter 08's graded exercise, tested both ways against the real cluster, through the
chapter's own test cell (hidden checks included): the reference and two differently written
right answers earn every point; each wrong answer loses exactly the parts it gets wrong."""
import contextlib
import copy
import io

import pytest
import yaml
from kubernetes import client

from exercises import solutions

pytestmark = pytest.mark.cluster

CHAPTER, GRADE_ID = "08-config-and-workloads", "check-app"
PUBLIC = {"web: 2+ ready pods, GREETING from a ConfigMap", "Service web: the web pods are its endpoints",
          "worker: a ready pod", "nightly: once a night; a Job from it completes", "agent: a pod on every node",
          "db: db-0, db-1 ready, each with a bound claim"}
HIDDEN = {"hidden: web scales, Service web selects only web pods", "hidden: a node that joins gets an agent pod"}


def grade(app_manifests) -> tuple[dict[str, bool], str]:
    """Run the test cell as the grader does, with only the answer's name; return
    {case: passed} over the public and hidden cases, and what it printed."""
    names = {"__name__": "check", "app_manifests": app_manifests}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            exec(compile(solutions.test_cell(CHAPTER, GRADE_ID), GRADE_ID, "exec"), names)
        except AssertionError:
            pass
    results = {r.name: r.passed for key in ("summary", "hidden") if key in names for r in names[key].results}
    return results, out.getvalue()


def failed(app_manifests) -> set[str]:
    """The cases an answer fails. As in the grader, the hidden checks run only once every
    public one passes; not run, they earn nothing, so they count as failed."""
    results, output = grade(app_manifests)
    assert PUBLIC <= set(results), output
    if not all(results[name] for name in PUBLIC):
        assert not HIDDEN & set(results), output
        results.update(dict.fromkeys(HIDDEN, False))
    assert set(results) == PUBLIC | HIDDEN, output
    return {name for name, passed in results.items() if not passed}


def reference(namespace):
    return solutions.solution(CHAPTER, "app-manifests")["app_manifests"](namespace)


def changed(edit):
    """An answer: the reference with ``edit(manifests by kind/name)`` applied."""
    def answer(namespace):
        manifests = copy.deepcopy(reference(namespace))
        edit({f"{m['kind']}/{m['metadata']['name']}": m for m in manifests})
        return manifests
    return answer


# ---------------------------------------------------------------- right answers
YAML_ANSWER = """
apiVersion: v1
kind: ConfigMap
metadata: {name: shop-settings}
data: {greeting: welcome, colour: blue}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {tier: frontend, part-of: shop}}
  template:
    metadata: {labels: {tier: frontend, part-of: shop}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        imagePullPolicy: IfNotPresent
        env:
        - name: GREETING
          valueFrom: {configMapKeyRef: {name: shop-settings, key: greeting}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {tier: frontend}
  ports: [{name: http, port: 80, targetPort: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  selector: {matchLabels: {tier: backend, part-of: shop}}
  template:
    metadata: {labels: {tier: backend, part-of: shop}}
    spec:
      containers: [{name: w, image: busybox:1.36, imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: b, image: busybox:1.36, imagePullPolicy: IfNotPresent, command: [sh, -c, "echo ok"]}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {component: node-agent}}
  template:
    metadata: {labels: {component: node-agent}}
    spec:
      tolerations: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
      containers: [{name: a, image: busybox:1.36, imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Service
metadata: {name: db-peers}
spec:
  clusterIP: None
  selector: {component: database}
  ports: [{port: 5432, targetPort: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db-peers
  replicas: 2
  podManagementPolicy: Parallel
  selector: {matchLabels: {component: database}}
  template:
    metadata: {labels: {component: database}}
    spec:
      containers:
      - name: postgres-stand-in
        image: nginx:1.27
        imagePullPolicy: IfNotPresent
        volumeMounts: [{name: pgdata, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: pgdata}
    spec:
      accessModes: [ReadWriteOnce]
      storageClassName: kit-static
      resources: {requests: {storage: 1Gi}}
"""


def yaml_answer(namespace):
    return YAML_ANSWER


def models_answer(namespace):
    """Built with the client's models, turned into dicts as the API would receive them."""
    m = client
    busybox = dict(image="busybox:1.36", image_pull_policy="IfNotPresent")

    def template(labels, *containers, **spec):
        return m.V1PodTemplateSpec(metadata=m.V1ObjectMeta(labels=labels),
                                   spec=m.V1PodSpec(containers=list(containers), **spec))
    web = {"app.kubernetes.io/name": "web"}
    objects = [
        m.V1ConfigMap(api_version="v1", kind="ConfigMap", metadata=m.V1ObjectMeta(name="env"),
                      data={"APP_GREETING": "welcome"}),
        m.V1Deployment(api_version="apps/v1", kind="Deployment", metadata=m.V1ObjectMeta(name="web"),
                       spec=m.V1DeploymentSpec(replicas=2, selector=m.V1LabelSelector(match_labels=web),
                                               template=template(web, m.V1Container(
                                                   name="web", image="nginx:1.27", image_pull_policy="IfNotPresent",
                                                   env=[m.V1EnvVar(name="GREETING", value_from=m.V1EnvVarSource(
                                                       config_map_key_ref=m.V1ConfigMapKeySelector(
                                                           name="env", key="APP_GREETING")))])))),
        m.V1Service(api_version="v1", kind="Service", metadata=m.V1ObjectMeta(name="web"),
                    spec=m.V1ServiceSpec(selector=web, ports=[m.V1ServicePort(port=80)])),
        m.V1Deployment(api_version="apps/v1", kind="Deployment", metadata=m.V1ObjectMeta(name="worker"),
                       spec=m.V1DeploymentSpec(selector=m.V1LabelSelector(match_labels={"run": "worker"}),
                                               template=template({"run": "worker"}, m.V1Container(
                                                   name="w", command=["sleep", "3600"], **busybox)))),
        m.V1CronJob(api_version="batch/v1", kind="CronJob", metadata=m.V1ObjectMeta(name="nightly"),
                    spec=m.V1CronJobSpec(schedule="45 4 * * *", job_template=m.V1JobTemplateSpec(
                        spec=m.V1JobSpec(template=template({}, m.V1Container(
                            name="b", command=["true"], **busybox), restart_policy="Never"))))),
        m.V1DaemonSet(api_version="apps/v1", kind="DaemonSet", metadata=m.V1ObjectMeta(name="agent"),
                      spec=m.V1DaemonSetSpec(selector=m.V1LabelSelector(match_labels={"run": "agent"}),
                                             template=template({"run": "agent"}, m.V1Container(
                                                 name="a", command=["sleep", "3600"], **busybox)))),
        m.V1Service(api_version="v1", kind="Service", metadata=m.V1ObjectMeta(name="db"),
                    spec=m.V1ServiceSpec(cluster_ip="None", selector={"run": "db"},
                                         ports=[m.V1ServicePort(port=80)])),
        m.V1StatefulSet(api_version="apps/v1", kind="StatefulSet", metadata=m.V1ObjectMeta(name="db"),
                        spec=m.V1StatefulSetSpec(
                            service_name="db", replicas=2, selector=m.V1LabelSelector(match_labels={"run": "db"}),
                            template=template({"run": "db"}, m.V1Container(
                                name="db", image="nginx:1.27", image_pull_policy="IfNotPresent",
                                volume_mounts=[m.V1VolumeMount(name="d", mount_path="/d")])),
                            volume_claim_templates=[m.V1PersistentVolumeClaim(
                                metadata=m.V1ObjectMeta(name="d"), spec=m.V1PersistentVolumeClaimSpec(
                                    access_modes=["ReadWriteOnce"], storage_class_name="kit-static",
                                    resources=m.V1VolumeResourceRequirements(requests={"storage": "1Gi"})))])),
    ]
    return client.ApiClient().sanitize_for_serialization(objects)


@pytest.mark.parametrize("answer", [reference, yaml_answer, models_answer], ids=["reference", "yaml", "models"])
def test_right_answers_earn_every_point(answer):
    assert failed(answer) == set()


def test_the_yaml_answer_really_is_text():
    docs = [d for d in yaml.safe_load_all(YAML_ANSWER) if d]
    assert isinstance(yaml_answer("x"), str) and len(docs) == 8


# ---------------------------------------------------------------- wrong answers
def agent_as_deployment(by):
    agent = by["DaemonSet/agent"]
    agent["kind"], agent["spec"]["replicas"] = "Deployment", 2


def service_selects_nothing(by):
    by["Service/web"]["spec"]["selector"] = {"app": "wbe"}


def no_claim_templates(by):
    sts = by["StatefulSet/db"]["spec"]
    del sts["volumeClaimTemplates"]
    sts["template"]["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}]


def greeting_written_in(by):
    container = by["Deployment/web"]["spec"]["template"]["spec"]["containers"][0]
    del container["envFrom"]
    container["env"] = [{"name": "GREETING", "value": "welcome"}]


def hourly(by):
    by["CronJob/nightly"]["spec"]["schedule"] = "0 * * * *"


def db_service_not_headless(by):
    del by["Service/db"]["spec"]["clusterIP"]


def service_selects_the_worker_too(by):
    """Right on the surface (the web pods are endpoints), wrong underneath: only a hidden
    check sees the worker behind Service web."""
    for name in ("Deployment/web", "Deployment/worker"):
        by[name]["spec"]["template"]["metadata"]["labels"]["part-of"] = "shop"
    by["Service/web"]["spec"]["selector"] = {"part-of": "shop"}


def one_web_replica(by):
    by["Deployment/web"]["spec"]["replicas"] = 1


WRONG = {      # the public cases each mistake fails (the hidden ones then do not run)
    agent_as_deployment: {"agent: a pod on every node"},
    service_selects_nothing: {"Service web: the web pods are its endpoints"},
    no_claim_templates: {"db: db-0, db-1 ready, each with a bound claim"},
    greeting_written_in: {"web: 2+ ready pods, GREETING from a ConfigMap"},
    hourly: {"nightly: once a night; a Job from it completes"},
    db_service_not_headless: {"db: db-0, db-1 ready, each with a bound claim"},
    one_web_replica: {"web: 2+ ready pods, GREETING from a ConfigMap"},
}


@pytest.mark.parametrize("edit", list(WRONG), ids=[f.__name__ for f in WRONG])
def test_a_wrong_answer_loses_exactly_its_parts(edit):
    assert failed(changed(edit)) == WRONG[edit] | HIDDEN


def test_only_a_hidden_check_sees_the_worker_behind_the_web_service():
    assert failed(changed(service_selects_the_worker_too)) == {"hidden: web scales, Service web selects only web pods"}


def test_no_manifests_at_all_earn_nothing():
    assert failed(lambda namespace: []) == PUBLIC | HIDDEN
