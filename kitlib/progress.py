"""Progress lines for long waits, the same in a terminal and in a notebook cell:
each step is printed with the seconds since the operation began."""
from __future__ import annotations

import contextlib
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
        print(f"[{time.monotonic() - started:6.1f}s] {message}", file=sys.stdout, flush=True)

    yield say
