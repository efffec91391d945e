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

from dashboards.replace import FIGURES, GiveUpAndReplace, runs, table
from dashboards.story import ACTS, Story, StoryMode, act_figure

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
    assert [week for _, week in titles] == [39, 65, 65, 65, 117, 78]


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

    assert "A story in six acts" in _texts(box)
    click("Next act")
    assert ACTS[0].title in _texts(box)
    click("Next act")
    click("Next act")
    assert ACTS[2].title in _texts(box) and "week 65" in _texts(box)
    click("Previous act")
    assert ACTS[1].title in _texts(box)
    click("Start again")
    assert "A story in six acts" in _texts(box)


def _guide_replacements() -> dict[str, list[float]]:
    rows = re.findall(r"^\| ([A-Z][^|]+?) \| (0\.\d\d[^\n]*) \|$", GUIDE, flags=re.M)
    return {name: [float(x) for x in rest.split(" | ")] for name, rest in rows}


def test_give_up_and_replace_figures_match_the_guide():
    quoted = _guide_replacements()
    assert len(quoted) == 7
    cols = [c for c in FIGURES if c not in ("measured_performance", "true_performance")]
    for option, values in quoted.items():
        after = table(runs(option))["after"]
        got = [after[FIGURES[c]] for c in cols]
        assert got == pytest.approx(values, abs=0.0051), option


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
