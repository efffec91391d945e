"""Story mode: the masterclass as a few acts, the same show from the same seed every time.

Each act makes one point. It moves the two services on (a regime switch, a change in what counts
as good, weeks of time), then pauses on a narration and the charts that carry the point until the
trainer advances (button, space or arrow keys, or a presentation clicker). The acts and their
figures are plain Python, so tests check that the show says what docs/masterclass.md says it
shows.

The show earns the room's trust: the indicator's own true value (dashed) is held back until act 3,
as a board would first see only the reported line; every chart's y-axis starts at 0; dotted lines
mark when targets start, a side switches or what counts as good changes; the page says when the
clock jumps; and the last act recaps the others in plain words.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.text import Text

from dashboards.charts import (
    GAINED,
    INDICATOR_LINES,
    INDICATOR_REALLY,
    INDICATOR_TITLE,
    REPORTED,
    WELLBEING,
    mark_events,
    png,
)
from dashboards.glossary import explain, glossary_html
from dashboards.presenter import CHART_DPI, CHART_FONT_PT, CHART_INCHES
from dashboards.scenarios import SCENARIOS
from dashboards.twin import Twin
from sim.params import DEFAULT_STEPS
from sim.plots import Panel, colour, draw_panel

SEED = 1  # the rehearsed show; docs/masterclass.md quotes its figures
QUIET = 13  # weeks both services run alike before targets arrive
TARGETS_WORK = "Where targets beat learning"  # the scenario of act 7 (dashboards/scenarios.py)
TARGETS_WORK_WEEKS = DEFAULT_STEPS  # as long as the fair-fight experiment behind act 7
Facts = dict[str, float]


def _last(df: pd.DataFrame, col: str, weeks: int = 4) -> float:
    """Mean of a column over the last few weeks: steadier than one week, still 'now'."""
    return float(df[col].iloc[-weeks:].mean())


def _at(df: pd.DataFrame, col: str, week: int) -> float:
    return float(df.loc[df.step == week, col].iloc[0])


@dataclass(frozen=True)
class Act:
    """One act of the story.

    Attributes:
        title: Headline shown in large type.
        weeks: Weeks the services run in this act (after ``move``).
        move: What happens at the start of the act, to the story's twin.
        panels: The charts that carry the act's point.
        facts: The act's figures, read from the runs when it ends.
        narration: What the screen says; ``{name}`` fields are filled from the facts.
        ask: A question for the room.
        point: What the act showed, in plain words, for the recap (facts fill it as well).
        clock: Said on screen when ``move`` starts the clock again, so nobody misses the jump.
    """

    title: str
    weeks: int
    move: Callable[[Story], None] | None
    panels: tuple[Panel, ...]
    facts: Callable[[Story], Facts]
    narration: str
    ask: str
    point: str = ""
    clock: str | None = None


class Story:
    """The two services the story follows, and the acts played so far (no Solara here)."""

    def __init__(self, seed: int = SEED) -> None:
        self.seed = seed
        self.act = -1
        self.facts: Facts = {}
        self.twin = Twin(seed=seed, regimes={"left": "none", "right": "none"})
        self.weeks_shown = (0, 0)  # the current act's first and last week on the charts

    def names(self) -> dict[str, str]:
        """Side labels for charts: the side that gets targets is red, the learning side blue."""
        left = self.twin.models["left"].regime.name
        return {
            "left": "outcomes" if left in ("none", "outcomes") else f"outcomes → {left}",
            "right": "learning",
        }

    def frames(self) -> dict[str, pd.DataFrame]:
        """Each side's weekly rows under its story label."""
        names = self.names()
        return {names[side]: m.frame() for side, m in self.twin.models.items()}

    def side(self, side: str) -> pd.DataFrame:
        """One side's weekly rows."""
        return self.twin.models[side].frame()

    def advance(self) -> Act | None:
        """Play the next act; returns it, or None after the last."""
        if self.act + 1 >= len(ACTS):
            return None
        self.act += 1
        act = ACTS[self.act]
        twin, start = self.twin, self.twin.week
        if act.move is not None:
            act.move(self)
        self.twin.step(act.weeks)
        self.weeks_shown = (start if self.twin is twin else 0, self.twin.week)
        self.facts.update(act.facts(self))
        return act

    def goto(self, index: int) -> Act:
        """Replay from the start to the end of act ``index``: the same show every time."""
        index = max(0, min(index, len(ACTS) - 1))
        if index <= self.act:
            self.__init__(self.seed)
        while self.act < index:
            self.advance()
        return ACTS[self.act]

    def narration(self) -> str:
        """The current act's narration with its figures filled in."""
        return ACTS[self.act].narration.format(**self.facts)

    def clock(self) -> str:
        """What the page says about the story's clock in the current act.

        Returns:
            The act's own cue when it starts the clock again, else how many weeks passed.
        """
        act = ACTS[self.act]
        if act.clock or not act.panels:  # a recap has no clock of its own
            return act.clock or ""
        start, end = self.weeks_shown
        if end > start:
            return f"{end - start} weeks pass: week {start} → week {end}"
        return f"The clock stands still at week {end}: a closer look at the same moment"

    def recap(self) -> list[tuple[str, str]]:
        """Each played act's title and what it showed, in plain words, figures filled in."""
        return [
            (act.title, act.point.format(**self.facts)) for act in ACTS[: self.act + 1] if act.point
        ]


def _name_last_events(story: Story, count: int, what: str) -> None:
    """Name the twin's last ``count`` events as one, in the story's words for the markers.

    The twin names a switch by the side's starting regime ("none side switches to outcomes");
    the story's room knows the sides as red and blue.
    """
    events = story.twin.events
    events[-count:] = [(events[-1][0], what)]


def _targets_arrive(story: Story) -> None:
    story.twin.switch("left", "outcomes")
    story.twin.switch("right", "learning")
    _name_last_events(story, 2, "targets start")


def _drop_targets(story: Story) -> None:
    story.twin.switch("left", "learning")
    _name_last_events(story, 1, "red switches to learning")


def _restart(story: Story, params: dict | None = None) -> None:
    """Two fresh services from week 0: targets on the left, learning on the right."""
    story.twin = Twin(seed=story.seed, params=params or {})
    story.twin.events.append((0, "targets and learning start"))


def _act1(s: Story) -> Facts:
    left = s.side("left")
    return {
        "reported_before": float(left.measured_performance.iloc[QUIET - 4 : QUIET].mean()),
        "reported_after": _last(left, "measured_performance"),
        "true_after": _last(left, "true_performance"),
    }


def _act2(s: Story) -> Facts:
    left = s.side("left")
    return {
        "target_start": _at(left, "target", QUIET + 1),
        "target_year": float(left.target.iloc[-1]),
        "bunching": float(left.bunching.iloc[-1]),
    }


def _act3(s: Story) -> Facts:
    left, right = s.side("left"), s.side("right")
    return {
        "gap": _last(left, "gaming_gap"),
        "misreporters": float(left.misreporting_share.iloc[-1]),
        "indicator_work": _last(left, "gaming_time_share"),
        "parked_targets": float(left.parked_share.iloc[-1]),
        "parked_learning": float(right.parked_share.iloc[-1]),
        "contact_targets": float(left.complex_contact_ratio.iloc[-1]),
        "contact_learning": float(right.complex_contact_ratio.iloc[-1]),
    }


def _act4(s: Story) -> Facts:
    left = s.side("left")
    reviews = left.rank_skill_corr[left.step > QUIET].drop_duplicates().dropna()
    return {
        "rank_skill": float(reviews.mean()),
        "rank_skill_low": float(reviews.min()),
        "rank_skill_high": float(reviews.max()),
        "skill_share": float((reviews**2).mean()),
        "turnover_targets": float(left.turnover.iloc[-1]),
        "turnover_learning": float(s.side("right").turnover.iloc[-1]),
    }


def _act5(s: Story) -> Facts:
    left, right = s.side("left"), s.side("right")
    switch = QUIET + 52
    return {
        "trust_switch": _at(left, "citizen_trust", switch),
        "trust_6": _at(left, "citizen_trust", switch + 6),
        "trust_year": float(left.citizen_trust.iloc[-1]),
        "trust_learning": float(right.citizen_trust.iloc[-1]),
        "gap_after": float(left.gaming_gap.iloc[-1]),
        "wellbeing_switched": float(left.mean_wellbeing.iloc[-1]),
        "wellbeing_learning": float(right.mean_wellbeing.iloc[-1]),
    }


def _shift(story: Story) -> None:
    story.shift_knowledge = {  # know-how just before what counts as good changes
        side: float(m.workers.knowledge.mean()) for side, m in story.twin.models.items()
    }
    story.twin.shift()


def _act6(s: Story) -> Facts:
    left, right = s.side("left"), s.side("right")
    before = s.shift_knowledge
    return {
        "know_before_targets": before["left"],
        "know_before_learning": before["right"],
        "know_after_targets": float(left.mean_knowledge.iloc[-1]),
        "know_after_learning": float(right.mean_knowledge.iloc[-1]),
        "wellbeing_targets": float(left.mean_wellbeing.iloc[-1]),
        "wellbeing_learning_6": float(right.mean_wellbeing.iloc[-1]),
    }


def _act7(s: Story) -> Facts:
    left, right = s.side("left"), s.side("right")
    return {
        "fit_wellbeing_targets": _last(left, "mean_wellbeing"),
        "fit_wellbeing_learning": _last(right, "mean_wellbeing"),
        "fit_trust_targets": _last(left, "citizen_trust"),
        "fit_trust_learning": _last(right, "citizen_trust"),
        "fit_gap": _last(left, "gaming_gap"),
        "fit_learning_cost": _last(right, "accountability_cost"),
    }


# The indicator, drawn by _draw_indicator: acts 1-2 show only what the board sees (reported);
# from act 3 on, the indicator's own true value joins it, dashed, with the gap shaded.
BOARD_VIEW: Panel = (f"The indicator: {REPORTED}", ["measured_performance"], [REPORTED])
INDICATOR: Panel = (
    INDICATOR_TITLE,
    list(INDICATOR_LINES),
    [w for _, w in INDICATOR_LINES.values()],
)
TARGET: Panel = ("Target", ["target"], [None])
TRUST: Panel = ("Citizen trust", ["citizen_trust"], [None])
ACTS: list[Act] = [
    Act(
        title="1. Targets arrive",
        weeks=26,
        move=lambda s: (s.twin.step(QUIET), _targets_arrive(s)),
        panels=(BOARD_VIEW, TARGET),
        facts=_act1,
        narration=(
            "Two identical services, same citizens, same luck: for the first quarter the lines "
            "lie on top of each other. Then the red service gets outcome targets, with rewards, "
            "rankings and sanctions; the blue one gets learning. Reported results on the red "
            "side climb from {reported_before:.0%} to {reported_after:.0%} of caseloads."
        ),
        ask="What would the board conclude from the red line?",
        point=(
            "Reported results climbed fast, from {reported_before:.0%} to "
            "{reported_after:.0%}, and that line was all the board could see."
        ),
    ),
    Act(
        title="2. The ratchet",
        weeks=26,
        move=None,
        panels=(BOARD_VIEW, TARGET),
        facts=_act2,
        narration=(
            "Each review sets the next target from what was achieved: {target_start:.0%} at the "
            "start, {target_year:.0%} a year on. Workers learn that beating the target raises it, "
            "so results gather just above the line (bunching {bunching:+.0%})."
        ),
        ask="If you beat this year's target, what happens to next year's?",
        point="Beating a target raised the next one, so results gathered just above the line.",
    ),
    Act(
        title="3. Under the bonnet",
        weeks=0,
        move=None,
        panels=(
            INDICATOR,
            ("Citizens parked (no contact in 8 weeks)", ["parked_share"], [None]),
            ("Contact: most ÷ least complex", ["complex_contact_ratio"], [None]),
        ),
        facts=_act3,
        narration=(
            f"A dashed line appears: “{INDICATOR_REALLY}”, what the indicator would have counted "
            "had no outcome been invented. On the red side {gap:.0%} of caseloads "
            "are reported as outcomes that did not happen; {misreporters:.0%} of workers invent "
            "some, and {indicator_work:.0%} of working time goes on what only the indicator "
            "counts. {parked_targets:.0%} of citizens are parked, against {parked_learning:.0%} on "
            "the blue side; the most complex fifth get {contact_targets:.2f} times the contact of "
            "the simplest under targets and {contact_learning:.1f} times under learning."
        ),
        ask="Which of these would the red service's figures ever show you?",
        point=(
            "Part of the climb was invented ({gap:.0%} of caseloads), and the "
            "citizens hardest to help were parked. The figures could not show it."
        ),
    ),
    Act(
        title="4. Bad systems, not bad people",
        weeks=0,
        move=None,
        panels=(("League table vs skill (rank correlation)", ["rank_skill_corr"], [None]),),
        facts=_act4,
        narration=(
            "Every month the red manager ranks the team. How far does the ranking follow skill? "
            "On average a rank correlation of {rank_skill:.2f}, from {rank_skill_low:.2f} to "
            "{rank_skill_high:.2f}: skill explains about {skill_share:.0%} of the ranking, "
            "the rest is caseload, luck and gaming. Yet the bottom of the table is sanctioned: "
            "{turnover_targets:.0f} quits and dismissals so far, against {turnover_learning:.0f} "
            "on the blue side. (The Red beads tab shows the same lesson with beads.)"
        ),
        ask="Who would you have fired, and would it have changed anything?",
        point=(
            "The league table barely followed skill (about "
            "{skill_share:.0%} of it), yet the people at its bottom were punished."
        ),
    ),
    Act(
        title="5. Switch to learning",
        weeks=52,
        move=_drop_targets,
        panels=(INDICATOR, TRUST, WELLBEING),
        facts=_act5,
        narration=(
            "The red service drops its targets and starts learning: rebuilding the ship whilst "
            "sailing it. The gaming gap closes at once ({gap_after:.0%} now), but trust comes "
            "back slowly: {trust_switch:.2f} at the switch, {trust_6:.2f} six weeks on, "
            "{trust_year:.2f} a year on (the blue side: {trust_learning:.2f}). Wellbeing, "
            f"{GAINED}: " + "{wellbeing_switched:.2f} against {wellbeing_learning:.2f}."
        ),
        ask="What would you need to protect in the first six months of such a change?",
        point="Invented outcomes stopped at once; citizens' trust took a year to come back.",
    ),
    Act(
        title="6. What counts as good changes",
        weeks=26,
        move=lambda s: (_restart(s), s.twin.step(52), _shift(s)),
        panels=(("Workers' knowledge of what works", ["mean_knowledge"], [None]), WELLBEING),
        facts=_act6,
        narration=(
            "Two fresh services, a year in, and then the world moves: what matters most to "
            "citizens changes and yesterday's know-how goes stale. Knowledge of what works was "
            "{know_before_targets:.2f} under targets and {know_before_learning:.2f} under "
            "learning; six months after the change it is {know_after_targets:.2f} and "
            "{know_after_learning:.2f}. The target still counts the old priorities; feedback on "
            "true outcomes teaches the new ones."
        ),
        ask="What in your own service would tell you that what counts as good has changed?",
        point="Learning found out what now matters; the target kept counting the old priorities.",
        clock=(
            "The clock goes back to week 0: same citizens, same luck, two fresh services, red "
            "under targets and blue under learning from the start. A year on, what counts as "
            "good changes."
        ),
    ),
    Act(
        title="7. Where targets work",
        weeks=TARGETS_WORK_WEEKS,
        move=lambda s: _restart(s, SCENARIOS[TARGETS_WORK]),
        panels=(WELLBEING, TRUST, INDICATOR),
        facts=_act7,
        narration=(
            "A different service, where the measure is derived from its purpose, citizens' "
            "needs are simple and alike, nobody is sanctioned, workers care little for the work "
            "itself, and learning is done expensively ({fit_learning_cost:.0%} of all staff "
            "time goes on holding to account). Here targets win two years on: wellbeing "
            "{fit_wellbeing_targets:.2f} against {fit_wellbeing_learning:.2f}, trust "
            "{fit_trust_targets:.2f} against {fit_trust_learning:.2f}. Gaming does not vanish "
            "({fit_gap:.0%} of caseloads are reported as outcomes that did not happen), but the "
            "figures still point the effort the right way. Over many runs the win holds only "
            "while workers care little: with moderate motivation, learning wins again even "
            "here (docs/when-each-wins.md)."
        ),
        ask="Is there a part of your service where the measure really is the purpose?",
        point=(
            "With a measure derived from purpose, simple needs alike from "
            "person to person and workers who care little for the work, targets beat costly "
            "learning. It is a narrow place."
        ),
        clock=(
            f"The clock goes back to week 0: a different service (the scenario “{TARGETS_WORK}”), "
            f"the same luck, two years under targets (red) and learning (blue)."
        ),
    ),
    Act(
        title="8. Recap",
        weeks=0,
        move=None,
        panels=(),
        facts=lambda s: {},
        narration="What each act showed, in plain words:",
        ask="Which of these have you seen in your own service?",
    ),
]


def _draw_indicator(ax: Axes, frames: dict[str, pd.DataFrame], columns: list[str]) -> None:
    """The indicator as the Compare tab draws it: reported solid, really dashed, gap shaded."""
    for name, df in frames.items():
        for col in columns:
            ls, what = INDICATOR_LINES[col]
            ax.plot(df.step, df[col], color=colour(name), lw=2, ls=ls, label=f"{name}: {what}")
        if len(columns) > 1:
            ax.fill_between(
                df.step, df.true_performance, df.measured_performance, color=colour(name), alpha=0.2
            )


def _from_zero(ax: Axes) -> None:
    """Start the y-axis at 0 (a 0-1 share runs to 1), so small differences look small.

    A correlation (the only chart below 0) gets its whole range, -1 to 1, with zero marked.
    """
    bottom, top = ax.get_ylim()
    if bottom < 0:
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylim(-1, max(1, top))
        return
    ax.set_ylim(0, max(1, top))


def _draw_panels(axes: list[Axes], story: Story, panels: tuple[Panel, ...], font: float) -> None:
    """The act's charts on the given axes, every y-axis from 0, the story's moves marked."""
    frames = story.frames()
    for ax, panel in zip(axes, panels, strict=True):
        if panel in (BOARD_VIEW, INDICATOR):
            _draw_indicator(ax, frames, panel[1])
        else:
            draw_panel(ax, frames, panel)
        ax.set_title(textwrap.fill(panel[0], 42), fontsize=font + 2)
        _from_zero(ax)
        ax.set_xlim(left=0)  # the target starts late: every chart keeps the story's week 0
        ax.set_xlabel("week", fontsize=font)
        ax.tick_params(labelsize=font)
        ax.grid(alpha=0.3)
    for artist in mark_events(axes, story.twin.events):
        if isinstance(artist, Text):
            artist.set_fontsize(font)  # Compare's size is for a screen; this is for a room


def act_figure(story: Story, presenter: bool = False) -> Figure:
    """The current act's charts, large enough to read from the back of a room.

    Every chart starts at 0 and carries the story's moves (targets start, switches, a change in
    what counts as good) as the Compare tab marks them. The recap has no charts.

    Args:
        story: The story, at the act to draw.
        presenter: Draw for presenter mode's right-hand column (dashboards.presenter): charts
            in a grid, one shared legend, no text smaller than ``CHART_FONT_PT``.
    """
    if presenter:
        fig = Figure(figsize=CHART_INCHES, dpi=CHART_DPI, layout="constrained")
        slide_charts(fig, story)
        return fig
    act = ACTS[story.act]
    fig = Figure(figsize=(5.2 * max(1, len(act.panels)), 4.6), dpi=90, layout="constrained")
    if not act.panels:
        return fig
    axes = list(np.atleast_1d(fig.subplots(1, len(act.panels))))
    _draw_panels(axes, story, act.panels, 11)
    for ax in axes:
        # below the chart: inside, it would hide a line or the events' names at the top
        columns = 2 if len(ax.get_legend_handles_labels()[0]) <= 2 else 1  # stays narrow
        ax.legend(fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=columns)
    return fig


def slide_charts(fig: Figure | SubFigure, story: Story, font: float = CHART_FONT_PT) -> None:
    """The current act's charts for a slide: one chart, two stacked, or three in a 2×2 grid.

    Every line's name appears once, in one legend (the grid's free corner, or below the charts),
    so no legend covers a line; no text is smaller than ``font`` points.
    """
    panels = ACTS[story.act].panels
    if not panels:
        return
    shape = {1: (1, 1), 2: (2, 1)}.get(len(panels), (2, 2))
    grid = list(np.atleast_1d(fig.subplots(*shape)).flat)
    axes, spare = grid[: len(panels)], grid[len(panels) :]
    _draw_panels(axes, story, panels, font)
    named: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if not label.startswith("week "):  # the markers are named on the chart itself
                named.setdefault(label, handle)
        if ax.get_legend():
            ax.get_legend().remove()
    for ax in spare:
        ax.axis("off")
    if spare:
        spare[0].legend(named.values(), named.keys(), loc="center", fontsize=font, frameon=False)
    else:
        fig.legend(named.values(), named.keys(), loc="outside lower center", ncols=2, fontsize=font)


RECAP = ACTS[-1]
TITLE = f"Targets or learning? A story in {len(ACTS)} acts"
JUMP_STYLE = (
    "font-size:0.8em;background:#fff3cd;border-left:6px solid #b8860b;padding:0.3em 0.6em;margin:0"
)
KEYS = str(Path(__file__).with_name("keys.vue"))


@solara.component_vue(KEYS)
def Keys(event_next: Callable[[], None], event_previous: Callable[[], None]):
    """Space, right arrow and page down advance; left arrow and page up go back (clickers)."""


def act_labels(act: Act) -> list[str]:
    """Every statistic an act's charts name: their titles and their lines' labels."""
    return [title for title, _, _ in act.panels] + [
        label for _, _, labels in act.panels for label in labels if label
    ]


def slide_html(story: Story, shown: int) -> str:
    """The act's words as HTML: the clock cue, title, narration, recap, question and where we are.

    Args:
        story: The story, played to act ``shown``.
        shown: The act on screen; -1 is the title slide.
    """
    if shown < 0:
        return (
            f"<h1 style='font-size:2.4em'>{TITLE}</h1>"
            "<p>The same public service, the same citizens and the same luck, held to account "
            "in two ways. Press <b>Next act</b>, the space bar or the right arrow to begin.</p>"
        )
    act = ACTS[shown]
    clock = story.clock()
    if act.clock:  # the week goes back: a banner, so nobody reads on as if time ran on
        cue = f"<p class='story-clock' style='{JUMP_STYLE}'>⟲ {clock}</p>"
    else:
        cue = f"<p class='story-clock' style='font-size:0.7em;color:#555'>{clock}</p>"
    recap = "".join(f"<li><b>{title}</b>: {point}</li>" for title, point in story.recap())
    if act is not RECAP:
        recap = ""
    return (
        f"{cue}<h1 style='font-size:2.2em;margin:0.3em 0'>{act.title}</h1>"
        f"<p>{explain(story.narration())}</p>"
        + (f"<ol class='story-recap' style='font-size:0.8em'>{recap}</ol>" if recap else "")
        + f"<p style='color:#555'><i>Ask the room: {act.ask}</i></p>"
        f"<p class='story-where' style='font-size:0.6em;color:#777'>Act {shown + 1} of "
        f"{len(ACTS)} · week {story.twin.week} · seed {story.seed}</p>"
    )


@solara.component
def StoryMode(presenter: bool = False):
    """The story tab: narration in large type, the act's charts, and the trainer's controls.

    Args:
        presenter: Lay each act out as one slide (dashboards.presenter): words on the left,
            charts on the right, all of it inside the window.
    """
    story = solara.use_memo(Story, [])
    shown = solara.use_reactive(-1)

    def go(index: int) -> None:
        story.goto(index)
        shown.value = story.act

    def restart() -> None:
        story.__init__(story.seed)
        shown.value = -1

    def buttons() -> None:
        with solara.Row(gap="8px"):
            solara.Button(
                "Previous act", on_click=lambda: go(shown.value - 1), disabled=shown.value <= 0
            )
            solara.Button(
                "Next act",
                on_click=lambda: go(shown.value + 1),
                disabled=shown.value >= len(ACTS) - 1,
                color="primary",
            )
            solara.Button("Start again", on_click=restart, outlined=True)

    Keys(event_next=lambda *_: go(shown.value + 1), event_previous=lambda *_: go(shown.value - 1))
    panels = ACTS[shown.value].panels if shown.value >= 0 else ()
    words = slide_html(story, shown.value)
    if presenter:
        with solara.Div(classes=["story-slide"] + ([] if panels else ["no-chart"])):
            with solara.Div(classes=["story-text"]):
                buttons()
                solara.HTML(tag="div", unsafe_innerHTML=words)
            if panels:
                chart = png(act_figure(story, presenter=True), dpi=CHART_DPI)
                solara.Image(chart, classes=["story-chart"])
        return
    buttons()
    big = {"font-size": "1.7em", "line-height": "1.45", "max-width": "52em"}
    solara.HTML(tag="div", unsafe_innerHTML=words, style=big)
    if panels:
        solara.Image(png(act_figure(story), dpi=90), classes=["story-chart"])
        solara.HTML(tag="div", unsafe_innerHTML=glossary_html(act_labels(ACTS[shown.value])))
