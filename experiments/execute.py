"""Executors: where runs happen. Every one is a concurrent.futures.Executor.

- ``sequential``: in this process, one chunk at a time.
- ``processes``: a local process pool (default; all cores).
- ``dask-local``: a Dask LocalCluster on this machine.
- ``dask``: an existing Dask scheduler (e.g. one started by dask-jobqueue on a cluster).

Results do not depend on the executor: each run's seed comes from the experiment, not the worker.
Leaving ``executor`` early (Ctrl-C, an error) cancels every chunk that has not started. Workers of
a local pool or cluster end when the sweep's process dies, even by kill -9: pool workers through
``_exit_with_parent``, Dask's through its own parent-alive pipe (distributed.process).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
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
    # Unreachable (timeout, refused), a malformed address, or a protocol not installed (tls, ucx)
    except (OSError, ValueError, TypeError, ImportError) as err:
        raise ExecutorError(
            f"cannot use the Dask scheduler at {scheduler!r} ({err}): check that it is running "
            "and give its address as shown by the scheduler, e.g. tcp://10.0.0.5:8786"
        ) from None


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL_SECONDS = 1.0  # how soon a worker notices its parent died, where Linux cannot say


def _exit_with_parent(parent: int) -> None:
    """Pool worker initializer: end this worker when the process that started it dies.

    Otherwise a kill -9 of the sweep leaves every worker alive, holding its memory, because the
    pool's pipes stay open in the workers themselves. On Linux the kernel sends SIGTERM at once
    (``PR_SET_PDEATHSIG``); everywhere, a daemon thread also watches for the worker being handed
    to another parent and exits within ``PARENT_POLL_SECONDS``.

    Args:
        parent: The sweep's process id, read in the sweep's process.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the thread below is enough
        pass
    if os.getppid() != parent:  # died before the line above took effect
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)  # no clean-up to do: nobody is left to receive this worker's results

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _stop(pool: ProcessPoolExecutor) -> None:
    if hasattr(pool, "terminate_workers"):  # Python 3.14 and later
        pool.terminate_workers()
        return
    # Before 3.14 concurrent.futures has no way to stop running tasks; its worker table is the
    # only handle. The pool then counts as broken, and its shutdown returns at once.
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def reachable(scheduler: str) -> None:
    """Check that a Dask scheduler answers, before a sweep writes anything.

    Raises:
        ExecutorError: It cannot be reached.
    """
    _connect(scheduler).close()


@contextmanager
def _children_ignore_sigint() -> Iterator[Callable[[], None]]:
    """Start worker processes inside this block so that Ctrl-C leaves them alone.

    Ctrl-C reaches every process of the terminal's group, and workers would each print a
    traceback; an ignored SIGINT is inherited across spawn, so they leave stopping to this
    process. Here SIGINT is held (blocked) as well as ignored: Linux keeps a blocked signal pending
    even when it is ignored, so a Ctrl-C pressed while the workers start is raised as
    KeyboardInterrupt by the ``release`` function this yields (or on leaving). Only this thread
    and the threads it starts hold it, so the kernel may hand the Ctrl-C to a thread a library
    started earlier (OpenBLAS, Arrow), which drops it. For the pool's quick start that is rare;
    during a Dask LocalCluster's few seconds of start-up it is common, and Ctrl-C must be pressed
    again once the sweep runs. (A recording handler would keep it, but a caught signal is reset
    to the default across exec, and the workers would print tracebacks again.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None  # signals belong to the main thread; nothing to do elsewhere
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
    held = True

    def release() -> None:
        nonlocal held
        if held:
            held = False
            signal.signal(signal.SIGINT, handler)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a pending Ctrl-C is raised now

    try:
        yield release
    finally:
        release()


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
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=ctx,
            initializer=_exit_with_parent,
            initargs=(os.getpid(),),
        )
        try:
            with _children_ignore_sigint() as release:
                for _ in range(workers):  # each submit starts one worker now, while Ctrl-C is held
                    pool.submit(int)
                release()
            yield pool, workers
        except BaseException:
            # Ctrl-C or an error: the sweep has stopped collecting, so running chunks would be
            # thrown away. Stop the workers now rather than wait for them (workers ignore Ctrl-C).
            _stop(pool)
            raise
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
            with _children_ignore_sigint() as release, warnings.catch_warnings():
                # The scheduler's unused HTTP server moves off a busy port 8787 and says so.
                warnings.filterwarnings("ignore", "Port 8787 is already in use", UserWarning)
                cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # Cancelled tasks and lost heartbeats after Ctrl-C are expected, not news; a
                    # run's own errors reach failures.jsonl whatever this level.
                    silence_logs=logging.CRITICAL,
                )
                with cluster:
                    release()  # a Ctrl-C pressed during start-up stops here, closing the cluster
                    with Client(cluster) as client:
                        pool = client.get_executor(pure=False)
                        try:
                            yield pool, workers
                        finally:
                            pool.shutdown(wait=False)
    else:
        raise ValueError(f"unknown executor {kind!r}")
