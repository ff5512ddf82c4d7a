"""The CPU stages (cleaning, NLP, entities and events) on every core: a pool of worker processes.

Each worker loads the spaCy model once, when the pool starts (while the flow is still fetching),
and runs one chunk at a time: trafilatura is never called from two threads of one process.
With `NEWSDUCK_WORKERS=1` everything runs in the calling process instead.

The pool lives as long as the process: a scheduled run is a process of its own; tests and
notebooks that run many flows reuse it.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import multiprocessing.util
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path
from typing import TypeVar

from flows import runcontrol
from flows.nlp import analyze_texts, load_pipeline
from flows.settings import Settings
from flows.clock import utcnow  # not flows.warehouse: a worker needs no DuckDB
from transforms.coding.stories import story_signature
from transforms.page.clean import extract_article
from transforms.records import Article, DocAnalysis, Failed, FeedEntry, Skipped

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

_pool: ProcessPoolExecutor | None = None
_pool_key: tuple | None = None
_starting: list[Future] = []  # one `_ready` per worker of a new pool, until waited for


def clean_pages(pages: Sequence[tuple[bytes, str, FeedEntry | None]], settings: Settings,
                timings: Counter | None = None) -> list[Article | Skipped | Failed]:
    """extract_article over (html, url, feed entry) triples, on the workers."""
    return _map(_clean_chunk, list(pages), settings, chunk=8, timings=timings, stage="clean")


def analyze(items: Sequence[tuple[str, date | None]], settings: Settings,
            timings: Counter | None = None) -> list[DocAnalysis | Failed]:
    """analyze_texts over (body, publish date) pairs, on the workers."""
    work = [(text, published, settings.model, settings.nlp_batch_size, settings.lexicon) for text, published in items]
    return _map(_analyze_chunk, work, settings, chunk=settings.nlp_batch_size // 2 or 1, timings=timings,
                stage="nlp")


class _Overdue(Exception):
    """A chunk held its worker past its time limit."""


def _map(fn: Callable[[list[T]], tuple[list[R], Counter]], items: list[T], settings: Settings, *,
         chunk: int, timings: Counter | None, stage: str) -> list[R | Failed]:
    """fn over the items in chunks, in order. A chunk whose worker died, or that ran past
    `doc_seconds` per item (a page that makes the parser loop), is done again one item at a time
    on fresh workers, so that item costs a `Failed`, not the batch; the chunks the old workers
    had not finished go to the new ones. Raises RunStopped (after killing the workers) when a
    stop signal comes."""
    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    timings = timings if timings is not None else Counter()
    pool = _get_pool(settings)
    if pool is None:
        results: list[R | Failed] = []
        for part in chunks:
            runcontrol.check_stopped()
            done, spent = fn(part)
            results.extend(done)
            timings.update(spent)
        return results
    futures = [pool.submit(fn, part) for part in chunks]
    _wait_ready()
    outcomes: list[list[R | Failed]] = []
    for k, part in enumerate(chunks):
        try:
            # timed from when this chunk is waited for: by then the chunks before it are done,
            # so it has a worker (the limit errs on the long side)
            done, spent = _result(futures[k], settings.doc_seconds * len(part))
        except (BrokenProcessPool, _Overdue) as exc:
            if runcontrol.stopped():
                abandon()
                raise runcontrol.RunStopped("a stop signal came during the CPU stage") from None
            if isinstance(exc, _Overdue):
                log.warning("a %s chunk of %d held a worker past %.0f s; restarting the workers and "
                            "redoing it one item at a time", stage, len(part), settings.doc_seconds * len(part))
                abandon()
            else:
                log.warning("a worker process died during the %s stage; redoing its chunk one item at a time", stage)
                if _pool is pool:  # a broken pool takes no more work: the next _get_pool starts fresh workers
                    shutdown()
            done, spent = _one_at_a_time(fn, part, settings, stage)
            pool = _get_pool(settings)
            for j in range(k + 1, len(chunks)):  # what the old workers had not finished
                f = futures[j]
                if not (f.done() and not f.cancelled() and f.exception() is None):
                    futures[j] = pool.submit(fn, chunks[j])
            _wait_ready()
        outcomes.append(done)
        timings.update(spent)
    return [r for done in outcomes for r in done]


def _result(future: Future, limit: float = 0.0):
    """The future's result, waiting in short steps so that a stop signal is noticed; raises
    _Overdue after `limit` seconds (0: no limit)."""
    started = time.monotonic()
    while True:
        try:
            return future.result(timeout=0.2)
        except FutureTimeout:
            if runcontrol.stopped():
                abandon()
                raise runcontrol.RunStopped("a stop signal came during the CPU stage") from None
            if limit and time.monotonic() - started > limit:
                raise _Overdue from None


def _one_at_a_time(fn, items: list, settings: Settings, stage: str) -> tuple[list, Counter]:
    results, timings = [], Counter()
    for item in items:
        try:
            future = _get_pool(settings).submit(fn, [item])
            _wait_ready()
            done, spent = _result(future, settings.doc_seconds)
        except BrokenProcessPool as exc:
            shutdown()  # this item broke the pool: the next _get_pool starts fresh workers
            results.append(Failed(stage, "BrokenProcessPool",
                                  f"the worker process died on this document ({exc})"[:500]))
            continue
        except _Overdue:
            abandon()  # the worker is still on it: kill it; the next _get_pool starts fresh workers
            log.warning("a document held a %s worker past %.0f s: skipped", stage, settings.doc_seconds)
            results.append(Failed(stage, "Timeout",
                                  f"the document held a worker for more than {settings.doc_seconds:g} s"))
            continue
        results.extend(done)
        timings.update(spent)
    return results, timings


def _clean_chunk(pages: list[tuple[bytes, str, FeedEntry | None]]) -> tuple[list[Article | Skipped | Failed], Counter]:
    started = time.perf_counter()
    now = utcnow()  # the clock lives in flows/, not in transforms/
    cleaned = []
    for html, url, entry in pages:
        try:
            article = extract_article(html, url, entry, now=now)
            if isinstance(article, Article):  # its fingerprint: copies of one story share a story_id
                article = dataclasses.replace(article, minhash=story_signature(article.body))
            cleaned.append(article)
        except Exception as exc:  # one page's bug costs that page, not the batch
            log.warning("cleaning %s failed: %s", url, exc)
            cleaned.append(Failed.from_exception(exc, "clean"))
    return cleaned, Counter(clean=time.perf_counter() - started)


def _analyze_chunk(work: list[tuple[str, date | None, str, int, Path | None]]) -> tuple[list[DocAnalysis | Failed], Counter]:
    _, _, model, batch_size, lexicon = work[0]
    timings: Counter = Counter()
    analyses = analyze_texts([(text, published) for text, published, *_ in work], model,
                             batch_size=batch_size, lexicon_path=lexicon, timings=timings)
    return analyses, timings


def prestart(settings: Settings) -> None:
    """Start the workers now (each loads the model), without waiting for them."""
    _get_pool(settings)


def _ready() -> None:
    """Nothing: a worker that ran this has started and loaded the model."""


def _wait_ready() -> None:
    """Wait until a new pool's workers have started and loaded the model: a time limit counts
    from there, not from the seconds a restart takes."""
    while _starting:
        try:
            _result(_starting.pop())
        except (BrokenProcessPool, CancelledError):
            pass  # a worker that cannot start fails the real work too, and is handled there


def _get_pool(settings: Settings) -> ProcessPoolExecutor | None:
    """The shared pool for these settings (None with one worker): restarted if they change."""
    global _pool, _pool_key
    if settings.workers <= 1:
        return None
    key = (settings.workers, settings.model)
    if _pool is None or _pool_key != key:
        shutdown()
        # spawn, not fork: the flow process has threads (Prefect, the HTTP client) by now
        _pool = ProcessPoolExecutor(settings.workers, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_start_worker, initargs=(settings.model, os.getpid()))
        _pool_key = key
        # one start-up task per worker: each worker process starts (and loads the model) now
        _starting[:] = [_pool.submit(_ready) for _ in range(settings.workers)]
    return _pool


def _start_worker(model: str, parent: int) -> None:
    """In each worker: leave stop signals to the flow's process (Ctrl-C and systemd signal the
    whole process group; the flow kills its workers itself when it stops), exit when the flow's
    process dies (even by kill -9), then load the model."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="newsduck-orphan-watch", daemon=True).start()
    load_pipeline(model)


def shutdown() -> None:
    """Stop the worker processes (at exit, or when the settings change)."""
    global _pool, _pool_key
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
    _pool, _pool_key = None, None
    _starting.clear()


def abandon() -> None:
    """Kill the worker processes now, work in hand and all (a stop signal)."""
    global _pool, _pool_key
    if _pool is not None:
        # No public way to end a pool's busy workers before Python 3.14: they are ours to kill.
        processes = list((_pool._processes or {}).values())
        _pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.kill()
    _pool, _pool_key = None, None
    _starting.clear()


# At exit of this process, whatever kind it is. A multiprocessing child (Prefect's runner starts
# flow runs that way) joins its children *before* atexit handlers run, so a plain atexit
# shutdown would wait forever on idle workers. Its finalizers run first, highest priority first:
# this one must run before the pool queues close theirs (priority 10).
multiprocessing.util.Finalize(None, shutdown, exitpriority=100)
