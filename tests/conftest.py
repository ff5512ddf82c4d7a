"""Shared fixtures: the spaCy pipeline (loaded once per session), the seed article text."""

from __future__ import annotations

from pathlib import Path

import pytest

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
