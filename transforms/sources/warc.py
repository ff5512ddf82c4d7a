"""Which WARC/ARC records are news pages: the record's headers in, a verdict out.

The file itself is read streaming by flows/backfill_sources.py with warcio; this module only
decides, from plain values, whether a record is an HTML page response worth cleaning.
"""

from __future__ import annotations

from collections.abc import Sequence

from transforms.sources.backfill import in_domains

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def classify_record(rec_type: str, url: str, status: str | None, content_type: str,
                    domains: Sequence[str] = ()) -> str | None:
    """Why a record is skipped, or None when it is an HTML page to clean.

    Args:
        rec_type: the WARC-Type (warcio maps ARC records to "response").
        url: WARC-Target-URI.
        status: the HTTP status code of a response record, None when it has no HTTP headers.
        content_type: the HTTP Content-Type header ("" when absent).
        domains: keep only pages on these domains or their subdomains (empty: all).

    Returns:
        None, or the reason: the record type for non-responses ("request", "metadata",
        "revisit", "warcinfo", ...), "not_http", "http_<status>", "not_html", "other_domain".
    """
    if rec_type != "response":
        return rec_type or "unknown_record"
    if not url.lower().startswith(("http://", "https://")) or status is None:
        return "not_http"
    if status != "200":
        return f"http_{status}"
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type not in HTML_TYPES:  # no type at all: the cleaner sniffs the bytes
        return "not_html"
    if not in_domains(url, domains):
        return "other_domain"
    return None
