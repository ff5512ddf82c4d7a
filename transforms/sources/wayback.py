"""The Wayback Machine's CDX API: query parameters out, JSON rows in, snapshots out.

A backfill lists the captures under a URL prefix page by page (`limit` rows and a resume key),
keeps HTML pages captured with status 200, one per URL, and fetches each capture in its original
form (the `id_` flag: no replay banner, no rewritten links).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from transforms.records import Skipped
from transforms.urls import canonicalize_url

FIELDS = ("timestamp", "original", "mimetype", "statuscode", "digest")
HTML_MIMETYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One capture of one page."""

    url: str  # the page's own URL, canonicalised
    original: str  # the URL as the archive recorded it (what the snapshot URL needs)
    timestamp: str  # 14 digits, UTC
    captured_at: datetime  # the same, naive UTC
    mimetype: str
    digest: str


@dataclass(frozen=True, slots=True)
class CdxPage:
    snapshots: tuple[Snapshot, ...]
    skipped: tuple[Skipped, ...]
    resume_key: str  # "" when there are no more pages


def cdx_params(prefix: str, since: date | None, until: date | None, *, limit: int,
               resume_key: str = "") -> list[tuple[str, str]]:
    """Query parameters for one page of captures under `prefix` between two days (inclusive).

    A prefix ending in '*' is passed as is (the API's own wildcard); otherwise matchType=prefix.
    The server filters to status 200 HTML and keeps the first capture of each URL.
    """
    params = [("url", prefix), ("output", "json"), ("fl", ",".join(FIELDS))]
    if not prefix.endswith("*"):
        params.append(("matchType", "prefix"))
    if since:
        params.append(("from", since.strftime("%Y%m%d")))
    if until:
        params.append(("to", until.strftime("%Y%m%d")))
    params += [("filter", "statuscode:200"), ("filter", "mimetype:text/html"), ("collapse", "urlkey"),
               ("limit", str(limit)), ("showResumeKey", "true")]
    if resume_key:
        params.append(("resumeKey", resume_key))
    return params


def parse_cdx_json(raw: bytes) -> CdxPage | Skipped:
    """Parse one page of `output=json` CDX results.

    Args:
        raw: the response body: a header row of field names, capture rows, then (when the
            result was cut by `limit`) an empty row and a row holding the resume key.

    Returns:
        CdxPage (captures the server should have filtered out, such as revisits or non-HTML,
        are in `skipped` with a reason), or Skipped("", "malformed_cdx") for anything else.
    """
    text = raw.decode("utf-8", errors="replace").strip()
    if not text:
        return CdxPage((), (), "")
    try:
        rows = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested past json's limit
        return Skipped("", "malformed_cdx", f"{type(exc).__name__}: {exc}"[:200])
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        return Skipped("", "malformed_cdx", "not a list of rows")
    if not rows:
        return CdxPage((), (), "")
    header, body = [str(h) for h in rows[0]], rows[1:]
    resume_key = ""
    if len(body) >= 2 and body[-2] == [] and len(body[-1]) == 1:
        resume_key, body = str(body[-1][0]), body[:-2]
    missing = [f for f in ("timestamp", "original") if f not in header]
    if missing:
        return Skipped("", "malformed_cdx", f"no {', '.join(missing)} column")
    snapshots, skipped = [], []
    for row in body:
        if not row:
            continue
        record = dict(zip(header, (str(v) for v in row)))
        snapshot = _snapshot(record)
        if isinstance(snapshot, Skipped):
            skipped.append(snapshot)
        else:
            snapshots.append(snapshot)
    return CdxPage(tuple(snapshots), tuple(skipped), resume_key)


def _snapshot(record: dict[str, str]) -> Snapshot | Skipped:
    original = record.get("original", "")
    mimetype = record.get("mimetype", "").lower()
    status = record.get("statuscode", "200")
    if mimetype == "warc/revisit":
        return Skipped(original, "revisit", record.get("timestamp", ""))
    if mimetype and mimetype not in HTML_MIMETYPES:
        return Skipped(original, "not_html", mimetype)
    if status not in ("200", "-", ""):
        return Skipped(original, f"http_{status}", record.get("timestamp", ""))
    captured = parse_timestamp14(record.get("timestamp", ""))
    url = canonicalize_url(original)
    if captured is None or not url:
        return Skipped(original, "malformed_cdx", f"row {record}"[:200])
    return Snapshot(url, original, record["timestamp"][:14], captured, mimetype, record.get("digest", ""))


def parse_timestamp14(value: str) -> datetime | None:
    """'20190405120000' (or a shorter prefix of it) -> naive UTC datetime."""
    digits = (value or "").strip()
    if not digits.isdigit() or len(digits) < 4:
        return None
    digits = (digits + "0101000000"[len(digits) - 4:])[:14] if len(digits) < 14 else digits[:14]
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        return None


def snapshot_url(pattern: str, snapshot: Snapshot) -> str:
    """The URL of a capture in its original form, e.g. web.archive.org/web/{timestamp}id_/{url}."""
    return pattern.format(timestamp=snapshot.timestamp, url=snapshot.original)
