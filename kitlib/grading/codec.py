"""Values crossing the boundary between the learner's kernel and the checker's.

Into the learner's kernel go a check's arguments, pickled: the learner may do anything
with them. Out of it comes only *data*: JSON with a few tagged forms (tuples, sets, dicts
with any keys, bytes, the scheduler's ``Status``). Never a pickle, never an object whose
methods the learner wrote — so nothing the learner returns can run code in the checker
or answer ``==`` the way it likes. Anything else arrives as an :class:`Opaque` that
equals nothing and shows the learner's ``repr``.
"""
from __future__ import annotations

import base64
import json
import pickle

MIME = "application/vnd.kitlib.remote+json"
RAISED_MIME = "application/vnd.kitlib.raised+json"   # [name, message] of what the call raised
MAX_CHARS = 8_000_000          # a result larger than this is refused, not shipped
MAX_DEPTH = 60
API = "kit:learner-api"        # stands for the learner's own ApiClient
REMOTE = "kit:remote"          # (REMOTE, module, factory, args): an object served from the
                               # checker, e.g. a controller's ctx (obj.__kit_remote__())


class Opaque:
    """A value of a type the codec does not carry (shown by its repr; equal to nothing)."""

    __slots__ = ("type_name", "text")

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = str(type_name), str(text)

    def __eq__(self, other) -> bool:
        return False

    __hash__ = None

    def __repr__(self) -> str:
        return self.text


class UncheckableResult(ValueError):
    """The learner's value cannot be carried to the checks (too big, too deep, cyclic)."""


# --- learner side: a value to JSON --------------------------------------------------------

def _status_type():
    try:
        from kitlib.scheduler.framework import Status
        return Status
    except Exception:      # pragma: no cover - kitlib is always importable in the kernel
        return None


def _encode(value, depth: int, seen: set):
    if depth > MAX_DEPTH:
        raise UncheckableResult(f"the value is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int.__index__(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    status = _status_type()
    if id(value) in seen:
        raise UncheckableResult("the value contains itself")
    seen = seen | {id(value)}
    if status is not None and isinstance(value, status):
        return {"$status": [_encode(object.__getattribute__(value, "code"), depth + 1, seen),
                            _encode(list(object.__getattribute__(value, "reasons")), depth + 1, seen),
                            _encode(object.__getattribute__(value, "plugin"), depth + 1, seen)]}
    if isinstance(value, dict):
        return {"$dict": [[_encode(k, depth + 1, seen), _encode(v, depth + 1, seen)]
                          for k, v in dict.items(value)]}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v, depth + 1, seen) for v in tuple.__iter__(value)]}
    if isinstance(value, list):
        return [_encode(v, depth + 1, seen) for v in list.__iter__(value)]
    if isinstance(value, (set, frozenset)):
        tag = "$frozenset" if isinstance(value, frozenset) else "$set"
        return {tag: [_encode(v, depth + 1, seen) for v in value]}
    try:
        text = repr(value)[:300]
    except Exception:
        text = f"<{type(value).__name__} object>"
    return {"$opaque": [type(value).__name__, text]}


def dump_result(value) -> str:
    """The learner's value as codec JSON (raises UncheckableResult when it can't be)."""
    try:
        text = json.dumps(_encode(value, 0, set()))
    except RecursionError:
        raise UncheckableResult("the value is nested too deeply") from None
    if len(text) > MAX_CHARS:
        raise UncheckableResult(f"the value is larger than {MAX_CHARS} characters as data")
    return text


# --- checker side: JSON to a value ----------------------------------------------------------

def _decode(obj):
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) != 1:
        raise ValueError("not a codec value")
    (tag, body), = obj.items()
    if tag == "$dict":
        out = {}
        for key, val in body:
            key = _decode(key)
            try:
                out[key] = _decode(val)
            except TypeError:            # an unhashable key: the learner's dict can't be rebuilt
                return Opaque("dict", "{...}")
        return out
    if tag == "$tuple":
        return tuple(_decode(v) for v in body)
    if tag in ("$set", "$frozenset"):
        items = [_decode(v) for v in body]
        try:
            return (frozenset if tag == "$frozenset" else set)(items)
        except TypeError:
            return Opaque(tag[1:], "{...}")
    if tag == "$bytes":
        return base64.b64decode(body)
    if tag == "$status":
        from kitlib.scheduler.framework import Status
        code, reasons, plugin = (_decode(v) for v in body)
        if not (isinstance(code, str) and isinstance(plugin, str) and isinstance(reasons, list)):
            return Opaque("Status", f"Status({code!r}, {reasons!r})")
        return Status(code, reasons, plugin)
    if tag == "$opaque":
        return Opaque(*[str(v) for v in body[:2]])
    raise ValueError(f"unknown codec tag {tag!r}")


def load_result(text: str):
    """The value the learner's kernel sent (plain data, Status or Opaque only)."""
    if len(text) > MAX_CHARS:
        raise UncheckableResult("the learner's value was too large")
    return _decode(json.loads(text))


# --- arguments: checker -> learner (pickled; the learner's own client stands in for ours) -----

class _ArgPickler(pickle.Pickler):
    def persistent_id(self, obj):
        from kubernetes.client import ApiClient
        if isinstance(obj, ApiClient):
            return API
        remote = getattr(type(obj), "__kit_remote__", None)     # e.g. a controller's ctx
        return (REMOTE, *remote(obj)) if remote is not None else None


class _ArgUnpickler(pickle.Unpickler):
    def __init__(self, file, api_factory):
        super().__init__(file)
        self._api_factory = api_factory

    def persistent_load(self, pid):
        if pid == API:
            return self._api_factory()
        if isinstance(pid, tuple) and len(pid) == 4 and pid[0] == REMOTE and pid[1].startswith("kitlib."):
            import importlib
            return getattr(importlib.import_module(pid[1]), pid[2])(*pid[3])
        raise pickle.UnpicklingError(f"unknown reference {pid!r}")


def dump_args(args: tuple, kwargs: dict) -> str:
    import io
    buf = io.BytesIO()
    _ArgPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump((tuple(args), dict(kwargs)))
    return base64.b64encode(buf.getvalue()).decode()


def load_args(payload: str, api_factory) -> tuple[tuple, dict]:
    import io
    return _ArgUnpickler(io.BytesIO(base64.b64decode(payload)), api_factory).load()
