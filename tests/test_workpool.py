"""Two Prefect workers on one process work pool split the feed catalogue into shards against a
real `prefect server` on 127.0.0.1; the workers only stage, and one `newsduck load` merges."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
POOL = "newsduck-test"
PREFECT = str(Path(sys.executable).with_name("prefect"))

# Deploy ingest-feeds from this checkout, start one flow run per shard, wait for both, print them.
DEPLOY_AND_RUN = textwrap.dedent("""
    import json, sys, time
    from prefect.deployments import run_deployment
    from flows.ingest import ingest_feeds

    repo, pool, catalogue, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ingest_feeds.from_source(repo, "flows.ingest.ingest_feeds").deploy(
        name="shards", work_pool_name=pool, parameters={"feeds_file": catalogue},
        build=False, push=False, print_next_steps=False)
    runs = [run_deployment("ingest-feeds/shards", parameters={"shard": f"{i}/{count}"}, timeout=0)
            for i in range(count)]
    from prefect.client.orchestration import get_client
    with get_client(sync_client=True) as client:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline:
            states = [client.read_flow_run(r.id) for r in runs]
            if all(s.state and s.state.is_final() for s in states):
                break
            time.sleep(1)
    print(json.dumps([{"shard": s.parameters.get("shard"), "state": s.state.type.value if s.state else None,
                       "pid": s.infrastructure_pid} for s in states]))
""")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_two_workers_split_the_feeds_and_one_loader_merges(tmp_path, monkeypatch):
    from flows.serve import start_local_server
    from flows.settings import Settings
    from tests.test_load import Newsroom
    from tests.test_serve import _free_port

    newsroom = Newsroom()  # four sites, two per shard; one story listed by a feed of each shard
    catalogue = tmp_path / "feeds.csv"
    catalogue.write_text(newsroom.catalogue)

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
            "NEWSDUCK_DB": str(tmp_path / "news.duckdb"), "NEWSDUCK_DATA_DIR": str(tmp_path / "data"),
            "NEWSDUCK_STAGING_DIR": str(tmp_path / "shared-staging"), "NEWSDUCK_LOAD": "false",
            "NEWSDUCK_ALLOW_PRIVATE_HOSTS": "1", "NEWSDUCK_PER_HOST_DELAY": "0", "NEWSDUCK_WORKERS": "1",
            "NEWSDUCK_PREFECT_PORT": str(port)}
    for key in [k for k in os.environ if k.startswith("PREFECT_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    server, workers = None, []
    try:
        server, _ = start_local_server(Settings())
        subprocess.run([PREFECT, "work-pool", "create", POOL, "--type", "process"], env=env, check=True,
                       capture_output=True, timeout=120)
        for name in ("w0", "w1"):
            log = (tmp_path / f"worker-{name}.log").open("w")
            workers.append(subprocess.Popen([PREFECT, "worker", "start", "--pool", POOL, "--name", name, "--limit", "1"],
                                            env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True))
        done = subprocess.run([sys.executable, "-c", DEPLOY_AND_RUN, str(REPO), POOL, str(catalogue), "2"],
                              env=env, cwd=REPO, capture_output=True, text=True, timeout=480)
        logs = "".join((tmp_path / f"worker-{n}.log").read_text()[-3000:] for n in ("w0", "w1"))
        assert done.returncode == 0, done.stderr[-3000:] + logs
        runs = json.loads(done.stdout.strip().splitlines()[-1])
        assert [r["state"] for r in runs] == ["COMPLETED", "COMPLETED"], logs
        assert len({r["pid"] for r in runs}) == 2  # two flow-run processes, one per shard
        # each worker ran one (--limit 1: the other polls every second). Both may try to claim the
        # same run; the server aborts the second claim ("Aborted submission"), so count what ran.
        for name in ("w0", "w1"):
            text = (tmp_path / f"worker-{name}.log").read_text()
            assert text.count("submitted to infrastructure") == 1, logs

        # every feed fetched exactly once, by the one shard that holds its site; each story once,
        # the shared one once per shard that lists it
        assert [site.hits["/feed.xml"] for site in newsroom.sites] == [1, 1, 1, 1]
        stories = {(site.url(""), path): n for site in newsroom.sites for path, n in site.hits.items()
                   if path.startswith("/story/")}
        assert len(stories) == 9
        assert all(n == (2 if base + path == newsroom.shared else 1) for (base, path), n in stories.items()), stories
        assert not (tmp_path / "news.duckdb").exists()  # the workers only staged
        staged = sorted(p.name for p in (tmp_path / "shared-staging").iterdir())
        assert len(staged) >= 4  # per shard: a batch of articles and one of feeds

        # the one writer
        load = [sys.executable, "-c", "from flows.cli import app; app()", "load"]
        first = subprocess.run(load, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180)
        assert first.returncode == 0, first.stderr[-3000:]
        counts = json.loads(first.stdout.strip().splitlines()[-1])
        assert counts["batches"] == len(staged) and counts["articles_new"] == 9
        assert counts["articles_duplicate"] == 0 and counts["waiting"] == 0
    finally:
        newsroom.close()
        for proc in workers:
            _stop(proc)
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

    with duckdb.connect(str(tmp_path / "news.duckdb"), read_only=True) as con:
        assert con.execute("select count(*), count(distinct canonical_url) from articles").fetchone() == (9, 9)
        assert con.execute("select count(*), count(distinct feed_url) from feeds").fetchone() == (4, 4)
        assert con.execute("select count(*) from feed_items where url = $u", {"u": newsroom.shared}).fetchone()[0] == 2
        assert con.execute("select count(distinct run_id) from runs").fetchone()[0] == 2
