"""The end-to-end check of chapter 05: the learner's scheduler places real pods through
the API server, and the placements, the Pending pod's reasons and the events are compared
with what the reference would do."""
from __future__ import annotations

import copy
import time
import uuid

from kubernetes import client

from exercises.scheduler import reference
from exercises.scheduler import scenarios as S
from exercises.scheduler.scenarios import as_json, copy_info
from exercises.scheduler.stage import SCENARIO, e2e_workload
from kitlib.checks import Case, describe_exception
from kitlib.scheduler import Framework, NodeInfo, Scheduler


def simulate(framework: Framework, pods: list[dict], node_infos: list[NodeInfo]) -> dict[str, object]:
    """Schedule ``pods`` one after another on copies of ``node_infos``: name -> node
    (or the Result for a pod that fits nowhere)."""
    infos = [copy_info(ni) for ni in node_infos]
    by_name = {ni.name: ni for ni in infos}
    out: dict[str, object] = {}
    for p in pods:
        result = framework.schedule(p, infos)
        if result.node:
            by_name[result.node].add_pod({**p, "spec": {**p["spec"], "nodeName": result.node}})
            out[p["metadata"]["name"]] = result.node
        else:
            out[p["metadata"]["name"]] = result
    return out


class EndToEnd:
    """Runs the learner's scheduler once on real pods (lazily, inside the first case, so
    its time limit applies) and lets each case check one aspect of the outcome."""

    def __init__(self, api, framework: Framework, scenario: str = SCENARIO,
                 timeout: float = 60):
        self.api, self.framework, self.scenario, self.timeout = api, framework, scenario, timeout
        self.outcome: dict | None = None
        self.failure: str | None = None

    def _run(self) -> dict:
        if self.failure:
            raise AssertionError(self.failure)
        if self.outcome is not None:
            return self.outcome
        try:
            self.outcome = self._execute()
        except AssertionError as exc:
            self.failure = str(exc)
            raise
        except BaseException as exc:
            self.failure = "end-to-end run " + describe_exception(exc)
            raise AssertionError(self.failure) from exc
        return self.outcome

    def _execute(self) -> dict:
        from kitlib.kube import delete_namespace
        core, events_api = client.CoreV1Api(self.api), client.EventsV1Api(self.api)
        pods = e2e_workload(self.scenario)
        all_nodes = as_json(core.list_node)["items"]
        infos = [NodeInfo(n) for n in all_nodes]
        # a quick dry run first: code that raises fails here, in a second, not after a timeout
        dry = self.framework.schedule(copy.deepcopy(pods[0]), [copy_info(i) for i in infos])
        if dry.error:
            raise AssertionError(f"your plugins failed before any pod was created: {dry.error}")
        expected = simulate(reference.framework(self.framework.scheduler_name), pods, infos)
        ns = f"ch05-e2e-{uuid.uuid4().hex[:6]}"
        core.create_namespace({"metadata": {"name": ns, "labels": {"kitlib/temporary": "true"}}})
        try:
            for p in pods:
                p["metadata"]["namespace"] = ns
            S.create_pods(self.api, ns, pods)
            sched = Scheduler(self.api, self.framework)
            names = {p["metadata"]["name"] for p in pods}
            decided = lambda: {k.split("/", 1)[1] for k in sched.placements if k.startswith(ns + "/")} | \
                {k.split("/", 1)[1] for k, r in list(sched.last_results.items())
                 if k.startswith(ns + "/") and not r.node} >= names
            sched.run(until=decided, timeout=self.timeout)
            live = {p["metadata"]["name"]: p for p in S.list_pods(self.api, ns)}
            deadline = time.monotonic() + 15
            while True:
                events = as_json(events_api.list_namespaced_event, ns)["items"]
                mine = [e for e in events if e.get("reportingController") == self.framework.scheduler_name]
                if len(mine) >= len(pods) or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            return {"expected": expected, "live": live, "events": mine, "stats": dict(sched.stats),
                    "errors": [r.error for r in sched.last_results.values() if r.error]}
        finally:
            delete_namespace(self.api, ns, wait=True)

    # -- the cases
    def check_placements(self) -> None:
        out = self._run()
        if out["errors"]:
            raise AssertionError(out["errors"][0])
        for name, want in out["expected"].items():
            got = (out["live"].get(name) or {}).get("spec", {}).get("nodeName")
            if isinstance(want, str) and got != want:
                raise AssertionError(f"pod {name}: bound to {got or 'nothing'}, expected {want}")

    def check_pending(self) -> None:
        out = self._run()
        for name, want in out["expected"].items():
            if isinstance(want, str):
                continue
            pod = out["live"].get(name) or {}
            if pod.get("spec", {}).get("nodeName"):
                raise AssertionError(f"pod {name} fits nowhere but was bound to {pod['spec']['nodeName']}")
            notes = [e["note"] for e in out["events"] if e["regarding"]["name"] == name
                     and e["reason"] == "FailedScheduling"]
            if want.message not in notes:
                raise AssertionError(f'pod {name}: expected a FailedScheduling event "{want.message}", '
                                     f"got {notes or 'none'}")

    def check_events(self) -> None:
        out = self._run()
        scheduled = {e["regarding"]["name"] for e in out["events"] if e["reason"] == "Scheduled"}
        missing = sorted(n for n, w in out["expected"].items() if isinstance(w, str) and n not in scheduled)
        if missing:
            raise AssertionError(f"no Scheduled event for {', '.join(missing)}")


def end_to_end_cases(api, framework: Framework, scenario: str = SCENARIO,
                     timeout: float = 60) -> list[Case]:
    run = EndToEnd(api, framework, scenario, timeout)
    return [
        Case("end to end: pods bound where the reference puts them", run.check_placements,
             points=2, time_limit=timeout + 30),
        Case("end to end: unfit pod stays Pending, with reasons",
             run.check_pending, points=1, time_limit=30),
        Case("end to end: a Scheduled event per bound pod", run.check_events,
             points=1, time_limit=30),
    ]
