"""`newsduck serve` with no PREFECT_API_URL: it starts a real Prefect server on 127.0.0.1 and the
schedule runs the ingest again and again (the throwaway test server cannot schedule)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime

import duckdb

from tests.sitekit import Item, rss20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _runs(db) -> int:
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return con.execute("select count(*) from runs").fetchone()[0]
    except (duckdb.IOException, duckdb.CatalogException):
        return 0  # not created yet, or a run holds the lock right now


def test_serve_runs_the_ingest_on_a_schedule(site, tmp_path):
    feed = site.add("/feed.xml", rss20("F", site.url("/"), [Item("x", site.url("/gone"), datetime(2019, 4, 5))]),
                    content_type="application/rss+xml", etag='"1"')
    catalogue = tmp_path / "feeds.csv"
    catalogue.write_text(f"url\n{feed}\n")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"NEWSDUCK_DB": str(tmp_path / "news.duckdb"), "NEWSDUCK_DATA_DIR": str(tmp_path / "data"),
            "NEWSDUCK_ALLOW_PRIVATE_HOSTS": "1", "NEWSDUCK_PREFECT_PORT": str(port)}
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen([sys.executable, "-c", "from flows.cli import app; app()", "serve", "--interval", "5",
                              "--feeds", str(catalogue)], env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while _runs(tmp_path / "news.duckdb") < 2 and time.monotonic() < deadline and serve.poll() is None:
            time.sleep(2)
        assert _runs(tmp_path / "news.duckdb") >= 2, (tmp_path / "serve.log").read_text()[-3000:]
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
    assert site.not_modified["/feed.xml"] >= 1  # scheduled runs after the first get a 304
    assert (tmp_path / "data" / "prefect").is_dir()  # the server's state lives in the data directory
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the Prefect server was left running"
