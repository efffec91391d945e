"""Scenario discovery: the regions of a sweep's parameter space where a condition on regimes holds.

``python -m experiments discover DIR --when "outcomes.mean_wellbeing > learning.mean_wellbeing"``
reads the final recorded week of every run in DIR, pairs the regimes run at the same point with
the same replicate seed (common random numbers), averages each regime's outputs over the paired
replicates of a point, and marks the points where the condition holds. PRIM (EMA Workbench's
implementation) then finds boxes of parameter space dense in those points; each box's limits,
coverage and density are written as JSON and CSV under DIR/discovery/, with a figure per box.

The condition is parsed, never evaluated as Python: it may hold only ``REGIME.OUTPUT`` names of
the stored results, numbers, ``+ - * /``, parentheses, the comparisons ``< <= > >=``, and
``and``, ``or``, ``not``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from experiments.analysis import experiment_of, final_rows, load
from experiments.spec import OUTPUTS, SpecError, did_you_mean

ALLOWED = (
    "REGIME.OUTPUT names of the stored results, numbers, + - * /, parentheses, "
    "< <= > >=, and, or, not"
)
MAX_EXPRESSION = 1000  # characters: a condition is a line, not a program
COMPARISONS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: np.less,
    ast.LtE: np.less_equal,
    ast.Gt: np.greater,
    ast.GtE: np.greater_equal,
}
ARITHMETIC: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
}
DEFAULT_THRESHOLD = 0.8  # EMA Workbench's customary density threshold for a box of interest
DEFAULT_BOXES = 3
# Quasi-p-value above which a box's restriction is lifted as chance: EMA's own default for which
# restrictions count (ema_workbench.analysis.prim_util.determine_dimres).
SIGNIFICANT = 0.1
MAX_PLOTTED_DIMENSIONS = 6  # beyond this a pairwise grid is unreadable


class Condition:
    """A parsed condition on paired regimes' outputs.

    Args:
        text: The expression, e.g. ``learning.mean_wellbeing < none.mean_wellbeing``.
        regimes: Regimes present in the results.
        outputs: Outputs present in the results.

    Raises:
        SpecError: The expression is not allowed, or names a regime or output not in the results.
    """

    def __init__(self, text: str, regimes: list[str], outputs: list[str]) -> None:
        self.text = " ".join(text.split())
        self.regimes, self.outputs = regimes, outputs
        self.names: list[tuple[str, str]] = []  # (regime, output) in order of appearance
        if not self.text:
            raise self._bad("it is empty")
        if len(self.text) > MAX_EXPRESSION:
            raise self._bad(f"it is longer than {MAX_EXPRESSION} characters")
        try:
            tree = ast.parse(self.text, mode="eval")
        except (SyntaxError, ValueError, RecursionError) as err:  # RecursionError: nested too deep
            raise self._bad(f"it does not parse ({getattr(err, 'msg', err)})") from None
        self.tree = tree.body
        self._check_test(self.tree)

    def _bad(self, why: str) -> SpecError:
        return SpecError(f"bad expression {self.text!r}: {why}; allowed: {ALLOWED}")

    def _check_test(self, node: ast.AST) -> None:
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self._check_test(value)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self._check_test(node.operand)
        elif isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in COMPARISONS:
                    raise self._bad(f"{ast.unparse(node)!r} uses a comparison that is not allowed")
            for operand in (node.left, *node.comparators):
                self._check_value(operand)
        else:
            raise self._bad(f"{ast.unparse(node)!r} is not a comparison (e.g. a.x > b.x)")

    def _check_value(self, node: ast.AST) -> None:
        if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            self._check_value(node.left)
            self._check_value(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            self._check_value(node.operand)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise self._bad(f"{ast.unparse(node)} is not a number")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            regime, output = node.value.id, node.attr
            if regime not in self.regimes:
                raise SpecError(
                    f"regime {regime!r} is not in the results{did_you_mean(regime, self.regimes)}: "
                    f"use one of {', '.join(self.regimes)}"
                )
            if output not in self.outputs:
                raise SpecError(
                    f"output {output!r} is not in the results{did_you_mean(output, self.outputs)}: "
                    f"use one of {', '.join(self.outputs)}"
                )
            if (regime, output) not in self.names:
                self.names.append((regime, output))
        else:
            raise self._bad(f"{ast.unparse(node)!r} is not a REGIME.OUTPUT name or a number")

    def evaluate(self, table: pd.DataFrame) -> np.ndarray:
        """Where the condition holds, row by row of ``table`` (columns ``(regime, output)``)."""

        def value(node: ast.AST) -> Any:
            if isinstance(node, ast.BinOp):
                return ARITHMETIC[type(node.op)](value(node.left), value(node.right))
            if isinstance(node, ast.UnaryOp):
                return (
                    -value(node.operand) if isinstance(node.op, ast.USub) else value(node.operand)
                )
            if isinstance(node, ast.Constant):
                return float(node.value)
            return table[(node.value.id, node.attr)].to_numpy(dtype=float)

        def test(node: ast.AST) -> np.ndarray:
            if isinstance(node, ast.BoolOp):
                join = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
                result = test(node.values[0])
                for other in node.values[1:]:
                    result = join(result, test(other))
                return result
            if isinstance(node, ast.UnaryOp):
                return np.logical_not(test(node.operand))
            operands = [value(v) for v in (node.left, *node.comparators)]
            held = np.ones(len(table), dtype=bool)
            for op, left, right in zip(node.ops, operands, operands[1:], strict=False):
                with np.errstate(invalid="ignore", divide="ignore"):  # NaN or x/0: not held
                    held &= np.asarray(COMPARISONS[type(op)](left, right), dtype=bool)
            return held

        return np.broadcast_to(test(self.tree), (len(table),)).copy()

    def slug(self) -> str:
        """A file name for the condition: its words, with a short hash if they are long."""
        words = ast.unparse(self.tree)
        for symbol, word in (("<=", "le"), (">=", "ge"), ("<", "lt"), (">", "gt")):
            words = words.replace(f" {symbol} ", f" {word} ")
        slug = re.sub(r"[^A-Za-z0-9]+", "_", words).strip("_")
        if len(slug) > 80:
            digest = hashlib.sha256(self.text.encode()).hexdigest()[:8]
            slug = f"{slug[:70]}_{digest}"
        return slug


@dataclass
class Discovery:
    """What ``discover`` found and wrote."""

    summary: dict[str, Any]
    written: list[Path]

    def lines(self) -> list[str]:
        """A plain-text report: the condition, the data, and each box's limits and statistics."""
        s = self.summary
        out = [
            f"{s['experiment']}: {s['condition']!r} holds at {s['cases']} of {s['points']} "
            f"points ({s['base_rate']:.0%}); {s['runs']} runs, {s['replications']} paired "
            f"replicate(s) per point, root seed {s['seed']}"
        ]
        if s["left_out"]:
            out.append(f"left out (not numbers): {', '.join(s['left_out'])}")
        if not s["boxes"]:
            out.append(f"no box: {s['no_box']}")
        for box in s["boxes"]:
            note = "" if box["density"] >= s["threshold"] else " (below the density threshold)"
            out.append(
                f"box {box['box']}: coverage {box['coverage']:.2f}, density {box['density']:.2f}"
                f"{note}, {box['points']} points ({box['mass']:.0%} of all)"
            )
            for name, lim in box["limits"].items():
                quasi_p = min((p for p in lim["quasi_p"] if p is not None), default=None)
                weak = "" if quasi_p is None or quasi_p <= SIGNIFICANT else ", not significant"
                shown = "" if quasi_p is None else f" (quasi-p {quasi_p:.2g}{weak})"
                out.append(f"  {name}: {lim['min']:.3g} to {lim['max']:.3g}{shown}")
        return out


def paired_points(df: pd.DataFrame, varied: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Per point, the varied parameters and each regime's outputs averaged over paired replicates.

    Only replicates with every regime stored count, so that each regime difference is paired.

    Returns:
        The parameters (one row per point), the outputs (columns ``(regime, output)``), and the
        number of runs used.
    """
    last = final_rows(df)
    wide = last.pivot_table(
        index=["point_id", "replicate"], columns="regime", values=OUTPUTS, dropna=False
    )
    present = last.pivot_table(
        index=["point_id", "replicate"], columns="regime", values="run_id", aggfunc="count"
    )
    complete = present.notna().all(axis=1)
    wide = wide[complete.reindex(wide.index, fill_value=False)]
    runs = int(complete.sum() * present.shape[1])
    outputs = wide.swaplevel(axis=1).groupby(level="point_id").mean()
    params = last.drop_duplicates("point_id").set_index("point_id")[varied].loc[outputs.index]
    return params, outputs, runs


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    # A reader never sees half a file: write beside it, then rename over it.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file would be, not mkstemp's 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _choose(box: Any, threshold: float) -> int:
    """The trajectory step kept: the best balance of coverage and density, dense enough if it can.

    Density is PRIM's precision and coverage its recall, so the balance is their harmonic mean
    (F1), taken over the steps at or above the density threshold, or over all if none reach it.
    """
    trajectory = box.peeling_trajectory
    density, coverage = trajectory.density.astype(float), trajectory.coverage.astype(float)
    balance = 2 * density * coverage / (density + coverage).where(lambda s: s > 0, 1.0)
    dense = density >= threshold
    return int(balance[dense].idxmax() if dense.any() else balance.idxmax())


def _box_record(box: Any, step: int, number: int, bounds: pd.DataFrame) -> dict[str, Any]:
    lims, full = box.box_lims[step], box.prim.box_init
    restricted = [c for c in full.columns if not (lims[c] == full[c]).all()]
    stats = box.peeling_trajectory.iloc[step]
    limits = {}
    for name in restricted:
        low, high = (float(v) for v in lims[name])
        # EMA's quasi-p-values of each restricted limit; -1 marks a side left unrestricted.
        quasi_p = [None if p == -1 else float(p) for p in box.p_values[step].get(name, [-1, -1])]
        limits[name] = {
            "min": low,
            "max": high,
            "sampled_min": float(bounds[name].iloc[0]),
            "sampled_max": float(bounds[name].iloc[1]),
            "quasi_p": quasi_p,
        }
    return {
        "box": number,
        "coverage": float(stats.coverage),
        "density": float(stats.density),
        "mass": float(stats.mass),
        "points": int(stats.n),
        "cases": int(stats.k),
        "limits": limits,
    }


def _quasi_p(sides: list[float]) -> float:
    """A limit's quasi-p-value: its surer side's (EMA marks an unrestricted side with -1)."""
    return min((p for p in sides if p >= 0), default=1.0)


def _drop_weak_restrictions(box: Any, step: int) -> int:
    """Lift, one at a time, the restriction PRIM is least sure of, while any has quasi-p > 0.1.

    Peeling trims a little off every edge it can, so a box comes with restrictions that chance
    alone would give (Bryant & Lempert 2010); EMA's quasi-p-value of each limit says which. Returns
    the trajectory step of the box kept.
    """
    full = box.prim.box_init
    while True:
        lims = box.box_lims[step]
        restricted = [c for c in full.columns if not (lims[c] == full[c]).all()]
        quasi_p = {c: _quasi_p(box.p_values[step][c]) for c in restricted}
        weakest = max(quasi_p, key=quasi_p.get, default=None)
        if weakest is None or quasi_p[weakest] <= SIGNIFICANT:
            return step
        box.drop_restriction(weakest, step)
        step = len(box.peeling_trajectory) - 1


def find_boxes(
    x: pd.DataFrame, y: np.ndarray, threshold: float, max_boxes: int
) -> list[dict[str, Any]]:
    """PRIM boxes (EMA Workbench) of the points where ``y`` holds, one record each.

    Each box is the best balance of coverage and density on PRIM's trajectory, less the
    restrictions chance would give. After each box its points are set aside (EMA's default
    covering), and the search stops once a box is no denser than the points left, or restricts
    nothing, since such a box describes nothing.
    """
    import logging
    import warnings

    with warnings.catch_warnings():  # its notes on optional extras it can do without
        warnings.filterwarnings("ignore", message=".*not (installed|available)")
        from ema_workbench.analysis import prim

    logging.getLogger("EMA").setLevel(logging.WARNING)  # its per-box progress lines are noise here
    finder = prim.Prim(x.reset_index(drop=True), y.astype(int), peel_alpha=0.05, mass_min=0.05)
    bounds = x.agg(["min", "max"])
    left = np.ones(len(y), dtype=bool)
    records = []
    for number in range(1, max_boxes + 1):
        left_rate = float(y[left].mean())
        box = finder.find_box()
        if box is None:
            break
        step = _choose(box, threshold)
        box.select(step)
        step = _drop_weak_restrictions(box, step)
        record = _box_record(box, step, number, bounds)
        if not record["limits"] or record["density"] <= left_rate:
            break
        records.append(record)
        left[box.yi] = False
        if not y[left].any():
            break
    return records


def box_figure(
    x: pd.DataFrame, y: np.ndarray, record: dict[str, Any], title: str, path: Path
) -> None:
    """Pairwise scatter of the box's restricted parameters, the box drawn on each pair."""
    dims = list(record["limits"])[:MAX_PLOTTED_DIMENSIONS]
    k = len(dims)
    size = 2.6 * max(k, 1.6)
    fig, axes = plt.subplots(k, k, figsize=(size, size), squeeze=False, constrained_layout=True)
    colours = np.where(y, "#c0392b", "#95a5a6")
    order = np.argsort(y, kind="stable")  # cases of interest drawn on top
    for row, a in enumerate(dims):
        for col, b in enumerate(dims):
            ax = axes[row][col]
            lim_a, lim_b = record["limits"][a], record["limits"][b]
            if row == col:
                bins = np.linspace(lim_a["sampled_min"], lim_a["sampled_max"], 16)
                ax.hist([x[a][~y], x[a][y]], bins=bins, stacked=True, color=["#95a5a6", "#c0392b"])
                ax.axvspan(lim_a["min"], lim_a["max"], color="#2c3e50", alpha=0.12)
            else:
                ax.scatter(x[b].to_numpy()[order], x[a].to_numpy()[order], s=6, c=colours[order])
                ax.add_patch(
                    Rectangle(
                        (lim_b["min"], lim_a["min"]),
                        lim_b["max"] - lim_b["min"],
                        lim_a["max"] - lim_a["min"],
                        fill=False,
                        edgecolor="#2c3e50",
                        linewidth=1.5,
                    )
                )
            if row == k - 1:
                ax.set_xlabel(b, fontsize=8)
            if col == 0:
                ax.set_ylabel(a if row != col else "points", fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(
        textwrap.fill(title, width=int(size * 12))
        + f"\nbox {record['box']}: coverage {record['coverage']:.2f}, "
        f"density {record['density']:.2f} (red: condition holds)",
        fontsize=9,
    )
    _write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)


def discover(
    directory: str | Path,
    when: str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    max_boxes: int = DEFAULT_BOXES,
    name: str | None = None,
) -> Discovery:
    """Find and write the PRIM boxes where ``when`` holds in the sweep stored in ``directory``.

    Args:
        directory: A results directory written by ``python -m experiments run``.
        when: The condition, e.g. ``outcomes.mean_wellbeing > learning.mean_wellbeing``.
        threshold: Density a box should reach; of the boxes on PRIM's trajectory at or above it
            (or of all, if none reaches it) the one with the best harmonic mean of coverage and
            density is kept.
        max_boxes: At most this many boxes.
        name: File name stem under DIR/discovery (default: from the condition).

    Raises:
        SpecError: The directory holds no experiment, no runs, no paired regimes or no varied
            parameter, or the condition is bad; nothing is written then.
    """
    df = load(directory)  # SpecError: no experiment
    exp = experiment_of(directory)
    if df.empty:
        raise SpecError(f"{directory} holds no finished runs yet: run the experiment first")
    regimes = [r for r in exp.regimes if r in set(df.regime)]
    if len(regimes) < 2:
        raise SpecError(
            f"{directory} holds no paired regimes (only {', '.join(regimes)}): discover compares "
            "regimes run at the same points with the same seeds; run an experiment with two or "
            "more regimes"
        )
    if not exp.varied:
        raise SpecError(f"{directory}: nothing is varied, so there is no parameter space to search")
    outputs = [c for c in OUTPUTS if c in df.columns]
    condition = Condition(when, regimes, outputs)
    x, table, runs = paired_points(df, exp.varied)
    if len(table) == 0:
        raise SpecError(f"{directory} holds no point with every regime stored: finish the sweep")
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
    if not numeric:
        raise SpecError(
            f"{directory}: no numeric parameter is varied ({', '.join(x.columns)}), so there "
            "is no box to find"
        )
    left_out = [c for c in x.columns if c not in numeric]  # e.g. measured_domains: a choice
    x = x[numeric].astype(float)
    for regime, output in condition.names:
        if table[(regime, output)].isna().all():
            raise SpecError(
                f"output {output!r} is undefined under regime {regime!r} in {directory} "
                "(e.g. no target without targets): compare outputs each regime records"
            )
    y = condition.evaluate(table)
    cases = int(y.sum())
    summary: dict[str, Any] = {
        "experiment": exp.name,
        "directory": str(directory),
        "condition": condition.text,
        "points": len(y),
        "cases": cases,
        "base_rate": cases / len(y),
        "runs": runs,
        "replications": exp.replications,
        "steps": exp.steps,
        "seed": exp.seed,
        "threshold": threshold,
        "parameters": numeric,
        "left_out": left_out,
        "prim": {
            "implementation": "ema_workbench.analysis.prim.Prim",
            "version": metadata.version("ema-workbench"),
            "peel_alpha": 0.05,
            "mass_min": 0.05,
        },
        "boxes": [],
    }
    records = []
    if cases == 0:
        summary["no_box"] = "the condition holds at no point"
    elif cases == len(y):
        summary["no_box"] = "the condition holds at every point"
    else:
        records = find_boxes(x, y, threshold, max_boxes)
        if not records:
            summary["no_box"] = "PRIM found no region denser than the whole space"
    summary["boxes"] = records
    stem = name or condition.slug()
    out = Path(directory) / "discovery"
    out.mkdir(exist_ok=True)
    written = []
    json_path = out / f"{stem}.json"
    _write_atomic(json_path, lambda tmp: tmp.write_text(json.dumps(summary, indent=2) + "\n"))
    rows = [
        {
            "box": r["box"],
            "parameter": p,
            **{k: v for k, v in lim.items() if k != "quasi_p"},
            "coverage": r["coverage"],
            "density": r["density"],
            "mass": r["mass"],
            "points": r["points"],
        }
        for r in records
        for p, lim in r["limits"].items()
    ]
    columns = ["box", "parameter", "min", "max", "sampled_min", "sampled_max"]
    csv_path = out / f"{stem}.csv"
    frame = pd.DataFrame(rows, columns=[*columns, "coverage", "density", "mass", "points"])
    _write_atomic(csv_path, lambda tmp: frame.to_csv(tmp, index=False))
    written += [json_path, csv_path]
    for record in records:
        png = out / f"{stem}_box{record['box']}.png"
        box_figure(x, y, record, f"{exp.name}: {condition.text}", png)
        written.append(png)
    return Discovery(summary, written)
