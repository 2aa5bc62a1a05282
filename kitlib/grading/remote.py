"""The checker's end of a graded run: the learner's answers, reached across a process
boundary.

The grader runs each test cell in a kernel of its own (the checker), never in the
learner's. Before a test cell runs, :func:`bind` puts the learner's answer names into the
checker's namespace: a function becomes a :class:`RemoteFunction` (each call is executed
in the learner's kernel, arguments in, data out), any other value is copied over as data.
Whatever the learner's code does to its own kernel, the checks, their results and the
cell's status live here.

The learner's kernel is found through ``$KIT_LEARNER_KERNEL`` (its connection file).
"""
from __future__ import annotations

import builtins
import os
import queue
import time

from kitlib.grading import codec

KERNEL_ENV = "KIT_LEARNER_KERNEL"
CALL_TIMEOUT_ENV = "KIT_REMOTE_CALL_TIMEOUT"
DEFAULT_CALL_TIMEOUT = 30.0
_AGENT = '__import__("kitlib.grading.agent", fromlist=["agent"])'


class LearnerError(Exception):
    """The learner's code raised an exception that is not one of Python's own."""


class LearnerKernel:
    """A client of the learner's kernel that runs one request at a time."""

    def __init__(self, connection_file: str):
        from jupyter_client import BlockingKernelClient
        self.client = BlockingKernelClient(connection_file=connection_file)
        self.client.load_connection_file()
        self.client.start_channels()

    def close(self) -> None:
        self.client.stop_channels()

    def interrupt(self, grace: float = 10.0) -> None:
        """Stop whatever the learner's kernel is running and wait until it is idle again."""
        msg = self.client.session.msg("interrupt_request", {})
        self.client.control_channel.send(msg)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                reply = self.client.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                continue
            if reply["msg_type"] == "status" and reply["content"].get("execution_state") == "idle":
                return

    def request(self, code: str, what: str, timeout: float) -> str:
        """Run ``code`` in the learner's kernel; return the codec text it published, or raise
        the learner's exception (re-created here from its name and message only)."""
        published: list[str] = []
        errors: list[dict] = []

        def hook(msg):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "display_data" and codec.MIME in content.get("data", {}):
                published.append(content["data"][codec.MIME])
            elif kind == "error":
                errors.append(content)

        try:
            reply = self.client.execute_interactive(code, silent=False, store_history=False,
                                                    allow_stdin=False, timeout=timeout,
                                                    output_hook=hook)
        except TimeoutError:
            self.interrupt()
            raise TimeoutError(f"{what} did not return within {timeout:g}s (an infinite loop, "
                               "or waiting for something that never happens?)") from None
        except BaseException:        # the check's own time limit or an interrupt: stop it there too
            self.interrupt()
            raise
        if reply["content"].get("status") != "ok" or errors:
            content = errors[0] if errors else reply["content"]
            raise _learner_exception(content.get("ename", "Error"), content.get("evalue", ""))
        if not published:
            raise LearnerError(f"{what} gave no answer (did the notebook replace the grader's agent?)")
        return published[-1]


def _learner_exception(ename: str, evalue: str) -> BaseException:
    """The learner's exception as one of Python's own types when it is one (so checks that
    expect a ValueError still see one), else LearnerError; never the learner's class."""
    ename, evalue = str(ename)[:100], str(evalue)[:2000]
    if ename == "SystemExit":
        return LearnerError(f"the code called sys.exit({evalue}); return a value instead")
    kind = getattr(builtins, ename, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind.__module__ == "builtins":
        try:
            return kind(evalue)
        except Exception:
            pass
    return LearnerError(f"{ename}: {evalue}" if evalue else ename)


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
        _kernel = LearnerKernel(path)
    return _kernel


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
