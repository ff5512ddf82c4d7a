"""Where the CPU stage (cleaning, NLP) runs: worker processes on this machine (flows/workers.py),
or a Dask cluster through Prefect's Dask task runner (`prefect_dask.DaskTaskRunner`).

With `NEWSDUCK_TASK_RUNNER=dask` (or `--task-runner dask`, or NEWSDUCK_DASK_ADDRESS set) a flow
opens a DaskTaskRunner for the run: on the scheduler at NEWSDUCK_DASK_ADDRESS, or on a
LocalCluster of NEWSDUCK_DASK_WORKERS processes it starts and stops. Only the CPU tasks go there
(`clean-articles`, `analyze-articles`, a batch split into chunks of NEWSDUCK_DASK_CHUNK articles);
fetches and DuckDB loads stay on the flow's own thread runner, so the one writer stays in the one
process that owns the database file and a download never holds a Dask worker.

On a Dask worker the chunk runs inline (no process pool inside a worker) and the spaCy model is
loaded once per worker process (`flows.nlp.load_pipeline` is cached per process). trafilatura
must never run in two threads of one process: Dask workers must have one thread each
(`dask worker --nthreads 1`; the LocalCluster here is started that way).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from prefect import Task, get_run_logger

from flows.settings import Settings

_runner: ContextVar[Any] = ContextVar("newsduck_cpu_runner", default=None)


def dask_task_runner(settings: Settings):
    """The DaskTaskRunner the settings ask for (not started)."""
    from prefect_dask import DaskTaskRunner

    if settings.dask_address:
        return DaskTaskRunner(address=settings.dask_address)
    return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs={
        "n_workers": settings.dask_workers, "threads_per_worker": 1, "processes": True,
        "dashboard_address": None,  # no Bokeh dependency, no open port
    })


@contextmanager
def cpu_stage(settings: Settings) -> Iterator[None]:
    """For the duration of a flow run: the CPU tasks go to Dask when the settings say so."""
    if settings.task_runner != "dask":
        yield
        return
    runner = dask_task_runner(settings)
    where = settings.dask_address or f"a LocalCluster of {settings.dask_workers} worker processes"
    get_run_logger().info("cleaning and NLP on Dask: %s", where)
    with runner:
        # Each worker loads the model now, while the run polls feeds and downloads the first
        # batch (the local pool does the same: flows/workers.py: prestart). Not waited for.
        from distributed import fire_and_forget

        client = runner.client
        for address in client.nthreads():
            fire_and_forget(client.submit(_warm, settings.model, workers=[address], pure=False))
        token = _runner.set(runner)
        try:
            yield
        finally:
            _runner.reset(token)


def _warm(model: str) -> None:
    """On a Dask worker: load the spaCy model into this process's cache."""
    from flows.nlp import load_pipeline

    load_pipeline(model)


def run_cpu(task: Task, items: list, settings: Settings) -> tuple[list, Counter]:
    """Call a CPU-stage task `task(items, settings) -> (results, timings)` over a batch.

    Locally: one call (the task spreads the batch over the worker processes itself). On Dask:
    the batch in chunks, one task per chunk, spread over the Dask workers; results in order.
    """
    runner = _runner.get()
    if runner is None:
        return task(items, settings)
    inline = settings.model_copy(update={"workers": 1})  # no process pool inside a Dask worker
    step = max(settings.dask_chunk, 1)
    futures = [runner.submit(task, {"items": items[i:i + step], "settings": inline})
               for i in range(0, len(items), step)]
    results: list = []
    timings: Counter = Counter()
    for future in futures:
        part, spent = future.result()
        results.extend(part)
        timings.update(spent)
    return results, timings
