"""The dashboard's chart panels, and the full figure drawn for the PNG download."""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from dashboards.twin import Twin
from sim.plots import Panel, compare_figure

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


def charts_figure(twin: Twin) -> Figure:
    """Every chart for both sides, overlaid, in one figure (one render per step)."""
    return compare_figure(twin.frames(), panels=PANELS, ncols=3, size=(11, 8), dpi=72)


def png(fig: Figure, dpi: int = 150) -> bytes:
    """A figure as PNG bytes, for download into slides."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
