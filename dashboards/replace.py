"""Give up and Replace: the room replaces the measure and sees what changes.

A service run on outcome targets with its designed measure is set beside the same service (same
seed: same citizens, same luck) after the room's replacement: other life domains measured,
citizens reporting their own wellbeing, or no target at all. Nothing here decides how workers
respond; the model's workers face the new measure and choose again.
"""

from __future__ import annotations

from html import escape

import pandas as pd
import solara
from matplotlib.figure import Figure

from dashboards.charts import INDICATOR_REALLY, REPORTED, png
from dashboards.glossary import explain, glossary_html
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
# Every replacement is judged by one yardstick, what citizens gained (true wellbeing): each
# measure's own "real outcomes" count different things, so they are not compared across measures.
YARDSTICK = "mean_wellbeing"
SCORES = {  # scores from 0 to 1
    "mean_wellbeing": "true wellbeing (what citizens gained)",
    "equity_gap": "equity gap",
    "citizen_trust": "citizen trust",
}
SHARES = {  # proportions, shown as percentages
    "measured_performance": "reported outcomes (share of caseloads)",
    "gaming_gap": "gaming gap: reported − real, by the measure's own definition",
    "misreporting_share": "workers inventing outcomes",
    "gaming_time_share": "time on indicator-only work",
    "creaming_share": "workers creaming",
    "parked_share": "citizens parked",
}
RATIOS = {"complex_contact_ratio": "contact, most ÷ least complex"}  # times as much
FIGURES = SCORES | SHARES | RATIOS
# (heading, unit in the column headers, factor from the model's value to the unit, format)
GROUPS = [
    ("What citizens gained: the yardstick for every measure", "score 0–1", 1, "{:.2f}", SCORES),
    ("Gaming and neglect, under the measure each side uses", "%", 100, "{:.0f}", SHARES),
    ("Who gets contact", "× as much", 1, "{:.2f}", RATIOS),
]
CHANGE_UNIT = {"%": "percentage points"}
# Every statistic the tab names: its tables' rows and its charts' words.
LABELS = [*FIGURES.values(), REPORTED, INDICATOR_REALLY]


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
    """Last-quarter means of every figure, before and after, in the model's units (0–1 shares)."""
    out = pd.DataFrame({name: df[list(FIGURES)].iloc[-LAST:].mean() for name, df in frames.items()})
    out["change"] = out["after"] - out["before"]
    return out.rename(index=FIGURES)


def _shown(value: float, number: str) -> str:
    # A change that rounds to nothing reads 0, not -0.
    text = number.format(value)
    return number.format(0.0) if float(text) == 0 else text


def tables_html(frames: dict[str, pd.DataFrame]) -> str:
    """One table per unit (scores, percentages, ratios), the unit in every column's header."""
    means = table(frames)
    parts = [
        "<style>.replace td, .replace th {padding: 0.1em 0.8em; text-align: right}"
        ".replace th:first-child, .replace td:first-child {text-align: left}</style>"
    ]
    for heading, unit, factor, number, figures in GROUPS:
        shown = means.loc[list(figures.values())] * factor
        shown.columns = [
            f"designed measure ({unit})",
            f"replacement ({unit})",
            f"change ({CHANGE_UNIT.get(unit, unit)})",
        ]
        body = shown.to_html(
            float_format=lambda v, number=number: _shown(v, number), border=0, classes="replace"
        )
        parts.append(f"<h3 style='margin:0.6em 0 0.2em'>{escape(heading)}</h3>{body}")
    return explain("".join(parts))


def verdict(frames: dict[str, pd.DataFrame], option: str) -> str:
    """The yardstick's one sentence: what citizens gained, kept measure against replacement."""
    before, after, change = table(frames).loc[FIGURES[YARDSTICK]]
    return (
        f"Judged by what citizens gained (true wellbeing, 0 to 1): {before:.2f} with the "
        f"designed measure, {after:.2f} with “{option}” ({change:+.2f})."
    )


def figure(frames: dict[str, pd.DataFrame], option: str) -> Figure:
    """True wellbeing first (the yardstick), then each side's indicator by its own definition."""
    fig = Figure(figsize=(13, 4.2), dpi=90, layout="constrained")
    left, right = fig.subplots(1, 2)
    for key, name, colour in (("before", "designed measure", RED), ("after", option, GREEN)):
        df = frames[key]
        left.plot(df.step, df.mean_wellbeing, color=colour, lw=2, label=name)
        right.plot(
            df.step, df.measured_performance, color=colour, lw=2, label=f"{name}: {REPORTED}"
        )
        right.plot(
            df.step,
            df.true_performance,
            color=colour,
            lw=2,
            ls="--",
            label=f"{name}: {INDICATOR_REALLY}",
        )
        right.fill_between(
            df.step, df.true_performance, df.measured_performance, color=colour, alpha=0.2
        )
    left.set_title("True wellbeing: what citizens gained (0 to 1)")
    left.set_ylim(0, 1)
    right.set_title(f"Each side's indicator, {REPORTED} vs {INDICATOR_REALLY}: own definitions")
    right.set_ylim(0, 1)
    right.set_ylabel("share of caseloads")
    for ax in (left, right):
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9, loc="lower left")
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
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<p><b>{escape(verdict(frames, option.value))}</b></p>",
        style={"font-size": "1.2em"},
        classes=["replace-verdict"],
    )
    solara.HTML(tag="div", unsafe_innerHTML=tables_html(frames), style={"font-size": "1.15em"})
    solara.Image(png(figure(frames, option.value), dpi=90))
    solara.HTML(tag="div", unsafe_innerHTML=glossary_html(LABELS))
