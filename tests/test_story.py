"""Story mode and Give up and Replace show what docs/masterclass.md says they show.

The guide's tables are the expected figures: a change to the model that moves the show fails
here, naming the figure, until the guide is brought up to date.
"""

import re
from pathlib import Path

import ipyvuetify as v
import ipywidgets as w
import pytest
import solara
from matplotlib.text import Text

from dashboards.presenter import CHART_DPI, CHART_FONT_PT, CHART_INCHES
from dashboards.replace import FIGURES, SHARES, GiveUpAndReplace, runs, table
from dashboards.scenarios import SCENARIOS
from dashboards.story import (
    ACTS,
    RECAP,
    TARGETS_WORK,
    TITLE,
    Story,
    StoryMode,
    act_figure,
)
from sim.metrics import GAINED, INDICATOR_REALLY, REPORTED
from sim.params import validate

GUIDE = (Path(__file__).parents[1] / "docs" / "masterclass.md").read_text()


def _facts_in_guide() -> dict[str, float]:
    return {k: float(x) for k, x in re.findall(r"\| `(\w+)` \| (-?[0-9.]+) \|", GUIDE)}


@pytest.fixture(scope="module")
def played():
    story = Story()
    titles = []
    while (act := story.advance()) is not None:
        titles.append((act.title, story.twin.week))
    return story, titles


def test_the_acts_run_in_order_on_the_story_clock(played):
    _, titles = played
    assert [t for t, _ in titles] == [a.title for a in ACTS]
    assert [int(t.split(".")[0]) for t, _ in titles] == list(range(1, len(ACTS) + 1))
    # targets arrive after a quiet quarter, the switch a year later, then two fresh services
    assert [week for _, week in titles] == [39, 65, 65, 65, 117, 78, 104, 104]


def test_every_figure_the_show_produces_is_quoted_in_the_guide_and_matches(played):
    story, _ = played
    quoted = _facts_in_guide()
    assert set(quoted) == set(story.facts), set(quoted) ^ set(story.facts)
    for key, value in quoted.items():
        assert story.facts[key] == pytest.approx(value, abs=0.0051), key


def test_the_story_says_what_each_act_is_for(played):
    story, _ = played
    f = story.facts
    assert f["reported_after"] - f["reported_before"] > 0.2  # act 1: the figures climb
    assert f["target_year"] > f["target_start"] and f["bunching"] > 0  # act 2: the ratchet
    assert f["gap"] > 0.1 and f["parked_targets"] > 2 * f["parked_learning"]  # act 3
    assert f["contact_targets"] < 1 < f["contact_learning"]
    assert f["skill_share"] < 0.25 and f["turnover_targets"] > f["turnover_learning"]  # act 4
    assert f["gap_after"] == 0 and f["trust_switch"] < f["trust_6"] < f["trust_year"]  # act 5
    assert f["trust_year"] < f["trust_learning"]  # trust comes back slowly
    assert f["know_after_learning"] > f["know_after_targets"]  # act 6
    assert f["fit_wellbeing_targets"] > f["fit_wellbeing_learning"]  # act 7: targets win here
    assert f["fit_trust_targets"] > f["fit_trust_learning"]


def test_going_back_replays_the_same_show(played):
    story, _ = played
    again = Story()
    again.goto(len(ACTS) - 1)
    assert again.facts == story.facts
    again.goto(2)
    first = Story()
    first.goto(2)
    assert again.narration() == first.narration() and again.twin.week == 65


def test_each_act_narrates_real_numbers_and_draws_its_charts():
    story = Story()
    for act in ACTS:
        story.advance()
        text = story.narration()
        assert "nan" not in text and "{" not in text, act.title
        fig = act_figure(story)
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert len(axes) == len(act.panels)
        assert all(ax.lines for ax in axes), act.title


def _figures():
    story = Story()
    while (act := story.advance()) is not None:
        yield story, act, act_figure(story)


def _dashed(fig) -> list[str]:
    return [
        line.get_label() for ax in fig.axes for line in ax.lines if line.get_linestyle() == "--"
    ]


def test_the_indicators_true_value_is_held_back_until_act_3():
    dashed = {act.title: _dashed(fig) for _, act, fig in _figures()}
    titles = [act.title for act in ACTS]
    assert dashed[titles[0]] == [] and dashed[titles[1]] == []  # the board's view: reported only
    assert dashed[titles[2]], "act 3 reveals the dashed line"
    # ...named with the Compare tab's honest words, not "true"
    assert all(label.endswith(INDICATOR_REALLY) for label in dashed[titles[2]])
    legends = [
        t.get_text() for _, _, fig in _figures() for ax in fig.axes for t in ax.get_legend().texts
    ]
    assert not any(t.endswith(": true") or t.endswith(": measured") for t in legends)
    assert any(t.endswith(f": {REPORTED}") for t in legends)


def test_wellbeing_charts_say_it_is_what_citizens_gained():
    titles = [ax.get_title() for _, _, fig in _figures() for ax in fig.axes]
    wellbeing = [t for t in titles if "wellbeing" in t.lower()]
    assert wellbeing and all(GAINED in t.replace("\n", " ") for t in wellbeing)


def test_every_story_axis_starts_at_zero():
    for _, act, fig in _figures():
        for ax in fig.axes:
            bottom, top = ax.get_ylim()
            assert bottom <= 0 < top, (act.title, ax.get_title(), bottom)
            if bottom < 0:  # only a correlation goes below 0: its whole range, -1 to 1
                assert (bottom, top) == (-1, 1), ax.get_title()


def test_story_charts_mark_when_targets_start_a_side_switches_and_what_counts_changes():
    def marks(fig):
        lines = [
            line for ax in fig.axes for line in ax.lines if line.get_label().startswith("week")
        ]
        named = {t.get_text().strip() for ax in fig.axes for t in ax.texts}
        return {round(line.get_xdata()[0]) for line in lines}, named

    by_act = {act.title: marks(fig) for _, act, fig in _figures()}
    weeks, named = by_act[ACTS[0].title]
    assert weeks == {13} and named == {"week 13: targets start"}
    weeks, named = by_act[ACTS[4].title]
    assert weeks == {13, 65} and "week 65: red switches to learning" in named
    weeks, named = by_act[ACTS[5].title]
    assert weeks == {0, 52} and "week 52: what counts as good changes" in named
    for _, act, fig in _figures():  # a marker on every chart of every act
        assert all(
            any(line.get_label().startswith("week") for line in ax.lines) for ax in fig.axes
        ), act.title


def test_a_cue_says_when_the_clock_jumps_between_acts():
    story, last_week = Story(), 0
    while (act := story.advance()) is not None:
        start, end = story.weeks_shown
        if start < last_week:  # the clock went back: the act says so before anything else
            assert act.clock and "week 0" in story.clock(), act.title
        elif act.panels:
            assert f"week {end}" in story.clock(), act.title
        last_week = end
    assert [a.title for a in ACTS if a.clock] == [ACTS[5].title, ACTS[6].title]


def test_the_act_where_targets_work_runs_a_valid_scenario_where_targets_win():
    act = next(a for a in ACTS if "targets work" in a.title.lower())
    assert TARGETS_WORK in SCENARIOS and TARGETS_WORK in act.clock
    validate(SCENARIOS[TARGETS_WORK])  # raises on a parameter the model does not have
    story = Story()
    story.goto(ACTS.index(act))
    assert story.twin.params == SCENARIOS[TARGETS_WORK] and story.twin.week == 104
    assert "Here targets win" in story.narration()


def test_the_recap_is_last_and_names_every_other_act_in_plain_words():
    assert ACTS[-1] is RECAP and not RECAP.panels
    story = Story()
    story.goto(len(ACTS) - 1)
    recap = story.recap()
    assert [title for title, _ in recap] == [a.title for a in ACTS[:-1]]
    assert all(point and "{" not in point and "nan" not in point for _, point in recap)
    assert not act_figure(story).axes


def _texts(box):
    out, todo = [], [box]
    while todo:
        x = todo.pop()
        for key in x.keys:
            value = getattr(x, key, None)
            if isinstance(value, str):
                out.append(value)
        todo += [c for c in (getattr(x, "children", None) or []) if isinstance(c, w.Widget)]
    return " ".join(out)


def test_story_tab_advances_and_goes_back_with_its_buttons():
    box, rc = solara.render(StoryMode(), handle_error=False)

    def click(label):
        next(b for b in rc.find(v.Btn).widgets if label in b.children).fire_event("click", {})

    assert TITLE in _texts(box)
    click("Next act")
    assert ACTS[0].title in _texts(box)
    click("Next act")
    click("Next act")
    assert ACTS[2].title in _texts(box) and "week 65" in _texts(box)
    click("Previous act")
    assert ACTS[1].title in _texts(box)
    for _ in range(4):
        click("Next act")
    assert ACTS[5].title in _texts(box) and "⟲ The clock goes back to week 0" in _texts(box)
    click("Next act")
    click("Next act")
    assert RECAP.title in _texts(box) and ACTS[0].point[:20] in _texts(box)
    click("Start again")
    assert TITLE in _texts(box)


def _guide_replacements() -> dict[str, list[float]]:
    rows = re.findall(r"^\| ([A-Z][^|]+?) \| (0\.\d\d[^\n]*) \|$", GUIDE, flags=re.M)
    return {name: [float(x) for x in rest.split(" | ")] for name, rest in rows}


def test_give_up_and_replace_figures_match_the_guide():
    quoted = _guide_replacements()
    assert len(quoted) == 7
    # The guide's columns: the yardstick (scores 0-1) first, then percentages, then the ratio.
    cols = [c for c in FIGURES if c != "measured_performance"]
    for option, values in quoted.items():
        after = table(runs(option))["after"]
        assert len(values) == len(cols), option
        for col, value in zip(cols, values, strict=True):
            share = col in SHARES
            got = after[FIGURES[col]] * (100 if share else 1)
            assert got == pytest.approx(value, abs=0.51 if share else 0.0051), (option, col)


def test_give_up_and_replace_tab_reruns_for_the_rooms_choice():
    box, rc = solara.render(GiveUpAndReplace(), handle_error=False)
    select = next(s for s in rc.find(v.Select).widgets if s.label.startswith("Replace"))
    assert "workers inventing outcomes" in _texts(box)
    before = _texts(box)
    select.v_model = "Drop the target"
    assert _texts(box) != before


def test_the_red_bead_run_the_guide_describes():
    from sim.redbead import RedBeadModel

    model = RedBeadModel(rng=1)
    for _ in range(model.days):
        model.step()
    assert not any("fired" in line for line in model.log)
    assert "Day 4: Fay probation (12 red)" in model.log


def test_give_up_and_replace_runs_nothing_until_its_tab_is_opened():
    box, _ = solara.render(GiveUpAndReplace(active=False), handle_error=False)
    assert "Give up and Replace" in _texts(box)
    assert "workers inventing outcomes" not in _texts(box)


def test_presenter_charts_have_no_text_smaller_than_the_room_can_read():
    """The browser test reads CHART_FONT_PX as the smallest text: this keeps that true."""
    story = Story()
    for _ in range(len(ACTS) - 1):  # the recap has no charts
        story.advance()
        fig = act_figure(story, presenter=True)
        fig.canvas.draw()  # every text laid out, legend entries included
        sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
        assert sizes and min(sizes) >= CHART_FONT_PT, ACTS[story.act].title
        width, height = fig.get_size_inches() * fig.dpi
        assert (width, height) == (CHART_INCHES[0] * CHART_DPI, CHART_INCHES[1] * CHART_DPI)
