"""Parameterised .sql files: `$name` parameters, with defaults declared in the file's header.

A query file declares each of its parameters on a comment line

    -- @param days 7        window length in days

(name, default as one token or "in double quotes", then a description). `null` as the default
means SQL NULL. Values
given on the command line (`--param days=14`) override the defaults; every value reaches DuckDB
as a string, so the SQL casts it (`$days::int`, `try_cast($since as date)`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from flows.warehouse import SQL_DIR

QUERIES_DIR = SQL_DIR / "queries"

_PARAM_LINE = re.compile(r'^--\s*@param\s+(\w+)\s+("[^"\n]*"|\S+)[ \t]*(.*)$', re.M)
_COMMENT = re.compile(r"--[^\n]*")
_STRING = re.compile(r"'(?:[^']|'')*'")
_PLACEHOLDER = re.compile(r"\$([A-Za-z_]\w*)")


class QueryParamError(ValueError):
    """A parameter is missing, or was given but the query has no such parameter."""


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    default: str | None
    description: str


def declared_params(text: str) -> dict[str, Param]:
    """The `-- @param` declarations of a query, by name."""
    params = {}
    for name, default, description in _PARAM_LINE.findall(text):
        if default.lower() == "null":
            value = None
        else:
            value = default[1:-1] if default.startswith('"') else default
        params[name] = Param(name, value, description.strip())
    return params


def used_params(text: str) -> list[str]:
    """The `$name` placeholders the SQL uses (comments and string literals ignored), in order."""
    code = _STRING.sub("''", _COMMENT.sub("", text))
    return list(dict.fromkeys(_PLACEHOLDER.findall(code)))


def bind_params(text: str, given: dict[str, str | None]) -> dict[str, str | None]:
    """The values to run `text` with: the given ones over the declared defaults.

    Raises QueryParamError for a given name the query does not use, or a used name that has
    neither a value nor a default.
    """
    used = used_params(text)
    unknown = sorted(set(given) - set(used))
    if unknown:
        known = ", ".join(used) or "none"
        raise QueryParamError(f"unknown parameter(s) {', '.join(unknown)}; this query takes: {known}")
    declared = declared_params(text)
    values: dict[str, str | None] = {}
    missing = []
    for name in used:
        if name in given:
            values[name] = given[name]
        elif name in declared:
            values[name] = declared[name].default
        else:
            missing.append(name)
    if missing:
        raise QueryParamError(f"missing parameter(s): {', '.join(missing)} (give --param NAME=VALUE)")
    return values


def question(text: str) -> str:
    """The first comment line of a query file: the question it answers."""
    for line in text.splitlines():
        if line.startswith("--") and not _PARAM_LINE.match(line):
            return line.lstrip("- ").strip()
    return ""


def read_sql(path: Path) -> str:
    return Path(path).read_text(encoding="utf-8")
