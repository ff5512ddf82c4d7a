"""The `backfill` flow: load history from URL lists, sitemaps, WARC/ARC files and the Wayback
Machine, through the same fetch, clean, NLP, staging and merge path as the live ingest.

Resumable: every batch is staged together with its checkpoint rows (how far its unit got), and
the merge writes both in one transaction, so a checkpoint never claims work that is not in the
warehouse. A run cut off by Ctrl-C or kill -9 goes on from its last staged batch. Idempotent:
pages already stored are never fetched again, and a finished backfill is skipped whole (`--fresh`
lists its sources again, e.g. to retry pages that failed transiently).
"""

from __future__ import annotations

import json
import logging
import sys
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from flows import compute, staging, warehouse, workers
from flows.articles import Job, process_batch
from flows.backfill_sources import (Page, Passed, Source, Stop, Unit, sitemap_source, url_list_source, warc_files,
                                    warc_source, wayback_source)
from flows.ingest import load_staged
from flows.runcontrol import RunStopped, run_lock, run_window
from flows.settings import Settings, get_settings
from transforms.sources.backfill import DateWindow, parse_day
from transforms.records import Article
from transforms.sources.shards import Shard, parse_shard


@dataclass(frozen=True, slots=True)
class Checkpoint:
    resume_at: dict | None
    done: bool


@dataclass
class SourceStats:
    """What one source gave in this run."""

    kind: str
    label: str
    status: str = "not started"  # done | already done | stopped | page budget reached | not started
    resumed: bool = False
    found: int = 0  # pages it offered (after its own filters)
    known: int = 0  # already stored, or failed for good: not fetched
    repeated: int = 0  # offered twice in this run
    staged: int = 0  # clean articles staged
    new: int = 0  # of those, new in the warehouse (the rest: duplicates, or loaded by another run)
    duplicate: int = 0  # the same body as a stored article under another URL
    skipped: Counter = field(default_factory=Counter)  # records and entries not processed, by reason
    failed: Counter = field(default_factory=Counter)  # pages (and listings) that failed, by reason
    batch_ids: list[str] = field(default_factory=list)


@flow(name="backfill", log_prints=True)
def backfill(
    urls: list[str] | None = None,
    sitemap: list[str] | None = None,
    warc: list[str] | None = None,
    wayback: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    domain: list[str] | None = None,
    max_pages: int | None = None,
    fresh: bool = False,
    db: str | None = None,
    progress: bool | None = None,
    shard: str | None = None,
    task_runner: str | None = None,
    load: bool | None = None,
) -> dict:
    """Load historical articles from URL lists, sitemaps, WARC/ARC files and the Wayback Machine.

    Args:
        urls: files of URLs (one per line, or a CSV with url and optionally published_at).
        sitemap: sitemap or sitemap index URLs.
        warc: WARC/ARC files, or directories holding them.
        wayback: URL prefixes whose captures to list through the Wayback CDX API.
        since, until: YYYY-MM-DD, both days included: keep articles published in between.
        domain: keep only pages on these domains (and their subdomains).
        max_pages: process at most this many new pages in this run; the next run goes on.
        fresh: ignore the checkpoints: list every source again (stored pages are still skipped).
        db: the DuckDB file [default: NEWSDUCK_DB].
        progress: show a progress bar (default: when stderr is a terminal).
        shard: "i/n": only the units (a WARC file, a URL list, one sitemap of an index, a
            Wayback prefix) whose key hashes to shard i of n, so n workers split the sources
            with no unit taken twice; each shard has its own lock.
        task_runner: "local" or "dask": where cleaning and NLP run [default: NEWSDUCK_TASK_RUNNER].
        load: merge the staged batches into DuckDB (False: stage only) [default: NEWSDUCK_LOAD].
    """
    settings = get_settings(db=db, task_runner=task_runner, load=load)
    part = parse_shard(shard) if shard else None
    logger = get_run_logger()
    window = DateWindow.from_days(parse_day(since) if since else None, parse_day(until) if until else None)
    lock = "backfill" if part is None else f"backfill-shard-{part.index}-of-{part.count}"
    with run_lock(settings.data_dir, lock), run_window(), compute.cpu_stage(settings):
        run = _Run(settings, logger, window, max_pages,
                   sys.stderr.isatty() if progress is None else progress, part)
        sources = _plan(urls or [], sitemap or [], warc or [], wayback or [], window, list(domain or []), settings)
        return run.execute(sources, fresh)


def _plan(urls: list[str], sitemaps: list[str], warcs: list[str], waybacks: list[str], window: DateWindow,
          domains: list[str], settings: Settings) -> list[Source]:
    return ([url_list_source(Path(p), window, domains) for p in urls]
            + [sitemap_source(u, window, domains, settings) for u in sitemaps]
            + [warc_source(p, window, domains, settings) for p in warc_files(warcs)]
            + [wayback_source(prefix, window, domains, settings) for prefix in waybacks])


class _Run:
    """One backfill run: batches, checkpoints, the page budget, progress and the summary."""

    def __init__(self, settings: Settings, logger, window: DateWindow, max_pages: int | None, progress: bool,
                 shard: Shard | None = None):
        from prefect.runtime import flow_run

        self.shard = shard
        self.settings = settings
        self.logger = logger
        self.window = window
        self.budget = max_pages
        self.progress = progress
        self.started = warehouse.utcnow()
        self.run_id = str(flow_run.id or self.started.strftime("local-%Y%m%dT%H%M%S"))
        self.seen: set[str] = set()
        self.batches = 0

    # -- the run -----------------------------------------------------------------------------

    def execute(self, sources: list[Source], fresh: bool) -> dict:
        staging.remove_orphans(self.settings.staging_dir)
        self._load()  # a killed run's staged batches first: their checkpoints count
        stats = [SourceStats(s.kind, s.label) for s in sources]
        stopped = False
        for source, stat in zip(sources, stats):
            if self.budget is not None and self.budget <= 0:
                break
            try:
                self._run_source(source, stat, fresh)
            except RunStopped:  # the batch in hand was not staged: its checkpoint neither
                workers.abandon()
                stat.status, stopped = "stopped by a signal: run it again to go on", True
                self.logger.warning("backfill stopped by a signal; the next run goes on from the last staged batch")
                break
        loaded = self._load()
        self._count_loaded(stats)
        summary = self._summary(stats, loaded is not None or not self.settings.load)
        self.logger.info("%s", summary)
        create_markdown_artifact(key="backfill-summary", markdown=summary, description="newsduck backfill run")
        staging.write_batch(self.settings.staging_dir, self._batch_id("zz-run"),
                            {"runs": staging.to_table("runs", [self._run_row(stats, summary, stopped)])})
        loaded = self._load()
        return {
            "run_id": self.run_id,
            "status": "stopped" if stopped else "completed",
            "sources": [{"source": s.kind, "label": s.label, "status": s.status, "resumed": s.resumed,
                         "found": s.found, "new": s.new,
                         "duplicate": s.duplicate, "already_present": s.known + s.repeated,
                         "failed": dict(s.failed), "skipped": dict(s.skipped)} for s in stats],
            "found": sum(s.found for s in stats),
            "articles_new": sum(s.new for s in stats),
            "articles_duplicate": sum(s.duplicate for s in stats),
            "already_present": sum(s.known + s.repeated for s in stats),
            "failed": sum(sum(s.failed.values()) for s in stats),
            "skipped": sum(sum(s.skipped.values()) for s in stats),
            "loaded": loaded is not None,
        }

    def _run_source(self, source: Source, stat: SourceStats, fresh: bool) -> None:
        checkpoints = {} if fresh else read_checkpoints(self.settings, source.backfill_id)
        whole = checkpoints.get("")
        if whole and whole.done:
            stat.status = "already done"
            self.logger.info("%s %s: finished by an earlier run (use --fresh to list it again)",
                             source.kind, source.label)
            return
        stat.resumed = bool(checkpoints)
        if stat.resumed:
            self.logger.info("%s %s: resuming from %s", source.kind, source.label,
                             {k or "(source)": c.resume_at for k, c in checkpoints.items() if not c.done})
        bar = _Progress(f"{source.kind} {_short(source.label)}", self.progress)
        all_done, outcome, others = True, "done", 0
        try:
            # console log lines go above the bar instead of through it
            with logging_redirect_tqdm([logging.getLogger()]) if self.progress else nullcontext():
                for item in source.units({k for k, c in checkpoints.items() if c.done and k}):
                    if isinstance(item, Unit) and self.shard and not self.shard.holds(
                            f"{source.backfill_id}/{item.key}"):
                        others += 1  # another shard's unit
                    elif isinstance(item, Unit):
                        resume_at = checkpoints[item.key].resume_at if item.key in checkpoints else None
                        outcome = self._run_unit(source, item, resume_at, stat, bar)
                        all_done &= outcome == "done"
                        if outcome == "budget":
                            break
                    else:
                        self._passed(item, stat)
                        all_done &= not isinstance(item, Stop)
        finally:
            bar.close()
        if all_done and source.multi_unit and not others:  # every unit done: so is the source
            self._stage({"checkpoints": self._checkpoints(source, "", None, True)})
        stat.status = "done" if all_done else ("page budget reached" if outcome == "budget" else "stopped")
        if others:  # units another shard takes: this one did the rest
            stat.status = f"other shards ({others} units)" if all_done and not stat.found and not stat.failed \
                else f"{stat.status} (+{others} units for other shards)"

    def _run_unit(self, source: Source, unit: Unit, resume_at: dict | None, stat: SourceStats,
                  bar: _Progress) -> str:
        """Stream a unit in batches; 'done', 'stopped' (its listing failed) or 'budget'."""
        pages: list[Page] = []
        first = True
        for event in unit.events(resume_at):
            if first:  # the bar covers what is left of the unit
                first = False
                bar.start_unit(unit, event.at.get("offset" if unit.in_bytes else "index", 0))
            bar.advance(unit, event)
            if isinstance(event, Stop):
                self._passed(event, stat)
                self._flush(source, unit, pages, stat, bar, event.at, done=False)
                return "stopped"
            if isinstance(event, Passed):
                self._passed(event, stat)
                continue
            if len(pages) >= self.settings.batch_size:  # this page starts the next batch
                if not self._flush(source, unit, pages, stat, bar, event.at, done=False):
                    return "budget"
                pages = []
            pages.append(event)
        return "done" if self._flush(source, unit, pages, stat, bar, None, done=True) else "budget"

    def _flush(self, source: Source, unit: Unit, pages: list[Page], stat: SourceStats, bar: _Progress,
               resume_at: dict | None, done: bool) -> bool:
        """Process and stage a batch with its checkpoint; False when the page budget ran out."""
        known = _known_urls(self.settings, [p.url for p in pages], self.logger)
        jobs: list[Job] = []
        exhausted = False
        for i, page in enumerate(pages):
            if page.url in known:
                stat.known += 1
            elif page.url in self.seen:
                stat.repeated += 1
            elif self.budget is not None and len(jobs) >= self.budget:
                resume_at, done, exhausted = page.at, False, True  # the rest waits for the next run
                break
            else:
                self.seen.add(page.url)
                jobs.append(Job(page.url, None, page.hint, page.response, page.fetch_url))
            stat.found += 1
        tables = {"checkpoints": self._checkpoints(source, unit.key, resume_at, done)}
        batch_id = self._batch_id()
        if jobs:
            result = process_batch(jobs, self.settings, self.run_id, batch_id, accept=self._accept,
                                   extra_tables=tables)
            stat.staged += len(result.staged_ids)
            stat.failed.update(reason for _, reason, _ in result.failures)
            stat.skipped.update(reason for _, reason in result.filtered)
            if self.budget is not None:
                self.budget -= len(jobs)
        else:
            staging.write_batch(self.settings.staging_dir, batch_id, tables)
        stat.batch_ids.append(batch_id)
        self._load()
        bar.bar.set_postfix(staged=stat.staged, present=stat.known + stat.repeated,
                            failed=sum(stat.failed.values()), refresh=False)
        share = f" ({bar.done / bar.total:.0%} of the work listed so far)" if bar.total else ""
        self.logger.info("%s %s%s: batch %s: %s pages, %s fetched or read, %s staged, %s already present; "
                         "next: %s%s", source.kind, _short(source.label), f" [{_short(unit.key)}]" if unit.key else "",
                         batch_id, len(pages), len(jobs), stat.staged, stat.known + stat.repeated,
                         "done" if done else json.dumps(resume_at), share)
        return not exhausted

    def _load(self) -> dict | None:
        """Merge what is staged, unless this run only stages (NEWSDUCK_LOAD=false)."""
        return load_staged(self.settings) if self.settings.load else None

    def _accept(self, article: Article) -> str | None:
        """Articles dated outside the window are dropped after cleaning (undated ones are kept)."""
        return "out_of_range" if self.window.excludes(article.published_at) else None

    def _passed(self, event: Passed | Stop, stat: SourceStats) -> None:
        (stat.failed if isinstance(event, Stop) else stat.skipped)[event.reason] += 1
        if isinstance(event, Stop) or event.record:  # a listing that failed: worth a row in skips
            row = {"run_id": self.run_id, "stage": "listing", "url": event.url or stat.label, "feed_url": None,
                   "reason": event.reason, "detail": event.detail[:500], "permanent": isinstance(event, Passed),
                   "skipped_at": warehouse.utcnow()}
            self._stage({"skips": staging.to_table("skips", [row])})

    # -- staging, checkpoints, counts ------------------------------------------------------------

    def _batch_id(self, suffix: str | None = None) -> str:
        self.batches += 1
        return f"{self.started.strftime('%Y%m%dT%H%M%S')}-{self.run_id[:8]}-{suffix or f'{self.batches:05d}'}"

    def _stage(self, tables: dict) -> None:
        staging.write_batch(self.settings.staging_dir, self._batch_id(), tables)

    def _checkpoints(self, source: Source, unit: str, resume_at: dict | None, done: bool):
        label = " ".join(x for x in (source.label, self.window.describe()) if x)
        return staging.to_table("checkpoints", [{
            "backfill_id": source.backfill_id, "unit": unit, "source": source.kind, "label": label,
            "resume_at": None if done else json.dumps(resume_at, sort_keys=True), "done": done,
            "run_id": self.run_id, "updated_at": warehouse.utcnow(),
        }])

    def _count_loaded(self, stats: list[SourceStats]) -> None:
        """New and duplicate articles per source, as the merges counted them."""
        ids = {batch_id: s for s in stats for batch_id in s.batch_ids}
        try:
            rows = _read(self.settings, "select batch_id, articles_new, articles_duplicate from loaded_batches"
                               " where batch_id in (select unnest($ids))", {"ids": list(ids)}) if ids else []
        except warehouse.DatabaseBusy as exc:
            self.logger.warning("%s; counts of new articles unknown", exc)
            rows = []
        for batch_id, new, duplicate in rows:
            ids[batch_id].new += new
            ids[batch_id].duplicate += duplicate

    # -- the summary -----------------------------------------------------------------------------

    def _summary(self, stats: list[SourceStats], loaded: bool) -> str:
        found = sum(s.found for s in stats)
        lines = [
            f"## newsduck backfill `{self.run_id}`",
            "",
            f"Sources: {len(stats)}. Pages found: {found}; new articles: {sum(s.new for s in stats)}; "
            f"duplicates of stored bodies: {sum(s.duplicate for s in stats)}; "
            f"already present: {sum(s.known + s.repeated for s in stats)}; "
            f"failed: {sum(sum(s.failed.values()) for s in stats)}; "
            f"skipped: {sum(sum(s.skipped.values()) for s in stats)}."
            + (f" Date window: {self.window.describe()}." if not self.window.open else "")
            + ("" if loaded else " The database was busy: some batches are staged and load with the next run.")
            + ("" if self.settings.load else " Stage only: the batches wait for `newsduck load`.")
            + (f" Shard {self.shard}." if self.shard else ""),
            "",
            "| source | status | found | new | duplicate | already present | failed | failed by reason | skipped by reason |",
            "|---|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for s in stats:
            status = s.status + (" (resumed)" if s.resumed and s.status != "already done" else "")
            lines.append(
                f"| {s.kind} {_cell(s.label)} | {status} | {s.found} | {s.new} | {s.duplicate} | "
                f"{s.known + s.repeated} | {sum(s.failed.values())} | {_reasons(s.failed)} | {_reasons(s.skipped)} |")
        return "\n".join(lines)

    def _run_row(self, stats: list[SourceStats], summary: str, stopped: bool = False) -> dict:
        return {
            "run_id": self.run_id, "flow": "backfill", "started_at": self.started,
            "finished_at": warehouse.utcnow(), "status": "stopped" if stopped else "completed",
            "articles_new": sum(s.new for s in stats),
            "articles_known": sum(s.known + s.repeated for s in stats),
            "articles_duplicate": sum(s.duplicate for s in stats),
            "articles_failed": sum(sum(s.failed.values()) for s in stats),
            "summary_md": summary,
        }


class _Progress:
    """The terminal progress bar of one source (entries, or bytes for WARC files), and the same
    counts for the logs (a disabled tqdm bar counts nothing)."""

    def __init__(self, desc: str, enabled: bool) -> None:
        self.bar = tqdm(desc=desc, total=0, unit="page", dynamic_ncols=True, disable=not enabled,
                        file=sys.stderr, smoothing=0.1)
        self.done = self.total = self._bytes_at = 0

    def start_unit(self, unit: Unit, start: int) -> None:
        if unit.in_bytes:
            self.bar.unit, self.bar.unit_scale, self.bar.unit_divisor = "B", True, 1024
            self._bytes_at = start
        if unit.total is not None:
            self.total += max(unit.total - start, 0)
            self.bar.total = self.total
            self.bar.refresh()

    def advance(self, unit: Unit, event: Page | Passed | Stop) -> None:
        step = 1
        if unit.in_bytes:
            step = max(event.progress - self._bytes_at, 0)
            self._bytes_at = max(self._bytes_at, event.progress)
        self.done += step
        self.bar.update(step)

    def close(self) -> None:
        self.bar.close()


def read_checkpoints(settings: Settings, backfill_id: str) -> dict[str, Checkpoint]:
    """A backfill's checkpoints by unit: merged ones, overlaid with any still staged (newest wins)."""
    try:
        rows = _read(settings, "select unit, resume_at, done, updated_at from backfill_checkpoints"
                               " where backfill_id = $id", {"id": backfill_id})
    except duckdb.CatalogException:
        rows = []  # a database from before the checkpoints table: nothing to resume
    found = {unit: (updated, resume_at, done) for unit, resume_at, done, updated in rows}
    for batch_dir in staging.pending_batches(settings.staging_dir):  # staged while the database was busy
        path = batch_dir / "checkpoints.parquet"
        for row in (pq.read_table(path).to_pylist() if path.exists() else []):
            known = found.get(row["unit"])
            if row["backfill_id"] == backfill_id and (known is None or row["updated_at"] >= known[0]):
                found[row["unit"]] = (row["updated_at"], row["resume_at"], row["done"])
    return {unit: Checkpoint(json.loads(resume_at) if resume_at else None, bool(done))
            for unit, (_, resume_at, done) in found.items()}


def _read(settings: Settings, query: str, params: dict) -> list[tuple]:
    """A short read-only query; nothing when there is no database yet."""
    try:
        with warehouse.connect(settings.warehouse, read_only=True, wait=settings.lock_wait) as con:
            return con.execute(query, params).fetchall()
    except warehouse.WarehouseMissing:
        return []


def _known_urls(settings: Settings, urls: list[str], logger) -> set[str]:
    try:
        return warehouse.read_known_urls(settings.warehouse, urls, wait=settings.lock_wait,
                                         max_attempts=settings.max_page_attempts)
    except warehouse.DatabaseBusy as exc:  # the merge skips what is stored anyway: this costs fetches
        logger.warning("%s; going on without the stored URLs", exc)
        return set()


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else "…" + label[-(width - 1):]


def _cell(text: str) -> str:
    return text.replace("|", "/")


def _reasons(counts: Counter) -> str:
    return ", ".join(f"{reason} ×{n}" for reason, n in counts.most_common())
