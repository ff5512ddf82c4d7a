"""How long the full-text index rebuild takes, and what it costs on disk.

DuckDB's fts index is not incremental: every load that brings new articles rebuilds it whole
(flows/analysis/search.py), holding the write lock meanwhile. This builds a throwaway database of N
synthetic articles (sentences of the test fixtures' news texts, reshuffled, with made-up names
so the vocabulary grows with N as a real archive's does), then times the rebuild and a search.

    .venv/bin/python bench/search_index.py [N ...]      # default: 1000 10000
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flows import warehouse
from flows.analysis import search  # noqa: E402

TEXTS = [*sorted((ROOT / "tests" / "fixtures" / "texts").glob("*.txt")),
         *sorted((ROOT / "tests" / "fixtures" / "gold").glob("*.txt"))]


def synthetic_articles(n: int, seed: int = 7) -> pa.Table:
    rng = random.Random(seed)
    sentences = [s.strip() for path in TEXTS for s in re.split(r"(?<=[.!?])\s+", path.read_text(encoding="utf-8"))
                 if len(s.split()) > 5]
    syllables = ["ka", "ro", "mi", "tan", "sul", "vek", "dor", "ami", "zel", "qua", "bri", "not"]
    rows = []
    start = datetime(2024, 1, 1)
    for i in range(n):
        names = ["".join(rng.choices(syllables, k=3)).capitalize() for _ in range(4)]
        body = " ".join(rng.choice(sentences).replace("the", rng.choice(names), 1) for _ in range(25))
        title = " ".join(rng.choice(sentences).split()[:10])
        url = f"https://example.org/story/{i}"
        rows.append({
            "article_id": hashlib.sha1(url.encode()).hexdigest()[:16],
            "canonical_url": url,
            "title": title,
            "published_at": start + timedelta(minutes=37 * i),
            "date_source": "page",
            "language": "en",
            "body": body,
            "body_source": "page",
            "body_hash": hashlib.sha1(body.encode()).hexdigest(),
            "word_count": len(body.split()),
            "fetched_at": start + timedelta(minutes=37 * i),
            "extractor_version": "bench",
            "nlp_version": "bench",
        })
    return pa.Table.from_pylist(rows)


def measure(n: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        with warehouse.connect(db) as con:
            warehouse.migrate(con)
            table = synthetic_articles(n)
            con.register("synthetic", table)
            con.execute("insert into articles by name select * from synthetic")
            con.unregister("synthetic")
            words = con.execute("select sum(word_count) from articles").fetchone()[0]
            con.execute("checkpoint")
            size_before = db.stat().st_size
            first = search.refresh_index(con)
            again = search.refresh_index(con)  # nothing changed: the checksum only
            started = time.perf_counter()
            assert search.refresh_index(con) is None
            check = time.perf_counter() - started
            forced = search.refresh_index(con, force=True)
            con.execute("checkpoint")
            size_after = db.stat().st_size
            started = time.perf_counter()
            hits = search.search(con, "ceasefire talks army", limit=10)
            query = time.perf_counter() - started
        assert again is None and hits
    return {"articles": n, "words": words, "rebuild_s": round(first, 2), "rebuild_again_s": round(forced, 2),
            "unchanged_check_ms": round(check * 1000, 1), "search_ms": round(query * 1000, 1),
            "db_mb_before": round(size_before / 1e6, 1), "db_mb_after": round(size_after / 1e6, 1)}


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [1000, 10000]:
        print(measure(n), flush=True)
