"""Figures comparing regimes week by week: ``python -m sim compare`` and the dashboard."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.metrics import GAINED, INDICATOR_REALLY, REPORTED

COLOURS = {"outcomes": "#c0392b", "learning": "#1f77b4", "none": "#7f7f7f", "hybrid": "#8e44ad"}
STYLES = ["-", ":", "--", "-."]

# (title, columns, labels): a column's label is shown in the legend when a panel has several.
Panel = tuple[str, list[str], list[str | None]]
# What citizens gained comes first, before the indicator (sim.metrics: GAINED and the rest).
WELLBEING_PANEL: Panel = (f"True wellbeing: {GAINED}", ["mean_wellbeing"], [None])
COMPARE_PANELS: list[Panel] = [
    (f"Gaming gap: {REPORTED} − {INDICATOR_REALLY}", ["gaming_gap"], [None]),
    (
        "Gaming",
        ["misreport_rate", "gaming_time_share"],
        ["misreported share of records", "time on indicator-only work"],
    ),
    ("Citizens parked (no contact in 8 weeks)", ["parked_share"], [None]),
    ("Equity gap (simplest − most complex fifth)", ["equity_gap"], [None]),
    ("Citizen trust", ["citizen_trust"], [None]),
    ("Worker morale", ["worker_morale"], [None]),
]


def colour(name: str) -> str:
    """A regime's colour; a switched side ("outcomes → learning") keeps its starting colour."""
    return COLOURS.get(name.split(" ")[0], "black")


def draw_performance(ax: Axes, frames: dict[str, pd.DataFrame]) -> None:
    """The indicator: reported (solid) and without invented records (dashed), the gap shaded."""
    for name, df in frames.items():
        line = colour(name)
        ax.plot(df.step, df.measured_performance, color=line, lw=2, label=f"{name}: {REPORTED}")
        ax.plot(
            df.step,
            df.true_performance,
            color=line,
            lw=2,
            ls="--",
            label=f"{name}: {INDICATOR_REALLY}",
        )
        ax.fill_between(
            df.step, df.true_performance, df.measured_performance, color=line, alpha=0.2
        )
    ax.set_title(f"The indicator: {REPORTED} vs {INDICATOR_REALLY} (dashed)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="lower right")


def draw_panel(ax: Axes, frames: dict[str, pd.DataFrame], panel: Panel) -> None:
    """One panel: each column for each regime, colour by regime and line style by column."""
    title, columns, labels = panel
    for name, df in frames.items():
        for column, label, style in zip(columns, labels, STYLES, strict=False):
            tag = f"{name}: {label}" if label else name
            ax.plot(df.step, df[column], color=colour(name), lw=2, ls=style, label=tag)
    ax.set_title(title)
    ax.legend(fontsize=7)


def compare_figure(
    frames: dict[str, pd.DataFrame],
    title: str = "",
    panels: list[Panel] = COMPARE_PANELS,
    ncols: int = 4,
    size: tuple[float, float] = (17, 7.5),
    dpi: int = 100,
) -> Figure:
    """What citizens gained, then the indicator, then one panel per entry of ``panels``.

    Args:
        frames: Regime (or side) name mapped to its weekly rows (sim.metrics.COLUMNS).
        title: Figure title.
        panels: What to draw after true wellbeing and the indicator.
        ncols: Panels per row.
        size: Figure size in inches.
        dpi: Resolution.
    """
    nrows = -(-(len(panels) + 2) // ncols)
    # The Figure API, not pyplot: no global registry, safe from many dashboard sessions at once.
    fig = Figure(figsize=size, dpi=dpi, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    draw_panel(axes.flat[0], frames, WELLBEING_PANEL)
    draw_performance(axes.flat[1], frames)
    for ax, panel in zip(axes.flat[2:], panels, strict=False):
        draw_panel(ax, frames, panel)
    for ax in axes.flat[len(panels) + 2 :]:
        ax.set_visible(False)
    for ax in axes.flat:
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=13)
    return fig
