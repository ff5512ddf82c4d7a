"""A one-off run with no Prefect server: the real CLI in a subprocess, no PREFECT_API_URL and a
fresh PREFECT_HOME, so newsduck starts (and stops) a temporary local Prefect server.

Every other flow test runs against the session's Prefect test harness; this one does not."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime

import duckdb

from tests.conftest import FIXTURES
from tests.sitekit import Item, rss20

# The CLI's own entry point, plus a report of the telemetry settings the process ran with.
PROBE = """
import json, os, sys
from flows.cli import app
try:
    app()
finally:
    from prefect.settings import get_current_settings
    print("TELEMETRY " + json.dumps({"DO_NOT_TRACK": os.environ.get("DO_NOT_TRACK"),
                                     "server_analytics": get_current_settings().server.analytics_enabled}),
          file=sys.stderr)
"""


def test_one_off_run_without_a_prefect_server(site, tmp_path):
    site.add("/news/libya", (FIXTURES / "pages" / "seed_article.html").read_text(encoding="utf-8"))
    site.add("/feeds/world.xml", rss20("World", site.url("/"), [
        Item("Guterres flies to meet Haftar", site.url("/news/libya"), datetime(2019, 4, 5, 9))]),
        content_type="application/rss+xml")
    catalogue = tmp_path / "feeds.csv"
    catalogue.write_text(f"url,name\n{site.url('/feeds/world.xml')},World\n")

    db = tmp_path / "news.duckdb"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "NEWSDUCK_")) and k != "DO_NOT_TRACK"}
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect-home"),  # no profile, no server, nothing cached
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
        "NEWSDUCK_DB": str(db),
        "NEWSDUCK_DATA_DIR": str(tmp_path / "data"),
        "NEWSDUCK_ALLOW_PRIVATE_HOSTS": "1",
        "NEWSDUCK_PER_HOST_DELAY": "0",
        "NEWSDUCK_WORKERS": "1",  # one article: no worker pool
    }

    run = subprocess.run([sys.executable, "-c", PROBE, "run", "--feeds", str(catalogue)], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Starting temporary Prefect server on http://127.0.0.1" in run.stderr  # started for this run, stopped after
    summary = json.loads([line for line in run.stdout.splitlines() if line.startswith("{")][-1])
    assert (summary["feeds"], summary["feeds_failed"], summary["articles_new"], summary["loaded"]) == (1, 0, 1, True)
    assert [(r["name"], r["new"]) for r in summary["per_feed"]] == [("World", 1)]
    # Telemetry off although the environment said nothing about it: the CLI's defaults (flows/__init__.py).
    [probe] = [line for line in run.stderr.splitlines() if line.startswith("TELEMETRY ")]
    assert json.loads(probe.removeprefix("TELEMETRY ")) == {"DO_NOT_TRACK": "1", "server_analytics": False}
    assert (tmp_path / "prefect-home").is_dir()

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from articles").fetchone()[0] == 1
        fetched = con.execute("select url from article_urls where kind = 'fetched'").fetchone()[0]
        assert fetched == site.url("/news/libya")
        assert con.execute("select run_id from runs").fetchone()[0] == summary["run_id"]

    status = subprocess.run([sys.executable, "-c", "from flows.cli import app; app()", "status"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr[-3000:]
    assert "Tables" in status.stdout and "World" in status.stdout
    for table, count in (("articles", 1), ("feeds", 1), ("runs", 1)):  # the table counts, one row each
        assert re.search(rf"^\W*{table}\W+{count}\W*$", status.stdout, re.M), status.stdout
    assert "staged batches waiting to load: 0" in status.stdout
