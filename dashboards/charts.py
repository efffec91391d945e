"""The dashboard's chart panels, and the full figure drawn for the PNG download.

What citizens gained (true wellbeing) comes first, beside the indicator: what it reported and
what it would have counted honestly ("the indicator, really"). The indicator's own true value
is not what citizens gained: it counts outcomes by the indicator's definition, so a side can lead
on it and trail on wellbeing. The labels are spelt once, in sim.metrics, so the dashboard and
``make compare`` say the same thing.
"""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from dashboards.twin import Twin
from sim.metrics import GAINED, INDICATOR_REALLY, REPORTED
from sim.plots import Panel, colour, draw_panel

WELLBEING: Panel = (f"True wellbeing: {GAINED}", ["mean_wellbeing"], [None])
INDICATOR_TITLE = f"The indicator: {REPORTED} (solid) vs {INDICATOR_REALLY} (dashed)"
INDICATOR_LINES = {
    "measured_performance": ("-", REPORTED),
    "true_performance": ("--", INDICATOR_REALLY),
}
PANELS: list[Panel] = [
    (
        "Gaming by tactic",
        ["misreport_rate", "gaming_time_share", "creaming_share"],
        ["misreporting", "indicator-only work", "creaming"],
    ),
    ("Parked citizens", ["parked_share"], [None]),
    ("Equity gap", ["equity_gap"], [None]),
    ("Contact: most ÷ least complex", ["complex_contact_ratio"], [None]),
    ("Citizen trust", ["citizen_trust"], [None]),
    ("Worker morale", ["worker_morale"], [None]),
    ("Turnover (quits + dismissals)", ["turnover"], [None]),
    ("Worker skill", ["mean_skill"], [None]),
]
MARKER = {"color": "#444444", "ls": ":", "lw": 1.5}  # a mid-run move, on every time chart
SIZE = (11, 8.5)  # inches; the live charts and the download share it


def compare_axes(fig: Figure) -> tuple[Axes, Axes, list[Axes]]:
    """The Compare layout: wellbeing and the indicator large on top, then PANELS, four a row.

    Returns:
        The wellbeing axes, the indicator axes, and one axes per entry of PANELS.
    """
    top = ["wellbeing"] * 2 + ["indicator"] * 2
    rows = [[str(i + j) for j in range(4)] for i in range(0, len(PANELS), 4)]
    axes = fig.subplot_mosaic([top, *rows], height_ratios=[1.4] + [1] * len(rows))
    return axes["wellbeing"], axes["indicator"], [axes[str(i)] for i in range(len(PANELS))]


def mark_events(axes: list[Axes], events: list[tuple[int, str]], **artist) -> list:
    """A vertical line at each move's week on every chart, named on the first (wellbeing).

    Args:
        axes: The charts, the wellbeing chart first (its top is empty: wellbeing sits near 0.75).
        events: (week, what happened), as ``Twin.events``.
        **artist: Passed to every artist made.

    Returns:
        The artists drawn, so a live figure can remove them when the events change.
    """
    drawn = []
    start, end = axes[0].get_xlim() if axes else (0, 1)
    for k, (week, what) in enumerate(events):
        late = week > (start + end) / 2  # named to the left of its line, inside the chart
        for ax in axes:
            drawn.append(ax.axvline(week, label=f"week {week}: {what}", **MARKER, **artist))
        drawn.append(  # one row per event, so moves a few weeks apart stay readable
            axes[0].text(
                week,
                0.97 - 0.08 * k,
                f"week {week}: {what} " if late else f" week {week}: {what}",
                transform=axes[0].get_xaxis_transform(),
                ha="right" if late else "left",
                va="top",
                fontsize=8,
                color=MARKER["color"],
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1},
                **artist,
            )
        )
    return drawn


def charts_figure(twin: Twin) -> Figure:
    """Every chart for both sides, overlaid, in one figure, laid out as on the Compare tab."""
    with twin.lock:
        frames, events = twin.frames(), list(twin.events)
    fig = Figure(figsize=SIZE, dpi=72, layout="constrained")
    wellbeing, indicator, axes = compare_axes(fig)
    draw_panel(wellbeing, frames, WELLBEING)
    wellbeing.set_ylim(0, 1)
    for name, df in frames.items():
        for col, (ls, what) in INDICATOR_LINES.items():
            indicator.plot(
                df.step, df[col], color=colour(name), lw=2, ls=ls, label=f"{name}: {what}"
            )
        indicator.fill_between(
            df.step, df.true_performance, df.measured_performance, color=colour(name), alpha=0.2
        )
    indicator.set_title(INDICATOR_TITLE)
    indicator.set_ylim(0, 1)
    indicator.legend(fontsize=7)
    for ax, panel in zip(axes, PANELS, strict=True):
        draw_panel(ax, frames, panel)
    mark_events([wellbeing, indicator, *axes], events)
    for ax in (wellbeing, indicator, *axes):
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        ax.title.set_fontsize(10)
    return fig


def png(fig: Figure, dpi: int = 150) -> bytes:
    """A figure as PNG bytes, for download into slides."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
