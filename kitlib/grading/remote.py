"""The checker's end of a graded run: the learner's answers, reached across a process
boundary.

The grader runs each test cell in a kernel of its own (the checker), never in the
learner's. Before a test cell runs, :func:`bind` puts the learner's answer names into the
checker's namespace: a function becomes a :class:`RemoteFunction` (each call is executed
in the learner's kernel, arguments in, data out), any other value is copied over as data.
Whatever the learner's code does to its own kernel, the checks, their results and the
cell's status live here.

The learner's kernel is found through ``$KIT_LEARNER_KERNEL`` (its connection file), its
process through ``$KIT_LEARNER_PID`` (for the CPU time its calls use: see ``own_clock``).
"""
from __future__ import annotations

import builtins
import contextlib
import functools
import json
import os
import queue
import re
import threading
import time
from pathlib import Path
from typing import Callable

from kitlib.grading import codec

KERNEL_ENV = "KIT_LEARNER_KERNEL"
PID_ENV = "KIT_LEARNER_PID"
CALL_TIMEOUT_ENV = "KIT_REMOTE_CALL_TIMEOUT"
DEFAULT_CALL_TIMEOUT = 30.0
POLL = 0.1                         # seconds between looks at the learner's kernel
_AGENT = '__import__("kitlib.grading.agent", fromlist=["agent"])'


class LearnerError(Exception):
    """The learner's code raised an exception that is not one of Python's own."""


def process_tree_cpu(pid: int) -> float | None:
    """CPU seconds used so far by process ``pid`` and every live process below it (the
    learner's kernel runs under its sandbox's bwrap), or None when /proc does not show
    ``pid``. Ended children are left out: their whole life's CPU would land at once, in a
    parent's cutime, whenever it reaps them. (Read from /proc directly, not with psutil,
    whose ``children()`` scans every process: ten times slower, and the watchdog asks five
    times a second.)"""
    ticks, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
        except OSError:
            if current == pid:
                return None
            continue                                         # a child ended meanwhile
        fields = stat[stat.rindex(")") + 2:].split()         # from field 3, the state, on
        ticks += int(fields[11]) + int(fields[12])           # utime, stime
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{current}/task"):
                with contextlib.suppress(OSError):               # (a thread may end meanwhile)
                    todo += map(int, Path(f"/proc/{current}/task/{task}/children").read_text().split())
    return ticks / os.sysconf("SC_CLK_TCK")


class LearnerKernel:
    """A client of the learner's kernel that runs one request at a time. It also keeps, per
    calling thread, the CPU seconds the kernel used while running that thread's requests
    (``cpu_seconds``: the kernel's CPU so far; without it nothing is charged)."""

    def __init__(self, connection_file: str, cpu_seconds: Callable[[], float | None] | None = None):
        from jupyter_client import BlockingKernelClient
        self.client = BlockingKernelClient(connection_file=connection_file)
        self.client.load_connection_file()
        self.client.start_channels()
        self._lock = threading.Lock()     # one request at a time, whichever thread asks
        self._pending: str | None = None   # the request sent and not yet answered
        self._cpu_seconds = cpu_seconds or (lambda: None)
        self._charge_lock = threading.Lock()
        self._charged: dict[int, float] = {}     # thread -> CPU seconds of its past requests
        self._asking: dict[int, float] = {}      # thread -> kernel's CPU when its request began

    def cpu_seconds_of(self, ident: int) -> float:
        """CPU seconds the learner's kernel has used running thread ``ident``'s requests
        (its current one included)."""
        with self._charge_lock:
            charged, since = self._charged.get(ident, 0.0), self._asking.get(ident)
        now = self._cpu_seconds() if since is not None else None
        return charged + (max(0.0, now - since) if now is not None else 0.0)

    def _charge(self, ident: int, begin: bool) -> None:
        """End the thread's current request's charge, if one runs; begin one if ``begin``."""
        cpu = self._cpu_seconds()
        with self._charge_lock:
            since = self._asking.pop(ident, None)
            if since is not None and cpu is not None:
                self._charged[ident] = self._charged.get(ident, 0.0) + max(0.0, cpu - since)
            if begin and cpu is not None:
                self._asking[ident] = cpu

    def close(self) -> None:
        self.client.stop_channels()

    def _stop_pending(self, grace: float = 10.0) -> None:
        """Interrupt the request still running in the learner's kernel, if one is, and wait
        for its reply: the next request then starts on an idle kernel at once. (A request
        that has already answered is left alone: an interrupt would find nothing to stop,
        and waiting for an idle kernel that is already idle would hold up the next one.)"""
        msg_id, self._pending = self._pending, None
        if msg_id is None:
            return
        self.client.control_channel.send(self.client.session.msg("interrupt_request", {}))
        try:
            self._next(self.client.get_shell_msg, msg_id, time.monotonic() + grace)
        except TimeoutError:
            pass

    def request(self, code: str, what: str, timeout: float) -> str:
        """Run ``code`` in the learner's kernel; return the codec text it published, or raise
        the learner's exception (re-created here from its name and message only)."""
        ident = threading.get_ident()
        with self._lock:
            self._charge(ident, begin=True)
            try:
                published, error, reply = self._execute(code, timeout)
            except TimeoutError:
                self._stop_pending()
                raise TimeoutError(f"{what} did not return within {timeout:g}s (an infinite loop, "
                                   "or waiting for something that never happens?)") from None
            except BaseException:        # the check's own time limit, a controller's watchdog
                self._stop_pending()     # or an interrupt: stop it there too
                raise
            finally:
                self._charge(ident, begin=False)
        if reply.get("status") == "aborted":
            raise LearnerError(f"your kernel skipped {what} (it was still aborting the call the "
                               "grader had stopped before it)")
        if reply.get("status") != "ok" or error:
            content = error or reply
            raise _learner_exception(content.get("ename", "Error"), content.get("evalue", ""))
        if not published:
            raise LearnerError(f"{what} gave no answer (did the notebook replace the grader's agent?)")
        return published[-1]

    def _execute(self, code: str, timeout: float) -> tuple[list[str], dict | None, dict]:
        """Send ``code``, collect what it publishes until the kernel is idle, and its reply.
        Waits in POLL-second slices, so an exception raised into this thread from another
        (a controller's watchdog: kitlib.controller.framework) lands at once."""
        # stop_on_error=False: a request that fails (or is interrupted) must not make the
        # kernel abort the next one, as ipykernel does after a failed cell
        msg_id = self._pending = self.client.execute(code, silent=False, store_history=False,
                                                     allow_stdin=False, stop_on_error=False)
        deadline = time.monotonic() + timeout
        published: list[str] = []
        error: dict | None = None
        while True:
            msg = self._next(self.client.get_iopub_msg, msg_id, deadline)
            kind, content = msg["msg_type"], msg["content"]
            if kind == "display_data" and codec.MIME in content.get("data", {}):
                published.append(content["data"][codec.MIME])
            elif kind == "display_data" and codec.RAISED_MIME in content.get("data", {}):
                error = error or _raised(content["data"][codec.RAISED_MIME])
            elif kind == "error":
                error = error or content
            elif kind == "status" and content.get("execution_state") == "idle":
                break
        reply = self._next(self.client.get_shell_msg, msg_id, deadline)["content"]
        self._pending = None
        return published, error, reply

    @staticmethod
    def _next(receive, msg_id: str, deadline: float) -> dict:
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError
            try:
                msg = receive(timeout=POLL)
            except queue.Empty:
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg


def _raised(text) -> dict:
    """The agent's report of what the learner's function raised, as a kernel's error."""
    try:
        ename, evalue = json.loads(text)
    except (TypeError, ValueError):
        ename, evalue = "Error", "the learner's kernel sent an error that was not understood"
    return {"ename": ename, "evalue": evalue}


def _learner_exception(ename: str, evalue: str) -> BaseException:
    """The learner's exception as one of Python's own types when it is one (so checks that
    expect a ValueError still see one), an API error as the Kubernetes client's ApiException
    (status and reason: a controller retries those), else LearnerError; never the learner's
    class."""
    ename, evalue = str(ename)[:100], str(evalue)[:2000]
    if ename == "SystemExit":
        return LearnerError(f"the code called sys.exit({evalue}); return a value instead")
    api_error = _api_error_type(ename)
    found = _API_ERROR.match(evalue) if api_error else None
    if found:
        return api_error(status=int(found["status"]), reason=found["reason"])
    kind = getattr(builtins, ename, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind.__module__ == "builtins":
        try:
            return kind(evalue)
        except Exception:
            pass
    return LearnerError(f"{ename}: {evalue}" if evalue else ename)


def _api_error_type(ename: str) -> type | None:
    """The Kubernetes client's ApiException class of that name (ConflictException, ...)."""
    from kubernetes.client import exceptions
    kind = getattr(exceptions, ename, None) if ename.endswith("Exception") else None
    return kind if isinstance(kind, type) and issubclass(kind, exceptions.ApiException) else None


_API_ERROR = re.compile(r"\((?P<status>\d{3})\)\s*Reason: (?P<reason>[^\n]*)")


class RemoteFunction:
    """Calls the learner's function ``name`` in the learner's kernel."""

    def __init__(self, kernel: LearnerKernel, name: str, timeout: float):
        self._kernel, self.__name__, self._timeout = kernel, name, timeout

    def __call__(self, *args, **kwargs):
        payload = codec.dump_args(args, kwargs)
        code = f"{_AGENT}.call({self.__name__!r}, {payload!r})"
        text = self._kernel.request(code, f"{self.__name__}()", self._timeout)
        return codec.load_result(text)

    def __repr__(self) -> str:
        return f"<your function {self.__name__}>"


_kernel: LearnerKernel | None = None


def learner_kernel() -> LearnerKernel:
    global _kernel
    if _kernel is None:
        path = os.environ.get(KERNEL_ENV)
        if not path:
            raise RuntimeError(f"${KERNEL_ENV} is not set: this runs only inside `kit grade`")
        pid = os.environ.get(PID_ENV, "")
        cpu = functools.partial(process_tree_cpu, int(pid)) if pid.isdigit() else None
        _kernel = LearnerKernel(path, cpu)
    return _kernel


def own_clock(kernel: LearnerKernel | None = None) -> Callable[[int], float] | None:
    """Graded, the clock of a reconcile's own time for a controller's watchdog
    (kitlib.controller.framework): CPU seconds, those of the checker's thread that runs it
    and those the learner's kernel used for that thread's requests. On a loaded grader a
    correct reconcile spends most of its wall time waiting for a CPU; an infinite loop uses
    one. ``kernel``: the learner's (default: the one `kit grade` bound). None outside
    `kit grade` (the watchdog then counts wall time less the API's)."""
    kernel = kernel or _kernel
    if kernel is None:
        return None

    def clock(ident: int) -> float:
        return thread_cpu_seconds(ident) + kernel.cpu_seconds_of(ident)
    return clock


def thread_cpu_seconds(ident: int) -> float:
    """CPU seconds thread ``ident`` (a ``threading.get_ident()``) of this process has used."""
    try:
        return time.clock_gettime(time.pthread_getcpuclockid(ident))
    except (OSError, OverflowError):
        return 0.0


def bind(namespace: dict, names: list[str]) -> None:
    """Put the learner's ``names`` into ``namespace``: functions as RemoteFunction, other
    values as copies. Names the learner never defined stay undefined (NameError)."""
    kernel = learner_kernel()
    timeout = float(os.environ.get(CALL_TIMEOUT_ENV, DEFAULT_CALL_TIMEOUT))
    for name in names:
        namespace.pop(name, None)
    if not names:
        return
    text = kernel.request(f"{_AGENT}.export({list(names)!r})", "reading your answers", timeout)
    found = codec.load_result(text)
    if not isinstance(found, dict):
        raise LearnerError("your kernel's answer to the grader was not understood")
    for name in names:
        entry = found.get(name)
        if not isinstance(entry, list) or not entry:
            continue
        if entry[0] == "function":
            namespace[name] = RemoteFunction(kernel, name, timeout)
        elif entry[0] == "value" and len(entry) == 2 and isinstance(entry[1], str):
            namespace[name] = codec.load_result(entry[1])
        elif entry[0] == "unusable":
            namespace[name] = codec.Opaque("unusable", f"<{name}: {entry[1] if len(entry) > 1 else ''}>")
