"""Date expressions resolved against the publish date (transforms/dates.py, pure)."""

from __future__ import annotations

from datetime import date

import pytest

from transforms.dates import resolve_date

FRIDAY = date(2019, 4, 5)  # the seed article's publish date


@pytest.mark.parametrize(
    ("text", "future", "expected", "precision"),
    [
        ("Thursday", False, date(2019, 4, 4), "day"),
        ("late on Thursday", False, date(2019, 4, 4), "day"),
        ("Friday", False, date(2019, 4, 5), "day"),
        ("Monday", True, date(2019, 4, 8), "day"),
        ("last Friday", False, date(2019, 3, 29), "day"),
        ("next Friday", False, date(2019, 4, 12), "day"),
        ("yesterday", False, date(2019, 4, 4), "day"),
        ("overnight", False, date(2019, 4, 5), "day"),
        ("this morning", False, date(2019, 4, 5), "day"),
        ("three days ago", False, date(2019, 4, 2), "day"),
        ("last month", False, date(2019, 3, 1), "month"),
        ("later this month", False, date(2019, 4, 1), "month"),
        ("next month", False, date(2019, 5, 1), "month"),
        ("last week", False, date(2019, 3, 1), "month"),
        ("in October", False, date(2018, 10, 1), "month"),
        ("in October", True, date(2019, 10, 1), "month"),
        ("March", False, date(2019, 3, 1), "month"),
        ("March 3", False, date(2019, 3, 3), "day"),
        ("3 March 2018", False, date(2018, 3, 3), "day"),
        ("April 2011", False, date(2011, 4, 1), "month"),
        ("2011", False, date(2011, 1, 1), "year"),
        ("last year", False, date(2018, 1, 1), "year"),
        ("earlier this year", False, date(2019, 1, 1), "year"),
        ("2019-04-01", False, date(2019, 4, 1), "day"),
    ],
)
def test_resolves(text, future, expected, precision):
    resolved = resolve_date(text, FRIDAY, future=future)
    assert resolved is not None
    assert (resolved.value, resolved.precision) == (expected, precision)


def test_february_story_october_is_last_year():
    assert resolve_date("in October", date(2020, 2, 10)).value == date(2019, 10, 1)


def test_last_week_at_the_start_of_a_month_is_the_previous_month():
    assert resolve_date("last week", date(2019, 3, 3)).value == date(2019, 2, 1)


@pytest.mark.parametrize("text", ["three years", "the 1990s", "decades", "the night", "", "a while"])
def test_unplaceable_expressions(text):
    assert resolve_date(text, FRIDAY) is None


def test_relative_expressions_need_a_publish_date():
    assert resolve_date("Thursday", None) is None
    assert resolve_date("last month", None) is None
    assert resolve_date("4 April 2019", None).value == date(2019, 4, 4)
    assert resolve_date("in 2011", None).value == date(2011, 1, 1)


def test_words_that_contain_month_names_are_not_months():
    assert resolve_date("the junta's decade", FRIDAY) is None
