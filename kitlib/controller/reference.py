"""The reference ``reconcile`` for PodSets: the solution of chapter 06's exercise (the
chapter's solution cell holds this same function; a unit test keeps them identical).

Level-triggered, like the ReplicaSet controller: whatever event woke it, it looks at what
exists now, compares it with the spec and closes the gap.
"""
from kubernetes.client.exceptions import ApiException

from kitlib.controller import GROUP, PLURAL, VERSION, controller_of, is_active, is_ready, matches


def reconcile(ctx, key):
    """Make the pods of PodSet ``key`` ("namespace/name") match its spec, then report
    what exists in its status. Return None when done (raise to be retried later)."""
    namespace, name = key.split("/")
    podset = ctx.podsets.get(namespace, name)
    if podset is None:                       # deleted: the garbage collector removes its pods
        ctx.expectations.forget(key)
        return None
    meta, spec = podset["metadata"], podset["spec"]
    if meta.get("deletionTimestamp"):
        return None
    # Marks a pod as controlled by this PodSet: the garbage collector deletes the pod when
    # the PodSet goes, and no other controller may claim it.
    ref = {"apiVersion": podset["apiVersion"], "kind": podset["kind"], "name": name,
           "uid": meta["uid"], "controller": True, "blockOwnerDeletion": True}

    # 1. What exists: our active pods; adopt orphans our selector matches, skip others' pods.
    mine = []
    for pod in ctx.pods.list(namespace):
        owner = controller_of(pod)
        if not is_active(pod) or (owner is not None and owner["uid"] != meta["uid"]):
            continue
        if owner is None:
            if not matches(spec["selector"], pod["metadata"].get("labels")):
                continue
            refs = pod["metadata"].get("ownerReferences") or []
            try:                             # resourceVersion: fail if the pod changed meanwhile
                ctx.core.patch_namespaced_pod(
                    pod["metadata"]["name"], namespace,
                    {"metadata": {"ownerReferences": refs + [ref],
                                  "resourceVersion": pod["metadata"]["resourceVersion"]}},
                    _content_type="application/merge-patch+json")
            except ApiException as exc:
                if exc.status == 404:        # gone already
                    continue
                raise                        # 409: changed meanwhile; retried with backoff
        mine.append(pod)

    # 2. Compare with the spec and act, but only once the cache has seen what we did last
    #    time (otherwise a stale cache would make us create the same pods twice).
    if ctx.expectations.satisfied(key):
        diff = spec.get("replicas", 1) - len(mine)
        if diff > 0:
            template = spec["template"]
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"generateName": f"{name}-", "ownerReferences": [ref],
                                "labels": template["metadata"].get("labels", {}),
                                "annotations": template["metadata"].get("annotations", {})},
                   "spec": template["spec"]}
            ctx.expectations.expect(key, creations=diff)
            for done in range(diff):
                try:
                    ctx.core.create_namespaced_pod(namespace, pod)
                except Exception:
                    for _ in range(diff - done):     # these will never be observed
                        ctx.expectations.creation_observed(key)
                    raise
        elif diff < 0:
            # Delete the least useful first: not yet scheduled, not ready, newest.
            mine.sort(key=lambda p: p["metadata"]["creationTimestamp"], reverse=True)
            mine.sort(key=lambda p: (bool(p["spec"].get("nodeName")), is_ready(p)))
            victims = [p["metadata"]["name"] for p in mine[:-diff]]
            ctx.expectations.expect(key, deletions=victims)
            for pod_name in victims:
                try:
                    ctx.core.delete_namespaced_pod(pod_name, namespace)
                except ApiException as exc:
                    ctx.expectations.deletion_observed(key, pod_name)
                    if exc.status != 404:
                        raise

    # 3. Report what exists through the status subresource; write only if it changed.
    status = {"replicas": len(mine), "readyReplicas": sum(1 for p in mine if is_ready(p)),
              "observedGeneration": meta["generation"]}
    for attempt in range(5):
        current = podset.get("status") or {}
        if all(current.get(k) == v for k, v in status.items()):
            return None
        podset["status"] = {**current, **status}
        try:
            ctx.custom.replace_namespaced_custom_object_status(
                GROUP, VERSION, namespace, PLURAL, name, podset)
            return None
        except ApiException as exc:
            if exc.status == 404:
                return None
            if exc.status != 409 or attempt == 4:
                raise                        # the framework retries with backoff
            # 409 Conflict: someone changed the PodSet since we read it; read it again.
            podset = ctx.custom.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
            status["observedGeneration"] = podset["metadata"]["generation"]
    return None

