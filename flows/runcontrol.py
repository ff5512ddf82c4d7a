"""How a run begins and ends: one run at a time (an advisory file lock), and an early end.

A run ends early when it is asked to stop (SIGTERM or SIGINT) or when its deadline passes
(`--max-seconds`). Every stage looks at `stopping()` between units of work: after a stop signal
the fetches in flight are abandoned and the worker processes killed; after the deadline no new
work starts, but what is in hand is finished. Either way, what is staged stays staged, and what
was not fetched is fetched by a later run.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

STOPPED = "stopped"  # a stop signal: abandon the work in hand
DEADLINE = "deadline"  # out of time: start nothing new, finish what is in hand


class RunInProgress(RuntimeError):
    """Another ingest or backfill run holds the run lock."""


class RunStopped(Exception):
    """The run was asked to stop while this work was in hand."""


@contextmanager
def run_lock(data_dir: Path, name: str = "run") -> Iterator[None]:
    """Hold data_dir/<name>.lock for the duration; raise RunInProgress if another process has it.

    The kernel drops the lock when the holder dies, so a killed run never blocks the next one.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"{name}.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunInProgress(f"a newsduck run is in progress (pid {holder}, lock {path})") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


# One run at a time per process: the signal that stops it is the process's too.
_stop = threading.Event()
_deadline: float | None = None


def stopping() -> str | None:
    """Why the current run should end now: STOPPED, DEADLINE, or None to go on."""
    if _stop.is_set():
        return STOPPED
    if _deadline is not None and time.monotonic() >= _deadline:
        return DEADLINE
    return None


def stopped() -> bool:
    """A stop signal came: abandon the work in hand."""
    return _stop.is_set()


def check_stopped() -> None:
    """Raise RunStopped if a stop signal came."""
    if _stop.is_set():
        raise RunStopped("a stop signal came")


def request_stop() -> None:
    """Ask the current run to stop, as SIGTERM does."""
    _stop.set()


@contextmanager
def run_window(max_seconds: float | None = None) -> Iterator[None]:
    """For the duration of a run: SIGTERM and SIGINT ask it to stop (a second SIGINT interrupts
    at once), and after `max_seconds` it is out of time.

    Signal handlers can only be set from the main thread; elsewhere (a flow run in a thread)
    only the deadline applies.
    """
    global _deadline
    _stop.clear()
    _deadline = time.monotonic() + max_seconds if max_seconds else None
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _deadline = None


def _on_signal(signum: int, frame: object) -> None:
    if _stop.is_set() and signum == signal.SIGINT:
        raise KeyboardInterrupt  # Ctrl-C twice: now
    log.warning("%s: stopping the run (staged work is kept; the rest is fetched by the next run)",
                signal.Signals(signum).name)
    _stop.set()
