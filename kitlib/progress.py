"""Progress lines for long waits, the same in a terminal and in a notebook cell:
each step is printed with the seconds since the operation began."""
from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Callable, Iterator

Report = Callable[[str], None]


@contextlib.contextmanager
def reporter(report: Report | None = None) -> Iterator[Report]:
    if report is not None:
        yield report
        return
    started = time.monotonic()

    def say(message: str) -> None:
        try:
            print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stdout, flush=True)
        except BrokenPipeError:     # `kit up | head`: the work goes on, unseen
            silence_stdout()

    yield say


def silence_stdout() -> None:
    """Send the rest of this process's stdout to /dev/null (its reader has gone)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
