"""Command line of the Accountability Lab model: run, compare, params, limit.

Bad input stops with one line naming the problem and what is allowed, and exit status 2; a refused
run creates nothing, and a result file is written whole or not at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from sim.files import atomic_write, check_writable
from sim.metrics import GAINED, INDICATOR_REALLY, REPORTED, WORDS_NOTE
from sim.params import (
    DEFAULT_STEPS,
    MAX_STEPS,
    PARAMS,
    REGIME_NAMES,
    ParamError,
    check_run,
    check_seed,
    parse_assignment,
    validate,
)
from sim.regimes import COMPARED

SUMMARY = [
    "measured_performance",
    "true_performance",
    "gaming_gap",
    "parked_share",
    "complex_contact_ratio",
    "mean_wellbeing",
    "equity_gap",
    "citizen_trust",
    "worker_morale",
    "turnover",
]


# What ``compare`` prints, in plain words: what citizens gained first, then the indicator, so
# that the indicator's own true value is never read as what citizens gained.
COMPARED_ROWS = {
    "mean_wellbeing": f"{GAINED} (true wellbeing)",
    "measured_performance": f"{REPORTED} (indicator)",
    "true_performance": INDICATOR_REALLY,
    "gaming_gap": f"gap: {REPORTED} − {INDICATOR_REALLY}",
    "parked_share": "parked: no contact in 8 weeks",
    "complex_contact_ratio": "contact: most ÷ least complex",
    "equity_gap": "equity gap: simplest − most complex",
    "citizen_trust": "citizen trust",
    "worker_morale": "worker morale",
    "turnover": "turnover: quits + dismissals",
}

STEPS_WHY = ": every week's row is kept in memory"


class UsageError(Exception):
    """A bad command line; the message is one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line and exit 2, not argparse's usage block
        raise UsageError(message)


def _count(low: int, high: int | None = None, why: str = "") -> Callable[[str], int]:
    def parse(text: str) -> int:
        shown = text if len(text) <= 24 else text[:20] + "..."  # one line, even for 10**30
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{shown!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{shown} is below {low}")
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{shown} is above {high:,}{why}")
        return value

    return parse


def _seed(text: str) -> int:
    """A seed from the command line, by the one rule for seeds (sim.params.check_seed)."""
    try:
        value: int | str = int(text)
    except ValueError:
        value = text  # check_seed names it as not a whole number
    try:
        return check_seed(value)
    except ParamError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 2:
        raise argparse.ArgumentTypeError(f"{value:g} is outside 0 to 2")
    return value


def _params(assignments: list[str], steps: int, worker_rows: bool = False) -> dict[str, str]:
    """The ``--set`` values, checked against each other and against the length of the run."""
    pairs = [parse_assignment(a) for a in assignments]
    repeated = [name for name, times in Counter(name for name, _ in pairs).items() if times > 1]
    if repeated:
        values = " and ".join(value for name, value in pairs if name == repeated[0])
        raise ParamError(
            f"--set {repeated[0]} is given more than once ({values}): give each parameter once"
        )
    given = dict(pairs)
    if "regime" in given:
        raise ParamError("set the regime with --regime, not --set regime=...")
    check_run(validate(given), steps, worker_rows)  # fail before any run starts
    return given


def _suffix(path: str | None, allowed: tuple[str, ...], flag: str) -> None:
    if path is not None and Path(path).suffix.lower() not in allowed:
        raise UsageError(f"{flag} {path!r}: the file name must end in {' or '.join(allowed)}")


def _write(path: str, write: Callable[[str], object]) -> None:
    """Write atomically; a failure (a full disk, say) is one line naming the file."""
    try:
        atomic_write(path, write)
    except OSError as err:
        raise UsageError(f"cannot write {path!r}: {err.strerror or err}") from None


def _write_table(df: pd.DataFrame, path: str) -> None:
    """Write CSV or Parquet by suffix, atomically: a reader never sees half a file."""
    if Path(path).suffix.lower() == ".parquet":
        _write(path, lambda tmp: df.to_parquet(tmp, index=False))
    else:
        _write(path, lambda tmp: df.to_csv(tmp, index=False))


SERVICES_SUFFIX = ".services"  # run.csv -> run.services.csv, beside the weekly rows


def services_path(out: str | None) -> str:
    """Where ``--service-rows`` writes: beside the weekly rows, ``run.csv`` -> ``run.services.csv``.

    Raises:
        UsageError: There is no weekly file to write beside (no ``--out``).
    """
    if out is None:
        raise UsageError(
            "--service-rows writes one row per service each week beside the weekly rows: "
            "give --out FILE.csv or FILE.parquet too"
        )
    path = Path(out)
    return str(path.with_name(path.stem + SERVICES_SUFFIX + path.suffix))


def _writable(**paths: str | None) -> None:
    given = {flag: path for flag, path in paths.items() if path is not None}
    seen: dict[Path, str] = {}
    for flag, path in given.items():
        same = seen.setdefault(Path(path).resolve(), flag)
        if same != flag:
            raise UsageError(
                f"{same} and {flag} name the same file ({path}): give two different files"
            )
    for path in given.values():
        try:
            check_writable(path)
        except OSError as err:
            raise UsageError(f"cannot write {path!r}: {err.strerror or err}") from None


def _summary(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Final-week values per regime, in plain words, what citizens gained first."""
    table = pd.DataFrame({name: df[list(COMPARED_ROWS)].iloc[-1] for name, df in frames.items()})
    return table.rename(index=COMPARED_ROWS)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one regime and write its weekly rows."""
    from sim.model import AccountabilityModel

    _suffix(args.out, (".csv", ".parquet"), "--out")
    _suffix(args.workers_out, (".csv", ".parquet"), "--workers-out")
    services_out = services_path(args.out) if args.service_rows else None
    params = _params(args.set, args.steps, worker_rows=args.workers_out is not None)
    _writable(
        **{"--out": args.out, "--workers-out": args.workers_out, "--service-rows": services_out}
    )
    model = AccountabilityModel(
        rng=args.seed,
        regime=args.regime,
        worker_rows=args.workers_out is not None,
        service_rows=services_out is not None,
        **params,
    )
    for _ in range(args.steps):
        model.step()
    df = model.frame()
    written = []
    if args.out:
        _write_table(df, args.out)
        written.append(f"wrote {len(df)} weeks of the {args.regime} regime to {args.out}")
    if args.workers_out:
        workers = model.worker_frame()
        _write_table(workers, args.workers_out)
        reviews = workers["step"].nunique() if len(workers) else 0
        written.append(
            f"wrote {len(workers)} worker rows from {reviews} reviews to {args.workers_out}"
        )
    if services_out:
        services = model.service_frame()
        _write_table(services, services_out)
        count = services["service"].nunique()
        written.append(
            f"wrote {len(services)} service rows ({count} service{'s' if count > 1 else ''} × "
            f"{len(df)} weeks) to {services_out}"
        )
    print(df[SUMMARY].iloc[-1].to_string(float_format=lambda value: f"{value:.3f}"))
    print("\n".join(written) or "nothing written: give --out FILE.csv or .parquet to keep the rows")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """Both regimes from one seed (common random numbers), one figure, one table."""
    from sim.model import run
    from sim.plots import compare_figure

    _suffix(args.out, (".png", ".svg", ".pdf"), "--out")
    params = _params(args.set, args.steps)
    _writable(**{"--out": args.out})
    frames = {r: run(r, steps=args.steps, seed=args.seed, **params) for r in args.regimes}
    print(f"Week {args.steps}, seed {args.seed}, same citizens and shocks in every regime:")
    print(_summary(frames).to_string(float_format=lambda value: f"{value:.3f}"))
    print(textwrap.fill(WORDS_NOTE, width=100))
    if args.out:
        fig = compare_figure(
            frames,
            f"Same service, same citizens, same luck (seed {args.seed}): "
            + " vs ".join(args.regimes),
        )
        _write(args.out, lambda tmp: fig.savefig(tmp, dpi=110, format=Path(args.out).suffix[1:]))
        print(f"wrote {args.steps} weeks × {len(frames)} regimes as a figure to {args.out}")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """List every parameter with default, range, unit and meaning."""
    if args.format == "json":
        rows = [
            {key: value for key, value in vars(param).items() if key != "kind"}
            | {"type": param.kind.__name__}
            for param in PARAMS.values()
        ]
        print(json.dumps(rows, indent=2))
        return 0
    if args.format == "markdown":
        print("| name | default | allowed | unit | meaning | source or rationale |")
        print("|---|---|---|---|---|---|")
        for param in PARAMS.values():
            cells = [
                f"`{param.name}`",
                param.default,
                param.allowed(),
                param.unit,
                param.meaning,
                param.source,
            ]
            print("| " + " | ".join(map(str, cells)) + " |")
        return 0
    width = max(len(name) for name in PARAMS)
    for param in PARAMS.values():
        print(f"{param.name:<{width}}  {param.default!s:<9} {param.allowed():<34} {param.unit}")
        print(f"{'':<{width}}  {param.meaning}")
    return 0


def cmd_limit(args: argparse.Namespace) -> int:
    """Compare the simulated workers with the closed-form principal-agent result."""
    from sim.limit import compare

    if not 0 <= args.alignment <= 1:
        raise UsageError(f"--alignment {args.alignment:g} is outside 0 to 1")
    print(json.dumps(compare(args.alignment, args.incentive, args.steps, args.seed), indent=2))
    return 0


def parser() -> argparse.ArgumentParser:
    """The ``python -m sim`` argument parser."""
    top = _Parser(prog="python -m sim", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sets: dict[str, Any] = dict(
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a model parameter (repeatable); see 'python -m sim params'",
    )

    run_parser = sub.add_parser("run", help="run one regime and write its weekly rows")
    run_parser.add_argument("--regime", choices=REGIME_NAMES, default="outcomes")
    run_parser.add_argument(
        "--steps",
        type=_count(1, MAX_STEPS, STEPS_WHY),
        default=DEFAULT_STEPS,
        help=f"weeks (default {DEFAULT_STEPS})",
    )
    run_parser.add_argument("--seed", type=_seed, default=0)
    run_parser.add_argument("--set", **sets)
    run_parser.add_argument("--out", help="weekly rows, .csv or .parquet")
    run_parser.add_argument("--workers-out", help="worker rows at each review, .csv or .parquet")
    run_parser.add_argument(
        "--service-rows",
        action="store_true",
        help="also one row per service each week, in a file beside --out "
        f"(run.csv -> run{SERVICES_SUFFIX}.csv)",
    )
    run_parser.set_defaults(func=cmd_run)

    compare_parser = sub.add_parser(
        "compare", help="outcomes vs learning from one seed, figure and table"
    )
    compare_parser.add_argument("--seed", type=_seed, default=0)
    compare_parser.add_argument(
        "--steps", type=_count(1, MAX_STEPS, STEPS_WHY), default=DEFAULT_STEPS
    )
    compare_parser.add_argument("--set", **sets)
    compare_parser.add_argument(
        "--regimes", nargs="+", choices=REGIME_NAMES, default=list(COMPARED)
    )
    compare_parser.add_argument("--out", default=None, help="figure, .png, .svg or .pdf")
    compare_parser.set_defaults(func=cmd_compare)

    params_parser = sub.add_parser("params", help="list every parameter")
    params_parser.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    params_parser.set_defaults(func=cmd_params)

    limit_parser = sub.add_parser("limit", help="the multitask principal-agent limiting case")
    limit_parser.add_argument("--alignment", type=float, required=True, help="cos(theta), 0 to 1")
    limit_parser.add_argument("--incentive", type=_share, required=True, help="b, 0 to 2")
    limit_parser.add_argument("--steps", type=_count(1, MAX_STEPS, STEPS_WHY), default=4)
    limit_parser.add_argument("--seed", type=_seed, default=0)
    limit_parser.set_defaults(func=cmd_limit)
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    try:
        args = parser().parse_args(argv)
        status: int = args.func(args)
        return status
    except (UsageError, ParamError) as err:
        print(f"python -m sim: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:  # files are written atomically, so nothing half-written is left
        print("python -m sim: interrupted", file=sys.stderr)
        return 130
