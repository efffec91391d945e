"""Analysis of a results directory.

Summary tables with 95 % CIs, paired differences between regimes, figures (PNG and SVG), and SALib
Sobol or Morris indices when a sampler was used. Everything reads what is stored, so a partial or
resumed sweep is analysed as far as it goes; only Sobol indices need the whole design.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from experiments.design import problem
from experiments.spec import OUTPUTS, Experiment, SpecError, parse
from experiments.store import Store
from sim.plots import COLOURS


class SkippedAnalysis(UserWarning):
    """Part of an analysis that the stored runs cannot support yet; the rest is written."""


class NoisyIndices(SkippedAnalysis):
    """Sobol indices written, but too few samples to tell them apart from noise."""


# Indices below this are negligible: a confidence half-width up to it already says "small".
NEGLIGIBLE_INDEX = 0.05


def needed_sobol_n(result: dict, names: list[str], n: int) -> tuple[int, list[str]] | None:
    """The Saltelli base sample size Sobol indices would need, and what is wrong at ``n``.

    An index is too uncertain when its 95 % confidence half-width exceeds the index itself (or
    ``NEGLIGIBLE_INDEX``, whichever is larger: a CI that wide cannot tell the index from zero),
    or when a first-order index is negative by more than ``NEGLIGIBLE_INDEX`` (impossible for the
    true index, so the estimate's noise is at least that large). Half-widths shrink as
    1/sqrt(n), so the needed n is n x (half-width / target)^2, rounded up to a power of 2 as
    Saltelli's Sobol sequence wants.

    Args:
        result: SALib ``sobol.analyze`` output (S1, S1_conf, ST, ST_conf).
        names: Parameter names, in the order of the result's arrays.
        n: The base sample size used (design points / (parameters + 2)).

    Returns:
        ``None`` if every index is precise enough, else the needed n and one phrase per problem.
    """
    factor, problems = 1.0, []
    for i, name in enumerate(names):
        for key in ("S1", "ST"):
            index, half = float(result[key][i]), float(result[f"{key}_conf"][i])
            target = max(abs(index), NEGLIGIBLE_INDEX)
            if half > target:
                problems.append(f"{key} of {name} {index:.2f} ± {half:.2f}")
                factor = max(factor, (half / target) ** 2)
        s1 = float(result["S1"][i])
        if s1 < -NEGLIGIBLE_INDEX:
            problems.append(f"S1 of {name} {s1:.2f} < 0")
            factor = max(factor, (abs(s1) / NEGLIGIBLE_INDEX) ** 2)
    if not problems:
        return None
    return 2 ** int(np.ceil(np.log2(n * factor))), problems


DEFAULT_PLOTS = ["gaming_gap", "true_performance", "mean_wellbeing", "parked_share"]


def load(directory: str | Path) -> pd.DataFrame:
    """All stored rows of a results directory as one tidy DataFrame, one row per (run, step).

    Raises:
        SpecError: The directory holds no experiment.
    """
    store = Store(directory)
    if not store.exists:
        raise SpecError(f"{directory} holds no experiment (no manifest.json)")
    frames = [table.to_pandas() for table in store.read_parts()]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    # A run is stored once by construction; should a part ever be copied in twice, count it once.
    return df.drop_duplicates(["run_id", "step"]).sort_values(["run_id", "step"], ignore_index=True)


def experiment_of(directory: str | Path) -> Experiment:
    """The experiment a results directory holds, from the text stored in its manifest."""
    held = Store(directory).manifest()["experiment"]
    # Analysis never imports the model, and the file was allowed when it was run.
    return parse(held["text"], held["name"], allow_model_code=True)


def _ci(group: pd.core.groupby.DataFrameGroupBy, cols: list[str]) -> pd.DataFrame:
    mean, sd, n = group[cols].mean(), group[cols].std(ddof=1), group[cols].count()
    half = stats.t.ppf(0.975, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    out = pd.concat({"mean": mean, "ci95": half, "n": n}, axis=1)
    out.columns = [f"{col}_{stat}" if stat != "mean" else col for stat, col in out.columns]
    return out.reset_index()


def final_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Each run's last recorded row."""
    return df.loc[df.groupby("run_id").step.idxmax()]


def summary(df: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """Mean and 95 % CI across replications for every parameter point, regime and output."""
    keys = ["point_id", "regime", *exp.varied]
    return _ci(final_rows(df).groupby(keys), OUTPUTS)


def paired(df: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """Each regime minus the first, replicate by replicate (common random numbers).

    Only pairs with both runs stored count, so a partial sweep gives what it can; a contrast with
    no pair at all (a regime not yet run) is left out.
    """
    last = final_rows(df).set_index(["point_id", "replicate", "regime"])[OUTPUTS]
    present = set(last.index.get_level_values("regime"))
    ref = exp.regimes[0]
    frames = []
    for other in exp.regimes[1:]:
        if not {ref, other} <= present:
            continue
        diff = last.xs(other, level="regime") - last.xs(ref, level="regime")
        diff = diff.dropna(how="all")
        diff["contrast"] = f"{other} - {ref}"
        frames.append(diff.reset_index())
    if not frames or all(f.empty for f in frames):
        return pd.DataFrame()
    diffs = pd.concat(frames, ignore_index=True)
    points = final_rows(df).drop_duplicates("point_id").set_index("point_id")[exp.varied]
    diffs = diffs.join(points, on="point_id")
    return _ci(diffs.groupby(["point_id", "contrast", *exp.varied]), OUTPUTS)


def _save(fig, base: Path) -> list[Path]:
    paths = [base.parent / f"{base.name}.{ext}" for ext in ("png", "svg")]  # names may hold dots
    for p in paths:
        fig.savefig(p, dpi=120)
    plt.close(fig)
    return paths


def _label(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float | np.number) else str(value)


def curve_figure(
    table: pd.DataFrame, exp: Experiment, x: str, outputs: list[str], out: Path
) -> list[Path]:
    """Outputs against a varied parameter, mean with 95 % CI band, one line per regime."""
    others = [v for v in exp.varied if v != x]
    fig, axes = plt.subplots(
        1, len(outputs), figsize=(4.2 * len(outputs), 3.6), constrained_layout=True, squeeze=False
    )
    for ax, col in zip(axes[0], outputs, strict=True):
        for regime, g in table.groupby("regime"):
            styles = g.groupby(others) if others else [((), g)]
            for key, h in styles:
                h = h.sort_values(x)
                label = (
                    regime
                    if not others
                    else f"{regime}, "
                    + ", ".join(
                        f"{o}={_label(v)}" for o, v in zip(others, np.atleast_1d(key), strict=True)
                    )
                )
                (line,) = ax.plot(
                    h[x],
                    h[col],
                    marker="o",
                    ms=3,
                    label=label,
                    color=COLOURS.get(regime) if not others else None,
                )
                ax.fill_between(
                    h[x],
                    h[col] - h[f"{col}_ci95"],
                    h[col] + h[f"{col}_ci95"],
                    color=line.get_color(),
                    alpha=0.2,
                )
        ax.set_xlabel(x)
        ax.set_title(col)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{exp.name}: mean and 95% CI over {exp.replications} replications")
    return _save(fig, out)


def series_figure(df: pd.DataFrame, exp: Experiment, outputs: list[str], out: Path) -> list[Path]:
    """Time series with 95 % CI bands, one line per regime (first parameter point)."""
    first = df[df.point_id == df.point_id.min()]
    table = _ci(first.groupby(["regime", "step"]), outputs)
    fig, axes = plt.subplots(
        1, len(outputs), figsize=(4.2 * len(outputs), 3.6), constrained_layout=True, squeeze=False
    )
    for ax, col in zip(axes[0], outputs, strict=True):
        for regime, g in table.groupby("regime"):
            c = COLOURS.get(regime)
            ax.plot(g.step, g[col], color=c, label=regime)
            ax.fill_between(
                g.step, g[col] - g[f"{col}_ci95"], g[col] + g[f"{col}_ci95"], color=c, alpha=0.2
            )
        ax.set_xlabel("week")
        ax.set_title(col)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(f"{exp.name}: mean and 95% CI over {exp.replications} replications")
    return _save(fig, out)


def salib_inputs(df: pd.DataFrame, exp: Experiment) -> dict[str, tuple[np.ndarray, pd.DataFrame]]:
    """Per regime, the sample X and mean outputs Y that SALib is given, as stored.

    X is read from the stored parameter columns rather than drawn again, so the indices describe
    the runs that were made. Morris uses every complete trajectory of a partial sweep; Sobol
    (Saltelli) estimates need every point of the design.

    Raises:
        SpecError: A regime's stored points are not enough for the method.
    """
    method, names = exp.sampler["method"], problem(exp)["names"]
    size = len(names) + 1 if method == "morris" else exp.n_points
    finals = final_rows(df)
    x_all = finals.groupby("point_id")[names].first()
    means = finals.groupby(["regime", "point_id"])[OUTPUTS].mean()
    stored = means.index.get_level_values("regime")
    out = {}
    blocks = np.arange(exp.n_points).reshape(-1, size)  # the whole design, or Morris trajectories
    for regime in exp.regimes:
        y = means.xs(regime) if regime in stored else means.iloc[:0].droplevel("regime")
        complete = np.isin(blocks, y.index).all(axis=1)
        if method == "sobol" and not complete.all():
            raise SpecError(
                f"sobol indices need the whole design: regime {regime!r} has {len(y)} of "
                f"{exp.n_points} points stored; run the same command to finish the sweep first"
            )
        if method == "morris" and complete.sum() < 2:
            raise SpecError(
                f"morris indices need at least 2 complete trajectories: regime {regime!r} has "
                f"{complete.sum()} of {len(blocks)}; run the same command to finish the sweep"
            )
        ids = blocks[complete].ravel()
        out[regime] = (x_all.loc[ids].to_numpy(dtype=float), y.loc[ids])
    return out


def sensitivity(
    inputs: dict[str, tuple[np.ndarray, pd.DataFrame]],
    exp: Experiment,
    outputs: list[str],
    out: Path,
) -> tuple[pd.DataFrame, list[Path]]:
    """SALib Sobol (S1, ST with CIs) or Morris (mu*, sigma) per regime and output.

    Args:
        inputs: ``salib_inputs`` of the stored runs.
        exp: The experiment.
        outputs: Output columns to analyse.
        out: Figure path without suffix.

    Returns:
        One row per regime, output and parameter (``points``: design points used), and figures.
    """
    from SALib.analyze import morris, sobol

    prob = problem(exp)
    rows = []
    for regime, (x, y_all) in inputs.items():
        for col in outputs:
            y = y_all[col].to_numpy()
            if np.isnan(y).any():
                continue  # an output that is undefined in this regime (e.g. no target to meet)
            if exp.sampler["method"] == "sobol":
                res = sobol.analyze(prob, y, calc_second_order=False, seed=exp.seed)
                keys = ["S1", "S1_conf", "ST", "ST_conf"]
                _warn_if_noisy(res, prob["names"], len(y), regime, col)
            else:
                res = morris.analyze(prob, x, y, num_levels=exp.sampler["levels"], seed=exp.seed)
                keys = ["mu_star", "mu_star_conf", "sigma"]
            for i, name in enumerate(prob["names"]):
                rows.append(
                    {
                        "regime": regime,
                        "output": col,
                        "parameter": name,
                        **{k: float(res[k][i]) for k in keys},
                        "points": len(y),
                    }
                )
    table = pd.DataFrame(rows)
    if table.empty:
        return table, []
    main = "ST" if exp.sampler["method"] == "sobol" else "mu_star"
    err = "ST_conf" if main == "ST" else "mu_star_conf"
    fig, axes = plt.subplots(
        1, len(outputs), figsize=(4.5 * len(outputs), 3.8), constrained_layout=True, squeeze=False
    )
    for ax, col in zip(axes[0], outputs, strict=True):
        t = table[table.output == col]
        width = 0.8 / len(exp.regimes)
        for j, regime in enumerate(exp.regimes):
            r = t[t.regime == regime]
            pos = np.arange(len(r)) + j * width
            ax.barh(
                pos, r[main], xerr=r[err], height=width, label=regime, color=COLOURS.get(regime)
            )
        ax.set_yticks(np.arange(len(prob["names"])) + 0.4 - width / 2, prob["names"], fontsize=7)
        ax.set_title(f"{col}: {main}")
    axes[0][0].legend(fontsize=7)
    return table, _save(fig, out)


def _warn_if_noisy(result: dict, names: list[str], points: int, regime: str, output: str) -> None:
    d = len(names)
    n = points // (d + 2)  # Saltelli without second-order indices: n x (d + 2) points
    needed = needed_sobol_n(result, names, n)
    if needed is None:
        return
    more, problems = needed
    shown = "; ".join(problems[:3])
    if len(problems) > 3:
        shown += f"; and {len(problems) - 3} more"
    warnings.warn(
        f"sobol indices of {output} under {regime} are too uncertain at n = {n} ({points:,} "
        f"points): {shown}; about n = {more:,} ({more * (d + 2):,} points) would be needed "
        "(confidence half-widths shrink as 1/sqrt(n)); run with that [sampler] n into a new "
        "directory",
        NoisyIndices,
        stacklevel=3,
    )


def analyse(directory: str | Path) -> list[Path]:
    """Write every table and figure for a results directory into DIR/analysis.

    A sampler sweep with too few stored points for its indices (runs not yet made, or runs that
    failed) still gets its tables and time series; the indices are skipped with a
    ``SkippedAnalysis`` warning that says why. Sobol indices too uncertain to read get a
    ``NoisyIndices`` warning per regime and output with the sample size they would need.

    Raises:
        SpecError: Nothing is stored yet; nothing is written then.
    """
    exp = experiment_of(directory)
    df = load(directory)
    if df.empty:
        raise SpecError(f"{directory} holds no finished runs yet: run the experiment first")
    method = exp.sampler["method"] if exp.sampler else None
    inputs = None
    if method in ("sobol", "morris"):
        try:
            inputs = salib_inputs(df, exp)
        except SpecError as err:
            failed = len(Store(directory).failures())
            hint = f" ({failed} runs failed: see failures.jsonl)" if failed else ""
            warnings.warn(f"{method} indices skipped: {err}{hint}", SkippedAnalysis, stacklevel=2)
    out = Path(directory) / "analysis"
    out.mkdir(exist_ok=True)
    plots = exp.analysis.get("outputs", DEFAULT_PLOTS)
    written = []
    table = summary(df, exp)
    table.to_csv(out / "summary.csv", index=False)
    written.append(out / "summary.csv")
    diffs = paired(df, exp)
    if not diffs.empty:
        diffs.to_csv(out / "paired_differences.csv", index=False)
        written.append(out / "paired_differences.csv")
    if inputs is not None:
        indices, figs = sensitivity(inputs, exp, plots, out / method)
        indices.to_csv(out / f"{method}_indices.csv", index=False)
        written += [out / f"{method}_indices.csv", *figs]
    elif exp.varied:
        x = exp.analysis.get("x", exp.varied[0])
        written += curve_figure(table, exp, x, plots, out / f"{exp.name}_by_{x}")
    if df.step.nunique() > 2:
        written += series_figure(df, exp, plots, out / f"{exp.name}_over_time")
    return written
