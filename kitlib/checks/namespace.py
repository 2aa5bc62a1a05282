"""What a notebook sees while it is being graded, and a namespace helper for exercises.

``kit grade`` runs each submission with ``KIT_NAMESPACE`` set to a namespace made for
that submission alone (and credentials limited to it); exercise cells that touch the
cluster should work there:

    ns = exercise_namespace("ch05")     # $KIT_NAMESPACE when graded, else a fresh one
    ...
    cleanup_exercise_namespace(ns)      # deletes it, unless the grader owns it
"""
from __future__ import annotations

import os

NAMESPACE_ENV = "KIT_NAMESPACE"


def grading_namespace() -> str | None:
    return os.environ.get(NAMESPACE_ENV) or None


def is_grading() -> bool:
    from kitlib.checks.cases import GRADING_ENV
    return bool(os.environ.get(GRADING_ENV))


def exercise_namespace(prefix: str = "exercise", api=None) -> str:
    """``$KIT_NAMESPACE`` when set (it already exists), else a new namespace ``prefix-xxxxxx``."""
    name = grading_namespace()
    if name:
        return name
    import uuid

    from kubernetes import client

    from kitlib.kube import api_client
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    client.CoreV1Api(api or api_client()).create_namespace(
        {"metadata": {"name": name, "labels": {"kitlib/temporary": "true"}}})
    return name


def cleanup_exercise_namespace(name: str, api=None) -> None:
    """Delete a namespace made by exercise_namespace; the grader's own is left to it."""
    if name == grading_namespace():
        return
    from kitlib.kube import api_client, delete_namespace
    delete_namespace(api or api_client(), name)
