"""Small pure helpers every backfill source shares: date windows, W3C dates, domain filters,
stable backfill ids."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from transforms.urls import host_of

# Dates a source declares for a page (a sitemap's news:publication_date, a URL list's column):
# as good as a feed's date. Capture dates (when an archive fetched the page) are only an upper
# bound on the publication date: transforms/page/pagemeta.py uses them last, after the page and the URL.
CAPTURE_DATE_SOURCES = frozenset({"warc", "wayback"})

_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


@dataclass(frozen=True, slots=True)
class DateWindow:
    """Publication dates [since, until); either end may be open."""

    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_days(cls, since: date | None, until: date | None) -> DateWindow:
        """The window of whole days since..until, both days included (until the last day: open)."""
        return cls(
            datetime(since.year, since.month, since.day) if since else None,
            datetime(until.year, until.month, until.day) + timedelta(days=1) if until and until < date.max else None,
        )

    @property
    def open(self) -> bool:
        return self.since is None and self.until is None

    def excludes(self, when: datetime | None) -> bool:
        """True when `when` is known and outside the window (an unknown date is never excluded)."""
        if when is None:
            return False
        return (self.since is not None and when < self.since) or (self.until is not None and when >= self.until)

    def describe(self) -> str:
        since = self.since.date().isoformat() if self.since else "…"
        until = (self.until - timedelta(days=1)).date().isoformat() if self.until else "…"
        return "" if self.open else f"{since}..{until}"


def parse_day(value: str) -> date:
    """'2024-03-01' (or a full ISO timestamp: its day) -> date. Raises ValueError."""
    value = value.strip()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """A W3C/ISO 8601 date or timestamp (sitemaps, WARC-Date, CSV columns) -> naive UTC.

    Accepts YYYY, YYYY-MM, YYYY-MM-DD, and timestamps with or without seconds, fractions and an
    offset ('Z', '+02:00'). A timestamp without an offset is taken as UTC. None when unreadable.
    """
    value = (value or "").strip()
    if not value:
        return None
    short = _YEAR_MONTH.match(value)
    if short:
        try:
            return datetime(int(short[1]), int(short[2] or 1), 1)
        except ValueError:
            return None
    if len(value) > 10 and value[10] == " ":
        value = value[:10] + "T" + value[11:]
    value = re.sub(r"(\.\d{1,6})\d*", r"\1", value)  # more digits than microseconds
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
        except OverflowError:  # "0001-01-01T00:00+01:00": in UTC it is before year 1
            return None
    return parsed


def in_domains(url: str, domains: Sequence[str]) -> bool:
    """True when the URL's host is one of the domains or a subdomain of one (no domains: True)."""
    if not domains:
        return True
    host = host_of(url).rstrip(".")
    for domain in domains:
        domain = domain.lower().strip().lstrip(".").rstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def backfill_id(source: str, identity: str, window: DateWindow, domains: Sequence[str]) -> str:
    """Stable id of one backfill: the source, what it reads, and the filters.

    The same command run again finds its checkpoints; other filters make another backfill.
    """
    key = json.dumps([source, identity, window.describe(), sorted(d.lower() for d in domains)])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
