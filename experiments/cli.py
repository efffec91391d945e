"""Command line: ``python -m experiments list | run | status | analyse``.

Bad input (experiment files, arguments, directories) stops with one line and exit status 2;
a sweep in which some runs failed finishes, reports them and exits with status 1.
"""

from __future__ import annotations

import argparse
import sys

from experiments.spec import SpecError, bundled, load


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


def cmd_list(args) -> int:
    """Bundled experiments with one-line descriptions."""
    for name in bundled():
        exp = load(name)
        print(f"{name:<22} {exp.description}")
    return 0


def cmd_run(args) -> int:
    """Run (or resume) an experiment into DIR."""
    from experiments.sweep import sweep

    exp = load(args.experiment)
    kind = "dask" if args.scheduler else "dask-local" if args.dask_local else args.executor
    counts = sweep(exp, args.out, kind, args.workers, args.scheduler, args.chunk, args.batch_rows)
    print(
        f"{exp.name}: {counts['done']} done, {counts['failed']} failed, "
        f"{counts['remaining']} remaining of {counts['planned']} runs in {args.out}"
    )
    if counts["failed"]:
        print(f"failed runs and their errors: {args.out}/failures.jsonl", file=sys.stderr)
        return 1
    return 0


def cmd_status(args) -> int:
    """Done, failed and remaining runs in DIR."""
    from experiments.design import plan
    from experiments.spec import parse
    from experiments.store import Store

    store = Store(args.dir)
    if not store.exists:
        raise SpecError(f"{args.dir} holds no experiment (no manifest.json)")
    manifest = store.manifest()
    exp = parse(manifest["experiment"]["text"], manifest["experiment"]["name"])
    done = store.done_ids()
    failed = set(store.failures()) - done
    counts = Store.counts(plan(exp), done, failed)
    print(
        f"{exp.name}: {counts['done']} done, {counts['failed']} failed, "
        f"{counts['remaining']} remaining of {counts['planned']} runs"
    )
    return 1 if counts["failed"] else 0


def cmd_analyse(args) -> int:
    """Tables and figures into DIR/analysis."""
    from experiments.analysis import analyse

    for path in analyse(args.dir):
        print(path)
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``python -m experiments`` argument parser."""
    top = _Parser(prog="python -m experiments", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="bundled experiments").set_defaults(func=cmd_list)
    run = sub.add_parser("run", help="run or resume an experiment")
    run.add_argument("experiment", help="a bundled experiment's name or a .toml file")
    run.add_argument("--out", required=True, help="results directory")
    run.add_argument(
        "--workers", type=_positive, default=None, help="processes (default: all cores)"
    )
    how = run.add_mutually_exclusive_group()
    how.add_argument("--executor", choices=("processes", "sequential"), default="processes")
    how.add_argument("--dask-local", action="store_true", help="a Dask LocalCluster")
    how.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler")
    run.add_argument("--chunk", type=_positive, default=None, help="runs per task")
    run.add_argument(
        "--batch-rows",
        type=_positive,
        default=20_000,
        help="rows held in memory before a Parquet part is written",
    )
    run.set_defaults(func=cmd_run)
    status = sub.add_parser("status", help="done / failed / remaining runs in DIR")
    status.add_argument("dir")
    status.set_defaults(func=cmd_status)
    analyse = sub.add_parser("analyse", help="summary tables and figures into DIR/analysis")
    analyse.add_argument("dir")
    analyse.set_defaults(func=cmd_analyse)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        args = parser().parse_args(argv)
        return args.func(args)
    except (UsageError, SpecError) as err:
        print(f"python -m experiments: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # an unwritable --out, a full disk: say so, no traceback
        print(f"python -m experiments: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "interrupted: finished runs are stored; run the same command to resume", file=sys.stderr
        )
        return 130
