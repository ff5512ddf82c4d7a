"""Page metadata: the publication date and where it came from, language, title, canonical URL.

Pure: a parsed page (and the feed's date, the URL, the time passed in) in, values out. The
clock is never read: htmldate runs with fixed bounds.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement

from transforms.sources.backfill import CAPTURE_DATE_SOURCES
from transforms.dates import FUTURE_SLACK
from transforms.urls import host_of

# fixed date bounds so htmldate never reads the clock; future dates are the caller's call
DATE_PARAMS = {"original_date": True, "extensive_search": False, "max_date": "2100-12-31"}
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "og:article:published_time", "datepublished",
    "publishdate", "publish-date", "publish_date", "pubdate", "sailthru.date", "parsely-pub-date",
    "dc.date.issued", "dcterms.issued", "dc.date", "dcterms.created", "date", "article.published",
)
_LANG_3 = {
    "eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "spa": "es", "ita": "it",
    "por": "pt", "rus": "ru", "ara": "ar", "zho": "zh", "chi": "zh", "jpn": "ja", "kor": "ko",
    "nld": "nl", "dut": "nl", "pol": "pl", "tur": "tr", "ukr": "uk", "swe": "sv", "ind": "id",
}
_PUBLISHED_TIME = XPath('//time[@itemprop="datePublished" or @pubdate]')
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?=[/_.-]|$)")


def meta_values(tree: HtmlElement) -> dict[str, str]:
    """First content of each <meta> by lowercased name/property/itemprop/http-equiv."""
    found: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        content = (meta.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = (meta.get(attr) or "").strip().lower()
            if key:
                found.setdefault(key, content)
    return found


def json_ld(tree: HtmlElement) -> list[dict]:
    """Every JSON-LD object on the page, @graph and lists flattened."""
    objects: list[dict] = []
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "")
        except (ValueError, TypeError, RecursionError):  # RecursionError: nested past json's limit
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                objects.append(item)
                if "@graph" in item:
                    stack.append(item["@graph"])
    return objects


def _parse_timestamp(value: str) -> tuple[datetime | None, bool]:
    """ISO-8601-ish string -> (naive UTC datetime, has an explicit time and offset).

    Placeholder values CMSes emit ("0001-01-01T00:00:00Z") and years outside 1990-2100 are None.
    """
    value = value.strip()
    if not re.match(r"(?:199\d|20\d\d|2100)-\d{2}-\d{2}", value):
        return None, False
    day, _, clock = value.partition(value[10:11]) if value[10:11] in ("T", "t", " ") else (value[:10], "", "")
    value = f"{day}T{clock.strip()}" if clock.strip() else day
    value = re.sub(r"(\.\d{1,6})\d*", r"\1", value)  # more than microseconds
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value[:10])
        except ValueError:
            return None, False
    parsed = parsed.replace(microsecond=0)
    if parsed.tzinfo is None:
        return parsed, False
    return parsed.astimezone(timezone.utc).replace(tzinfo=None), True


def page_date(tree: HtmlElement, metas: dict[str, str], ld: list[dict]) -> tuple[datetime | None, bool]:
    """Publication date from the page markup: (naive UTC datetime, precise to the minute?)."""
    candidates = [metas[key] for key in _PUBLISHED_META if key in metas]
    candidates += [str(obj["datePublished"]) for obj in ld if obj.get("datePublished")]
    candidates += [t.get("datetime", "") for t in _PUBLISHED_TIME(tree)]
    date_only = None
    for value in candidates:
        parsed, precise = _parse_timestamp(value)
        if parsed and precise:
            return parsed, True
        date_only = date_only or parsed
    if date_only:
        return datetime(date_only.year, date_only.month, date_only.day), False
    # htmldate's markup heuristics, without the URL (a URL date is not a page date)
    found = find_date(tree, url="", **DATE_PARAMS)
    if found:
        day = date.fromisoformat(found)
        return datetime(day.year, day.month, day.day), False
    return None, False


def _url_date(url: str) -> datetime | None:
    """A /2019/04/05/ style date in the URL path."""
    match = _URL_DATE.search(url.split("?", 1)[0])
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def pick_date(page: datetime | None, precise: bool, feed: datetime | None, url: str,
               feed_source: str = "feed", now: datetime | None = None) -> tuple[datetime | None, str]:
    """Most precise trustworthy date and its source; a date after `now` (beyond a day's slack for
    time zones) is no date at all, whoever gave it: the page, the URL, a feed, a sitemap or list."""
    too_late = now + FUTURE_SLACK if now else None

    def believable(day: datetime | None) -> datetime | None:
        return None if day is None or (too_late and day > too_late) else day

    page, feed, from_url = believable(page), believable(feed), believable(_url_date(url))
    # a page timestamp with an offset > the feed's timestamp (if it agrees with a date-only page
    # value to within a day) > a date-only page value > a date in the URL > a capture date (an
    # archive's fetch time: when the page was already out, so only the last resort)
    captured = feed if feed_source in CAPTURE_DATE_SOURCES else None
    feed = None if captured else feed
    if page and precise:
        return page, "page"
    if feed and (page is None or abs(feed - page) <= timedelta(days=1, hours=12)):
        return feed, feed_source
    if page:
        return page, "page"
    if from_url:
        return from_url, "url"
    return (captured, feed_source) if captured else (None, "none")


def normalize_language(value: str) -> str:
    """'en-GB', 'en_US', 'eng' -> 'en'; '' when it is not a language code."""
    code = re.split(r"[-_,;\s]", value.strip().lower(), maxsplit=1)[0]
    if len(code) == 2 and code.isascii() and code.isalpha():
        return code
    return _LANG_3.get(code, "")


def page_language(tree: HtmlElement, metas: dict[str, str], ld: list[dict]) -> str:
    """Language declared by the page, ISO 639-1."""
    declared = [tree.get("lang", ""), tree.get("xml:lang", ""), tree.get("{http://www.w3.org/XML/1998/namespace}lang", "")]
    declared += [metas.get(key, "") for key in ("content-language", "og:locale", "language", "dc.language", "inlanguage")]
    declared += [str(obj["inLanguage"]) for obj in ld if isinstance(obj.get("inLanguage"), str)]
    for value in declared:
        if value and (code := normalize_language(value)):
            return code
    return ""


_TITLE_SEPARATOR = re.compile(r"\s+[|–—:-]\s+|\s+::\s+")


def clean_title(title: str, site_name: str, url: str) -> str:
    """The headline without a trailing or leading " | Site Name" (og:site_name or the host)."""
    title = " ".join(title.split())
    host = host_of(url).removeprefix("www.")
    labels = {label for label in host.split(".") if len(label) > 3}  # "morebikes" of morebikes.co.uk
    names = {_alnum(name) for name in (site_name, host, *labels)} - {""}
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) > 1 and _alnum(parts[-1]) in names:
        return title[: title.rfind(parts[-1])].rstrip(" |–—:-")
    if len(parts) > 1 and _alnum(parts[0]) in names and len(" ".join(parts[1:]).split()) >= 3:
        return title[len(parts[0]) :].lstrip(" |–—:-")
    return title


def _alnum(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def declared_canonical(tree: HtmlElement, metas: dict[str, str]) -> str:
    """href of <link rel=canonical>, else og:url."""
    for link in tree.iterfind(".//link[@rel]"):
        if "canonical" in link.get("rel", "").lower().split() and link.get("href", "").strip():
            return link.get("href", "").strip()
    return metas.get("og:url", "")
