"""docs/schema.md is checked against a freshly migrated database, both ways, so it cannot rot:
a new or changed column fails here until the page says what it means."""

from __future__ import annotations

import re
from pathlib import Path


from flows import warehouse

SCHEMA_DOC = Path(__file__).resolve().parent.parent / "docs" / "schema.md"
TABLE_HEADING = re.compile(r"^### `(\w+)`\s*$")
COLUMN_ROW = re.compile(r"^\| `(\w+)` \| ([A-Z0-9\[\]]+) \| (yes|no) \|")
VIEW_ROW = re.compile(r"^\| `(v_\w+)` \|")


def documented() -> tuple[dict[str, dict[str, tuple[str, str]]], set[str]]:
    """Tables -> column -> (type, null), and the views, as docs/schema.md lists them."""
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    views: set[str] = set()
    current = None
    for line in SCHEMA_DOC.read_text(encoding="utf-8").splitlines():
        if heading := TABLE_HEADING.match(line):
            current = tables.setdefault(heading.group(1), {})
        elif line.startswith("## "):
            current = None
        elif current is not None and (row := COLUMN_ROW.match(line)):
            current[row.group(1)] = (row.group(2), row.group(3))
        elif view := VIEW_ROW.match(line):
            views.add(view.group(1))
    return tables, views


def migrated(tmp_path) -> tuple[dict[str, dict[str, tuple[str, str]]], set[str]]:
    with warehouse.connect(tmp_path / "fresh.duckdb") as con:
        warehouse.migrate(con)
        rows = con.execute(
            "select c.table_name, c.column_name, c.data_type, c.is_nullable"
            " from information_schema.columns as c join information_schema.tables as t"
            " using (table_schema, table_name)"
            " where c.table_schema = 'main' and t.table_type = 'BASE TABLE'"
            " order by c.table_name, c.ordinal_position").fetchall()
        views = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' and table_type = 'VIEW'"
        ).fetchall()}
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    for table, column, data_type, nullable in rows:
        tables.setdefault(table, {})[column] = (data_type, "yes" if nullable == "YES" else "no")
    return tables, views


def test_every_table_and_column_is_documented(tmp_path):
    actual, _ = migrated(tmp_path)
    doc, _ = documented()
    missing = []
    for table, columns in actual.items():
        lines = [f"| `{c}` | {t} | {n} | ... |" for c, (t, n) in columns.items() if doc.get(table, {}).get(c) != (t, n)]
        if lines:
            heading = "" if table in doc else f"### `{table}`\n\n| column | type | null | meaning |\n|---|---|---|---|\n"
            missing.append(heading + "\n".join(lines))
    assert not missing, ("docs/schema.md does not match the migrations; add or fix these rows:\n\n"
                         + "\n\n".join(missing))


def test_nothing_documented_is_missing_from_the_database(tmp_path):
    actual, _ = migrated(tmp_path)
    doc, _ = documented()
    stale = [f"{table}.{column}" for table, columns in doc.items() for column in columns
             if column not in actual.get(table, {})]
    stale += [table for table in doc if table not in actual]
    assert not stale, f"docs/schema.md documents what the migrations do not create: {stale}"


def test_every_view_is_listed(tmp_path):
    _, views = migrated(tmp_path)
    _, listed = documented()
    assert views == listed, f"views in the database but not in docs/schema.md: {views - listed}; " \
                            f"listed but not in the database: {listed - views}"
