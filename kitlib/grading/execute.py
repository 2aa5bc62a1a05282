"""Run a notebook in a fresh kernel with limits, and never let the notebook stop the caller.

Each code cell gets ``cell_timeout`` seconds; when it runs over, the kernel is interrupted
(KeyboardInterrupt in the cell) and execution goes on. A kernel that ignores the interrupt,
dies (``os._exit``, a crash, out of memory) or runs past ``total_timeout`` is stopped, and
the cells after it are marked "not run". Outputs are capped per cell, so a cell printing
gigabytes costs memory only up to the cap.

Each code cell gets ``metadata.kitlib.run``: ``{"status": ok|error|timeout|not-run,
"message": ...}`` for the scorer.
"""
from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from kitlib.checks.cases import SUMMARY_MIME

OK, ERROR, TIMEOUT, NOT_RUN, SKIPPED = "ok", "error", "timeout", "not-run", "skipped"


@dataclass
class Limits:
    cell_timeout: float = 120          # seconds a cell may run before it is interrupted
    total_timeout: float = 900         # seconds for the whole notebook
    interrupt_grace: float = 10        # seconds an interrupted cell gets to stop
    max_output_chars: int = 200_000    # per cell; the rest is dropped with a note
    startup_timeout: float = 60        # seconds for the kernel to start


@dataclass
class RunInfo:
    status: str = "completed"          # completed | stopped | kernel-failed
    message: str = ""                  # why execution stopped early
    cells_run: int = 0
    seconds: float = 0.0
    stopped_at: int | None = None      # index of the cell where execution stopped
    learner_seconds: float = 0.0       # spent running cells in the learner's kernel
    checker_seconds: float = 0.0       # ... and in the checker's (the checks)


@dataclass
class _Budget:
    chars: int = 0
    truncated: bool = False
    summaries: int = 0


def _size(out) -> int:
    kind = out.get("output_type")
    if kind == "stream":
        return len(out.get("text", ""))
    if kind == "error":
        return sum(len(line) for line in out.get("traceback", [])) + len(out.get("evalue", ""))
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in out.get("data", {}).values())


class LimitedClient(NotebookClient):
    """An nbclient whose cells keep at most ``max_output_chars`` of output each."""

    def __init__(self, nb, max_output_chars: int, **kw):
        super().__init__(nb, **kw)
        self.max_output_chars = max_output_chars
        self._budgets: dict[int, _Budget] = {}

    def output(self, outs, msg, display_id, cell_index):
        budget = self._budgets.setdefault(cell_index, _Budget())
        content = msg.get("content", {})
        is_summary = msg["msg_type"] == "display_data" and SUMMARY_MIME in content.get("data", {})
        if is_summary and budget.summaries < 100:
            budget.summaries += 1
            return super().output(outs, msg, display_id, cell_index)
        if msg["msg_type"] == "error":      # always kept (it decides the cell's status)
            out = super().output(outs, msg, display_id, cell_index)
            if out is not None and _size(out) > 20_000:
                out["traceback"] = [t[:2000] for t in out.get("traceback", [])[-3:]]
                out["evalue"] = out.get("evalue", "")[:2000]
            return out
        if budget.truncated:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return None
        budget.chars += _size(out)
        if budget.chars > self.max_output_chars:
            budget.truncated = True
            if outs and outs[-1] is out:
                outs.pop()
            outs.append(_note(f"[output truncated: more than {self.max_output_chars} characters]"))
        return out

    def reset_budget(self, cell_index: int) -> None:
        self._budgets.pop(cell_index, None)


def _note(text: str):
    from nbformat.v4 import new_output
    return new_output("stream", name="stderr", text=text + "\n")


def _mark(cell, status: str, message: str = "") -> None:
    cell.metadata.setdefault("kitlib", {})["run"] = {"status": status, "message": message}


def _cell_status(cell) -> str:
    return ERROR if any(o.get("output_type") == "error" for o in cell.get("outputs", [])) else OK


def kill_process_group(pid: int | None) -> None:
    """Best effort: SIGKILL the kernel's process group (it runs in a session of its own),
    so processes the learner's code started go with it."""
    if not pid:
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


@dataclass
class KernelPlan:
    """Where cells run. Without a checker every cell runs in one kernel (``kit validate``).
    With one, cells marked ``metadata.kitlib.kernel == "checker"`` run in the checker's kernel
    (the grader's own process), every other cell in the learner's (``kernel_name`` from
    ``kernel_dirs``, e.g. the sandboxed kernelspec of jail.py)."""
    kernel_name: str = "python3"
    kernel_dirs: list | None = None
    connection_file: Path | None = None
    checker_env: dict | None = None
    checker_cwd: Path | None = None


class _Kernel:
    def __init__(self, nb, limits: Limits, cwd: Path, kernel_name: str = "python3",
                 kernel_dirs: list | None = None, connection_file: Path | None = None):
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager

        from kitlib.cluster.ports import loopback_ports
        ksm = (KernelSpecManager(kernel_dirs=[str(d) for d in kernel_dirs]) if kernel_dirs
               else KernelSpecManager())
        km = AsyncKernelManager(kernel_name=kernel_name, kernel_spec_manager=ksm)
        if connection_file:
            km.connection_file = str(connection_file)
        # ports the kit hands out, not bind(0)'s: see kitlib.cluster.ports
        km.shell_port, km.iopub_port, km.stdin_port, km.hb_port, km.control_port = loopback_ports(5)
        self.client = LimitedClient(nb, limits.max_output_chars, km=km, timeout=None,
                                    allow_errors=True, kernel_name=kernel_name,
                                    startup_timeout=int(limits.startup_timeout),
                                    shutdown_kernel="immediate", record_timing=False,
                                    resources={"metadata": {"path": str(cwd)}})
        self.pid = None
        self.count = 0

    def started(self) -> None:
        provisioner = getattr(self.client.km, "provisioner", None)
        self.pid = (getattr(provisioner, "pid", None)
                    or getattr(getattr(provisioner, "process", None), "pid", None))


async def _execute(nb, cwd: Path, env: dict, limits: Limits, pid_file: Path | None,
                   plan: KernelPlan | None = None) -> RunInfo:
    info = RunInfo()
    started = time.monotonic()
    plan = plan or KernelPlan()
    learner = _Kernel(nb, limits, cwd, plan.kernel_name, plan.kernel_dirs, plan.connection_file)
    checker = (_Kernel(nb, limits, plan.checker_cwd or cwd)
               if plan.checker_env is not None else None)
    deadline = started + limits.total_timeout
    cells = nb.cells
    stop_index = len(cells)
    kernels = [learner] + ([checker] if checker else [])
    try:
        async with learner.client.async_setup_kernel(env=env):
            learner.started()
            if pid_file and learner.pid:
                pid_file.write_text(str(learner.pid))
            checker_env = _checker_env(plan, learner) if checker else None
            async with (checker.client.async_setup_kernel(env=checker_env) if checker
                        else _nothing()):
                if checker:
                    checker.started()
                stop_index = await _run_cells(cells, learner, checker, limits, deadline, info)
    except DeadKernelError as exc:
        info.status, info.message = "kernel-failed", f"the kernel could not be started ({exc})"
        stop_index = 0
    except RuntimeError as exc:
        info.status, info.message = "kernel-failed", f"the kernel could not be started ({exc})"
        stop_index = 0
    finally:
        for kernel in kernels:
            kill_process_group(kernel.pid)
    for cell in cells[stop_index:]:
        if cell.cell_type == "code" and "run" not in cell.metadata.get("kitlib", {}):
            _mark(cell, NOT_RUN, info.message)
    for cell in cells:
        if cell.cell_type == "code" and "run" not in cell.metadata.get("kitlib", {}):
            _mark(cell, NOT_RUN, info.message or "not run")
    info.seconds = time.monotonic() - started
    return info


def _checker_env(plan: KernelPlan, learner: _Kernel) -> dict:
    """The checker reaches the learner's kernel through its own copy of the connection file,
    taken before any learner code ran (the learner's copy is theirs to break)."""
    import shutil

    from kitlib.grading.remote import KERNEL_ENV, PID_ENV
    env = dict(plan.checker_env or {})
    where = Path(plan.checker_cwd or ".") / "learner-kernel.json"
    shutil.copyfile(learner.client.km.connection_file, where)
    where.chmod(0o600)
    env[KERNEL_ENV] = str(where)
    if learner.pid:
        env[PID_ENV] = str(learner.pid)
    return env


class _nothing:
    async def __aenter__(self):
        return None

    async def __aexit__(self, *exc):
        return False


async def _run_cells(cells, learner: _Kernel, checker: _Kernel | None, limits: Limits,
                     deadline: float, info: RunInfo) -> int:
    """Run the code cells in order; the index after which nothing more ran."""
    part_ok: dict[str, bool] = {}
    for index, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        part = cell.metadata.get("kitlib", {})
        kernel = checker if checker and part.get("kernel") == "checker" else learner
        client = kernel.client
        if part.get("grade_id") and part.get("segment"):
            # a later part of a test cell runs only if the parts before it passed,
            # as it would in the single cell nbgrader runs
            if not part_ok.get(part["grade_id"], True):
                _mark(cell, SKIPPED, "not run: an earlier check in this cell failed")
                continue
        if not cell.source.strip():
            _mark(cell, OK)
            continue
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            info.status = "stopped"
            info.message = (f"the notebook ran longer than {limits.total_timeout:g}s in total; "
                            f"execution stopped before cell {index}")
            return index
        kernel.count += 1
        began = time.monotonic()
        task = asyncio.ensure_future(client.async_execute_cell(cell, index, execution_count=kernel.count))
        limit = min(limits.cell_timeout, remaining)
        done, _ = await asyncio.wait({task}, timeout=limit)
        _spent(info, kernel is checker, began)
        if task not in done:
            await _interrupt(client)
            done, _ = await asyncio.wait({task}, timeout=limits.interrupt_grace)
            if task not in done:
                task.cancel()
                info.status, info.stopped_at = "stopped", index
                overall = limit < limits.cell_timeout
                info.message = (f"cell {index} " + (
                    f"was still running when the notebook reached its {limits.total_timeout:g}s limit"
                    if overall else f"ran longer than {limits.cell_timeout:g}s")
                    + " and did not stop when interrupted; the kernel was stopped and "
                    "the cells after it were not run")
                _mark(cell, TIMEOUT, info.message)
                return index + 1
            _collect(task)
            if part.get("grade_id"):
                part_ok[part["grade_id"]] = False
            what = (f"the notebook reached its {limits.total_timeout:g}s limit"
                    if limit < limits.cell_timeout else f"it ran longer than {limits.cell_timeout:g}s")
            _mark(cell, TIMEOUT, f"interrupted: {what} (an infinite loop, or waiting "
                                 "for something that never happens?)")
            info.cells_run += 1
            continue
        try:
            task.result()
        except DeadKernelError:
            info.status, info.stopped_at = "stopped", index
            info.message = (f"the kernel died while running cell {index} (os._exit, a "
                            "crash or too much memory?); the cells after it were not run")
            _mark(cell, ERROR, "the kernel died while running this cell")
            return index + 1
        except Exception as exc:     # nbclient trouble: treat like a dead kernel
            info.status, info.stopped_at = "stopped", index
            info.message = f"cell {index} could not be run ({type(exc).__name__}: {exc})"
            _mark(cell, ERROR, info.message)
            return index + 1
        info.cells_run += 1
        _mark(cell, _cell_status(cell))
        if part.get("grade_id"):
            part_ok[part["grade_id"]] = _cell_status(cell) == OK
    return len(cells)


def _spent(info: RunInfo, in_checker: bool, began: float) -> None:
    if in_checker:
        info.checker_seconds += time.monotonic() - began
    else:
        info.learner_seconds += time.monotonic() - began


def _collect(task) -> None:
    try:
        task.result()
    except Exception:
        pass


async def _interrupt(client) -> None:
    try:
        await client.km.interrupt_kernel()
    except Exception:
        pass


def run_notebook(nb, cwd: Path, env: dict | None = None, limits: Limits | None = None,
                 pid_file: Path | None = None, plan: KernelPlan | None = None) -> RunInfo:
    """Execute ``nb`` in place (outputs and ``metadata.kitlib.run`` on each code cell)."""
    env = dict(os.environ if env is None else env)
    return asyncio.run(_execute(nb, Path(cwd), env, limits or Limits(), pid_file, plan))
