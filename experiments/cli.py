"""Command line: ``python -m experiments list | run | status | analyse``.

Bad input (experiment files, arguments, directories, an unreachable scheduler) stops with one line
and exit status 2; a sweep in which some runs failed finishes, reports them and exits with status 1
(rerunning the same command retries them); Ctrl-C keeps every finished run and exits with status
130. Anything else is a bug: one line and status 1 (``--traceback`` shows where).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor
from contextlib import contextmanager

from experiments.execute import ExecutorError
from experiments.spec import SpecError, bundled, load

PROG = "python -m experiments"


class UsageError(Exception):
    """A bad command line; the message is one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(message)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def _address(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("give the scheduler's address, e.g. tcp://10.0.0.5:8786")
    return text.strip()


def _runs_line(name: str, counts: dict[str, int]) -> str:
    line = (
        f"{name}: {counts['done']} done, {counts['failed']} failed, "
        f"{counts['remaining']} remaining of {counts['planned']} runs"
    )
    return line + (" (a rerun retries the failed ones)" if counts["failed"] else "")


def cmd_list(args) -> int:
    """Bundled experiments with one-line descriptions."""
    for name in bundled():
        exp = load(name)
        print(f"{name:<22} {exp.description}")
    return 0


def cmd_run(args) -> int:
    """Run (or resume) an experiment into DIR; failed runs of earlier sessions are retried."""
    from experiments.sweep import sweep

    exp = load(args.experiment)
    kind = (
        "dask" if args.scheduler is not None else "dask-local" if args.dask_local else args.executor
    )
    counts = sweep(exp, args.out, kind, args.workers, args.scheduler, args.chunk, args.batch_rows)
    print(f"{_runs_line(exp.name, counts)} in {args.out}")
    if counts["failed"]:
        print(f"failed runs and their errors: {args.out}/failures.jsonl", file=sys.stderr)
        return 1
    return 0


def cmd_status(args) -> int:
    """Done, failed and remaining runs in DIR; remaining is what a rerun would do."""
    from experiments.design import plan
    from experiments.spec import parse
    from experiments.store import Store

    store = Store(args.dir)
    held = store.manifest()["experiment"]
    exp = parse(held["text"], held["name"])
    counts = store.counts(plan(exp))
    print(_runs_line(exp.name, counts))
    print(store.sessions_line())
    return 1 if counts["failed"] else 0


def cmd_analyse(args) -> int:
    """Tables and figures into DIR/analysis."""
    from experiments.analysis import SkippedAnalysis, analyse

    with warnings.catch_warnings(record=True) as skipped:
        warnings.simplefilter("always", SkippedAnalysis)
        written = analyse(args.dir)
    for path in written:
        print(path)
    for w in skipped:
        if issubclass(w.category, SkippedAnalysis):
            _say(f"note: {w.message}")
        else:  # recorded only to be caught; show it as it would have been shown
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``python -m experiments`` argument parser."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--traceback", action="store_true", help="show the traceback of an unexpected error"
    )
    top = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="bundled experiments", parents=[common]).set_defaults(func=cmd_list)
    run = sub.add_parser("run", help="run or resume an experiment", parents=[common])
    run.add_argument("experiment", help="a bundled experiment's name or a .toml file")
    run.add_argument("--out", required=True, help="results directory")
    run.add_argument(
        "--workers", type=_positive, default=None, help="processes (default: all cores)"
    )
    how = run.add_mutually_exclusive_group()
    how.add_argument("--executor", choices=("processes", "sequential"), default="processes")
    how.add_argument("--dask-local", action="store_true", help="a Dask LocalCluster")
    how.add_argument(
        "--scheduler", type=_address, metavar="ADDRESS", help="an existing Dask scheduler"
    )
    run.add_argument("--chunk", type=_positive, default=None, help="runs per task")
    run.add_argument(
        "--batch-rows",
        type=_positive,
        default=20_000,
        help="rows held in memory before a Parquet part is written",
    )
    run.set_defaults(func=cmd_run)
    status = sub.add_parser(
        "status", help="done / failed / remaining runs in DIR", parents=[common]
    )
    status.add_argument("dir")
    status.set_defaults(func=cmd_status)
    analyse = sub.add_parser(
        "analyse", help="summary tables and figures into DIR/analysis", parents=[common]
    )
    analyse.add_argument("dir")
    analyse.set_defaults(func=cmd_analyse)
    return top


def _say(message: object) -> None:
    # One line whatever the message: some library errors span several.
    print(f"{PROG}: " + " ".join(str(message).split()), file=sys.stderr)


@contextmanager
def _stop_once_on_signal() -> Iterator[list[int]]:
    """Turn the first Ctrl-C or SIGTERM into KeyboardInterrupt, and ignore any that follow.

    A second Ctrl-C pressed while the first is being handled (finished runs written, workers
    stopped) would otherwise interrupt that clean-up, or kill the process outright if it lands
    after Python's own handler has gone. SIGTERM (sent by ``timeout``, SLURM and systemd) is
    handled the same way, so a killed batch job also keeps its finished runs. Yields a list that
    receives the signal's number.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def interrupt(signum, frame):
        received.append(signum)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt

    before = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in before.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    with _stop_once_on_signal() as received:
        status = _main(argv)
    if received and received[0] == signal.SIGTERM:
        return 128 + signal.SIGTERM
    return status


def _main(argv: list[str] | None) -> int:
    args = None
    try:
        args = parser().parse_args(argv)
        return args.func(args)
    except (UsageError, SpecError, ExecutorError) as err:
        _say(f"error: {err}")
        return 2
    except OSError as err:  # an unwritable --out, a full disk: say so, no traceback
        _say(f"error: {err}")
        return 2
    except KeyboardInterrupt:
        if args is not None and args.command == "run":
            _say("interrupted: finished runs are stored; run the same command to resume")
        else:
            _say("interrupted")
        return 130
    except BrokenExecutor as err:
        _say(
            f"error: a worker process died ({err}), perhaps out of memory: finished runs are "
            "stored; run the same command to resume, with fewer --workers if memory is short"
        )
        return 1
    except Exception as err:
        if args is not None and args.traceback:
            raise
        _say(
            f"unexpected error: {type(err).__name__}: {err} (a bug: please report it with the "
            "output of the same command with --traceback)"
        )
        return 1
