"""`newsduck serve`: the ingest flow on a schedule; and the Prefect server every command that
runs a flow starts for itself when PREFECT_API_URL is unset.

That server runs in a session of its own, so that Ctrl-C in a terminal (SIGINT to the whole
process group) reaches newsduck alone: the run in hand stops, reports to the server, and only
then is the server stopped. (Prefect's own throwaway server is a plain child: it died with the
first Ctrl-C, and the run then hung reporting to it.) `serve` starts the full server with its
scheduler and UI on NEWSDUCK_PREFECT_PORT (state under the data directory); one-off commands start
the API alone on a free port, or use the server already answering on NEWSDUCK_PREFECT_PORT.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from flows.settings import Settings

log = logging.getLogger(__name__)

DEPLOYMENT = "newsduck-ingest"


def serve_ingest(settings: Settings, *, cron: str | None, interval: int | None) -> None:
    """Serve the ingest-feeds flow on the schedule until interrupted."""
    with prefect_api(settings, scheduling=True):
        from flows.ingest import ingest_feeds

        parameters = {"feeds_file": str(Path(settings.feeds).resolve()), "db": str(Path(settings.db).resolve()),
                      "max_seconds": settings.max_seconds or run_budget(cron, interval)}
        ingest_feeds.serve(name=DEPLOYMENT, cron=cron, interval=interval, parameters=parameters,
                           pause_on_shutdown=False, limit=1)


@contextmanager
def prefect_api(settings: Settings, *, scheduling: bool = False) -> Iterator[str | None]:
    """A Prefect API for this process's flow runs: the configured one (PREFECT_API_URL, or a test
    harness's), else a local server started now and stopped on the way out.

    The URL goes into the environment (for the processes Prefect starts) and, when Prefect is
    imported already (it reads the environment once), into its settings for the duration.
    """
    if _configured_api():
        yield None
        return
    server, url = start_local_server(settings, scheduling=scheduling)
    os.environ["PREFECT_API_URL"] = url
    try:
        with ExitStack() as stack:
            if "prefect.settings" in sys.modules:
                from prefect.settings import PREFECT_API_URL, temporary_settings

                stack.enter_context(temporary_settings(updates={PREFECT_API_URL: url}))
            yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        if server is not None:
            _flush_to_api()
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def _flush_to_api(timeout: float = 5.0) -> None:
    """Let Prefect send the logs and events it still holds before its server goes (at exit it
    would try, and retry for a minute, against a server that is gone)."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for worker in (APILogWorker, EventsWorker):
        worker.drain_all(timeout=timeout)


def _configured_api() -> bool:
    if os.environ.get("PREFECT_API_URL"):
        return True
    if "prefect.settings" in sys.modules:  # a test harness sets it in Prefect's settings, not the environment
        from prefect.settings import PREFECT_API_URL

        return bool(PREFECT_API_URL.value())
    return False


def run_budget(cron: str | None, interval: int | None) -> float:
    """Half the time between two scheduled runs: each run ends well before the next is due,
    whatever one feed or host does (the rest waits for the next runs)."""
    if interval:
        return interval / 2
    from datetime import datetime, timezone

    from cronsim import CronSim

    times = CronSim(cron, datetime.now(timezone.utc))
    first = next(times)
    return (next(times) - first).total_seconds() / 2


def start_local_server(settings: Settings, timeout: float = 120.0, *,
                       scheduling: bool = True) -> tuple[subprocess.Popen | None, str]:
    """A Prefect server on 127.0.0.1: reuse one already answering on NEWSDUCK_PREFECT_PORT, else
    start one in a session of its own: the full server there (`scheduling`), or the API alone on
    a free port."""
    port = settings.prefect_port
    url = f"http://127.0.0.1:{port}/api"
    if _healthy(url):
        log.info("using the Prefect server already running at %s", url)
        return None, url
    if scheduling and not _port_free(port):
        raise RuntimeError(f"port {port} is taken by something that is not a Prefect server; "
                           "set NEWSDUCK_PREFECT_PORT or PREFECT_API_URL")
    if not scheduling:
        port = _free_port()
        url = f"http://127.0.0.1:{port}/api"
    log_path = settings.data_dir / "prefect-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    prefect = Path(sys.executable).with_name("prefect")
    options = [] if scheduling else ["--no-services", "--no-ui"]
    if not scheduling:
        print(f"Starting temporary Prefect server on http://127.0.0.1:{port} (log {log_path})", file=sys.stderr,
              flush=True)
    server = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--analytics-off", *options],
        stdout=log_path.open("ab"), stderr=subprocess.STDOUT, env={**os.environ, "PREFECT_API_URL": url},
        start_new_session=True,  # a terminal's Ctrl-C is for newsduck, which stops the server last
        preexec_fn=_end_with_parent,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with {server.returncode}; see {log_path}")
        if _healthy(url):
            if scheduling:
                print(f"Prefect server on {url} (UI at http://127.0.0.1:{port}; log {log_path})", flush=True)
            return server, url
        time.sleep(0.25)
    server.kill()
    raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f}s; see {log_path}")


def _end_with_parent() -> None:
    """In the server's process, before it starts: SIGTERM when the process that started it dies,
    even by kill -9 (Linux's PR_SET_PDEATHSIG), so no server is left behind on its port."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: the server outlives a killed newsduck, as any child would


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
