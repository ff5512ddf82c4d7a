"""URL canonicalisation: one URL per story, whatever tracking junk a feed adds."""

from __future__ import annotations

import hashlib
from urllib.parse import urljoin, urlsplit

import courlan


def canonicalize_url(url: str, base_url: str = "") -> str:
    """Return the canonical form of an http(s) URL, or "" when it is not one.

    Resolves relative links against base_url, lowercases the host, drops default ports,
    fragments and tracking parameters (utm_*, fbclid, at_medium, ...), sorts the query.
    """
    url = (url or "").strip()
    try:
        if base_url:
            url = urljoin(base_url, url)
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # "http://[::1", a host that NFKC changes ("a\uff03b.com"): no URL at all
        return ""
    if parts.scheme not in ("http", "https") or not host:
        return ""
    try:
        cleaned = courlan.normalize_url(url, trailing_slash=True)
    except ValueError:
        return ""
    return cleaned.split("#", 1)[0]


def pick_canonical(declared: str | None, fetched_url: str) -> str:
    """Prefer the page's <link rel=canonical> unless it is implausible.

    Sites get canonical tags wrong: some point every page at the homepage, some at another
    domain. Accept it only on the same registered host family and not as a bare root.
    """
    fetched = canonicalize_url(fetched_url)
    candidate = canonicalize_url(declared or "", fetched_url)
    if not candidate:
        return fetched
    cand, got = urlsplit(candidate), urlsplit(fetched)
    if cand.path in ("", "/") and got.path not in ("", "/"):
        return fetched
    if _site(cand.hostname or "") != _site(got.hostname or ""):
        return fetched
    return candidate


def article_id(canonical_url: str) -> str:
    """Stable id of an article: derived from its canonical URL, the same on every machine."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


def host_of(url: str) -> str:
    """Lowercased host name of a URL ("" when none, or when the URL cannot be parsed)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # "http://[::1", a host that NFKC changes
        return ""


def _site(host: str) -> str:
    """Last two labels of a host (three for a ccTLD second level like .co.uk): good enough to
    tell www.example.com and amp.example.com apart from another publisher."""
    labels = host.lower().split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in {"co", "com", "org", "net", "ac", "gov"}:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])
