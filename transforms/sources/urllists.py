"""URL lists for a backfill: one URL per line, or a CSV with a `url` column (and optionally
`published_at`). Text in, entries out, in file order (the order is the resume position)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from transforms.sources.backfill import parse_w3c_datetime
from transforms.records import Skipped
from transforms.urls import canonicalize_url

_DATE_COLUMNS = ("published_at", "published", "date", "pubdate")


@dataclass(frozen=True, slots=True)
class ListEntry:
    url: str  # canonicalised
    published_at: datetime | None  # naive UTC, from the CSV's published_at column


def parse_url_list(text: str) -> tuple[tuple[ListEntry, ...], tuple[Skipped, ...]]:
    """Parse a URL list.

    Args:
        text: the file's text. A CSV when its first non-blank line is a header naming a `url`
            column; otherwise one URL per line (blank lines and # comments skipped).

    Returns:
        (entries, skipped): entries in file order with repeats dropped; lines that hold no
        http(s) URL as Skipped(line, "bad_url"), unreadable dates as Skipped(url, "bad_date"),
        CSV rows the csv module refuses as Skipped("line N", "bad_row").
    """
    text = text.lstrip("\ufeff")
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        header = [cell.strip().lower() for cell in next(csv.reader([first]), [])]
    except csv.Error:  # a line no CSV reader takes (a field past csv's size limit): no header
        header = []
    if "url" in header:
        return _parse_csv(text)
    rows = ((line.strip(), "") for line in text.splitlines())
    return _entries((url, published) for url, published in rows if url and not url.startswith("#"))


def _parse_csv(text: str) -> tuple[tuple[ListEntry, ...], tuple[Skipped, ...]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = {name.strip().lower(): name for name in reader.fieldnames or []}
    date_field = next((fields[c] for c in _DATE_COLUMNS if c in fields), None)
    return _entries(_csv_rows(reader, fields["url"], date_field))


def _csv_rows(reader: csv.DictReader, url_field: str, date_field: str | None) -> Iterator[tuple[str, str] | Skipped]:
    """(url, date) of each row; a row the csv module refuses is Skipped("line N", "bad_row")."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a field past csv's size limit: that row, not the list
            yield Skipped(f"line {reader.line_num}", "bad_row", str(exc)[:200])
            continue
        yield (row.get(url_field) or "").strip(), (row.get(date_field) or "").strip() if date_field else ""


def _entries(rows: Iterable[tuple[str, str] | Skipped]) -> tuple[tuple[ListEntry, ...], tuple[Skipped, ...]]:
    entries: list[ListEntry] = []
    skipped: list[Skipped] = []
    seen: set[str] = set()
    for row in rows:
        if isinstance(row, Skipped):
            skipped.append(row)
            continue
        raw_url, raw_date = row
        url = canonicalize_url(raw_url) if raw_url else ""
        if not url:
            skipped.append(Skipped(raw_url[:200], "bad_url", "not an http(s) URL"))
            continue
        published = parse_w3c_datetime(raw_date) if raw_date else None
        if raw_date and published is None:
            skipped.append(Skipped(url, "bad_date", raw_date[:100]))
        if url not in seen:
            seen.add(url)
            entries.append(ListEntry(url, published))
    return tuple(entries), tuple(skipped)
