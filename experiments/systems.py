"""Siloed contracts against the alliance: the table and figure of a whole-system experiment.

``python -m experiments.systems DIR --out docs/whole-system.png`` reads the stored rows of a run of
``experiments/bundled/whole_system.toml`` (or any experiment that varies ``contracting``), prints
one Markdown table (late means per contract, mean and 95 % CI over replicates, and the paired
difference, replicate by replicate on common random numbers) and draws one figure: each output
week by week under each contract, and the paired differences. Names and meanings come from
sim.params and sim.metrics, so the figure says what the model says.

Bad input (a directory that holds no such experiment, a figure name without .png, .svg or .pdf)
stops with one line and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import NoReturn

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from experiments.analysis import experiment_of, load
from experiments.spec import Experiment, SpecError
from sim.metrics import COLUMNS
from sim.params import PARAMS

CONTRACTING = "contracting"
# Weekly columns averaged over the second half of the run (weeks 53-104 of two years): one week's
# hand-offs and failure demand are noisy, and the first half holds the settling in of caseloads,
# referrals and targets.
LATE_SHARE = 0.5
# Columns that accumulate over the run are read at the last week instead.
CUMULATIVE = ("attribution_error",)
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
# One colour per contracting arm, in the order the experiment gives them (not the regimes' colours:
# every arm runs the same regime).
ARM_COLOURS = ("#d35400", "#16a085", "#2c3e50")


class UsageError(Exception):
    """A bad command line; the message is one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line and exit 2, not argparse's usage block
        raise UsageError(message)


def outputs_of(exp: Experiment) -> list[str]:
    """The outputs an experiment asks to plot (its ``[analysis] outputs``)."""
    return list(exp.analysis.get("outputs", ["handoffs", "failure_demand", "gaming_gap"]))


def contracts_of(exp: Experiment) -> list[str]:
    """The contracting arms of an experiment, in the order its file gives them.

    Raises:
        SpecError: The experiment does not vary ``contracting`` over two or more values.
    """
    arms = list(exp.vary.get(CONTRACTING, []))
    if len(arms) < 2:
        raise SpecError(
            f"experiment {exp.name!r} does not vary {CONTRACTING}: "
            f"give [vary] {CONTRACTING} = {list(PARAMS[CONTRACTING].choices or ())}"
        )
    return [str(arm) for arm in arms]


def late_from(df: pd.DataFrame) -> int:
    """The first week of the second half of the run (53 of 104)."""
    return int(df.step.max() * LATE_SHARE) + 1


def per_run(df: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """One row per run: each output's mean over the run's second half, or its last-week value."""
    late = df[df.step >= late_from(df)]
    keys = ["run_id", "replicate", "regime", CONTRACTING]
    weekly = [col for col in outputs if col not in CUMULATIVE]
    table = late.groupby(keys)[weekly].mean()
    last = df.loc[df.groupby("run_id").step.idxmax()].set_index(keys)
    for col in outputs:
        if col in CUMULATIVE:
            table[col] = last[col]
    return table.reset_index()


def _half_width(values: pd.Series) -> float:
    values = values.dropna()
    if len(values) < 2:
        return float("nan")
    return float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def contrast(runs: pd.DataFrame, outputs: list[str], arms: list[str]) -> pd.DataFrame:
    """Mean and 95 % CI half-width per arm, and each later arm minus the first, paired.

    Returns:
        One row per output: ``ARM``, ``ARM_ci95`` for each arm, ``diff`` and ``diff_ci95`` (the
        last arm minus the first, replicate by replicate), and ``n`` (pairs).
    """
    first, last = arms[0], arms[-1]
    rows = []
    for col in outputs:
        by_arm = runs.pivot_table(index=["regime", "replicate"], columns=CONTRACTING, values=col)
        row: dict[str, object] = {"output": col}
        for arm in arms:
            row[arm] = float(by_arm[arm].mean())
            row[f"{arm}_ci95"] = _half_width(by_arm[arm])
        paired = (by_arm[last] - by_arm[first]).dropna()
        row["diff"] = float(paired.mean())
        row["diff_ci95"] = _half_width(paired)
        row["n"] = len(paired)
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, arms: list[str]) -> str:
    """The contrast as a Markdown table, mean ± 95 % CI half-width, three decimals."""
    head = ["output", *arms, f"{arms[-1]} − {arms[0]} (paired)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in table.itertuples(index=False):
        values = row._asdict()
        cells = [f"`{values['output']}`"]
        cells += [f"{values[arm]:.3f} ± {values[f'{arm}_ci95']:.3f}" for arm in arms]
        cells.append(f"{values['diff']:+.3f} ± {values['diff_ci95']:.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _title(column: str) -> str:
    """A column's name and the first clause of its meaning in sim.metrics, wrapped for a panel."""
    meaning = COLUMNS[column].split(":")[0].split(", by ")[0].rstrip(".")
    return column + "\n" + textwrap.fill(meaning, 46)


def figure(df: pd.DataFrame, exp: Experiment, table: pd.DataFrame, arms: list[str]) -> plt.Figure:
    """Each output week by week under each contract (95 % CI bands), and the paired differences."""
    outputs = list(table.output)
    panels = len(outputs) + 1
    cols = 3
    rows = int(np.ceil(panels / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.6 * cols, 3.7 * rows), constrained_layout=True, squeeze=False
    )
    flat = axes.ravel()
    by_week = df.groupby([CONTRACTING, "step"])
    for ax, col in zip(flat, outputs, strict=False):
        mean = by_week[col].mean()
        half = by_week[col].agg(_half_width)
        for arm, colour in zip(arms, ARM_COLOURS, strict=False):
            weeks = mean[arm].index
            ax.plot(weeks, mean[arm], color=colour, lw=2, label=arm)
            ax.fill_between(
                weeks, mean[arm] - half[arm], mean[arm] + half[arm], color=colour, alpha=0.2
            )
        ax.axvspan(late_from(df), df.step.max(), color="0.92", zorder=0)
        ax.set_title(_title(col), fontsize=9)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
    flat[0].legend(title=PARAMS[CONTRACTING].label, fontsize=8, title_fontsize=8)
    ax = flat[len(outputs)]
    positions = np.arange(len(outputs))[::-1]
    ax.errorbar(
        table["diff"], positions, xerr=table["diff_ci95"], fmt="o", color="black", capsize=3
    )
    ax.axvline(0, color="0.5", lw=1)
    ax.set_yticks(positions, outputs, fontsize=8)
    ax.set_title(
        f"{arms[-1]} − {arms[0]}, paired by seed\n(weeks {late_from(df)}+ shaded; "
        f"{', '.join(CUMULATIVE)} at week {df.step.max()})",
        fontsize=9,
    )
    ax.grid(alpha=0.3, axis="x")
    for spare in flat[panels:]:
        spare.set_visible(False)
    settings = ", ".join(f"{PARAMS[name].label} = {exp.base[name]}" for name in exp.base)
    regimes = ", ".join(exp.regimes)
    fig.suptitle(
        f"{exp.name}: {settings}, regime {regimes} in every service. Mean and 95 % CI over "
        f"{exp.replications} seeds (root {exp.seed}), both contracts on the same seeds",
        fontsize=10,
    )
    return fig


def report(directory: str | Path) -> tuple[pd.DataFrame, plt.Figure, list[str]]:
    """The contrast table, the figure and the arms of a stored whole-system experiment.

    Raises:
        SpecError: The directory holds no experiment, no finished runs, or no contracting arms.
    """
    exp = experiment_of(directory)
    arms = contracts_of(exp)
    df = load(directory)
    if df.empty:
        raise SpecError(f"{directory} holds no finished runs yet: run the experiment first")
    outputs = outputs_of(exp)
    table = contrast(per_run(df, outputs), outputs, arms)
    return table, figure(df, exp, table, arms), arms


def main(argv: list[str] | None = None) -> int:
    """Print the table, write the figure; return the exit status."""
    top = _Parser(prog="python -m experiments.systems", description=__doc__.splitlines()[0])
    top.add_argument("directory", help="results of a run of whole_system (or alike)")
    top.add_argument("--out", help="figure, .png, .svg or .pdf")
    try:
        args = top.parse_args(argv)
        if args.out and Path(args.out).suffix.lower() not in FIGURE_SUFFIXES:
            raise UsageError(
                f"--out {args.out!r}: the file name must end in {' or '.join(FIGURE_SUFFIXES)}"
            )
        if not Path(args.directory, "manifest.json").is_file():
            raise UsageError(f"{args.directory} holds no experiment (no manifest.json)")
        table, fig, arms = report(args.directory)
        print(markdown(table, arms))
        if args.out:
            fig.savefig(args.out, dpi=110)
            print(f"wrote the figure to {args.out}")
        plt.close(fig)
        return 0
    except (UsageError, SpecError, OSError) as err:
        print(f"python -m experiments.systems: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
