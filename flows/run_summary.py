"""The ingest run's summary: what happened to each feed and to each of its new items, as the
flow's result and as markdown (logged, a Prefect artifact, and the `runs` row)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flows.catalogue import FeedSource
from transforms.records import FeedEntry, Skipped


@dataclass
class FeedOutcome:
    """What happened to one feed in this run: its fetch, then the fate of its new items."""

    source: FeedSource
    status: str  # ok | not_modified | error | stopped (a stop signal came while it was polled)
    fetched_at: datetime
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    title: str = ""
    error: str = ""
    detail: str = ""
    entries: list[FeedEntry] = field(default_factory=list)
    known: int = 0  # stored (or given up on) before this run: not fetched
    new: int = 0  # stored as a new article by this run's loads
    duplicates: int = 0  # fetched, same body as an article stored before or in this run
    stored: int = 0  # fetched, then found stored: its canonical URL, or another URL of it in this run
    pending: int = 0  # staged, not merged (yet): only `newsduck load` or the next run knows its fate
    failed: Counter = field(default_factory=Counter)
    deferred: Counter = field(default_factory=Counter)  # items left for later runs, by reason
    backlog: int = 0  # items earlier runs left for this one that the feed no longer lists
    item_skips: list[Skipped] = field(default_factory=list)  # items of the feed it could not use
    incomplete: bool = False  # some item must be tried again: keep the old validators


def count_fates(owner: dict[str, tuple[FeedOutcome, FeedEntry]], staged: list[tuple[str, str]],
                 fates: dict[str, tuple[bool, bool, bool]] | None) -> bool:
    """Credit each staged URL to its feed as new, duplicate, already stored or pending.

    An article is new for the first URL that staged it (the one the loader kept); another URL of
    the same article in this run is already stored. Returns whether the fates were known (False:
    stage only, or the database could not be read: every staged URL is pending).
    """
    first: dict[str, str] = {}  # article id -> fate of its first URL
    for url, aid in staged:
        outcome = owner[url][0]
        if fates is None or url not in fates:
            fate = "pending"
        elif aid in first:
            fate = "pending" if first[aid] == "pending" else "stored"
        else:
            new_here, before, linked = fates[url]
            fate = "new" if new_here else "stored" if before else "duplicate" if linked else "pending"
        first.setdefault(aid, fate)
        if fate == "new":
            outcome.new += 1
        elif fate == "stored":
            outcome.stored += 1
        elif fate == "duplicate":
            outcome.duplicates += 1
        else:
            outcome.pending += 1
    return fates is not None


def summary_order(outcomes: list[FeedOutcome]) -> list[FeedOutcome]:
    """Failed feeds first, then by URL."""
    return sorted(outcomes, key=lambda o: (o.status != "error", o.source.url))


def feed_summary(o: FeedOutcome, counted: bool) -> dict:
    """One feed's row of the run summary, for the flow's result. `new` and `duplicates` are None
    when they are unknown (stage only: the loader decides them later); `pending` counts the
    staged articles no load has merged."""
    return {
        "feed_url": o.source.url,
        "name": o.source.name or o.title or o.source.url,
        "status": o.status,
        "error": o.error or None,
        "items": len(o.entries),
        "new": o.new if counted else None,
        "duplicates": o.duplicates if counted else None,
        "already_seen": o.known + o.stored,
        "pending": o.pending,
        "failed": sum(o.failed.values()),
        "reasons": dict(o.failed.most_common()),
        "backlog": o.backlog,
        "deferred": sum(o.deferred.values()),
        "deferred_reasons": dict(o.deferred.most_common()),
    }


def summary_markdown(run_id: str, outcomes: list[FeedOutcome], totals: Counter, queued: int, stage_only: bool = False,
                     counted: bool = True, ended: str | None = None, tripped: dict[str, str] | None = None) -> str:
    """The run as markdown: totals, then one row per feed with its failure and deferral reasons.

    The totals are the sums of the feed rows. "already seen": stored before the run (not fetched
    again), or found stored once fetched (its canonical URL, or another URL of it in this run).
    "deferred": items left for later runs (the per-feed cap, a failing host, the deadline, a
    stop); they wait in feed_items and the next runs take them newest first.
    """
    ok = sum(o.status == "ok" for o in outcomes)
    unchanged = sum(o.status == "not_modified" for o in outcomes)
    stopped = sum(o.status == "stopped" for o in outcomes)
    failed = len(outcomes) - ok - unchanged - stopped
    seen = sum(o.known + o.stored for o in outcomes)
    pending = sum(o.pending for o in outcomes)
    fetched_fates = (
        f"{sum(o.new for o in outcomes)} new, {sum(o.duplicates for o in outcomes)} duplicates of stored bodies, "
        if counted else "")
    if stage_only:
        tail = (f" Stage only: {totals['staged']} articles staged for `newsduck load`; which of them are new "
                "is known once it merges them.")
    elif not counted:
        tail = f" {pending} articles staged; their fate could not be read back from the database."
    elif pending:
        tail = (f" {pending} articles staged but not merged (database busy): the next run or `newsduck load` "
                "merges them.")
    else:
        tail = ""
    deferred: Counter = Counter()
    for o in outcomes:
        deferred.update(o.deferred)
    waiting = ""
    if deferred:
        waiting = (f" {sum(deferred.values())} deferred to later runs ("
                   + ", ".join(f"{reason} ×{n}" for reason, n in deferred.most_common()) + ").")
    lines = [f"## newsduck ingest run `{run_id}`", ""]
    if ended:
        lines += [f"**The run ended early: {_ENDINGS.get(ended, ended)}.**", ""]
    lines += [
        f"Feeds: {len(outcomes)} ({ok} fetched, {unchanged} not modified, {failed} failed"
        + (f", {stopped} not polled: stopped" if stopped else "") + "). "
        f"Articles: {queued} to fetch, {fetched_fates}{seen} already seen, {totals['failed']} failed." + waiting + tail,
        "",
    ]
    for host, why in (tripped or {}).items():
        lines += [f"Host `{host}`: {why}; its other pages wait for later runs.", ""]
    columns = ["feed", "status", "items"] + (["new", "duplicates"] if counted else [])
    columns += (["staged, not merged"] if pending else []) + ["already seen", "failed", "reasons"]
    columns += ["deferred"] if deferred else []
    lines += ["| " + " | ".join(columns) + " |",
              "|---|---|" + "---:|" * (len(columns) - 3 - bool(deferred)) + "---|" + ("---|" if deferred else "")]
    for row in (feed_summary(o, counted) for o in summary_order(outcomes)):  # the result's rows, as text
        status = row["status"] if row["status"] != "error" else f"error: {row['error'] or ''}"
        reasons = ", ".join(f"{reason} ×{n}" for reason, n in row["reasons"].items())
        cells = [row["name"].replace("|", "/"), status, row["items"]] + ([row["new"], row["duplicates"]] if counted else [])
        cells += ([row["pending"]] if pending else []) + [row["already_seen"], row["failed"], reasons]
        if deferred:
            cells.append(", ".join(f"{reason} ×{n}" for reason, n in row["deferred_reasons"].items()) or "0")
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(lines)


_ENDINGS = {"stopped": "a stop signal came; what was staged is kept",
            "deadline": "its deadline (--max-seconds) passed; no new work was started"}
