"""`newsduck serve`: the ingest flow on a schedule, with a Prefect server to keep the schedule.

Prefect's throwaway local server cannot schedule, so when PREFECT_API_URL is unset this starts
a real `prefect server start` on 127.0.0.1 (its database under the data directory), waits for
it to answer, and stops it on exit.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from flows.settings import Settings

log = logging.getLogger(__name__)

DEPLOYMENT = "newsduck-ingest"


def serve_ingest(settings: Settings, *, cron: str | None, interval: int | None) -> None:
    """Serve the ingest-feeds flow on the schedule until interrupted."""
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        server, url = start_local_server(settings)
        os.environ["PREFECT_API_URL"] = url  # before Prefect is imported: its settings come from here
    try:
        from flows.ingest import ingest_feeds

        parameters = {"feeds_file": str(Path(settings.feeds).resolve()), "db": str(Path(settings.db).resolve()),
                      "max_seconds": settings.max_seconds or run_budget(cron, interval)}
        ingest_feeds.serve(name=DEPLOYMENT, cron=cron, interval=interval, parameters=parameters,
                           pause_on_shutdown=False, limit=1)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


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


def start_local_server(settings: Settings, timeout: float = 120.0) -> tuple[subprocess.Popen | None, str]:
    """A Prefect server on 127.0.0.1: reuse one already answering on the port, else start one."""
    port = settings.prefect_port
    url = f"http://127.0.0.1:{port}/api"
    if _healthy(url):
        log.info("using the Prefect server already running at %s", url)
        return None, url
    if not _port_free(port):
        raise RuntimeError(f"port {port} is taken by something that is not a Prefect server; "
                           "set NEWSDUCK_PREFECT_PORT or PREFECT_API_URL")
    log_path = settings.data_dir / "prefect-server.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    prefect = Path(sys.executable).with_name("prefect")
    server = subprocess.Popen(
        [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--analytics-off"],
        stdout=log_path.open("ab"), stderr=subprocess.STDOUT, env={**os.environ, "PREFECT_API_URL": url},
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with {server.returncode}; see {log_path}")
        if _healthy(url):
            print(f"Prefect server on {url} (UI at http://127.0.0.1:{port}; log {log_path})", flush=True)
            return server, url
        time.sleep(1)
    server.kill()
    raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f}s; see {log_path}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0
