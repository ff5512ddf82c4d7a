"""Prefect's own cost per task run: a flow of no-op tasks against the server in PREFECT_API_URL.

Run by bench/run.py in a subprocess; prints seconds per task run as JSON.
"""

from __future__ import annotations

import json
import time

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

RUNS = 200


@task(cache_policy=NO_CACHE)
def nothing(i: int) -> int:
    return i


@flow
def many_tasks() -> None:
    for i in range(RUNS):
        nothing(i)


@flow
def no_tasks() -> None:
    pass


if __name__ == "__main__":
    no_tasks()  # warm up: client, flow run machinery
    started = time.perf_counter()
    no_tasks()
    empty = time.perf_counter() - started
    started = time.perf_counter()
    many_tasks()
    per_task = max(0.0, time.perf_counter() - started - empty) / RUNS  # noise can make it negative
    print(json.dumps({"flow_run": empty, "task_run": per_task}))
