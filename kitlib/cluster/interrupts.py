"""Ctrl-C and SIGTERM during ``up``: both arrive as KeyboardInterrupt, and the clean-up
that follows is not itself cut short by a second Ctrl-C."""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM raises KeyboardInterrupt like Ctrl-C does."""
    if not _main_thread():          # signal handlers can only be set there
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def shielded() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM are ignored: clean-up runs to its end (every
    wait in it is bounded)."""
    if not _main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
