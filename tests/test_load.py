"""One writer: workers that only stage (NEWSDUCK_LOAD=false) into shared storage, each taking a
shard of the catalogue, and one `load-staged` flow merging everything into DuckDB — the same
tables as one ordinary run, no duplicate, and merging again changes nothing."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest

from tests.sitekit import Item, Site, news_page, rss20
from tests.test_crash import GOLD, _snapshot
from transforms.sources.shards import feed_key, shard_of


def sites_by_shard(count: int = 2, per_shard: int = 2) -> dict[int, list[Site]]:
    """Local sites, each its own host:port, picked so that each of `count` shards holds
    `per_shard` of them (ports change every run). The caller closes them."""
    shards: dict[int, list[Site]] = {i: [] for i in range(count)}
    while min(len(sites) for sites in shards.values()) < per_shard:
        site = Site()
        held = shards[shard_of(feed_key(site.url("/")), count)]
        if len(held) < per_shard:
            held.append(site)
        else:
            site.close()
    return shards


class Newsroom:
    """Four sites, two per shard of 2, each with a feed over two gold stories; one more story,
    on the first site, is listed by the first feed of each shard."""

    def __init__(self) -> None:
        shards = sites_by_shard()
        self.sites = [shards[0][0], shards[1][0], shards[0][1], shards[1][1]]  # catalogue order
        stories = []
        for i, gold in enumerate(GOLD[:9]):
            title, *paragraphs = [p for p in gold.read_text().split("\n\n") if p.strip()]
            site = self.sites[i // 2] if i < 8 else self.sites[0]
            stories.append(site.add(f"/story/{gold.stem}", news_page(title.strip(), paragraphs,
                                                                     f"2019-04-{i + 1:02d}T08:00:00Z")))
        self.shared = stories.pop()
        for n, site in enumerate(self.sites):
            urls = stories[2 * n:2 * n + 2] + ([self.shared] if n < 2 else [])
            site.add("/feed.xml", rss20(f"F{n}", site.url("/"), [Item(f"s{i}", u, datetime(2019, 4, 5))
                                                                 for i, u in enumerate(urls)]),
                     content_type="application/rss+xml", etag=f'"{n}"')
        self.catalogue = "url\n" + "".join(site.url("/feed.xml") + "\n" for site in self.sites)

    def close(self) -> None:
        for site in self.sites:
            site.close()


@pytest.fixture(scope="module")
def sharded_site():
    newsroom = Newsroom()
    yield newsroom
    newsroom.close()


def _run(site: Newsroom, tmp: Path, name: str, **env: str) -> dict:
    from flows.ingest import ingest_feeds

    home = tmp / name
    home.mkdir(parents=True, exist_ok=True)
    (home / "feeds.csv").write_text(site.catalogue)
    values = {"NEWSDUCK_DB": str(home / "news.duckdb"), "NEWSDUCK_DATA_DIR": str(home / "data"),
              "NEWSDUCK_ALLOW_PRIVATE_HOSTS": "1", "NEWSDUCK_PER_HOST_DELAY": "0", "NEWSDUCK_LOCK_WAIT": "5",
              "NEWSDUCK_BATCH_SIZE": "3"} | env
    shard = values.pop("shard", None)
    with pytest.MonkeyPatch.context() as mp:
        for key, value in values.items():
            mp.setenv(key, value)
        return ingest_feeds(feeds_file=str(home / "feeds.csv"), shard=shard)


def test_batches_staged_by_several_workers_merge_once(prefect_harness, sharded_site, tmp_path):
    from flows.load import load_staged_batches

    reference = _run(sharded_site, tmp_path, "one-run")
    assert reference["articles_new"] == 9
    expected = _snapshot(tmp_path / "one-run" / "news.duckdb")

    # Two workers, each with a shard and no database file of its own: they only stage, into one
    # shared directory. Worker 0 runs twice: without the database it cannot know what is
    # stored, so it fetches and stages its shard again; the loader drops the repeat.
    shared = tmp_path / "shared-staging"
    stage_only = {"NEWSDUCK_LOAD": "false", "NEWSDUCK_STAGING_DIR": str(shared)}
    runs = [_run(sharded_site, tmp_path, "w0", shard="0/2", **stage_only),
            _run(sharded_site, tmp_path, "w1", shard="1/2", **stage_only),
            _run(sharded_site, tmp_path, "w0", shard="0/2", **stage_only)]
    assert [r["feeds"] for r in runs] == [2, 2, 2]
    assert all(r["loaded"] is False and r["articles_new"] == 0 for r in runs)
    assert [r["articles_staged"] for r in runs] == [5, 5, 5]  # the shared story once per shard run
    assert not (tmp_path / "w0" / "news.duckdb").exists() and not (tmp_path / "w1" / "news.duckdb").exists()
    backup = tmp_path / "staged-copy"
    shutil.copytree(shared, backup)

    db = tmp_path / "warehouse.duckdb"
    first = load_staged_batches(db=str(db), staging_dir=str(shared))
    assert first["batches"] == len(list(backup.iterdir())) and first["waiting"] == 0
    assert first["articles_new"] == 9
    assert _snapshot(db) == expected

    # the same batches again (a worker's retry, a restored backup): nothing changes
    shutil.rmtree(shared)
    shutil.copytree(backup, shared)
    again = load_staged_batches(db=str(db), staging_dir=str(shared))
    assert again["batches"] == 0 and again["articles_new"] == 0
    assert _snapshot(db) == expected
    assert not list(shared.iterdir())
