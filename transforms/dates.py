"""Relative and absolute date expressions resolved against an article's publish date (pure).

"on Thursday" in a story of Friday 2019-04-05 is 2019-04-04; "last month" is 2019-03 (precision
month); "in October" in a February story is last October; "in 2011" is the year 2011. Weekdays
and bare months look back for past events and forward for future ones ("will meet on Monday").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

# Publish dates further ahead of now than this (clock skew, time zones) are wrong: no date.
FUTURE_SLACK = timedelta(days=1)

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
_MONTH_ABBR = {m[:3]: i + 1 for i, m in enumerate(MONTHS)} | {"sept": 9}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 3, "few": 3, "couple": 2}

_ISO = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_MONTH_WORD = (r"(january|february|march|april|may|june|july|august|september|october|november"
               r"|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_WORD}(?:,?\s+((?:19|20)\d\d))?\b")
_MONTH_DAY = re.compile(rf"\b{_MONTH_WORD}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+((?:19|20)\d\d))?")
_MONTH_YEAR = re.compile(rf"\b{_MONTH_WORD}\s+((?:19|20)\d\d)\b")
_MONTH_ONLY = re.compile(rf"\b(last|next|this|early|late|mid|earlier|later)?[\s-]*{_MONTH_WORD}(?=\W|$)")
_YEAR = re.compile(r"\b((?:19|20)\d\d)\b(?!s)")
_AGO = re.compile(r"\b(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|few|couple)"
                  r"\s+(?:of\s+)?(day|week|month|year)s?\s+(ago|earlier|before|later)\b")


@dataclass(frozen=True, slots=True)
class ResolvedDate:
    """A date expression resolved to a day, a month (day=1) or a year (month=day=1)."""

    value: date
    precision: str  # "day" | "month" | "year"


def _add_months(d: date, months: int) -> date:
    """The first of the month `months` after (or before) d's month."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _weekday(published: date, weekday: int, future: bool, modifier: str) -> date:
    """The weekday nearest the publish date: on or before it for the past, on or after for the
    future; "last" / "next" force a week back / forward."""
    delta = (published.weekday() - weekday) % 7
    if modifier == "next" or future and modifier != "last":
        ahead = (weekday - published.weekday()) % 7
        if modifier == "next" and ahead == 0:
            ahead = 7
        return published + timedelta(days=ahead)
    if modifier == "last" and delta == 0:
        delta = 7
    return published - timedelta(days=delta)


def _month_year(published: date, month: int, future: bool, modifier: str) -> int:
    """The year of a bare month name: the latest such month not after publication (past events),
    the next one not before it (future events); "last"/"next" as said."""
    if modifier == "last":
        return published.year if month < published.month else published.year - 1
    if modifier == "next":
        return published.year if month > published.month else published.year + 1
    if modifier == "this":
        return published.year
    if future:
        return published.year if month >= published.month else published.year + 1
    return published.year if month <= published.month else published.year - 1


def resolve_date(expression: str, published: date | None, future: bool = False) -> ResolvedDate | None:
    """Resolve one date expression.

    Args:
        expression: the text of a DATE/TIME entity or a few words ("late on Thursday").
        published: the article's publish date; relative expressions need it.
        future: the event is future/planned (weekdays and bare months then look forward).

    Returns:
        The resolved date with its precision, or None when the expression cannot be placed
        (durations such as "three years", decades, "the past", a date outside years 1-9999).
    """
    try:
        return _resolve(expression, published, future)
    except (ValueError, OverflowError):  # "100000 years ago", "31 February 2019": no such date
        return None


def _resolve(expression: str, published: date | None, future: bool) -> ResolvedDate | None:
    text = " ".join(expression.lower().replace("\u2019", "'").split())
    if not text:
        return None
    if m := _ISO.search(text):
        return ResolvedDate(date(int(m[1]), int(m[2]), int(m[3])), "day")
    for pattern, order in ((_DAY_MONTH, "dm"), (_MONTH_DAY, "md")):
        if m := pattern.search(text):
            day, mon = (m[1], m[2]) if order == "dm" else (m[2], m[1])
            month = _MONTH_ABBR.get(mon[:4] if mon.startswith("sept") else mon[:3])
            if month is None or (not m[3] and published is None):
                continue
            year = int(m[3]) if m[3] else _month_year(published, month, future, "")  # type: ignore[arg-type]
            return ResolvedDate(date(year, month, int(day)), "day")
    if m := _MONTH_YEAR.search(text):
        month = _MONTH_ABBR.get(m[1][:3])
        if month:
            return ResolvedDate(date(int(m[2]), month, 1), "month")
    if published is None:
        if m := _YEAR.search(text):
            return ResolvedDate(date(int(m[1]), 1, 1), "year")
        return None
    return _relative(text, published, future)


def _relative(text: str, published: date, future: bool) -> ResolvedDate | None:
    """Expressions that need the publish date: weekdays, today, last month, two weeks ago..."""
    words = re.findall(r"[a-z]+|\d+", text)
    for i, word in enumerate(words):
        if word in WEEKDAYS:
            modifier = words[i - 1] if i and words[i - 1] in ("last", "next", "this") else ""
            return ResolvedDate(_weekday(published, WEEKDAYS.index(word), future, modifier), "day")
    if {"today", "tonight", "overnight"} & set(words) or re.search(
        r"\bthis (morning|afternoon|evening)\b|\bearlier today\b", text
    ):
        return ResolvedDate(published, "day")
    if "yesterday" in words:
        return ResolvedDate(published - timedelta(days=1), "day")
    if "tomorrow" in words:
        return ResolvedDate(published + timedelta(days=1), "day")
    if m := _AGO.search(text):
        n = int(m[1]) if m[1].isdigit() else _NUMBERS[m[1]]
        sign = 1 if m[3] == "later" else -1
        unit = m[2]
        if unit == "day":
            return ResolvedDate(published + sign * timedelta(days=n), "day")
        if unit == "week":
            return ResolvedDate(_add_months(published + sign * timedelta(days=7 * n), 0), "month")
        if unit == "month":
            return ResolvedDate(_add_months(published, sign * n), "month")
        return ResolvedDate(date(published.year + sign * n, 1, 1), "year")
    for unit, months in (("week", None), ("month", 1), ("year", 12)):
        if re.search(rf"\b(last|past|previous) {unit}\b", text):
            if months is None:
                return ResolvedDate(_add_months(published - timedelta(days=7), 0), "month")
            if unit == "year":
                return ResolvedDate(date(published.year - 1, 1, 1), "year")
            return ResolvedDate(_add_months(published, -1), "month")
        if re.search(rf"\bnext {unit}\b", text):
            if months is None:
                return ResolvedDate(_add_months(published + timedelta(days=7), 0), "month")
            if unit == "year":
                return ResolvedDate(date(published.year + 1, 1, 1), "year")
            return ResolvedDate(_add_months(published, 1), "month")
        if re.search(rf"\b(this|current) {unit}\b", text) or re.search(rf"\b{unit} to date\b", text):
            if unit == "year":
                return ResolvedDate(date(published.year, 1, 1), "year")
            return ResolvedDate(_add_months(published, 0), "month")
    if m := _MONTH_ONLY.search(text):
        month = _MONTH_ABBR.get(m[2][:4] if m[2].startswith("sept") else m[2][:3])
        # "may" is a month only when it cannot be the modal verb: with a modifier or alone
        if month and not (m[2] == "may" and not m[1] and text.strip() != "may"):
            year = _month_year(published, month, future, m[1] or "")
            return ResolvedDate(date(year, month, 1), "month")
    if m := _YEAR.search(text):
        return ResolvedDate(date(int(m[1]), 1, 1), "year")
    return None
