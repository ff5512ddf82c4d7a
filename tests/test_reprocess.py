"""`reprocess`: derived rows rebuilt from the stored raw pages after a lexicon change, by date
range, the whole range replaced in one transaction, without a single HTTP request."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.sitekit import news_page

SEED_HTML = (FIXTURES / "pages" / "seed_article.html").read_text(encoding="utf-8")


def _rows(db: Path, query: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, params).fetchall()


def _text_page(name: str, published: str) -> str:
    title, *paragraphs = [p.strip() for p in (FIXTURES / "texts" / f"{name}.txt").read_text().split("\n\n") if p.strip()]
    return news_page(title, paragraphs, published)


@pytest.fixture
def stored(prefect_harness, env, site, tmp_path):
    """The seed article (April 2019) and the Sudan story (May 2023), backfilled from a URL list."""
    from flows.backfill import backfill

    site.add("/news/libya", SEED_HTML)
    site.add("/news/sudan", _text_page("sudan_talks", "2023-05-09T10:00:00Z"))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{site.url('/news/libya')}\n{site.url('/news/sudan')}\n")
    assert backfill(urls=[str(listing)])["articles_new"] == 2
    ids = dict(_rows(env.db, "select date_part('year', published_at)::int, article_id from articles"))
    return site, ids[2019], ids[2023]


def _lexicon_without(tmp_path: Path, trigger: str) -> Path:
    from flows.nlp import LEXICON_PATH

    text = LEXICON_PATH.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    kept = [row for row in rows if not row or row[0] != trigger]
    assert len(kept) < len(rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(kept)
    path = tmp_path / "event_lexicon.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _derived(db: Path, article_id: str) -> dict:
    return {
        "events": sorted(_rows(db, "select sentence_idx, trigger, event_type, nlp_version from events"
                                   " where article_id = ?", [article_id])),
        "mentions": sorted(_rows(db, "select start_char, end_char, text, nlp_version from mentions"
                                     " where article_id = ?", [article_id])),
        "entities": sorted(_rows(db, "select entity_id, nlp_version from article_entities where article_id = ?",
                                 [article_id])),
        "article": _rows(db, "select body, extractor_version, nlp_version from articles where article_id = ?",
                         [article_id])[0],
    }


def test_reprocess_after_a_lexicon_change_rebuilds_a_date_range_offline(env, stored, tmp_path, monkeypatch):
    from flows.reprocess import reprocess

    site, seed_id, sudan_id = stored
    seed_before, sudan_before = _derived(env.db, seed_id), _derived(env.db, sudan_id)
    assert any(trigger == "meet" for _, trigger, _, _ in seed_before["events"])  # Guterres to meet Haftar

    monkeypatch.setenv("NEWSDUCK_LEXICON", str(_lexicon_without(tmp_path, "meet")))
    hits = site.total_hits
    result = reprocess(since="2019-04-01", until="2019-04-30")
    assert (result["candidates"], result["reprocessed"]) == (1, 1)
    assert site.total_hits == hits  # not one request

    seed_after = _derived(env.db, seed_id)
    new_version = result["nlp_version"]
    assert new_version != seed_before["article"][2]
    assert not any(trigger == "meet" for _, trigger, _, _ in seed_after["events"])
    assert {e[1:3] for e in seed_after["events"]} != {e[1:3] for e in seed_before["events"]}
    # every derived row says which version made it
    assert seed_after["article"][2] == new_version
    assert {e[3] for e in seed_after["events"]} == {m[3] for m in seed_after["mentions"]} == {new_version}
    assert {e[1] for e in seed_after["entities"]} == {new_version}
    # the body and the entities do not depend on the lexicon
    assert seed_after["article"][0] == seed_before["article"][0]
    assert [m[:3] for m in seed_after["mentions"]] == [m[:3] for m in seed_before["mentions"]]
    # outside the range: untouched
    assert _derived(env.db, sudan_id) == sudan_before

    # Nothing left to do in that range; the whole database then redoes only the other article.
    assert reprocess(since="2019-04-01", until="2019-04-30")["candidates"] == 0
    assert reprocess()["reprocessed"] == 1
    assert _derived(env.db, sudan_id)["article"][2] == new_version
    assert site.total_hits == hits
    assert _rows(env.db, "select count(*) from runs where flow = 'reprocess'")[0][0] == 3


def test_a_failed_batch_changes_nothing(env, stored, tmp_path, monkeypatch):
    import flows.reprocess
    from flows.reprocess import reprocess

    _, seed_id, _ = stored
    before = _derived(env.db, seed_id)
    monkeypatch.setenv("NEWSDUCK_LEXICON", str(_lexicon_without(tmp_path, "meet")))
    statements = flows.warehouse.split_statements(flows.reprocess.REPLACE_SQL.read_text(encoding="utf-8"))
    monkeypatch.setattr(flows.reprocess, "_REPLACE_STATEMENTS", statements + ["select error('disk full')"])
    monkeypatch.setattr(flows.reprocess, "replace_derived", flows.reprocess.replace_derived.with_options(retries=0))
    with pytest.raises(Exception, match="disk full"):
        reprocess()
    assert _derived(env.db, seed_id) == before  # the transaction rolled back whole
    assert not _work_dirs(env)  # the failed run removed its work directory


def _work_dirs(env) -> list[Path]:
    root = env.data_dir / "reprocess"
    return sorted(root.iterdir()) if root.exists() else []


def _counting_batches(monkeypatch, fail_at: int | None = None) -> list[int]:
    """Record the size of each batch phase 1 rebuilds; with `fail_at`, the rebuild of that batch
    crashes (once: the batches of a rerun are rebuilt)."""
    import flows.reprocess

    rebuild, sizes, crash = flows.reprocess.rebuild_batch, [], [fail_at]

    def counted(settings, ids, run_id, version):
        sizes.append(len(ids))
        if len(sizes) == crash[0]:
            crash[0] = None
            raise RuntimeError("worker lost")
        return rebuild(settings, ids, run_id, version)

    monkeypatch.setattr(flows.reprocess, "rebuild_batch", counted)
    return sizes


def test_a_range_of_two_batches_is_replaced_whole_or_not_at_all(env, stored, tmp_path, monkeypatch):
    import flows.reprocess
    from flows.reprocess import reprocess

    _, seed_id, sudan_id = stored
    before = {seed_id: _derived(env.db, seed_id), sudan_id: _derived(env.db, sudan_id)}
    monkeypatch.setenv("NEWSDUCK_LEXICON", str(_lexicon_without(tmp_path, "meet")))
    monkeypatch.setenv("NEWSDUCK_BATCH_SIZE", "1")  # the seed article (2019), then the Sudan story
    monkeypatch.setattr(flows.reprocess, "replace_derived", flows.reprocess.replace_derived.with_options(retries=0))
    statements = flows.warehouse.read_statements(flows.reprocess.REPLACE_SQL)
    # The database fails once the Sudan story is being replaced, after every statement has run:
    # the seed article's new rows are written by then. Replaced batch by batch, the seed article
    # would stay on the new versions.
    monkeypatch.setattr(flows.reprocess, "_REPLACE_STATEMENTS", statements + [
        "select error('disk full') from batch_articles where published_at >= timestamp '2023-01-01'"])
    batches = _counting_batches(monkeypatch)
    with pytest.raises(Exception, match="disk full"):
        reprocess()
    assert batches == [1, 1]
    assert {aid: _derived(env.db, aid) for aid in before} == before  # neither article was replaced
    assert not _work_dirs(env)

    # The rerun redoes the whole range, in one transaction again.
    monkeypatch.setattr(flows.reprocess, "_REPLACE_STATEMENTS", statements)
    batches.clear()
    result = reprocess()
    assert (result["candidates"], result["reprocessed"], batches) == (2, 2, [1, 1])
    for aid in before:
        after = _derived(env.db, aid)
        assert after["article"][2] == result["nlp_version"] != before[aid]["article"][2]
        assert {e[3] for e in after["events"]} <= {result["nlp_version"]}
    assert not any(trigger == "meet" for _, trigger, _, _ in _derived(env.db, seed_id)["events"])
    assert not _work_dirs(env)
    assert reprocess()["candidates"] == 0


def test_a_reprocess_stopped_while_rebuilding_leaves_the_range_as_it_was(env, stored, tmp_path, monkeypatch):
    from flows import staging
    from flows.reprocess import reprocess

    _, seed_id, sudan_id = stored
    before = {seed_id: _derived(env.db, seed_id), sudan_id: _derived(env.db, sudan_id)}
    monkeypatch.setenv("NEWSDUCK_LEXICON", str(_lexicon_without(tmp_path, "meet")))
    monkeypatch.setenv("NEWSDUCK_BATCH_SIZE", "1")
    batches = _counting_batches(monkeypatch, fail_at=2)  # the first batch is rebuilt and staged
    with pytest.raises(RuntimeError, match="worker lost"):
        reprocess()
    assert batches == [1, 1]
    assert {aid: _derived(env.db, aid) for aid in before} == before
    assert not _work_dirs(env)

    # A killed run leaves its work directory behind; the next run drops it and redoes the range.
    killed = env.data_dir / "reprocess" / "killed-run"
    staging.write_batch(killed, "000000", {"articles": staging.empty_table("articles")})
    batches.clear()
    result = reprocess()
    assert (result["candidates"], result["reprocessed"], batches) == (2, 2, [1, 1])
    assert {_derived(env.db, aid)["article"][2] for aid in before} == {result["nlp_version"]}
    assert not _work_dirs(env)


def test_in_a_lake_readers_see_a_two_batch_range_all_old_or_all_new(prefect_harness, env, site, tmp_path, monkeypatch):
    """Every snapshot of a DuckLake is what a reader can see: none has half the range replaced."""
    from flows import warehouse
    from flows.backfill import backfill
    from flows.lake import Lake
    from flows.reprocess import reprocess

    lake = Lake(str(tmp_path / "catalog.ducklake"), f"{tmp_path.as_posix()}/lake-files/")
    monkeypatch.setenv("NEWSDUCK_LAKE", lake.catalog)
    monkeypatch.setenv("NEWSDUCK_LAKE_DATA_PATH", lake.data_path)
    site.add("/news/libya", SEED_HTML)
    site.add("/news/sudan", _text_page("sudan_talks", "2023-05-09T10:00:00Z"))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{site.url('/news/libya')}\n{site.url('/news/sudan')}\n")
    assert backfill(urls=[str(listing)])["articles_new"] == 2

    def snapshots() -> list[int]:
        with warehouse.connect(lake, read_only=True) as con:
            return [r[0] for r in con.execute("select snapshot_id from ducklake_snapshots('lake') order by 1").fetchall()]

    first = snapshots()[-1]
    monkeypatch.setenv("NEWSDUCK_LEXICON", str(_lexicon_without(tmp_path, "meet")))
    monkeypatch.setenv("NEWSDUCK_BATCH_SIZE", "1")
    batches = _counting_batches(monkeypatch)
    result = reprocess()
    assert (result["candidates"], result["reprocessed"], batches) == (2, 2, [1, 1])
    with warehouse.connect(lake, read_only=True) as con:
        seen = [sorted(r[0] for r in con.execute("select nlp_version from articles at (version => ?)",
                                                 [snapshot]).fetchall())
                for snapshot in snapshots() if snapshot >= first]
    old = seen[0]
    assert len(set(old)) == 1 and old[0] != result["nlp_version"]
    assert seen[-1] == [result["nlp_version"]] * 2
    assert all(versions in (old, seen[-1]) for versions in seen)  # never one old and one new
    assert not _work_dirs(env)
