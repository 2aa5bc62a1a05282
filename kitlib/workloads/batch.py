"""Jobs and CronJobs: pods that are meant to finish."""
from __future__ import annotations

import copy

from kubernetes import client

BUSYBOX = {"image": "busybox:1.36", "imagePullPolicy": "IfNotPresent"}


def job(name: str, command: str, completions: int = 1, parallelism: int = 1,
        backoff_limit: int = 6) -> dict:
    """A Job running ``command`` in busybox until ``completions`` pods have succeeded,
    at most ``parallelism`` at a time, giving up after ``backoff_limit`` failed pods."""
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"completions": completions, "parallelism": parallelism,
                     "backoffLimit": backoff_limit, "template": {"spec": {
                         "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                         "containers": [{"name": "task", **BUSYBOX, "command": ["sh", "-c", command]}]}}}}


def cronjob(name: str, schedule: str, command: str) -> dict:
    template = job(name, command)["spec"]
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name},
            "spec": {"schedule": schedule, "concurrencyPolicy": "Forbid",
                     "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 1,
                     "jobTemplate": {"spec": template}}}


def job_from_cronjob(api: client.ApiClient, namespace: str, cronjob_name: str, job_name: str) -> dict:
    """What ``kubectl create job <job_name> --from=cronjob/<cronjob_name>`` does: a Job
    made from the CronJob's jobTemplate, owned by the CronJob; returns its manifest."""
    cj = client.BatchV1Api(api).read_namespaced_cron_job(cronjob_name, namespace)
    template = api.sanitize_for_serialization(cj.spec.job_template)
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": job_name, "labels": copy.deepcopy((template.get("metadata") or {}).get("labels")),
                         "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
                         "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob",
                                              "name": cj.metadata.name, "uid": cj.metadata.uid,
                                              "controller": True}]},
            "spec": template["spec"]}


def job_row(api: client.ApiClient, namespace: str, name: str) -> dict:
    """A Job's progress, as `kubectl get job` shows it plus the pods' phases."""
    j = client.BatchV1Api(api).read_namespaced_job(name, namespace)
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=f"job-name={name}").items
    phases = sorted(p.status.phase for p in pods)
    done = [c.type for c in j.status.conditions or [] if c.status == "True" and c.type in ("Complete", "Failed")]
    return {"job": name, "completions": f"{j.status.succeeded or 0}/{j.spec.completions}",
            "parallelism": j.spec.parallelism, "backoffLimit": j.spec.backoff_limit,
            "failed pods": j.status.failed or 0, "pods": len(phases),
            "pod phases": ", ".join(f"{phases.count(p)} {p}" for p in sorted(set(phases))),
            "finished": done[0] if done else "no"}


def finished(api: client.ApiClient, namespace: str, name: str) -> bool:
    return job_row(api, namespace, name)["finished"] != "no"


def most_running_at_once(api: client.ApiClient, namespace: str, name: str) -> int:
    """How many of a Job's pods ran at the same time, from their start and finish times."""
    pods = client.CoreV1Api(api).list_namespaced_pod(namespace, label_selector=f"job-name={name}").items
    spans = []
    for p in pods:
        state = (p.status.container_statuses or [None])[0]
        ended = state and state.state.terminated
        if p.status.start_time and ended and ended.finished_at:
            spans.append((p.status.start_time, ended.finished_at))
    return max((sum(1 for s, e in spans if s <= t < e) for t, _ in spans), default=0)
