"""Chapter 06's checks, tested both ways against the real cluster: the reference reconcile
passes every check; deliberately wrong controllers, buggy code and the student version
(solution removed) fail with a readable one-line reason."""
import re
import threading
import time

import nbformat
import pytest

from exercises.controller import checks, reference
from exercises.solutions import solution_cells
from kitlib.paths import REPO_DIR

pytestmark = pytest.mark.cluster

NOTEBOOK = REPO_DIR / "chapters" / "06-controller-exercise.ipynb"


def variant(*edits):
    """The chapter's solution cells (all steps, in order) with textual edits (old, new);
    each must apply once. Returns what the cells define (``reconcile`` and its parts)."""
    source = "\n\n".join(src for _, src in solution_cells(reference.CHAPTER, *reference.GRADE_IDS))
    for old, new in edits:
        assert source.count(old) == 1, f"edit no longer applies: {old!r}"
        source = source.replace(old, new)
    namespace = {}
    exec(compile(source, "<wrong controller>", "exec"), namespace)
    return namespace


WRONG = {
    # reacts only to spec changes (generation), not to what happens to its pods
    "edge-triggered only": (variant((
        '    if podset["metadata"].get("deletionTimestamp"):\n        return None\n',
        '    if podset["metadata"].get("deletionTimestamp"):\n        return None\n'
        '    if (podset.get("status") or {}).get("observedGeneration") == podset["metadata"]["generation"]:\n'
        '        return None\n')), "self-healing"),
    # counts pods by labels and never sets ownerReferences
    "no ownerReferences": (variant(
        ('return [p for p in pods if is_active(p) and (controller_of(p) or {}).get("uid") == uid]',
         'return [p for p in pods if is_active(p) and matches(podset["spec"]["selector"], '
         'p["metadata"].get("labels"))]'),
        ("    adopted = []\n", "    return []\n    adopted = []\n"),
        ('                        "ownerReferences": [owner_reference(podset)],\n', '')),
        "deleting the PodSet"),
    # trusts the cache, no expectations
    "creates duplicates": (variant(("    if not ctx.expectations.satisfied(key):\n        return\n", "")),
                           "no duplicate pods"),
    # swallows 409 Conflict on the status write
    "ignores conflicts": (variant(("            if exc.status != 409 or attempt == 4:\n",
                                   "            if exc.status == 409:\n                return\n"
                                   "            if True:\n")), "409 Conflict"),
    # writes the status on every call
    "writes every loop": (variant((
        "        if all(current.get(k) == v for k, v in status.items()):\n            return\n",
        "")), "no API writes"),
    # writes the status again through a client of its own when nothing changed: the
    # server changes nothing, no watch sees it, only the API server's own count does
    "writes around ctx when nothing changed": (variant((
        "        if all(current.get(k) == v for k, v in status.items()):\n            return\n",
        "        if all(current.get(k) == v for k, v in status.items()):\n"
        "            from kubernetes import client\n            from kitlib.kube import api_client\n"
        "            client.CustomObjectsApi(api_client()).replace_namespaced_custom_object_status(\n"
        "                GROUP, VERSION, namespace, PLURAL, name, podset)\n"
        "            return\n")), "no API writes"),
    "never deletes extras": (variant(("    elif diff < 0:\n", "    elif False:\n")), "scale down:"),
    # counts its Terminating pods as if they were still there: no replacement is made
    "counts Terminating pods": (variant((
        'return [p for p in pods if is_active(p) and (controller_of(p) or {}).get("uid") == uid]',
        'return [p for p in pods if (controller_of(p) or {}).get("uid") == uid]')), "a Terminating pod"),
    # chooses scale-down victims among all its pods, Terminating ones first: deletes them again
    "deletes Terminating pods again": (variant(
        ('choose_extras(mine, -diff)',
         'choose_extras(mine + [p for p in ctx.pods.list(podset["metadata"]["namespace"])\n'
         '                                     if not is_active(p) and (controller_of(p) or {}).get("uid")\n'
         '                                     == podset["metadata"]["uid"]], -diff)'),
        ('ranked.sort(key=lambda p: (bool(p["spec"].get("nodeName")), is_ready(p)))',
         'ranked.sort(key=lambda p: (is_active(p), bool(p["spec"].get("nodeName")), is_ready(p)))')),
        "a Terminating pod"),
    # counts the pods it made itself (in its own memory), not the pods that exist: a new
    # process after a crash makes them all again
    "counts from memory": (variant(
        ('    diff = podset["spec"].get("replicas", 1) - len(mine)\n',
         '    made = vars(ctx).setdefault("made", {})\n'
         '    diff = podset["spec"].get("replicas", 1) - made.get(key, 0)\n'),
        ('                create_pod(ctx, podset)\n',
         '                create_pod(ctx, podset)\n                made[key] = made.get(key, 0) + 1\n')),
        "restart mid-way"),
    # reports every active pod as Ready
    "readyReplicas counts every pod": (variant((
        '"readyReplicas": sum(1 for p in pods if is_ready(p))', '"readyReplicas": len(pods)')),
        "readyReplicas leaves out"),
    # scales down by labels: deletes the newest pods the selector matches, whoever owns them
    "scale down by labels": (variant((
        'victims = [p["metadata"]["name"] for p in choose_extras(mine, -diff)]',
        'victims = [p["metadata"]["name"] for p in sorted(\n'
        '            [p for p in ctx.pods.list(podset["metadata"]["namespace"]) if is_active(p)\n'
        '             and matches(podset["spec"]["selector"], p["metadata"].get("labels"))],\n'
        '            key=lambda p: p["metadata"]["creationTimestamp"], reverse=True)[:-diff]]')),
        "spares pods of others"),
    # creates its pods with a client of its own, where the checks do not count its writes
    "creates around ctx": (variant((
        '    return ctx.core.create_namespaced_pod(meta["namespace"], pod)\n',
        '    from kubernetes import client\n    from kitlib.kube import api_client\n'
        '    return client.CoreV1Api(api_client()).create_namespaced_pod(meta["namespace"], pod)\n')),
        "scale up"),
    # ranks the extras oldest first (a pure check of step 3)
    "deletes the oldest": (variant((
        'key=lambda p: p["metadata"]["creationTimestamp"], reverse=True)\n    ranked.sort',
        'key=lambda p: p["metadata"]["creationTimestamp"])\n    ranked.sort')), "least useful"),
}


def unbounded(ctx, key):
    """Creates pods until something stops it."""
    namespace, name = key.split("/")
    podset = ctx.podsets.get(namespace, name)
    if podset is None:
        return None
    ref = {"apiVersion": podset["apiVersion"], "kind": podset["kind"], "name": name,
           "uid": podset["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
    template = podset["spec"]["template"]
    while True:
        ctx.core.create_namespaced_pod(namespace, {
            "metadata": {"generateName": f"{name}-", "ownerReferences": [ref],
                         "labels": template["metadata"]["labels"]}, "spec": template["spec"]})


def functional(ctx, key):
    """A correct controller written without the reference: comprehensions and small
    functions, adoption by strategic merge, status by merge patch (a 409 raises: retried)."""
    from kitlib.controller import GROUP, PLURAL, VERSION, controller_of, is_active, is_ready, matches
    namespace, name = key.split("/")
    ps = ctx.podsets.get(namespace, name)
    if ps is None or ps["metadata"].get("deletionTimestamp"):
        ctx.expectations.forget(key)
        return None
    uid, spec = ps["metadata"]["uid"], ps["spec"]
    ref = {"apiVersion": ps["apiVersion"], "kind": ps["kind"], "name": name, "uid": uid,
           "controller": True, "blockOwnerDeletion": True}
    active = [p for p in ctx.pods.list(namespace) if is_active(p)]
    orphans = [p for p in active if controller_of(p) is None
               and matches(spec["selector"], p["metadata"].get("labels"))]

    def adopt(pod):
        meta = pod["metadata"]
        ctx.core.patch_namespaced_pod(meta["name"], namespace, {"metadata": {
            "ownerReferences": [ref], "resourceVersion": meta["resourceVersion"]}})
        return pod

    mine = [p for p in active if (controller_of(p) or {}).get("uid") == uid]
    mine += list(map(adopt, orphans))
    want = spec.get("replicas", 1)
    if ctx.expectations.satisfied(key) and len(mine) != want:
        if len(mine) < want:
            missing = want - len(mine)
            ctx.expectations.expect(key, creations=missing)
            body = {"metadata": {"generateName": f"{name}-", "ownerReferences": [ref],
                                 "labels": spec["template"]["metadata"].get("labels", {})},
                    "spec": spec["template"]["spec"]}
            for i in range(missing):
                try:
                    ctx.core.create_namespaced_pod(namespace, body)
                except Exception:
                    for _ in range(missing - i):
                        ctx.expectations.creation_observed(key)
                    raise
        else:
            ranked = sorted(mine, key=lambda p: (is_ready(p), p["metadata"]["creationTimestamp"]))
            doomed = [p["metadata"]["name"] for p in ranked[:len(mine) - want]]
            ctx.expectations.expect(key, deletions=doomed)
            for pod_name in doomed:
                try:
                    ctx.core.delete_namespaced_pod(pod_name, namespace)
                except Exception:
                    ctx.expectations.deletion_observed(key, pod_name)
                    raise
    status = {"replicas": len(mine), "readyReplicas": sum(map(is_ready, mine)),
              "observedGeneration": ps["metadata"]["generation"]}
    if any((ps.get("status") or {}).get(k) != v for k, v in status.items()):
        ctx.custom.patch_namespaced_custom_object_status(
            GROUP, VERSION, namespace, PLURAL, name, {"status": status},
            _content_type="application/merge-patch+json")
    return None


CORRECT = {
    # creates its pods by server-side apply (a PATCH that answers 201 Created), names its own
    "server-side apply": variant(
        ("from kubernetes.client.exceptions import ApiException\n",
         "import uuid\n\nfrom kubernetes.client.exceptions import ApiException\n"),
        ('    pod = {"apiVersion": "v1", "kind": "Pod",\n'
         '           "metadata": {"generateName": f"{meta[\'name\']}-",\n',
         '    pod = {"apiVersion": "v1", "kind": "Pod",\n'
         '           "metadata": {"name": f"{meta[\'name\']}-{uuid.uuid4().hex[:6]}",\n'),
        ('    return ctx.core.create_namespaced_pod(meta["namespace"], pod)\n',
         '    return ctx.core.patch_namespaced_pod(pod["metadata"]["name"], meta["namespace"], pod,\n'
         '                                         field_manager="podset",\n'
         '                                         _content_type="application/apply-patch+yaml")\n')),
    # deletes one extra pod per reconcile; the next deletion waits for the last to be seen
    "deletes one at a time": variant((
        'victims = [p["metadata"]["name"] for p in choose_extras(mine, -diff)]',
        'victims = [p["metadata"]["name"] for p in choose_extras(mine, -diff)][:1]')),
    "functional style": functional,
}


def only(name_part):
    rows = [row for row in checks.ALL + reference.hidden_rows() if name_part in row[0]]
    assert len(rows) == 1, name_part
    return [rows[0][0]]


def test_reference_passes_every_check(api):
    summary = checks.run_all(reference.names(), api=api, hidden=reference.hidden_rows())
    assert summary.all_passed, summary.render()
    assert summary.points == summary.max_points == 24
    assert checks.points(checks.ALL + reference.hidden_rows()) == 24


def test_each_step_passes_with_the_reference_parts(api):
    """What a learner's check cells run: step n gets the parts of steps 1..n."""
    names = reference.names()
    for number in checks.STEPS:
        parts = [names[p] for p in checks.PARTS[:checks.PARTS.index(checks.STEPS[number][1][-1]) + 1]]
        if number == 8:
            parts = [names["reconcile"]]
        summary = checks.step(number, *parts, api=api, show=False)
        assert summary.all_passed, summary.render()


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_controllers_in_other_styles_pass_every_check(api, name):
    summary = checks.run_all(CORRECT[name], api=api, hidden=reference.hidden_rows())
    assert summary.all_passed, f"{name}:\n{summary.render()}"


def test_unbounded_creation_fails_a_check_line_quickly(api):
    started = time.monotonic()
    summary = checks.run_all(unbounded, api=api, only=only("scale up"), show=False)
    assert not summary.all_passed
    assert "more than 100 pods" in summary.failures[0].message, summary.render()
    assert time.monotonic() - started < 60


def test_a_cell_of_checks_ends_within_the_graders_cell_limit(api):
    """A controller that does nothing fails each cluster check on its bound (about 20 s
    each): one after another they would take minutes. Run as one cell, they share
    CELL_BUDGET and end before the grader's per-cell limit, each with a failed line."""
    from kitlib.grading.execute import Limits
    rows = [row for row in checks.ALL if row[1] not in checks.PURE and not row[3]]
    started = time.monotonic()
    summary = checks.run_within("every cluster check", checks._cases(
        api, {}, lambda ctx, key: None, rows), show=False)
    took = time.monotonic() - started
    assert took < Limits().cell_timeout - 5, f"{took:.0f}s\n{summary.render()}"
    assert summary.points == 0 and len(summary.failures) == len(rows)
    for result in summary.failures:
        assert result.message and "\n" not in result.message
    print(f"{took:.0f}s\n{summary.render()}")


@pytest.mark.parametrize("name", sorted(WRONG))
def test_each_wrong_controller_fails_a_check(api, name):
    reconcile, case = WRONG[name]
    summary = checks.run_all(reconcile, api=api, only=only(case), show=False,
                             hidden=reference.hidden_rows())
    assert not summary.all_passed, f"{name} passed {case!r}"
    failure = summary.failures[0]
    assert failure.message and "\n" not in failure.message
    print(name, "->", failure.line())


def test_pods_made_around_ctx_are_told_apart(api):
    """Graded, only the writes through ctx reach the checker's count: pods made another way
    would slip past the checks that count creations, so they fail a check by themselves."""
    reconcile, case = WRONG["creates around ctx"]
    summary = checks.run_all(reconcile, api=api, only=only(case), show=False)
    assert "no request through ctx created" in summary.failures[0].message


def test_buggy_code_gets_a_clear_message_quickly(api):
    def raises(ctx, key):
        return {}["spec"]

    def loops(ctx, key):
        while True:
            pass

    ref = reference.reconcile            # loaded here, not inside a reconcile

    def wrong_return(ctx, key):
        ref(ctx, key)
        return "done"

    expected = {raises: "raised KeyError: 'spec' (line", loops: "did not return within",
                wrong_return: "reconcile returned 'done' (str)"}
    for func, text in expected.items():
        summary = checks.run_all(func, api=api, only=only("scale up"), show=False)
        assert not summary.all_passed
        assert text in summary.failures[0].message, summary.render()
    # the infinite loop was interrupted: no worker thread is left spinning
    assert not [t for t in threading.enumerate() if "podset-controller" in t.name]


def strip_solutions(source: str) -> str:
    """What nbgrader's release does to a solution cell (kit release lives elsewhere)."""
    pattern = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n?", re.S | re.M)
    return pattern.sub(lambda m: f"{m.group(1)}# YOUR CODE HERE\n{m.group(1)}raise NotImplementedError()\n",
                       source)


def test_student_version_fails_every_check_with_readable_messages(api):
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert [c.metadata.nbgrader["grade_id"] for c in cells] == list(reference.GRADE_IDS)
    student = "\n\n".join(strip_solutions(c.source) for c in cells)
    assert "NotImplementedError" in student and "create_namespaced_pod" not in student
    namespace = {}
    exec(compile(student, "<student cells>", "exec"), namespace)
    summary = checks.run_all(namespace, api=api, show=False)
    assert summary.points == 0 and len(summary.failures) == len(checks.ALL)
    for result in summary.failures:
        assert "not implemented yet" in result.message, result.line()
    print(summary.render())
