"""DuckDB extensions from their PyPI wheels (duckdb-extension-fts, -ducklake, -postgres), loaded by
path: never from the network, whose autoloader does not work offline."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb


def extension_path(module: str, name: str) -> Path:
    """The extension file inside its installed wheel, for this DuckDB version."""
    package = __import__(module)
    return Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"


def fts_extension_path() -> Path:
    return extension_path("duckdb_extension_fts", "fts")


def postgres_extension_path() -> Path:
    """The postgres extension under the file name DuckDB expects.

    DuckDB derives an extension's entry point from its file name; the wheel ships
    `postgres.duckdb_extension`, whose entry point is `postgres_scanner_duckdb_cpp_init`.
    """
    link = Path(tempfile.gettempdir()) / f"newsduck-extensions-{os.getuid()}" / "postgres_scanner.duckdb_extension"
    target = extension_path("duckdb_extension_postgres", "postgres")
    if not link.exists() or link.resolve() != target.resolve():
        link.parent.mkdir(mode=0o700, exist_ok=True)
        temporary = link.with_name(f".{os.getpid()}.{link.name}")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(target)
        temporary.replace(link)  # atomic: two processes may do this at once
    return link


def quote(value: str) -> str:
    """A SQL string literal (LOAD and ATTACH take no parameters; the value is a path or a
    setting, not data)."""
    return "'" + value.replace("'", "''") + "'"


def load_statement(path: Path) -> str:
    return f"load {quote(path.as_posix())}"
