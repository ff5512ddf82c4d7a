"""Cleaning and NLP on a real Dask cluster (a LocalCluster of two worker processes) through
Prefect's DaskTaskRunner: the same tables as the local worker processes, and the spaCy model
loaded once per Dask worker, however many tasks it ran."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from tests.sitekit import Item, Site, news_page, rss20
from tests.test_crash import GOLD, _snapshot


@pytest.fixture(scope="module")
def gold_site():
    site = Site()
    links = []
    for i, path in enumerate(GOLD):
        title, *paragraphs = [p for p in path.read_text().split("\n\n") if p.strip()]
        links.append(site.add(f"/story/{path.stem}", news_page(title.strip(), paragraphs, f"2019-04-{i + 1:02d}T08:00:00Z")))
    links.insert(3, site.url("/story/gone"))  # a 404 among them
    half = len(links) // 2
    for name, part in (("a", links[:half]), ("b", links[half:])):
        site.add(f"/feeds/{name}.xml", rss20(name, site.url("/"), [Item(f"s{i}", u, datetime(2019, 4, 5)) for i, u in enumerate(part)]),
                 content_type="application/rss+xml", etag=f'"{name}1"')
    yield site
    site.close()


def _ingest(site: Site, tmp: Path, **env: str) -> dict:
    from flows.ingest import ingest_feeds

    tmp.mkdir(parents=True, exist_ok=True)
    catalogue = tmp / "feeds.csv"
    catalogue.write_text(f"url\n{site.url('/feeds/a.xml')}\n{site.url('/feeds/b.xml')}\n")
    values = {"NEWSDUCK_DB": str(tmp / "news.duckdb"), "NEWSDUCK_DATA_DIR": str(tmp / "data"),
              "NEWSDUCK_ALLOW_PRIVATE_HOSTS": "1", "NEWSDUCK_PER_HOST_DELAY": "0", "NEWSDUCK_BATCH_SIZE": "6",
              "NEWSDUCK_LOCK_WAIT": "5"} | env
    with pytest.MonkeyPatch.context() as mp:
        for key, value in values.items():
            mp.setenv(key, value)
        return ingest_feeds(feeds_file=str(catalogue))


def _loads() -> dict:
    """In a Dask worker: its PID, how often it loaded the model, how often it asked for it, and
    whether it started a process pool of its own."""
    from flows import workers
    from flows.nlp import load_pipeline

    info = load_pipeline.cache_info()
    return {"pid": os.getpid(), "loads": info.misses, "calls": info.hits + info.misses, "pool": workers._pool is not None}


def test_dask_cluster_gives_the_same_tables_as_local_workers(prefect_harness, gold_site, tmp_path):
    from distributed import Client, LocalCluster

    local = _ingest(gold_site, tmp_path / "local")
    assert local["articles_new"] == len(GOLD)
    expected = _snapshot(tmp_path / "local" / "news.duckdb")

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        # chunks of 2 articles: several tasks per batch, so several tasks per worker
        result = _ingest(gold_site, tmp_path / "dask", NEWSDUCK_DASK_ADDRESS=cluster.scheduler_address,
                         NEWSDUCK_DASK_CHUNK="2")
        per_worker = list(client.run(_loads).values())

    assert result["articles_new"] == len(GOLD)
    assert _snapshot(tmp_path / "dask" / "news.duckdb") == expected
    assert result["seconds"]["nlp"] > 0 and result["seconds"]["clean"] > 0  # timings came back from the workers
    # both worker processes did NLP; each loaded the model exactly once, though it ran many chunks
    assert len({w["pid"] for w in per_worker}) == 2
    assert [w["loads"] for w in per_worker] == [1, 1], per_worker
    assert sum(w["calls"] for w in per_worker) > len(per_worker), per_worker
    assert not any(w["pool"] for w in per_worker)  # inline on a Dask worker: no nested process pool
