"""Command line: ``python -m experiments list | run | status | analyse | discover | calibrate``.

Bad input (experiment files, arguments, directories, an unreachable scheduler) stops with one line
per problem (every problem of a file at once), exit status 2, and creates nothing; a sweep in which
some runs failed finishes, reports them and exits with status 1 (rerunning the same command
retries them); Ctrl-C keeps every finished run and exits with status 130. Anything else is a bug:
one line and status 1 (``--traceback`` shows where).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import signal
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import BrokenExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

from experiments.execute import ExecutorError, default_workers
from experiments.spec import Experiment, SpecError, bundled, load

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


def seconds_per_agent_week() -> float:
    """What one agent-week of the model costs on this machine, timed now.

    One default-size run of each regime, 26 weeks long, after a one-week warm-up (imports and
    first calls are not a per-run cost). Start-up costs of each run are counted in, so long runs
    come out a little dearer than they are.
    """
    from sim.model import run
    from sim.params import REGIME_NAMES, SIZES, defaults

    weeks, population = 26, sum(defaults()[k] for k in SIZES)
    run(REGIME_NAMES[0], steps=1, seed=0)
    seconds = []
    for regime in REGIME_NAMES:
        timed = []
        for _ in range(2):  # the faster of two: other processes on the machine only add time
            start = time.perf_counter()
            run(regime, steps=weeks, seed=0)
            timed.append(time.perf_counter() - start)
        seconds.append(min(timed))
    return sum(seconds) / (len(REGIME_NAMES) * weeks * population)


def estimated_seconds(exp: Experiment, workers: int, per_agent_week: float) -> float:
    """Wall time of a fresh sweep of ``exp``.

    A run's cost scales with its weeks, its agents, its services and the models it steps (its
    counterfactual runs for attribution, ``sim.params.models_stepped``): each service works the
    citizens' caseloads, so three services cost about three single-service runs (0.13 s against
    0.04 s for 26 weeks at the default sizes), and each counterfactual run as much again.
    """
    from experiments.design import points
    from sim.params import SIZES, defaults, models_stepped

    every = defaults()
    if exp.sampler:  # the sample's mean sizes, without drawing it (SALib is an extra)
        middles = {name: sum(bounds) / 2 for name, bounds in exp.sampler["bounds"].items()}
        design = [{**exp.base, **middles}]
    else:
        design = points(exp)
    agent_weeks = 0.0
    for point in design:
        chosen = {**every, **point}
        population = sum(chosen[k] for k in SIZES)
        agent_weeks += population * round(chosen["n_services"]) * models_stepped(chosen)
    run_seconds = per_agent_week * exp.steps * agent_weeks / len(design)
    return exp.n_runs * run_seconds / max(1, min(workers, exp.n_runs))


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"~{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"~{round(seconds / 60)} min"
    return f"~{seconds / 3600:.1f} h"


def _estimate_note(workers: int) -> str:
    return (
        f"times are estimates for {workers} worker{'s' if workers > 1 else ''} on this machine, "
        "each with a core to itself, scaled by weeks and population from default runs timed "
        "just now"
    )


def cmd_list(args) -> int:
    """Bundled experiments: runs, estimated time and one-line descriptions."""
    workers = args.workers or default_workers()
    per_agent_week = seconds_per_agent_week()
    print(f"{'experiment':<22} {'runs':>7} {'time':>9}  description")
    for name in bundled():
        exp = load(name)
        time_taken = _duration(estimated_seconds(exp, workers, per_agent_week))
        print(f"{name:<22} {exp.n_runs:>7,} {time_taken:>9}  {exp.description}")
    print(f"({_estimate_note(workers)})")
    return 0


def cmd_dry_run(exp: Experiment, args) -> int:
    """Print the design of ``exp`` (points x regimes x replications, the points) and run nothing."""
    import pandas as pd

    from experiments.design import points
    from experiments.spec import DEFAULT_MODEL, model_function

    if exp.model != DEFAULT_MODEL:
        model_function(exp.model)  # allowed by the user: check it as a real run would
    record = {"final": "the final week", "every": "every week"}.get(
        exp.record, f"every {exp.record} weeks"
    )
    print(
        f"{exp.name}: {_count(exp.n_points, 'point')} x {_count(len(exp.regimes), 'regime')} "
        f"({', '.join(exp.regimes)}) x {_count(exp.replications, 'replication')} = "
        f"{_count(exp.n_runs, 'run')} "
        f"of {exp.steps} weeks, recording {record}; model {exp.model}, root seed {exp.seed}"
    )
    if exp.base:
        print("base: " + ", ".join(f"{k} = {v!r}" for k, v in exp.base.items()))
    table = pd.DataFrame([{k: p[k] for k in exp.varied} for p in points(exp)])
    if exp.arms:
        table.insert(0, "arm", exp.arm_labels)
    if exp.varied:
        table.index.name = "point"
        print(table.to_string(max_rows=40))
    else:
        print("one point: nothing is varied")
    workers = 1 if args.executor == "sequential" else args.workers or default_workers()
    if args.scheduler is None:
        seconds = estimated_seconds(exp, workers, seconds_per_agent_week())
        print(f"estimated time: {_duration(seconds)} ({_estimate_note(workers)})")
    left = "left as it was" if Path(args.out).exists() else "not created"
    print(f"dry run: nothing was run and {args.out} was {left}")
    return 0


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet, or None if it exists."""
    missing = None
    for folder in (path, *path.parents):
        if folder.exists():
            return missing
        missing = folder
    return missing


def _remove_if_unused(out: Path, first_created: Path) -> None:
    """Remove the folders a refused run created, if nothing was stored in them."""
    known = {"manifest.json", ".lock", "parts"}
    if not out.is_dir() or any(p.name not in known for p in out.iterdir()):
        return  # something else is there (a stored run, a failure log): keep it all
    if (out / "parts").is_dir() and any((out / "parts").iterdir()):
        return
    with suppress(OSError):  # best effort: the refusal, not this, is what the user must see
        shutil.rmtree(out)
        for folder in out.parents:
            if folder == first_created.parent:
                break
            folder.rmdir()


def cmd_run(args) -> int:
    """Run (or resume) an experiment into DIR; failed runs of earlier sessions are retried."""
    exp = load(args.experiment, allow_model_code=args.allow_model_code)
    if args.dry_run:
        return cmd_dry_run(exp, args)
    from experiments.sweep import sweep

    kind = (
        "dask" if args.scheduler is not None else "dask-local" if args.dask_local else args.executor
    )
    first_created = _first_missing(Path(args.out).absolute())
    try:
        counts = sweep(
            exp, args.out, kind, args.workers, args.scheduler, args.chunk, args.batch_rows
        )
    except (SpecError, ExecutorError, OSError):  # refused: a refused run leaves no folder
        if first_created is not None:
            _remove_if_unused(Path(args.out).absolute(), first_created)
        raise
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
    exp = parse(held["text"], held["name"], allow_model_code=True)  # status imports no model
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


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{value} is not a share above 0 and at most 1")
    return value


def _stem(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", text) or ".." in text:
        raise argparse.ArgumentTypeError(
            f"{text!r}: use letters, digits, '_', '-' and '.', starting with a letter or digit"
        )
    return text


def cmd_discover(args) -> int:
    """PRIM boxes where a condition on paired regimes holds, into DIR/discovery."""
    from experiments.discover import discover

    found = discover(
        args.dir, args.when, threshold=args.threshold, max_boxes=args.boxes, name=args.name
    )
    for line in found.lines():
        print(line)
    for path in found.written:
        print(path)
    return 0


def _seed(text: str) -> int:
    from sim.params import ParamError, check_seed

    try:
        return check_seed(int(text))
    except ValueError as err:
        message = str(err) if isinstance(err, ParamError) else f"{text!r} is not a whole number"
        raise argparse.ArgumentTypeError(message) from None


def cmd_calibrate(args) -> int:
    """Fit a case's free parameters by ABC-SMC into DIR, or continue the calibration there."""
    from experiments.calibrate import Options, calibrate

    if args.scheduler is not None and args.workers is not None:
        raise UsageError("--workers does not apply to --scheduler: the cluster has its own")
    if args.scheduler is not None:
        sampler, workers = "dask", 0
    elif args.dask_local:
        sampler, workers = "dask-local", args.workers or default_workers()
    else:
        workers = args.workers or 1
        sampler = "multicore" if workers > 1 else "single-core"
    options = Options(
        population=args.population,
        generations=args.generations,
        max_simulations=args.max_simulations,
        draws=args.draws,
        seed=args.seed,
        sampler=sampler,
        workers=workers,
    )
    result = calibrate(args.case, args.out, options, args.scheduler, say=_say)
    for line in result.lines():
        print(line)
    for path in result.written:
        print(path)
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``python -m experiments`` argument parser."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--traceback", action="store_true", help="show the traceback of an unexpected error"
    )
    top = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    listing = sub.add_parser(
        "list", help="bundled experiments, their runs and estimated times", parents=[common]
    )
    listing.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="processes the time estimates assume (default: all cores)",
    )
    listing.set_defaults(func=cmd_list)
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
    run.add_argument(
        "--allow-model-code",
        action="store_true",
        help="run the experiment file's 'model = \"module:function\"': it imports and runs that "
        "code, so give this only for files you trust",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="print the design (points, regimes, replications, estimated time) and run nothing",
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
    find = sub.add_parser(
        "discover",
        help="PRIM boxes of parameter space where a condition on paired regimes holds",
        parents=[common],
    )
    find.add_argument("dir")
    find.add_argument(
        "--when",
        required=True,
        metavar="EXPR",
        help="e.g. 'outcomes.mean_wellbeing > learning.mean_wellbeing': REGIME.OUTPUT names, "
        "numbers, + - * /, < <= > >=, and, or, not",
    )
    find.add_argument(
        "--threshold",
        type=_share,
        default=0.8,
        help="density a box should reach; of those that do, the box with the best balance of "
        "coverage and density is kept",
    )
    find.add_argument("--boxes", type=_positive, default=3, help="at most this many boxes")
    find.add_argument("--name", type=_stem, help="file name stem (default: from the condition)")
    find.set_defaults(func=cmd_discover)
    _calibrate_parser(sub, common)
    return top


def _calibrate_parser(sub, common: argparse.ArgumentParser) -> None:
    from experiments import calibrate as cal  # light: pyABC is imported only when a run starts

    fit = sub.add_parser(
        "calibrate",
        help="fit a real case's free parameters by ABC-SMC (pyABC); a rerun continues",
        parents=[common],
    )
    fit.add_argument(
        "case", help=f"a bundled case ({', '.join(cal.bundled_cases())}) or a case .toml file"
    )
    fit.add_argument("--out", required=True, help="results directory")
    fit.add_argument(
        "--workers",
        type=_positive,
        default=None,
        help="processes (default 1: the only reproducible choice; more use pyABC's multicore "
        "sampler, or the LocalCluster's size with --dask-local)",
    )
    how = fit.add_mutually_exclusive_group()
    how.add_argument("--dask-local", action="store_true", help="a Dask LocalCluster")
    how.add_argument(
        "--scheduler", type=_address, metavar="ADDRESS", help="an existing Dask scheduler"
    )
    fit.add_argument(
        "--population", type=_positive, default=cal.DEFAULT_POPULATION, help="particles"
    )
    fit.add_argument(
        "--generations",
        type=_positive,
        default=cal.DEFAULT_GENERATIONS,
        help="ABC-SMC generations in all (a rerun with more continues)",
    )
    fit.add_argument(
        "--max-simulations",
        type=_positive,
        default=cal.DEFAULT_MAX_SIMULATIONS,
        help="no new generation starts once this many simulations are spent",
    )
    fit.add_argument(
        "--draws",
        type=_positive,
        default=cal.DEFAULT_DRAWS,
        help="posterior predictive simulations",
    )
    fit.add_argument("--seed", type=_seed, default=cal.DEFAULT_SEED, help="root seed")
    fit.set_defaults(func=cmd_calibrate)


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
        # Once stopping, keep ignoring: a second press after this block but before the process
        # has exited would otherwise meet Python's own handler and kill it with the raw signal.
        if not received:
            for sig, handler in before.items():
                signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    with _stop_once_on_signal() as received:
        status = _main(argv)
    # Free every Arrow object (some sit in reference cycles) while Arrow is still whole: left to
    # the interpreter's final teardown, pyarrow 26's reader threads can abort the process with
    # "terminate called without an active exception" after the work is done (apache/arrow#34314);
    # `status` did so in 8 of 30 runs here.
    gc.collect()
    if received and received[0] == signal.SIGTERM:
        return 128 + signal.SIGTERM
    return status


def _main(argv: list[str] | None) -> int:
    args = None
    try:
        args = parser().parse_args(argv)
        return args.func(args)
    except SpecError as err:
        for problem in err.problems:  # every problem of a file at once, one line each
            _say(f"error: {problem}")
        return 2
    except (UsageError, ExecutorError) as err:
        _say(f"error: {err}")
        return 2
    except BrokenPipeError:  # the reader went away (`list | head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # an unwritable --out, a full disk: say so, no traceback
        _say(f"error: {err}")
        return 2
    except KeyboardInterrupt:
        if args is not None and args.command == "run":
            _say("interrupted: finished runs are stored; run the same command to resume")
        elif args is not None and args.command == "calibrate":
            _say("interrupted: finished generations are stored; run the same command to continue")
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
