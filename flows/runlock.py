"""One run at a time: an advisory file lock under the data directory."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class RunInProgress(RuntimeError):
    """Another ingest or backfill run holds the run lock."""


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
