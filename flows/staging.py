"""Staged batches: a batch's rows as Parquet files on disk, waiting to be merged into DuckDB.

The network and NLP work of a batch is committed here first, so a busy or locked database, a
crash or a kill never loses it: the loader merges whatever is staged, oldest first. A batch
directory appears atomically (written under a temporary name, then renamed).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_URL = pa.struct([("url", pa.string()), ("kind", pa.string())])

SCHEMAS: dict[str, pa.Schema] = {
    "articles": pa.schema([
        ("article_id", pa.string()),
        ("canonical_url", pa.string()),
        ("feed_url", pa.string()),
        ("title", pa.string()),
        ("author", pa.string()),
        ("published_at", pa.timestamp("us")),
        ("date_source", pa.string()),
        ("language", pa.string()),
        ("body", pa.string()),
        ("body_source", pa.string()),
        ("body_hash", pa.string()),
        ("word_count", pa.int32()),
        ("fetched_at", pa.timestamp("us")),
        ("extractor_version", pa.string()),
        ("nlp_version", pa.string()),
        ("run_id", pa.string()),
        ("urls", pa.list_(_URL)),
        ("final_url", pa.string()),
        ("http_status", pa.int32()),
        ("content_type", pa.string()),
        ("html_gz", pa.binary()),
        ("position", pa.int32()),  # order in the batch: of two copies of a body, the first wins
        ("focus_country", pa.string()),
        ("tone", pa.float64()),
        ("captions", pa.list_(pa.string())),
        ("minhash", pa.list_(pa.uint32())),  # the body's MinHash signature (transforms/coding/stories.py)
        ("story_buckets", pa.list_(pa.int64())),  # its LSH buckets, which the loader matches on
    ]),
    "entities": pa.schema([
        ("article_id", pa.string()),
        ("entity_id", pa.string()),
        ("name", pa.string()),
        ("name_norm", pa.string()),
        ("label", pa.string()),
        ("aliases", pa.list_(pa.string())),
        ("alias_norms", pa.list_(pa.string())),
        ("mention_count", pa.int32()),
        ("nlp_version", pa.string()),
        ("country", pa.string()),
        ("role", pa.string()),
        ("actor_code", pa.string()),
        ("geonameid", pa.int64()),
        ("geo_name", pa.string()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("geo_country", pa.string()),
        ("admin1", pa.string()),
        ("feature_class", pa.string()),
    ]),
    "mentions": pa.schema([
        ("article_id", pa.string()),
        ("start_char", pa.int32()),
        ("end_char", pa.int32()),
        ("text", pa.string()),
        ("label", pa.string()),
        ("sentence_idx", pa.int32()),
        ("entity_id", pa.string()),
        ("nlp_version", pa.string()),
    ]),
    "events": pa.schema([
        ("article_id", pa.string()),
        ("sentence_idx", pa.int32()),
        ("start_char", pa.int32()),
        ("end_char", pa.int32()),
        ("trigger", pa.string()),
        ("event_type", pa.string()),
        ("cameo_root", pa.string()),
        ("quad_class", pa.int8()),
        ("actor_id", pa.string()),
        ("actor_text", pa.string()),
        ("target_id", pa.string()),
        ("target_text", pa.string()),
        ("location_id", pa.string()),
        ("location_text", pa.string()),
        ("event_date", pa.date32()),
        ("date_precision", pa.string()),
        ("date_source", pa.string()),
        ("negated", pa.bool_()),
        ("nlp_version", pa.string()),
        ("cameo_code", pa.string()),
        ("goldstein", pa.float64()),
        ("tone", pa.float64()),
        ("actor_country", pa.string()),
        ("actor_role", pa.string()),
        ("actor_code", pa.string()),
        ("target_country", pa.string()),
        ("target_role", pa.string()),
        ("target_code", pa.string()),
        ("geo_id", pa.int64()),
        ("lat", pa.float64()),
        ("lon", pa.float64()),
        ("action_country", pa.string()),
    ]),
    "skips": pa.schema([
        ("run_id", pa.string()),
        ("stage", pa.string()),
        ("url", pa.string()),
        ("feed_url", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("permanent", pa.bool_()),
        ("skipped_at", pa.timestamp("us")),
        ("versions", pa.string()),  # "<extractor>+<nlp>" when our code raised on it: an upgrade retries it
    ]),
    "feeds": pa.schema([
        ("feed_url", pa.string()),
        ("name", pa.string()),
        ("language", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("title", pa.string()),
        ("etag", pa.string()),
        ("last_modified", pa.string()),
        ("last_status", pa.string()),
        ("last_http_status", pa.int32()),
        ("last_error", pa.string()),
        ("last_fetched_at", pa.timestamp("us")),
        ("last_success_at", pa.timestamp("us")),
        ("consecutive_errors", pa.int32()),
        ("items_seen", pa.int64()),
        ("last_item_count", pa.int32()),
        ("first_seen_at", pa.timestamp("us")),
    ]),
    "checkpoints": pa.schema([  # a backfill's progress, merged with the work it records
        ("backfill_id", pa.string()),
        ("unit", pa.string()),
        ("source", pa.string()),
        ("label", pa.string()),
        ("resume_at", pa.string()),
        ("done", pa.bool_()),
        ("run_id", pa.string()),
        ("updated_at", pa.timestamp("us")),
    ]),
    "feed_items": pa.schema([
        ("feed_url", pa.string()),
        ("url", pa.string()),
        ("first_seen_at", pa.timestamp("us")),
        ("published_at", pa.timestamp("us")),
        ("title", pa.string()),
    ]),
    "runs": pa.schema([
        ("run_id", pa.string()),
        ("flow", pa.string()),
        ("started_at", pa.timestamp("us")),
        ("finished_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("feeds_total", pa.int32()),
        ("feeds_ok", pa.int32()),
        ("feeds_not_modified", pa.int32()),
        ("feeds_failed", pa.int32()),
        ("articles_new", pa.int32()),
        ("articles_known", pa.int32()),
        ("articles_duplicate", pa.int32()),
        ("articles_failed", pa.int32()),
        ("summary_md", pa.string()),
        ("articles_deferred", pa.int32()),
    ]),
}


def to_table(name: str, rows: Iterable[Mapping[str, object]]) -> pa.Table:
    """Rows (dicts) as an Arrow table of the staged schema `name`."""
    return pa.Table.from_pylist(list(rows), schema=SCHEMAS[name])


def empty_table(name: str) -> pa.Table:
    return SCHEMAS[name].empty_table()


def write_batch(staging_dir: Path, batch_id: str, tables: Mapping[str, pa.Table]) -> Path:
    """Write a batch's tables as Parquet and make the batch visible atomically."""
    staging_dir.mkdir(parents=True, exist_ok=True)
    final = staging_dir / batch_id
    tmp = staging_dir / f".tmp-{batch_id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    for name, table in tables.items():
        if name not in SCHEMAS:
            raise ValueError(f"unknown staged table {name!r}")
        path = tmp / f"{name}.parquet"
        pq.write_table(table.cast(SCHEMAS[name]), path, compression="zstd")
        _fsync(path)
    _fsync(tmp)
    os.rename(tmp, final)
    _fsync(staging_dir)
    return final


def read_batch(batch_dir: Path) -> dict[str, pa.Table]:
    """Every staged table of a batch; tables the batch did not write come back empty."""
    return {
        name: pq.read_table(batch_dir / f"{name}.parquet", schema=schema)
        if (batch_dir / f"{name}.parquet").exists()
        else schema.empty_table()
        for name, schema in SCHEMAS.items()
    }


def pending_batches(staging_dir: Path) -> list[Path]:
    """Staged batches waiting to be merged, oldest first (batch ids sort by time)."""
    if not staging_dir.exists():
        return []
    return sorted(p for p in staging_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def set_aside(batch_dir: Path) -> Path:
    """Move a batch the warehouse refuses out of the queue, into <staging dir>/.failed/, for a
    human to look at; the loader goes on with the others."""
    aside = batch_dir.parent / ".failed" / batch_dir.name
    aside.parent.mkdir(exist_ok=True)
    os.rename(batch_dir, aside)
    return aside


def remove_batch(batch_dir: Path) -> None:
    shutil.rmtree(batch_dir, ignore_errors=True)


def remove_orphans(staging_dir: Path, older_than: float = 3600.0) -> None:
    """Drop half-written batches a killed writer left behind (never renamed into place).

    Only old ones: a writer in another process may be filling a young one right now.
    """
    if staging_dir.exists():
        cutoff = time.time() - older_than
        for p in staging_dir.iterdir():
            if p.name.startswith(".tmp-") and p.stat().st_mtime < cutoff:
                shutil.rmtree(p, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
