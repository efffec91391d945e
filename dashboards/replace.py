"""Give up and Replace: the room replaces the measure and sees what changes.

A service run on outcome targets with its designed measure is set beside the same service (same
seed: same citizens, same luck) after the room's replacement: other life domains measured,
citizens reporting their own wellbeing, or no target at all. Nothing here decides how workers
respond; the model's workers face the new measure and choose again.
"""

from __future__ import annotations

import pandas as pd
import solara
from matplotlib.figure import Figure

from dashboards.charts import png
from sim.model import run
from sim.params import DEFAULT_STEPS, ParamError, check_seed

WEEKS = DEFAULT_STEPS
RED, GREEN = "#c0392b", "#2e8b57"  # kept measure, replacement
LAST = 13  # the figures are means over the last quarter of the run
OPTIONS: dict[str, dict] = {
    "Keep the designed measure": {},
    "Measure income only": {"measured_domains": "income"},
    "Measure income and housing": {"measured_domains": "income+housing"},
    "Measure health and relationships": {"measured_domains": "health+relationships"},
    "Citizens report their own wellbeing": {"measure": "citizen_reported"},
    "Drop the target": {"regime": "none"},
    "Drop the target and learn": {"regime": "learning"},
}
FIGURES = {
    "measured_performance": "reported outcomes",
    "true_performance": "outcomes that really happened (as the measure in use defines them)",
    "gaming_gap": "gaming gap (reported − real)",
    "misreporting_share": "workers inventing outcomes",
    "gaming_time_share": "time on indicator-only work",
    "creaming_share": "workers creaming",
    "parked_share": "citizens parked",
    "complex_contact_ratio": "contact, most ÷ least complex",
    "mean_wellbeing": "true wellbeing",
    "equity_gap": "equity gap",
    "citizen_trust": "citizen trust",
}


def runs(option: str, seed: int = 1, weeks: int = WEEKS) -> dict[str, pd.DataFrame]:
    """The service under targets with its designed measure, and after the replacement."""
    params = {"regime": "outcomes"} | OPTIONS[option]
    return {
        "before": run(steps=weeks, seed=seed, regime="outcomes"),
        "after": run(
            steps=weeks,
            seed=seed,
            **{k: v for k, v in params.items() if k != "regime"},
            regime=params["regime"],
        ),
    }


def table(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Last-quarter means of the figures that show gaming and real outcomes, before and after."""
    out = pd.DataFrame({name: df[list(FIGURES)].iloc[-LAST:].mean() for name, df in frames.items()})
    out["change"] = out["after"] - out["before"]
    return out.rename(index=FIGURES)


def figure(frames: dict[str, pd.DataFrame], option: str) -> Figure:
    """Reported vs real outcomes and true wellbeing, before (red) and after (green)."""
    fig = Figure(figsize=(13, 4.2), dpi=90, layout="constrained")
    left, right = fig.subplots(1, 2)
    for key, name, colour in (("before", "designed measure", RED), ("after", option, GREEN)):
        df = frames[key]
        left.plot(df.step, df.measured_performance, color=colour, lw=2, label=f"{name}: reported")
        left.plot(df.step, df.true_performance, color=colour, lw=2, ls="--", label=f"{name}: real")
        left.fill_between(
            df.step, df.true_performance, df.measured_performance, color=colour, alpha=0.2
        )
        right.plot(df.step, df.mean_wellbeing, color=colour, lw=2, label=name)
    left.set_title("Reported vs real outcomes, by the measure in use (gap shaded)")
    left.set_ylim(0, 1)
    right.set_title("True wellbeing")
    for ax in (left, right):
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return fig


@solara.component
def GiveUpAndReplace(active: bool = True):
    """The tab: pick a replacement, see what changes in gaming and in real outcomes.

    Args:
        active: The tab is on screen; the runs wait until it is, so opening the page stays fast.
    """
    option = solara.use_reactive("Citizens report their own wellbeing")
    seed = solara.use_reactive(1)
    problem = solara.use_reactive("")  # why the last seed typed was not used

    def set_seed(typed) -> None:
        # The main seed box's check: a rejected seed keeps the runs on screen and says why.
        try:
            seed.value = check_seed(typed)
        except ParamError as e:
            problem.value = f"Not applied, the runs below are unchanged: {e}"
            return
        problem.value = ""

    frames = solara.use_memo(
        lambda: runs(option.value, seed.value) if active else None,
        [option.value, seed.value, active],
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            "<h2>Give up and Replace</h2><p>The measure is not working. What would you put in "
            "its place? Choose, and the same service (same citizens, same luck) runs two years "
            "under the replacement, beside the service that kept its designed measure.</p>"
        ),
        style={"font-size": "1.15em", "max-width": "60em"},
    )
    with solara.Row():
        solara.Select("Replace the measure with", values=list(OPTIONS), value=option)
        # A plain value, not the reactive: a rejected seed must not become the tab's seed.
        solara.InputInt("Seed", value=seed.value, on_value=set_seed)
    if problem.value:
        solara.Warning(problem.value, dense=True)
    if frames is None:
        return
    t = table(frames)
    html = "<style>.replace td, .replace th {padding: 0.1em 0.8em}</style>" + t.to_html(
        float_format=lambda v: f"{v:.2f}", border=0, classes="replace"
    )
    solara.HTML(tag="div", unsafe_innerHTML=html, style={"font-size": "1.15em"})
    solara.Image(png(figure(frames, option.value), dpi=90))
