"""Executors: where runs happen. Every one is a concurrent.futures.Executor.

- ``sequential``: in this process, one chunk at a time.
- ``processes``: a local process pool (default; all cores).
- ``dask-local``: a Dask LocalCluster on this machine.
- ``dask``: an existing Dask scheduler (e.g. one started by dask-jobqueue on a cluster).

Results do not depend on the executor: each run's seed comes from the experiment, not the worker.
Leaving ``executor`` early (Ctrl-C, an error) cancels every chunk that has not started.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager


class ExecutorError(Exception):
    """An executor that cannot be used (e.g. an unreachable scheduler); the message is one line."""


class SequentialExecutor(Executor):
    """Runs each task when it is submitted, in this process."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        """Run ``fn`` now and return its finished future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        # Only Exceptions travel through the future, as in pools; Ctrl-C and SystemExit must stop
        # the sweep now rather than after the next chunk has run.
        except Exception as err:
            future.set_exception(err)
        return future


def default_workers() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _connect(scheduler: str):
    from dask.distributed import Client

    try:
        return Client(scheduler)
    except (OSError, ValueError) as err:  # unreachable (timeout, refused) or a malformed address
        raise ExecutorError(
            f"cannot use the Dask scheduler at {scheduler!r} ({err}): check that it is running "
            "and give its address as shown by the scheduler, e.g. tcp://10.0.0.5:8786"
        ) from None


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    # Ctrl-C reaches every process of the terminal's group: Dask's workers would each print a
    # traceback. Ignoring it is inherited across spawn, so they leave stopping to this process.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def executor(
    kind: str, workers: int | None = None, scheduler: str | None = None
) -> Iterator[tuple[Executor, int]]:
    """Open an executor and say how many runs it can work on at once.

    Args:
        kind: ``sequential``, ``processes``, ``dask-local`` or ``dask``.
        workers: Processes for ``processes`` and ``dask-local`` (default: all cores).
        scheduler: Address of the scheduler for ``dask``.

    Yields:
        The executor and the number of chunks it runs at once.

    Raises:
        ExecutorError: The Dask scheduler cannot be reached.
        ValueError: An unknown ``kind``.
    """
    workers = workers or default_workers()
    if kind == "sequential":
        yield SequentialExecutor(), 1
    elif kind == "processes":
        ctx = multiprocessing.get_context("spawn")  # same on Linux and macOS; no fork hazards
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        try:
            yield pool, workers
        finally:  # after a normal sweep nothing is queued; after Ctrl-C nothing queued may start
            pool.shutdown(wait=True, cancel_futures=True)
    elif kind in ("dask-local", "dask"):
        from dask.distributed import Client, LocalCluster

        if kind == "dask":
            with _connect(scheduler) as client:
                slots = sum(client.nthreads().values()) or 1
                pool = client.get_executor(pure=False)
                try:
                    yield pool, slots
                finally:  # cancels what is still queued or running on the cluster
                    pool.shutdown(wait=False)
        else:
            with _sigint_ignored():  # inherited by the worker processes spawned now
                cluster = LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
                )
            with cluster, Client(cluster) as client:
                pool = client.get_executor(pure=False)
                try:
                    yield pool, workers
                finally:
                    pool.shutdown(wait=False)
    else:
        raise ValueError(f"unknown executor {kind!r}")
