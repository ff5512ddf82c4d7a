"""Shared fixtures: the spaCy pipeline (loaded once per session), the seed article text."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Prefect's home for the test session: not the repository's data directory.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="newsduck-prefect-"))

# Prefect sets up its log handlers on the stderr of the moment `prefect.main` is first imported.
# Import it now: first imported inside a CliRunner invocation, they would keep writing to that
# invocation's captured stream after it closed ("I/O operation on closed file", then recursion).
import flows  # noqa: E402,F401  (first: it sets Prefect's offline defaults)
import prefect.main  # noqa: E402,F401

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def nlp():
    """The real pinned spaCy pipeline with the gazetteer, loaded once for the whole session."""
    from flows.nlp import load_pipeline
    from flows.settings import Settings

    return load_pipeline(Settings().model)


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The wire story the project was founded on (Libya, 5 April 2019)."""
    return (FIXTURES / "texts" / "seed_article.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (it takes ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture
def site():
    """A real HTTP server on 127.0.0.1 with routes the test adds."""
    from tests.sitekit import Site

    server = Site()
    yield server
    server.close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Settings for a test: database and data directory in tmp_path, local hosts allowed,
    no politeness delays. Returns the Settings the flows will see."""
    from flows.settings import Settings

    values = {
        "NEWSDUCK_DB": str(tmp_path / "news.duckdb"),
        "NEWSDUCK_DATA_DIR": str(tmp_path / "data"),
        "NEWSDUCK_ALLOW_PRIVATE_HOSTS": "1",
        "NEWSDUCK_PER_HOST_DELAY": "0",
        "NEWSDUCK_MAX_RETRY_WAIT": "2",
        "NEWSDUCK_LOCK_WAIT": "5",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return Settings()


@pytest.fixture(scope="session")
def filled_db(prefect_harness, tmp_path_factory) -> Path:
    """A database filled by one real ingest run over a small news archive (tests/newsroom.py):
    thirteen stories, the seed article among them. Shared by the analysis tests: read it only."""
    from tests.newsroom import fill_database

    return fill_database(tmp_path_factory.mktemp("archive"))
