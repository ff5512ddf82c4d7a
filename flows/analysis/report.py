"""`newsduck report`: one self-contained HTML file with charts of what the warehouse holds.

The data comes from the queries in sql/report/ (over the v_* views); the charts are Vega-Altair
specs with their data inline, and the Vega, Vega-Lite and Vega-Embed JavaScript is inlined too
(bundled by vl-convert), so the file opens from disk, offline, with no server.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import altair as alt
import pyarrow as pa

from flows import warehouse
from flows.analysis.queries import bind_params

log = logging.getLogger(__name__)

REPORT_SQL = warehouse.SQL_DIR / "report"

# GDELT's QuadClass order and colours: cooperation in greens, conflict in reds.
QUAD_CLASSES = ["Verbal Cooperation", "Material Cooperation", "Verbal Conflict", "Material Conflict"]
QUAD_COLORS = ["#a1d99b", "#31a354", "#fdae6b", "#e6550d"]
WIDTH = 760


@dataclass
class Chart:
    key: str
    title: str
    note: str
    spec: dict | None  # None: no data in the period


@dataclass
class Report:
    path: Path
    first_day: date | None
    last_day: date | None
    grain: str
    counts: dict[str, int]
    charts: list[Chart] = field(default_factory=list)

    @property
    def rendered(self) -> list[str]:
        return [c.key for c in self.charts if c.spec is not None]

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def read_table(con, name: str, given: dict[str, str]) -> pa.Table:
    """Run sql/report/NAME.sql with the parameters it uses."""
    text = (REPORT_SQL / f"{name}.sql").read_text(encoding="utf-8")
    used = {k: v for k, v in given.items() if f"${k}" in text}
    return con.execute(text, bind_params(text, used)).to_arrow_table()


def choose_grain(first_day: date, last_day: date) -> str:
    """Days for up to three months, weeks for up to two years, months beyond."""
    span = (last_day - first_day).days
    return "day" if span <= 92 else "week" if span <= 730 else "month"


def build_report(db: warehouse.Target, out: Path, *, since: date | None = None, until: date | None = None,
                 wait: float = 5.0) -> Report:
    """Query the database (read-only) and write the HTML report to `out`.

    Args:
        db: the DuckDB file.
        out: where to write the HTML.
        since, until: the period (inclusive); None means from the first / to the last day with data.
        wait: seconds to wait for another process's write lock.

    Returns:
        What was written: the period, its counts and which charts had data.
    """
    with warehouse.connect(db, read_only=True, wait=wait) as con:
        summary = read_table(con, "summary", {
            "since": since.isoformat() if since else "all",
            "until": until.isoformat() if until else "all",
        }).to_pylist()[0]
        first_day, last_day = summary.pop("first_day"), summary.pop("last_day")
        if first_day is None or last_day is None:  # an empty database
            tables: dict[str, pa.Table] = {}
            grain = "day"
        else:
            grain = choose_grain(first_day, last_day)
            params = {"first_day": first_day.isoformat(), "last_day": last_day.isoformat(), "grain": grain}
            tables = {name: read_table(con, name, params) for name in
                      ("entity_trends", "event_timeline", "quad_class_balance", "top_dyads", "top_sources",
                       "event_map", "country_dyads", "top_events")}
    report = Report(out, first_day, last_day, grain, summary)
    report.charts = make_charts(tables, grain)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_html(report), encoding="utf-8")
    log.info("report %s: %s bytes, charts %s", out, report.size, report.rendered)
    return report


def make_charts(tables: dict[str, pa.Table], grain: str) -> list[Chart]:
    """The eight charts, each a Vega-Lite spec with its data inline (None when it has no data)."""
    time_unit = {"day": "utcyearmonthdate", "week": "utcyearmonthdate", "month": "utcyearmonth"}[grain]
    period = alt.X("period:T", timeUnit=time_unit, title=grain.capitalize())
    quad_scale = alt.Scale(domain=QUAD_CLASSES, range=QUAD_COLORS)
    counts = alt.Axis(tickMinStep=1, format="d")  # counts have no fractions

    def spec(name: str, build) -> dict | None:
        table = tables.get(name)
        if table is None or table.num_rows == 0:
            return None
        return build(alt.Chart(table)).properties(width=WIDTH).to_dict()

    return [
        Chart("entity-trends", "Entity mention trends",
              f"Mentions per {grain} of the most mentioned entities.",
              spec("entity_trends", lambda c: c.mark_line(point=True).encode(
                  x=period,
                  y=alt.Y("mentions:Q", title="Mentions", axis=counts),
                  color=alt.Color("entity:N", title="Entity"),
                  tooltip=["entity:N", alt.Tooltip("period:T", timeUnit=time_unit), "mentions:Q", "articles:Q"],
              ).properties(height=280))),
        Chart("event-timeline", "Event timeline by type",
              f"Events per {grain} by PLOVER type (negated events left out).",
              spec("event_timeline", lambda c: c.mark_bar().encode(
                  x=period,
                  y=alt.Y("sum(events):Q", title="Events", axis=counts),
                  color=alt.Color("event_type:N", title="PLOVER type", scale=alt.Scale(scheme="tableau20")),
                  tooltip=["event_type:N", "quad_class_name:N", alt.Tooltip("period:T", timeUnit=time_unit),
                           "events:Q"],
              ).properties(height=280))),
        Chart("quad-class-balance", "Cooperation and conflict (GDELT QuadClass)",
              f"Share of each QuadClass among the events of each {grain}.",
              spec("quad_class_balance", lambda c: c.mark_bar().encode(
                  x=period,
                  y=alt.Y("sum(events):Q", stack="normalize", title="Share of events", axis=alt.Axis(format="%")),
                  color=alt.Color("quad_class_name:N", title="QuadClass", scale=quad_scale, sort=QUAD_CLASSES),
                  order=alt.Order("quad_class:Q"),
                  tooltip=["quad_class_name:N", alt.Tooltip("period:T", timeUnit=time_unit), "events:Q"],
              ).properties(height=240))),
        Chart("top-dyads", "Top dyads (actor → target)",
              "The actor–target pairs with the most events, by QuadClass.",
              spec("top_dyads", lambda c: c.mark_bar().encode(
                  y=alt.Y("dyad:N", title=None, sort=alt.EncodingSortField("total", order="descending"),
                        axis=alt.Axis(labelLimit=360)),
                  x=alt.X("sum(events):Q", title="Events", axis=counts),
                  color=alt.Color("quad_class_name:N", title="QuadClass", scale=quad_scale, sort=QUAD_CLASSES),
                  order=alt.Order("quad_class:Q"),
                  tooltip=["dyad:N", "quad_class_name:N", "events:Q", "total:Q"],
              ))),
        Chart("top-sources", "Top sources",
              "Articles per source; the tooltip adds words and events.",
              spec("top_sources", lambda c: c.mark_bar().encode(
                  y=alt.Y("source:N", title=None, sort="-x", axis=alt.Axis(labelLimit=360)),
                  x=alt.X("articles:Q", title="Articles", axis=counts),
                  tooltip=["source:N", "articles:Q", "words:Q", "events:Q"],
              ))),
        Chart("event-map", "Where events happened",
              "Each real-world event at its action place (GeoNames), by PLOVER type; the larger, the "
              "more articles reported it.",
              _map_spec(tables.get("event_map"))),
        Chart("country-dyads", "Country dyads over time",
              f"Real-world events per {grain} between the most active pairs of countries (actor's → "
              "target's); the tooltip adds articles and the mean Goldstein value.",
              spec("country_dyads", lambda c: c.mark_line(point=True).encode(
                  x=period,
                  y=alt.Y("events:Q", title="Events", axis=counts),
                  color=alt.Color("dyad:N", title="Dyad"),
                  tooltip=["dyad:N", alt.Tooltip("period:T", timeUnit=time_unit), "events:Q", "articles:Q",
                           "goldstein:Q"],
              ).properties(height=280))),
        Chart("top-events", "Most reported events",
              "Real-world events by the number of distinct sources that reported them (copies of one "
              "story on several sites count as several sources, one story).",
              spec("top_events", lambda c: c.mark_bar().encode(
                  y=alt.Y("event:N", title=None, sort=alt.EncodingSortField("num_sources", order="descending"),
                          axis=alt.Axis(labelLimit=520)),
                  x=alt.X("num_sources:Q", title="Sources", axis=counts),
                  color=alt.Color("event_type:N", title="PLOVER type", scale=alt.Scale(scheme="tableau20")),
                  tooltip=["event:N", "num_sources:Q", "num_articles:Q", "num_mentions:Q", "num_stories:Q",
                           "source_url:N"],
              ))),
    ]


def _map_spec(table: pa.Table | None) -> dict | None:
    """The world's countries, and the events on them as circles."""
    if table is None or table.num_rows == 0:
        return None
    land = alt.Chart(alt.Data(values=world_outline())).mark_geoshape(fill="#eeeeee", stroke="#bbbbbb",
                                                                     strokeWidth=0.4)
    events = alt.Chart(table).mark_circle(opacity=0.75, stroke="white", strokeWidth=0.5).encode(
        longitude="lon:Q",
        latitude="lat:Q",
        size=alt.Size("articles:Q", title="Articles", scale=alt.Scale(range=[40, 600], zero=False),
                      legend=alt.Legend(format="d", tickMinStep=1)),
        color=alt.Color("event_type:N", title="PLOVER type", scale=alt.Scale(scheme="tableau20")),
        tooltip=["day:N", "event_type:N", "dyad:N", "place:N", "country:N", "articles:Q", "sources:Q"],
    )
    return (land + events).project("equalEarth").properties(width=WIDTH, height=420).to_dict()


@functools.cache
def world_outline() -> list[dict]:
    """Country outlines as GeoJSON features, from the countryinfo package's data (offline).

    Vega draws a polygon's inside by the winding of its rings: each ring is turned to the winding
    Vega expects (outer rings clockwise), since a few of the package's run the other way and would
    paint the whole globe."""
    import countryinfo

    features = []
    for path in sorted((Path(countryinfo.__file__).parent / "data").glob("*.json")):
        outline = json.loads(path.read_text(encoding="utf-8")).get("geoJSON") or {}
        for feature in outline.get("features", []):
            geometry = feature.get("geometry") or {}
            polygons = ([geometry["coordinates"]] if geometry.get("type") == "Polygon"
                        else geometry.get("coordinates", []) if geometry.get("type") == "MultiPolygon" else [])
            polygons = [[_wound(ring, outer=i == 0) for i, ring in enumerate(polygon)] for polygon in polygons]
            if polygons:
                features.append({"type": "Feature", "properties": {"id": feature.get("id")},
                                 "geometry": {"type": "MultiPolygon", "coordinates": polygons}})
    return features


def _wound(ring: list[list[float]], *, outer: bool) -> list[list[float]]:
    """The ring clockwise when outer, anticlockwise when a hole (by its signed area)."""
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1]))
    clockwise = area < 0
    return ring if clockwise == outer else ring[::-1]


def vega_bundle() -> str:
    """Vega, Vega-Lite (the version this Altair targets) and Vega-Embed as one classic script
    that sets window.vegaEmbed."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())


def _script_safe(text: str) -> str:
    """JavaScript that cannot end the <script> element it sits in early: "</script" and "<!--"
    become "<\\/script" and "<\\!--", which mean the same in a JS string or regex."""
    return re.sub(r"<(/script|!--)", r"<\\\1", text, flags=re.I)


def render_html(report: Report) -> str:
    """The whole page: header, one section per chart, the inlined JavaScript."""
    esc = html.escape
    period = (f"{report.first_day} – {report.last_day}" if report.first_day else "no data yet")
    counts = " · ".join(f"{value:,} {name}" for name, value in report.counts.items())
    sections = []
    for chart in report.charts:
        body = (f'<div class="chart" id="chart-{chart.key}"></div>' if chart.spec is not None
                else '<p class="empty">No data in this period.</p>')
        sections.append(f'<section><h2>{esc(chart.title)}</h2><p class="note">{esc(chart.note)}</p>{body}</section>')
    specs = {f"chart-{c.key}": c.spec for c in report.charts if c.spec is not None}
    # "<" as \\u003c: the same in JSON and JS, and no title can end the script early.
    specs_js = json.dumps(specs, ensure_ascii=False, default=str).replace("<", "\\u003c")
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newsduck report {esc(period)}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 960px;
       padding: 0 1rem; color: #222; }}
h1 {{ margin-bottom: .2rem; }}
.meta {{ color: #555; margin-top: 0; }}
section {{ margin: 2.5rem 0; }}
.note {{ color: #555; margin: .2rem 0 .8rem; }}
.empty {{ color: #888; font-style: italic; }}
footer {{ color: #888; font-size: .85rem; margin-top: 3rem; }}
</style>
<script>
{_script_safe(vega_bundle())}
</script>
</head>
<body>
<h1>newsduck report</h1>
<p class="meta">{esc(period)} · {esc(counts)} · one chart per {esc(report.grain)}</p>
{chr(10).join(sections)}
<footer>Generated {esc(generated)} by <code>newsduck report</code> from the v_* views; works offline.</footer>
<script>
const specs = {specs_js};
Promise.all(Object.entries(specs).map(
  ([id, spec]) => vegaEmbed("#" + id, spec, {{renderer: "svg", actions: false}})
)).then(
  () => {{ document.body.dataset.rendered = "ok"; }},
  (error) => {{ document.body.dataset.rendered = "error"; console.error(error); }}
);
</script>
</body>
</html>
"""
