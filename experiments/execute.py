"""Executors: where runs happen. Every one is a concurrent.futures.Executor.

- ``sequential``: in this process, one chunk at a time.
- ``processes``: a local process pool (default; all cores).
- ``dask-local``: a Dask LocalCluster on this machine.
- ``dask``: an existing Dask scheduler (e.g. one started by dask-jobqueue on a cluster).

Results do not depend on the executor: each run's seed comes from the experiment, not the worker.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager


class SequentialExecutor(Executor):
    """Runs each task when it is submitted, in this process."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        """Run ``fn`` now and return its finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as err:  # delivered through the future, as pools do
            future.set_exception(err)
        return future


def default_workers() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


@contextmanager
def executor(
    kind: str, workers: int | None = None, scheduler: str | None = None
) -> Iterator[tuple[Executor, int]]:
    """Open an executor and say how many runs it can work on at once."""
    workers = workers or default_workers()
    if kind == "sequential":
        yield SequentialExecutor(), 1
    elif kind == "processes":
        ctx = multiprocessing.get_context("spawn")  # same on Linux and macOS; no fork hazards
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            yield pool, workers
    elif kind in ("dask-local", "dask"):
        from dask.distributed import Client, LocalCluster

        if kind == "dask":
            with Client(scheduler) as client:
                slots = sum(client.nthreads().values()) or 1
                yield client.get_executor(pure=False), slots
        else:
            with (
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                ) as cluster,
                Client(cluster) as client,
            ):
                yield client.get_executor(pure=False), workers
    else:
        raise ValueError(f"unknown executor {kind!r}")
