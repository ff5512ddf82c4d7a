"""`newsduck report`: one self-contained HTML file whose charts render in headless Chromium,
offline, with no console errors."""

from __future__ import annotations

import re
from datetime import date

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.analysis.report import build_report, choose_grain
from tests.chromium import chromium_path, open_page

CHARTS = ["entity-trends", "event-timeline", "quad-class-balance", "top-dyads", "top-sources", "event-map",
          "country-dyads", "top-events"]

# Per chart: how many SVGs and how many drawn marks (bars, lines, points) it holds.
COUNT_MARKS = """JSON.stringify(Object.fromEntries(Array.from(document.querySelectorAll('div.chart')).map(
  div => [div.id, {svg: div.querySelectorAll('svg').length,
                   marks: div.querySelectorAll('svg g.role-mark > path, svg g.role-mark > line,'
                                               + ' svg g.role-mark > rect, svg g.role-mark > circle').length}])))"""


@pytest.fixture(scope="module")
def report_file(filled_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = CliRunner().invoke(app, ["report", "--out", str(out), "--db", str(filled_db)])
    assert result.exit_code == 0, result.output
    assert "8 charts" in result.output
    return out


def test_report_is_one_self_contained_file(report_file):
    page = report_file.read_text(encoding="utf-8")
    for key in CHARTS:
        assert f'id="chart-{key}"' in page
    # Nothing to fetch at view time: no external script, stylesheet or image, no CDN. (The
    # markup outside the inlined scripts; the browser test below watches the network too.)
    markup = re.sub(r"<script>.*?</script>", "<script></script>", page, flags=re.S)
    assert markup.count("<script></script>") == 2
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", markup, re.I)
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs"):
        assert cdn not in page
    assert "vegaEmbed" in page and 500_000 < report_file.stat().st_size < 3_000_000
    assert "– 2023-08-16" in page  # the whole archive by default: to the newest event
    assert "13 articles" in page


def test_report_renders_in_headless_chromium(report_file):
    binary = chromium_path()
    if binary is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run does it): "
                    "the report's charts were not rendered in a browser")
    browser, run = open_page(binary, report_file.as_uri(), ready="document.body && document.body.dataset.rendered")
    try:
        assert run.evaluate("document.body.dataset.rendered") == "ok"
        import json

        charts = json.loads(run.evaluate(COUNT_MARKS))
    finally:
        browser.close()
    assert run.errors == []
    assert run.requests == [report_file.as_uri()], "the page fetched something: it must work offline"
    assert sorted(charts) == sorted(f"chart-{key}" for key in CHARTS)
    for key, drawn in charts.items():
        assert drawn["svg"] == 1 and drawn["marks"] >= 3, f"{key} drew nothing: {drawn}"


def test_a_period_narrows_the_report_and_empty_charts_say_so(filled_db, tmp_path):
    report = build_report(filled_db, tmp_path / "april.html", since=date(2019, 4, 5), until=date(2019, 4, 5))
    assert (report.first_day, report.last_day, report.grain) == (date(2019, 4, 5), date(2019, 4, 5), "day")
    assert report.counts["articles"] == 1 and set(report.rendered) == {f.replace("_", "-") for f in CHARTS}
    nothing = build_report(filled_db, tmp_path / "empty.html", since=date(2030, 1, 1), until=date(2030, 1, 31))
    assert nothing.rendered == [] and nothing.counts["articles"] == 0
    assert nothing.path.read_text(encoding="utf-8").count("No data in this period.") == len(CHARTS)


def test_choose_grain():
    assert choose_grain(date(2024, 1, 1), date(2024, 3, 1)) == "day"
    assert choose_grain(date(2024, 1, 1), date(2025, 1, 1)) == "week"
    assert choose_grain(date(2020, 1, 1), date(2024, 1, 1)) == "month"
