"""Story mode: the masterclass as six acts, the same show from the same seed every time.

Each act makes one point. It moves the two services on (a regime switch, a change in what counts
as good, weeks of time), then pauses on a narration and the charts that carry the point until the
trainer advances (button, space or arrow keys, or a presentation clicker). The acts and their
figures are plain Python, so tests check that the show says what docs/masterclass.md says it
shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from dashboards.charts import png
from dashboards.twin import Twin
from sim.plots import Panel, draw_panel, draw_performance

SEED = 1  # the rehearsed show; docs/masterclass.md quotes its figures
QUIET = 13  # weeks both services run alike before targets arrive
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
    """

    title: str
    weeks: int
    move: Callable[[Story], None] | None
    panels: tuple[Panel, ...]
    facts: Callable[[Story], Facts]
    narration: str
    ask: str


class Story:
    """The two services the story follows, and the acts played so far (no Solara here)."""

    def __init__(self, seed: int = SEED) -> None:
        self.seed = seed
        self.act = -1
        self.facts: Facts = {}
        self.twin = Twin(seed=seed, regimes={"left": "none", "right": "none"})

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
        if act.move is not None:
            act.move(self)
        self.twin.step(act.weeks)
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


def _targets_arrive(story: Story) -> None:
    story.twin.switch("left", "outcomes")
    story.twin.switch("right", "learning")


def _restart(story: Story) -> None:
    story.twin = Twin(seed=story.seed)  # targets on the left, learning on the right, from week 0


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


PERFORMANCE: Panel = ("Measured vs true", [], [])  # drawn by draw_performance
ACTS: list[Act] = [
    Act(
        title="1. Targets arrive",
        weeks=26,
        move=lambda s: (s.twin.step(QUIET), _targets_arrive(s)),
        panels=(PERFORMANCE, ("Target", ["target"], [None])),
        facts=_act1,
        narration=(
            "Two identical services, same citizens, same luck: for the first quarter the lines "
            "lie on top of each other. Then the red service gets outcome targets, with rewards, "
            "rankings and sanctions; the blue one gets learning. Reported results on the red "
            "side climb from {reported_before:.0%} to {reported_after:.0%} of caseloads."
        ),
        ask="What would the board conclude from the red line?",
    ),
    Act(
        title="2. The ratchet",
        weeks=26,
        move=None,
        panels=(PERFORMANCE, ("Target", ["target"], [None])),
        facts=_act2,
        narration=(
            "Each review sets the next target from what was achieved: {target_start:.0%} at the "
            "start, {target_year:.0%} a year on. Workers learn that beating the target raises it, "
            "so results gather just above the line (bunching {bunching:+.0%})."
        ),
        ask="If you beat this year's target, what happens to next year's?",
    ),
    Act(
        title="3. Under the bonnet",
        weeks=0,
        move=None,
        panels=(
            PERFORMANCE,
            ("Citizens parked (no contact in 8 weeks)", ["parked_share"], [None]),
            ("Contact: most ÷ least complex", ["complex_contact_ratio"], [None]),
        ),
        facts=_act3,
        narration=(
            "The dashed lines are what really happened. On the red side {gap:.0%} of caseloads "
            "are reported as outcomes that did not happen; {misreporters:.0%} of workers invent "
            "some, and {indicator_work:.0%} of working time goes on what only the indicator "
            "counts. {parked_targets:.0%} of citizens are parked, against {parked_learning:.0%} on "
            "the blue side; the most complex fifth get {contact_targets:.2f} times the contact of "
            "the simplest under targets and {contact_learning:.1f} times under learning."
        ),
        ask="Which of these would the red service's figures ever show you?",
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
    ),
    Act(
        title="5. Switch to learning",
        weeks=52,
        move=lambda s: s.twin.switch("left", "learning"),
        panels=(
            PERFORMANCE,
            ("Citizen trust", ["citizen_trust"], [None]),
            ("True wellbeing", ["mean_wellbeing"], [None]),
        ),
        facts=_act5,
        narration=(
            "The red service drops its targets and starts learning: rebuilding the ship whilst "
            "sailing it. The gaming gap closes at once ({gap_after:.0%} now), but trust comes "
            "back slowly: {trust_switch:.2f} at the switch, {trust_6:.2f} six weeks on, "
            "{trust_year:.2f} a year on (the blue side: {trust_learning:.2f}). Wellbeing "
            "{wellbeing_switched:.2f} against {wellbeing_learning:.2f}."
        ),
        ask="What would you need to protect in the first six months of such a change?",
    ),
    Act(
        title="6. What counts as good changes",
        weeks=26,
        move=lambda s: (_restart(s), s.twin.step(52), _shift(s)),
        panels=(
            ("Workers' knowledge of what works", ["mean_knowledge"], [None]),
            ("True wellbeing", ["mean_wellbeing"], [None]),
        ),
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
    ),
]


def act_figure(story: Story) -> Figure:
    """The current act's charts, large enough to read from the back of a room."""
    act = ACTS[story.act]
    frames = story.frames()
    fig = Figure(figsize=(5.2 * len(act.panels), 4.6), dpi=90, layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(act.panels)))
    for ax, panel in zip(axes, act.panels, strict=True):
        if panel is PERFORMANCE:
            draw_performance(ax, frames)
        else:
            draw_panel(ax, frames, panel)
        ax.set_xlabel("week")
        ax.grid(alpha=0.3)
        ax.title.set_fontsize(14)
        ax.legend(fontsize=10)
    return fig


KEYS = str(Path(__file__).with_name("keys.vue"))


@solara.component_vue(KEYS)
def Keys(event_next: Callable[[], None], event_previous: Callable[[], None]):
    """Space, right arrow and page down advance; left arrow and page up go back (clickers)."""


@solara.component
def StoryMode():
    """The story tab: narration in large type, the act's charts, and the trainer's controls."""
    story = solara.use_memo(Story, [])
    shown = solara.use_reactive(-1)

    def go(index: int) -> None:
        story.goto(index)
        shown.value = story.act

    def restart() -> None:
        story.__init__(story.seed)
        shown.value = -1

    Keys(event_next=lambda *_: go(shown.value + 1), event_previous=lambda *_: go(shown.value - 1))
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
    big = {"font-size": "1.7em", "line-height": "1.45", "max-width": "52em"}
    if shown.value < 0:
        solara.HTML(
            tag="div",
            unsafe_innerHTML=(
                "<h1 style='font-size:2.4em'>Targets or learning? A story in six acts</h1>"
                "<p>The same public service, the same citizens and the same luck, held to account "
                "in two ways. Press <b>Next act</b>, the space bar or the right arrow to begin.</p>"
            ),
            style=big,
        )
        return
    act = ACTS[shown.value]
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<h1 style='font-size:2.2em;margin:0.3em 0'>{act.title}</h1>"
            f"<p>{story.narration()}</p>"
            f"<p style='color:#555'><i>Ask the room: {act.ask}</i></p>"
            f"<p style='font-size:0.6em;color:#777'>Act {shown.value + 1} of {len(ACTS)} · "
            f"week {story.twin.week} · seed {story.seed}</p>"
        ),
        style=big,
    )
    solara.Image(png(act_figure(story), dpi=90))
