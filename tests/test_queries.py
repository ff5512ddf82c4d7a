"""The example queries (sql/queries/*.sql) run through `newsduck sql --file` on a database filled
by a real ingest run, with their declared defaults and with parameters; and the parameter rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.analysis.queries import QUERIES_DIR, QueryParamError, bind_params, declared_params, question, used_params

# The example questions: each shows how to run it. (Other .sql files there are the flows' own.)
QUERIES = sorted(p for p in QUERIES_DIR.glob("*.sql") if "-- newsduck sql --file" in p.read_text(encoding="utf-8"))


def run_query(db: Path, name: str, *params: str) -> list[dict]:
    args = ["sql", "--file", str(QUERIES_DIR / f"{name}.sql"), "--format", "json", "--db", str(db)]
    for param in params:
        args += ["--param", param]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.strip()]


def test_there_are_example_queries():
    assert len(QUERIES) >= 6


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_each_query_asks_a_question_and_declares_its_parameters(path):
    text = path.read_text(encoding="utf-8")
    assert "?" in question(text), "the first line asks the question it answers"
    assert f"-- newsduck sql --file sql/queries/{path.name}" in text
    declared = declared_params(text)
    assert set(used_params(text)) == set(declared), "every $param declared with a default, none unused"
    assert text.rstrip().endswith("select * from final;")


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.stem)
def test_each_query_runs_with_its_defaults(filled_db, path):
    assert run_query(filled_db, path.stem), f"{path.name} returned nothing on the test archive"


def test_who_met_whom(filled_db):
    rows = run_query(filled_db, "who_met_whom", "as_of=2019-04-05", "days=7")
    pairs = {(r["actor"], r["target"]) for r in rows}
    assert ("Antonio Guterres", "Khalifa Haftar") in pairs
    assert all("2019-03-30" < r["event_date"] <= "2019-04-05" for r in rows)
    latest = run_query(filled_db, "who_met_whom")  # the week up to the newest event
    assert latest and all(r["event_date"] > "2023-08-09" for r in latest)


def test_rising_entities_compares_two_windows(filled_db):
    rows = run_query(filled_db, "rising_entities", "as_of=2019-04-05", "days=14")
    by_name = {r["name"]: r for r in rows}
    assert by_name["Khalifa Haftar"]["before"] == 0 and by_name["Khalifa Haftar"]["recent"] >= 5
    growth = [r["growth"] for r in rows]
    assert growth == sorted(growth, reverse=True)


def test_events_in_place_by_type(filled_db):
    libya = run_query(filled_db, "events_in_place_by_type")
    types = {r["event_type"] for r in libya}
    assert {"CONSULT", "ASSAULT"} <= types
    assert all(r["day"] <= "2019-04-05" for r in libya)  # the Libya story only
    mali = run_query(filled_db, "events_in_place_by_type", "place=Mali")
    assert mali and all(r["day"].startswith("2022") for r in mali)


def test_entity_timeline_takes_an_alias(filled_db):
    rows = run_query(filled_db, "entity_timeline", "entity=Haftar")
    assert rows == run_query(filled_db, "entity_timeline")  # "Haftar" is an alias of Khalifa Haftar
    assert {"actor", "target"} <= {r["role"] for r in rows}
    assert [r["event_date"] for r in rows] == sorted(r["event_date"] for r in rows)


def test_co_mentioned_with(filled_db):
    rows = run_query(filled_db, "co_mentioned_with", "limit=5")
    assert len(rows) == 5 and "Tripoli" in {r["other"] for r in rows}
    assert "Khalifa Haftar" not in {r["other"] for r in rows}


def test_top_sources_and_conflict_balance(filled_db):
    sources = run_query(filled_db, "top_sources")
    assert sources[0]["source"] == "World" and sum(r["articles"] for r in sources) == 13
    assert sum(r["articles"] for r in run_query(filled_db, "top_sources", "since=2023-01-01", "until=2023-12-31")) == 4
    weeks = run_query(filled_db, "conflict_balance_weekly")
    assert all(0 <= (w["conflict_pct"] or 0) <= 100 for w in weeks)
    assert sum(w["events"] for w in weeks) > 40


def test_a_wrong_parameter_is_refused_with_the_list_of_right_ones(filled_db):
    result = CliRunner().invoke(app, ["sql", "--file", str(QUERIES_DIR / "who_met_whom.sql"),
                                      "--param", "day=3", "--db", str(filled_db)])
    assert result.exit_code == 2
    assert "unknown parameter(s) day" in result.output and "as_of, days" in result.output


def test_bind_params():
    text = ("-- Q?\n-- @param who \"Khalifa Haftar\"  a name\n-- @param n null\n"
            "select $who, $n, '$not_a_param' -- $nor_this\n")
    assert used_params(text) == ["who", "n"]
    assert bind_params(text, {}) == {"who": "Khalifa Haftar", "n": None}
    assert bind_params(text, {"n": "3"}) == {"who": "Khalifa Haftar", "n": "3"}
    with pytest.raises(QueryParamError, match="missing parameter"):
        bind_params("select $x", {})
    with pytest.raises(QueryParamError, match="unknown parameter"):
        bind_params("select 1", {"x": "1"})
