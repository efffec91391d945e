"""Arms of a whole-system experiment: the tables and figure, each arm paired with the first.

``python -m experiments.systems DIR --out docs/whole-system.png`` reads the stored rows of a run of
``experiments/bundled/whole_system.toml`` (or any experiment with ``[[arms]]`` or ``[vary]``: each
point is an arm), prints two Markdown tables (late means per arm, mean and 95 % CI over
replicates; and each arm minus the first, replicate by replicate on common random numbers, with
95 % CIs) and draws one figure: each output week by week under each arm, and the paired
differences. Names and meanings come from sim.params and sim.metrics, so the figure says what the
model says.

Bad input (a directory that holds no such experiment, a figure name without .png, .svg or .pdf)
stops with one line and exit status 2.
"""

from __future__ import annotations

import argparse
import itertools
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
from experiments.design import points
from experiments.spec import Experiment, SpecError, arm_label
from sim.metrics import COLUMNS
from sim.params import PARAMS

# The column that names each run's arm in the tables.
ARM = "arm"
# Weekly columns averaged over the second half of the run (weeks 53-104 of two years, so weeks
# 56-104 when every 4th week is recorded): one week's hand-offs and failure demand are noisy, and
# the first half holds the settling in of caseloads, referrals and targets.
LATE_SHARE = 0.5
# Columns that accumulate over the run are read at the last week instead.
CUMULATIVE = ("attribution_error",)
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
# One colour per arm, in the order the experiment gives them (not the regimes' colours: every
# arm may run the same regime).
ARM_COLOURS = ("#d35400", "#16a085", "#2980b9", "#8e44ad", "#2c3e50", "#7f8c8d")


class UsageError(Exception):
    """A bad command line; the message is one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line and exit 2, not argparse's usage block
        raise UsageError(message)


def outputs_of(exp: Experiment) -> list[str]:
    """The outputs an experiment asks to plot (its ``[analysis] outputs``)."""
    return list(exp.analysis.get("outputs", ["handoffs", "failure_demand", "gaming_gap"]))


def arms_of(exp: Experiment) -> list[str]:
    """The label of each arm (each point of the design), in the order the file gives them.

    An ``[[arms]]`` arm's label is its own; a ``[vary]`` point's is ``name = value``, joined.

    Raises:
        SpecError: The experiment has fewer than two arms, or a sampler's points.
    """
    if exp.sampler:
        raise SpecError(
            f"experiment {exp.name!r} draws its points with a sampler: give [[arms]] or [vary] "
            "lists to compare arms"
        )
    if exp.arms:
        labels = list(exp.arm_labels)
    else:
        # A point's values alone would label it "3": name the parameters too.
        labels = [arm_label({k: f"{k} = {p[k]}" for k in exp.varied}) for p in points(exp)]
    if len(labels) < 2:
        raise SpecError(
            f"experiment {exp.name!r} has {len(labels)} arm: give two or more [[arms]] "
            "(or [vary] values) to compare"
        )
    return labels


def late_from(df: pd.DataFrame) -> int:
    """The first week of the second half of the run (53 of 104)."""
    return int(df.step.max() * LATE_SHARE) + 1


def per_run(df: pd.DataFrame, outputs: list[str], arms: list[str]) -> pd.DataFrame:
    """One row per run: each output's mean over the run's second half, or its last-week value.

    Args:
        df: The stored rows.
        outputs: The outputs to summarise.
        arms: Each point's arm label, by point id.
    """
    late = df[df.step >= late_from(df)]
    keys = ["run_id", "replicate", "regime", "point_id"]
    weekly = [col for col in outputs if col not in CUMULATIVE]
    table = late.groupby(keys)[weekly].mean()
    last = df.loc[df.groupby("run_id").step.idxmax()].set_index(keys)
    for col in outputs:
        if col in CUMULATIVE:
            table[col] = last[col]
    table = table.reset_index()
    table.insert(0, ARM, table.point_id.map(dict(enumerate(arms))))
    return table


def _half_width(values: pd.Series) -> float:
    values = values.dropna()
    if len(values) < 2:
        return float("nan")
    return float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))


def contrast(
    runs: pd.DataFrame, outputs: list[str], arms: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each arm's mean with its 95 % CI, and each later arm minus the first, paired by seed.

    Only replicates with both arms stored are paired, so a partial sweep gives what it can.

    Returns:
        ``(means, differences)``: one row per output and arm (``output``, ``arm``, ``mean``,
        ``ci95``, ``n`` runs), and one row per output and later arm (``output``, ``arm``,
        ``diff``, ``ci95``, ``n`` pairs).
    """
    means, differences = [], []
    first = arms[0]
    for col in outputs:
        by_arm = runs.pivot_table(index=["regime", "replicate"], columns=ARM, values=col)
        for arm in arms:
            values = by_arm[arm].dropna() if arm in by_arm else pd.Series(dtype=float)
            means.append(
                {
                    "output": col,
                    ARM: arm,
                    "mean": float(values.mean()),
                    "ci95": _half_width(values),
                    "n": len(values),
                }
            )
        for arm in arms[1:]:
            paired = (
                (by_arm[arm] - by_arm[first]).dropna()
                if {arm, first} <= set(by_arm)
                else pd.Series(dtype=float)
            )
            differences.append(
                {
                    "output": col,
                    ARM: arm,
                    "diff": float(paired.mean()),
                    "ci95": _half_width(paired),
                    "n": len(paired),
                }
            )
    return pd.DataFrame(means), pd.DataFrame(differences)


# A table's cell for an output an arm leaves empty (gaming_providers without re-tendering).
EMPTY_CELL = "—"


def _cell(value: float, half_width: float, sign: str = "") -> str:
    if np.isnan(value):
        return EMPTY_CELL
    return f"{value:{sign}.3f} ± {half_width:.3f}"


def markdown(means: pd.DataFrame, differences: pd.DataFrame, arms: list[str]) -> str:
    """Both tables in Markdown, mean ± 95 % CI half-width, three decimals; — where empty."""
    lines = ["| output | " + " | ".join(arms) + " |", "|" + "---|" * (len(arms) + 1)]
    for output, rows in means.groupby("output", sort=False):
        cells = [_cell(r.mean, r.ci95) for r in rows.set_index(ARM).loc[arms].itertuples()]
        lines.append(f"| `{output}` | " + " | ".join(cells) + " |")
    pairs = differences[differences.output == differences.output.iloc[0]].n
    lines += [
        "",
        f"Paired differences against {arms[0]} (same seeds; {pairs.min()} pairs):",
        "",
        "| output | " + " | ".join(f"{arm} − {arms[0]}" for arm in arms[1:]) + " |",
        "|" + "---|" * len(arms),
    ]
    for output, rows in differences.groupby("output", sort=False):
        cells = [_cell(r.diff, r.ci95, "+") for r in rows.set_index(ARM).loc[arms[1:]].itertuples()]
        lines.append(f"| `{output}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _title(column: str) -> str:
    """A column's name and the first clause of its meaning in sim.metrics, wrapped for a panel."""
    meaning = COLUMNS[column].split(":")[0].split(", by ")[0].rstrip(".")
    return column + "\n" + textwrap.fill(meaning, 46)


def figure(
    df: pd.DataFrame, exp: Experiment, differences: pd.DataFrame, arms: list[str]
) -> plt.Figure:
    """Each output week by week under each arm (95 % CI bands), and the paired differences."""
    outputs = list(dict.fromkeys(differences.output))
    panels = len(outputs) + 1
    cols = 3
    rows = int(np.ceil(panels / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.8 * cols, 3.7 * rows), constrained_layout=True, squeeze=False
    )
    flat = axes.ravel()
    colours = dict(zip(arms, itertools.cycle(ARM_COLOURS), strict=False))
    df = df.assign(**{ARM: df.point_id.map(dict(enumerate(arms)))})
    by_week = df.groupby([ARM, "step"])
    for ax, col in zip(flat, outputs, strict=False):
        mean = by_week[col].mean()
        half = by_week[col].agg(_half_width)
        for arm in arms:
            if arm not in mean.index.get_level_values(ARM):
                continue
            weeks = mean[arm].index
            ax.plot(weeks, mean[arm], color=colours[arm], lw=2, label=arm)
            ax.fill_between(
                weeks, mean[arm] - half[arm], mean[arm] + half[arm], color=colours[arm], alpha=0.2
            )
        ax.axvspan(late_from(df), df.step.max(), color="0.92", zorder=0)
        ax.set_title(_title(col), fontsize=9)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
    flat[0].legend(fontsize=7)
    ax = flat[len(outputs)]
    positions = np.arange(len(outputs))[::-1]
    later = arms[1:]
    for offset, arm in enumerate(later):
        rows_of = differences[differences[ARM] == arm].set_index("output").loc[outputs]
        shift = (offset - (len(later) - 1) / 2) * 0.8 / max(1, len(later))
        ax.errorbar(
            rows_of["diff"],
            positions + shift,
            xerr=rows_of["ci95"],
            fmt="o",
            color=colours[arm],
            capsize=3,
            label=f"{arm} − {arms[0]}",
        )
    ax.axvline(0, color="0.5", lw=1)
    ax.set_yticks(positions, outputs, fontsize=8)
    ax.legend(fontsize=7)
    ax.set_title(
        f"each arm − {arms[0]}, paired by seed\n(weeks {late_from(df)}+ shaded; "
        f"{', '.join(CUMULATIVE)} at week {df.step.max()})",
        fontsize=9,
    )
    ax.grid(alpha=0.3, axis="x")
    for spare in flat[panels:]:
        spare.set_visible(False)
    settings = ", ".join(f"{PARAMS[name].label} = {exp.base[name]}" for name in exp.base)
    regimes = ", ".join(exp.regimes)
    fig.suptitle(
        f"{exp.name}: {settings}, regime {regimes} unless an arm sets its services' regimes. "
        f"Mean and 95 % CI over {exp.replications} seeds (root {exp.seed}), every arm on the "
        "same seeds",
        fontsize=10,
    )
    return fig


def report(
    directory: str | Path,
) -> tuple[pd.DataFrame, pd.DataFrame, plt.Figure, list[str]]:
    """The tables, the figure and the arm labels of a stored whole-system experiment.

    Raises:
        SpecError: The directory holds no experiment, no finished runs, or fewer than two arms.
    """
    exp = experiment_of(directory)
    arms = arms_of(exp)
    df = load(directory)
    if df.empty:
        raise SpecError(f"{directory} holds no finished runs yet: run the experiment first")
    outputs = outputs_of(exp)
    means, differences = contrast(per_run(df, outputs, arms), outputs, arms)
    return means, differences, figure(df, exp, differences, arms), arms


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
        means, differences, fig, arms = report(args.directory)
        print(markdown(means, differences, arms))
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
