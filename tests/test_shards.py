"""Shards: a stable split of feeds and backfill units between workers, none taken twice."""

from __future__ import annotations

import pytest

from transforms.sources.shards import Shard, feed_key, parse_shard, shard_of


def test_parse_and_hold():
    assert parse_shard("1/4") == Shard(1, 4) and str(parse_shard(" 0/1 ")) == "0/1"
    for bad in ("4/4", "-1/2", "1", "a/b", "1/0", ""):
        with pytest.raises(ValueError, match="i/n"):
            parse_shard(bad)
    keys = [f"https://example.com/feed/{i}.xml" for i in range(200)]
    takers = [[s for s in range(3) if Shard(s, 3).holds(k)] for k in keys]
    assert all(len(t) == 1 for t in takers)  # every key in exactly one shard
    assert {t[0] for t in takers} == {0, 1, 2}
    # sha1, not Python's per-process hash(): the same on every machine, every run
    assert (shard_of("https://example.com/feed.xml", 7), shard_of("https://example.com/feed.xml", 1000)) == (1, 900)


def test_feeds_are_sharded_by_site():
    """All the feeds of a site go to one shard: per-host politeness holds across workers, and
    items its section feeds share are fetched once."""
    assert feed_key("https://www.Example.com/world/rss.xml") == "www.example.com"
    assert feed_key("https://www.example.com/business/rss.xml?x=1") == "www.example.com"
    assert feed_key("http://127.0.0.1:8080/feed.xml") == "127.0.0.1:8080"
    assert feed_key("http://127.0.0.1:99999999/feed.xml") == "127.0.0.1"  # a bad port: the host alone


def test_backfill_shards_split_warc_files_and_one_loader_merges(prefect_harness, env, tmp_path, monkeypatch):
    """Two stage-only backfill runs, shards 0/2 and 1/2, over the same WARC files: each file is
    read by exactly one shard; the loader then stores every story once."""
    from flows.backfill import backfill
    from flows.backfill_sources import warc_source
    from flows.load import load_staged_batches
    from tests.backfillkit import Record, story_page, write_warc
    from transforms.sources.backfill import DateWindow

    files, owners = [], {0: 0, 1: 0}
    while min(owners.values()) < 2:  # file identities include the write time: pick until both shards have two
        i = len(files)
        path = write_warc(tmp_path / f"crawl-{i}.warc.gz", [
            Record("response", f"http://news.example.com/story/{i}", story_page(i, "2024-01-10T08:30:00Z").encode())])
        owner = shard_of(f"{warc_source(path, DateWindow.from_days(None, None), [], env).backfill_id}/", 2)
        if owners[owner] >= 2:
            path.unlink()
            continue
        owners[owner] += 1
        files.append(path)

    shared = tmp_path / "shared-staging"
    monkeypatch.setenv("NEWSDUCK_STAGING_DIR", str(shared))
    results = []
    for index in (0, 1):
        monkeypatch.setenv("NEWSDUCK_DATA_DIR", str(tmp_path / f"worker{index}"))
        results.append(backfill(warc=[str(p) for p in files], shard=f"{index}/2", load=False))
    assert not env.db.exists()
    found = [[s["found"] for s in r["sources"]] for r in results]
    assert [sum(f) for f in found] == [2, 2]
    assert all(a + b == 1 for a, b in zip(*found))  # every file read by one shard, never both
    # a file the other shard holds is left to it, or already seen done in the shared staging
    # directory (the checkpoints staged with shard 0's batches)
    assert all(s["status"] in ("other shards (1 units)", "already done") for r in results for s in r["sources"]
               if not s["found"])

    counts = load_staged_batches(db=str(env.db), staging_dir=str(shared))
    assert counts["articles_new"] == 4 and counts["articles_duplicate"] == 0
    import duckdb

    with duckdb.connect(str(env.db), read_only=True) as con:
        assert con.execute("select count(*), count(distinct canonical_url) from articles").fetchone() == (4, 4)
        assert con.execute("select count(*) from backfill_checkpoints where done").fetchone()[0] == 4


def test_each_shard_has_its_own_run_lock(env):
    from typer.testing import CliRunner

    from flows.cli import app
    from flows.ingest import lock_name
    from flows.runcontrol import run_lock

    runner = CliRunner()
    assert runner.invoke(app, ["run", "--shard", "2/2"]).exit_code == 2  # not a shard of 2
    with run_lock(env.data_dir, lock_name(Shard(0, 2))):
        assert runner.invoke(app, ["run", "--shard", "0/2"]).exit_code == 3  # that shard is running
        with run_lock(env.data_dir, lock_name(Shard(1, 2))):  # the other shard is not held up
            pass
    assert lock_name(None) == "run" and lock_name(Shard(1, 2)) == "run-shard-1-of-2"
