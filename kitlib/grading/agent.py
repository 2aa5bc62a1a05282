"""The learner's end of a graded run: runs in the learner's (sandboxed) kernel and answers
the checker's requests — "what are these names?", "call this function with these
arguments" — by publishing codec data (see codec.py).

Nothing here is trusted: the learner's code may replace or break it. That can only cost
the learner points, because the verdict is computed in the checker's process.
"""
from __future__ import annotations

import json

from kitlib.grading import codec


def _namespace() -> dict:
    from IPython import get_ipython
    return get_ipython().user_ns


def _publish(text: str, mime: str = codec.MIME) -> None:
    from IPython.display import publish_display_data
    publish_display_data({mime: text})


def _learner_api():
    from kitlib.kube import api_client
    return api_client()


def export(names: list[str]) -> None:
    """For each name: is it a function (called remotely), a value (sent as data) or missing?"""
    ns, found = _namespace(), {}
    for name in names:
        if name not in ns:
            found[name] = ["missing"]
        elif callable(ns[name]):
            found[name] = ["function"]
        else:
            try:
                found[name] = ["value", codec.dump_result(ns[name])]
            except codec.UncheckableResult as exc:
                found[name] = ["unusable", str(exc)]
    _publish(codec.dump_result(found))


def call(name: str, payload: str) -> None:
    """Call the learner's ``name`` with the checker's arguments; publish what it returned."""
    function = _namespace()[name]
    args, kwargs = codec.load_args(payload, _learner_api)
    # What it raises is sent by name and message only, not left to IPython: formatting its
    # traceback costs a second or more of CPU, which the checker's time limit counts.
    try:
        result = function(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - the learner's code: report anything
        _publish(json.dumps([type(exc).__name__, _message(exc)]), codec.RAISED_MIME)
        return
    _publish(codec.dump_result(result))


def _message(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except Exception:             # noqa: BLE001 - a learner's class with a broken __str__
        return "<its message could not be read>"
