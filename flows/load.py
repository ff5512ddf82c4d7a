"""The `load-staged` flow: the one writer. Merges every staged batch, whoever staged it (runs on
this machine, or Prefect workers that only stage: NEWSDUCK_LOAD=false, writing to a shared
NEWSDUCK_STAGING_DIR), into DuckDB — oldest first, each in one transaction, exactly once
(`loaded_batches`), so merging again changes nothing.
"""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows import staging, warehouse
from flows.settings import get_settings


@flow(name="load-staged", log_prints=True)
def load_staged_batches(db: str | None = None, staging_dir: str | None = None) -> dict:
    """Merge the staged batches into the DuckDB file.

    Args:
        db: the DuckDB file [default: NEWSDUCK_DB].
        staging_dir: where the batches are [default: NEWSDUCK_STAGING_DIR, else <data_dir>/staged].

    Returns:
        batches merged, new and duplicate articles, and batches still waiting.

    Raises:
        warehouse.DatabaseBusy: the lock did not come within NEWSDUCK_LOCK_WAIT: nothing lost,
            the batches stay staged for the next load.
    """
    settings = get_settings(db=db, staging_dir=staging_dir)
    logger = get_run_logger()
    staging.remove_orphans(settings.staging_dir)
    waiting = len(staging.pending_batches(settings.staging_dir))
    counts = warehouse.load_staged(settings.warehouse, settings.staging_dir, wait=settings.lock_wait)
    left = len(staging.pending_batches(settings.staging_dir))  # staged by workers meanwhile
    logger.info("merged %s of %s staged batches from %s into %s: %s new articles, %s duplicates; %s arrived meanwhile",
                counts["batches"], waiting, settings.staging_dir, settings.warehouse, counts["articles_new"],
                counts["articles_duplicate"], left)
    return counts | {"waiting": left}
