"""Run an experiment into a results directory: chunks out to an executor, batches back to disk.

Finished runs are written at most ``FLUSH_SECONDS`` (2 s) after their chunk returns, so a kill
(even kill -9) loses at most the last 2 s of returned runs, plus the chunks still running. Parts
are never written more often than that (or when ``batch_rows`` rows are held), so a long sweep
writes at most one part per 2 s rather than one per chunk.
"""

from __future__ import annotations

import math
import sys
import time
from concurrent.futures import FIRST_COMPLETED, wait

import pandas as pd
from tqdm import tqdm

from experiments.design import Run, plan
from experiments.execute import executor, reachable
from experiments.runner import run_chunk
from experiments.spec import Experiment, model_function
from experiments.store import Store, _now

FLUSH_ROWS = 20_000  # rows held in memory before a part is written
# ... or seconds since the last part: a kill loses at most this much finished work. It is also
# the floor between parts, so that a sweep of many quick chunks does not write one part each.
FLUSH_SECONDS = 2.0


class Progress:
    """A tqdm bar on a terminal; plain periodic lines otherwise (logs, CI, cluster jobs)."""

    def __init__(self, total: int, done: int, every: float = 10.0) -> None:
        self.total, self.done, self.every = total, done, every
        self.start, self.last, self.first = time.monotonic(), 0.0, done
        self.bar = (
            tqdm(total=total, initial=done, unit="run", dynamic_ncols=True)
            if sys.stderr.isatty()
            else None
        )

    def update(self, n: int) -> None:
        """Count ``n`` more runs finished."""
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if now - self.last >= self.every or self.done == self.total:
            self.last = now
            rate = (self.done - self.first) / max(now - self.start, 1e-9)
            eta = (self.total - self.done) / rate if rate > 0 else float("inf")
            print(
                f"{self.done}/{self.total} runs ({100 * self.done / self.total:.0f}%), "
                f"{rate:.1f} runs/s, ETA {eta:.0f}s",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        """Finish the bar."""
        if self.bar is not None:
            self.bar.close()


def chunks(runs: list[Run], slots: int, size: int | None = None) -> list[list[Run]]:
    """Batch runs so per-task overhead stays small yet every worker stays busy."""
    size = size or max(1, min(25, math.ceil(len(runs) / (slots * 16))))  # a short tail
    return [runs[i : i + size] for i in range(0, len(runs), size)]


def sweep(
    exp: Experiment,
    out: str,
    kind: str = "processes",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk: int | None = None,
    batch_rows: int = FLUSH_ROWS,
) -> dict[str, int]:
    """Run every run of ``exp`` not yet stored in ``out``, failed ones included.

    Args:
        exp: The experiment.
        out: Results directory, created if need be; held (locked) while the sweep runs.
        kind: Executor: ``sequential``, ``processes``, ``dask-local`` or ``dask``.
        workers: Processes for ``processes`` and ``dask-local`` (default: all cores).
        scheduler: Dask scheduler address for ``dask``.
        chunk: Runs per task (default: sized so that every worker stays busy).
        batch_rows: Rows held in memory before a Parquet part is written; runs held are
            written anyway once ``FLUSH_SECONDS`` (2 s) have passed since the last part.

    Returns:
        Planned, done, failed and remaining run counts, as ``Store.counts``.

    Raises:
        SpecError: The model cannot be imported, or ``out`` cannot hold this experiment now.
        ExecutorError: The executor cannot be opened.
        KeyboardInterrupt: After storing every finished run and cancelling queued ones.
    """
    runs = plan(exp)
    model_function(exp.model)  # fail now, in one line, rather than in every worker
    if kind == "dask":
        reachable(scheduler)  # an unreachable cluster leaves no empty experiment behind
    store = Store(out)
    with store.open(exp, runs):
        return _sweep(exp, store, runs, kind, workers, scheduler, chunk, batch_rows)


def _sweep(
    exp: Experiment,
    store: Store,
    runs: list[Run],
    kind: str,
    workers: int | None,
    scheduler: str | None,
    chunk: int | None,
    batch_rows: int,
) -> dict[str, int]:
    done = store.done_ids()
    todo = [r for r in runs if r.run_id not in done]
    session = {
        "started": _now(),
        "executor": kind,
        "workers": workers,
        "scheduler": scheduler,
        "planned": len(todo),
    }
    store.start_session(session)  # before any run: a killed session still leaves its record
    state, error = "interrupted", None  # unless the sweep ends or raises an Exception
    progress = Progress(len(runs), len(runs) - len(todo))
    buffer: list[pd.DataFrame] = []
    rows, flushed = 0, time.monotonic()

    def flush() -> None:
        nonlocal buffer, rows, flushed
        # Empty the buffer before writing: a Ctrl-C just after the part lands must not make the
        # final flush store the same runs again.
        batch, buffer, rows, flushed = buffer, [], 0, time.monotonic()
        if batch:
            store.write_part(pd.concat(batch, ignore_index=True))

    try:
        with executor(kind, workers, scheduler) as (pool, slots):
            queue = iter(chunks(todo, slots, chunk))
            pending: dict = {}

            def top_up() -> None:  # a bounded window: memory stays flat however long the sweep
                for c in queue:
                    pending[pool.submit(run_chunk, exp.model, c, exp.steps, exp.record)] = len(c)
                    if len(pending) >= 2 * slots:
                        return

            top_up()
            while pending:
                # Wake up when held runs are due on disk, even if no chunk finishes by then.
                due = max(0.0, FLUSH_SECONDS - (time.monotonic() - flushed)) if buffer else None
                finished, _ = wait(pending, timeout=due, return_when=FIRST_COMPLETED)
                for future in finished:
                    n = pending.pop(future)
                    frame, failures = future.result()
                    store.record_failures(failures)
                    if frame is not None:
                        buffer.append(frame)
                        rows += len(frame)
                    progress.update(n)
                if rows >= batch_rows or (buffer and time.monotonic() - flushed >= FLUSH_SECONDS):
                    flush()
                top_up()
        state = "done"
    except Exception as err:
        state, error = "error", f"{type(err).__name__}: {err}"
        raise
    finally:  # on Ctrl-C and errors too: what finished is kept, and the manifest says so
        flush()
        progress.close()
        counts = store.close_session(runs, state, error)
    return counts
