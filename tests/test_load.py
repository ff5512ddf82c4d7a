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
from transforms.shards import shard_of


@pytest.fixture(scope="module")
def sharded_site():
    """Four feeds, two per shard of 2, over the gold stories; one story listed in both shards."""
    site = Site()
    paths: dict[int, list[str]] = {0: [], 1: []}
    k = 0
    while min(len(p) for p in paths.values()) < 2:
        path = f"/feeds/f{k}.xml"
        if len(paths[shard_of(site.url(path), 2)]) < 2:
            paths[shard_of(site.url(path), 2)].append(path)
        k += 1
    order = [paths[0][0], paths[1][0], paths[0][1], paths[1][1]]  # catalogue order
    stories = []
    for i, gold in enumerate(GOLD[:9]):
        title, *paragraphs = [p for p in gold.read_text().split("\n\n") if p.strip()]
        stories.append(site.add(f"/story/{gold.stem}", news_page(title.strip(), paragraphs, f"2019-04-{i + 1:02d}T08:00:00Z")))
    shared = stories.pop()
    for n, path in enumerate(order):
        urls = stories[2 * n:2 * n + 2] + ([shared] if n < 2 else [])  # the first feed of each shard lists it
        site.add(path, rss20(f"F{n}", site.url("/"), [Item(f"s{i}", u, datetime(2019, 4, 5)) for i, u in enumerate(urls)]),
                 content_type="application/rss+xml", etag=f'"{n}"')
    site.catalogue = "url\n" + "".join(site.url(p) + "\n" for p in order)
    yield site
    site.close()


def _run(site: Site, tmp: Path, name: str, **env: str) -> dict:
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
    sharded_site.hits.clear()
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
