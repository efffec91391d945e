"""The dashboard rendered without a browser (solara.render), and its per-session state."""

import io
import re
import threading
import time
from html import escape
from unittest import mock

import ipyvuetify as v
import ipywidgets as w
import numpy as np
import pandas as pd
import PIL.Image
import pytest
import solara
from solara.routing import Router, router_context

from dashboards import app, replace, system_view
from dashboards.app import CONTROLS, Page, headlines
from dashboards.charts import charts_figure
from dashboards.glossary import explain, lookup
from dashboards.live import LiveCharts, LivePicture
from dashboards.scenarios import SCENARIOS
from dashboards.settings import (
    DEFAULT_SCENARIO,
    Settings,
    csv_with_settings,
    from_query,
    png_with_settings,
    scenario_sliders,
)
from dashboards.story import ACTS, Story, act_figure
from dashboards.twin import MAX_SEED, Twin
from sim.params import PARAMS, ParamError, validate


def _walk(widget, seen=None):
    seen = set() if seen is None else seen
    if id(widget) in seen:
        return
    seen.add(id(widget))
    yield widget
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, w.Widget):
            yield from _walk(child, seen)


def eventually(condition, timeout: float = 30, what: str = "condition"):
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout} s")
        time.sleep(0.02)


def steady(read, quiet: float = 1.0, timeout: float = 20):
    """Wait until ``read()`` has not changed for ``quiet`` seconds; return its value."""
    deadline = time.monotonic() + timeout
    value, since = read(), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            raise AssertionError(f"still changing after {timeout} s (now {value})")
        time.sleep(0.05)
        if (now := read()) != value:
            value, since = now, time.monotonic()
    return value


class Rendered:
    """One session's page, rendered headless, with the Twin its Page built."""

    def __init__(self, search: str | None = None):
        """Render the page, opened at ``?search`` when given (a shared link's settings)."""
        made = []

        def make():
            made.append(Twin())
            return made[-1]

        # Page builds its Twin once per session; recording it lets tests inspect that session's
        # models rather than trusting the page text alone.
        @solara.component
        def AtAddress():
            router_context.provide(Router(f"/?{search}" if search else "/", []))
            return Page()

        with mock.patch.object(app, "Twin", make):
            self.box, self.rc = solara.render(AtAddress(), handle_error=False)
        assert len(made) == 1, "each rendered page builds exactly one Twin"
        self.twin = made[0]

    def week(self):
        """The week this page shows."""
        return int(re.search(r"Week (\d+)", self.text()).group(1))

    def pause(self):
        if not self.button("Pause").disabled:
            self.click("Pause")

    def button(self, label):
        return next(b for b in self.rc.find(v.Btn).widgets if label in b.children)

    def click(self, label):
        self.button(label).fire_event("click", {})

    def text(self):
        """Every string the widgets hold (templates, HTML, labels, children)."""
        parts = []
        for x in _walk(self.box):
            for key in x.keys:
                value = getattr(x, key, None)
                if isinstance(value, str):
                    parts.append(value)
                elif isinstance(value, dict):
                    parts += [str(v) for v in value.values()]
                elif isinstance(value, list):
                    parts += [item for item in value if isinstance(item, str)]
        return " ".join(parts)

    def images(self):
        return [bytes(x.value) for x in _walk(self.box) if isinstance(x, w.Image)]

    def slider(self, label):
        return next(s for s in self.rc.find(v.Slider).widgets if s.label == label)

    def warnings(self):
        """The text of every warning on the page."""
        alerts = self.rc.find(v.Alert).widgets
        return " ".join(c for a in alerts for c in a.children if isinstance(c, str))

    def select(self, label, value):
        next(s for s in self.rc.find(v.Select).widgets if s.label == label).v_model = value

    def type_seed(self, text):
        """Type into the seed box and press Enter (the box commits on Enter or blur)."""
        box = next(t for t in self.rc.find(v.TextField).widgets if t.label.startswith("Seed"))
        box.v_model = text
        box.fire_event("keyup.enter", {})


@pytest.fixture
def page():
    """A rendered page whose Play loop is stopped afterwards, pass or fail."""
    rendered = Rendered()
    yield rendered
    rendered.pause()
    rendered.twin.claim()  # any loop still running holds an old generation and stops


def test_buttons_have_accessible_names():
    page = Rendered()
    for label in (
        "Play",
        "Pause",
        "Step",
        "Reset",
        "Switch targets side to learning",
        "Shift what counts as good",
    ):
        assert page.button(label)


def test_controls_are_generated_from_the_parameter_declaration():
    page = Rendered()
    for name in CONTROLS:
        p = PARAMS[name]
        slider = page.slider(p.label)
        assert slider.min == p.low and slider.v_model == p.default
    assert "How much measured results matter" in page.text()


def test_step_moves_the_counter_and_the_charts():
    page = Rendered()
    before = page.images()
    assert "Week 0" in page.text()
    page.click("Step")
    page.click("Step")
    assert "Week 2" in page.text()
    after = page.images()
    assert len(after) == 2 and all(a != b for a, b in zip(before, after, strict=True))
    assert all(img[:2] == b"\xff\xd8" for img in after)  # JPEG frames


def test_changing_a_parameter_restarts_both_sides_with_the_same_seed():
    page = Rendered()
    page.click("Step")
    page.slider("Incentive strength").v_model = 1.5
    assert "Week 0" in page.text()
    page.click("Step")
    assert "Week 1" in page.text()


def test_switching_regime_mid_run_relabels_the_side():
    page = Rendered()
    page.click("Step")
    page.click("Switch targets side to learning")
    page.click("Step")
    assert "outcomes → learning" in page.text()
    assert page.button("Switch targets side to learning").disabled


def test_two_sessions_own_their_models():
    a, b = Rendered(), Rendered()
    assert a.twin is not b.twin
    assert not set(map(id, a.twin.models.values())) & set(map(id, b.twin.models.values()))
    for _ in range(3):
        a.click("Step")
    assert (a.week(), a.twin.week) == (3, 3)
    assert (b.week(), b.twin.week) == (0, 0)
    b.click("Step")
    assert (a.twin.week, b.twin.week) == (3, 1)


def test_seed_and_a_changed_parameter_reach_both_models(page):
    page.click("Step")
    page.slider("Incentive strength").v_model = 1.5
    assert page.week() == 0
    for model in page.twin.models.values():
        assert model.p["incentive_strength"] == 1.5
        assert model.seed == page.twin.seed
    page.type_seed("7")
    left, right = page.twin.models["left"], page.twin.models["right"]
    assert left.seed == right.seed == page.twin.seed == 7
    assert left.p["incentive_strength"] == right.p["incentive_strength"] == 1.5
    np.testing.assert_array_equal(left.citizens.complexity, right.citizens.complexity)
    assert left.p["regime"] == "outcomes" and right.p["regime"] == "learning"


def test_play_advances_pause_stops_and_reset_returns_to_week_zero(page):
    page.click("Play")
    assert page.button("Play").disabled and page.button("Step").disabled
    eventually(lambda: page.week() >= 3, what="Play advancing to week 3")
    page.click("Pause")
    paused = steady(page.week)
    assert paused >= 3 and page.twin.week == paused
    assert not page.button("Play").disabled
    page.click("Reset")
    eventually(lambda: page.week() == 0 and page.twin.week == 0, what="Reset to week 0")
    assert steady(lambda: page.twin.week) == 0


def test_a_parameter_change_while_playing_stops_the_old_loop(page):
    page.click("Play")
    eventually(lambda: page.week() >= 2, what="Play advancing to week 2")
    page.slider("Audit rate").v_model = 0.2
    # The rebuilt models stay at week 0: the loop that was playing must not step them.
    assert steady(lambda: page.twin.week) == 0
    assert page.week() == 0 and not page.button("Play").disabled
    page.click("Play")
    eventually(lambda: page.week() >= 1, what="Play after the change")


def test_a_slider_keeps_its_value_under_a_scenario_that_sets_it():
    page = Rendered()
    page.select("Scenario", "Strong targets, weak measure")
    assert page.twin.models["left"].p["incentive_strength"] == 1.2
    page.slider("Incentive strength").v_model = 0.9
    page.slider("Audit rate").v_model = 0.2
    for model in page.twin.models.values():
        assert model.p["incentive_strength"] == 0.9  # the scenario's 1.2 must not come back
        assert model.p["audit_rate"] == 0.2
        assert model.p["measure_alignment"] == 0.4  # the scenario still sets the others
    assert page.slider("Incentive strength").v_model == 0.9


def test_a_scenario_setting_without_a_slider_survives_slider_changes():
    page = Rendered()
    page.select("Scenario", "Specialist silos")
    page.slider("Audit rate").v_model = 0.2
    assert page.twin.models["right"].p["specialisation"] == 0.8


def test_an_invalid_combination_is_shown_and_keeps_the_running_models():
    page = Rendered()
    page.click("Step")
    before = dict(page.twin.models)
    page.slider("Citizens").v_model = 10  # fewer citizens than the 30 workers
    assert "n_workers=30 exceeds n_citizens=10" in page.warnings()
    assert page.twin.models == before and page.week() == 1
    page.click("Step")  # the old models keep running
    assert page.week() == 2
    page.slider("Workers").v_model = 10  # the next valid change applies and clears the message
    assert page.warnings() == "" and page.week() == 0
    assert page.twin.models["left"].p["n_citizens"] == page.twin.models["left"].p["n_workers"] == 10


@pytest.mark.parametrize("typed", ["-1", str(MAX_SEED + 1), "9" * 40])
def test_a_bad_seed_is_shown_and_keeps_the_running_models(typed):
    page = Rendered()
    page.click("Step")
    before = dict(page.twin.models)
    page.type_seed(typed)
    assert "seed=" in page.warnings() and "is out of range" in page.warnings()
    assert page.twin.models == before and page.twin.seed == 1 and page.week() == 1
    page.click("Reset")  # restarts the running settings, not the rejected seed
    assert page.week() == 0 and page.twin.seed == 1
    page.type_seed("4")
    assert page.warnings() == "" and page.twin.seed == 4
    assert all(m.seed == 4 for m in page.twin.models.values())


def test_a_rejected_reset_leaves_the_twin_as_it_was():
    twin = Twin(seed=3)
    twin.step(2)
    models, params = dict(twin.models), dict(twin.params)
    for params_, seed in (({"n_workers": 50, "n_citizens": 10}, None), (None, -1)):
        with pytest.raises(ParamError):
            twin.reset(params_, seed)
        assert twin.models == models and twin.params == params and twin.seed == 3
    assert twin.week == 2


def test_a_reset_or_a_newer_loop_stops_an_older_play_loop():
    twin = Twin()
    old = twin.claim()
    new = twin.claim()
    assert not twin.step(1, old) and twin.week == 0  # only the newest loop steps
    assert twin.step(1, new) and twin.week == 1
    stepping = threading.Event()

    def loop():
        while twin.step(1, new):
            stepping.set()

    thread = threading.Thread(target=loop)
    thread.start()
    assert stepping.wait(30)
    twin.reset()  # while the loop steps in its thread
    thread.join(30)
    assert not thread.is_alive() and twin.week == 0


def test_twin_shares_citizens_and_luck_and_exports_csv():
    twin = Twin(seed=5)
    left, right = twin.models["left"], twin.models["right"]
    np.testing.assert_array_equal(left.citizens.complexity, right.citizens.complexity)
    twin.step(3)
    assert left.economy == right.economy
    csv = twin.csv().decode().splitlines()
    assert csv[0].startswith("step,regime") and len(csv) == 1 + 2 * 3
    twin.reset({"incentive_strength": 1.0}, seed=6)
    assert twin.week == 0 and twin.models["left"].p["incentive_strength"] == 1.0
    with pytest.raises(ValueError, match="incentive_strength=5 is out of range"):
        twin.reset({"incentive_strength": 5})


def test_live_charts_grow_their_axes_and_follow_a_switch():
    twin = Twin()
    charts, picture = LiveCharts(list(twin.frames())), LivePicture(twin)
    twin.step(60)
    assert charts.render(twin.frames())[:2] == b"\xff\xd8"
    assert charts.horizon == 104
    twin.switch("left", "learning")
    charts.render(twin.frames())
    assert charts.names[0] == "outcomes → learning"
    assert picture.render()[:2] == b"\xff\xd8"


def test_red_bead_tab_runs_the_experiment_day_by_day():
    page = Rendered()
    for day in range(1, 5):
        page.click("Next day")
        assert f"Day {day}" in page.text()
    assert page.button("Next day").disabled  # four days, then it is over
    assert "merit award" in page.text() and "warned" in page.text()
    page.click("New experiment")
    assert "Day 0" in page.text()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_scenario_is_a_valid_set_of_parameters(name):
    assert validate(SCENARIOS[name]).keys() == PARAMS.keys()


@pytest.mark.parametrize("typed", ["-5", str(10**30)])
def test_a_bad_seed_in_give_up_and_replace_is_shown_and_keeps_the_runs(typed):
    real_runs, seeds_run = replace.runs, []

    def short_runs(option, seed=1):
        seeds_run.append(seed)
        return real_runs(option, seed, weeks=8)  # the check, not two years of weeks, is tested

    with mock.patch.object(replace, "runs", short_runs):
        box, rc = solara.render(replace.GiveUpAndReplace(active=True), handle_error=False)
        seed_box = next(t for t in rc.find(v.TextField).widgets if t.label == "Seed")
        shown = [bytes(x.value) for x in _walk(box) if isinstance(x, w.Image)]
        seed_box.v_model = typed
        seed_box.fire_event("keyup.enter", {})
        warning = " ".join(
            c for a in rc.find(v.Alert).widgets for c in a.children if isinstance(c, str)
        )
        assert f"seed={typed} is out of range" in warning
        assert f"from 0 to {MAX_SEED}" in warning and "\n" not in warning
        assert seeds_run == [1]  # nothing was run again
        assert [bytes(x.value) for x in _walk(box) if isinstance(x, w.Image)] == shown
        seed_box.v_model = "3"
        seed_box.fire_event("keyup.enter", {})
        assert seeds_run == [1, 3] and not rc.find(v.Alert).widgets


def _top_left(fig):
    return min(fig.axes, key=lambda ax: (-round(ax.get_position().y1, 2), ax.get_position().x0))


def test_compare_puts_what_citizens_gained_first_and_never_calls_the_indicator_real():
    twin = Twin()
    twin.step(33)
    charts = LiveCharts(list(twin.frames()))
    charts.render(twin.frames())
    for fig in (charts.blit.fig, charts_figure(twin)):
        assert _top_left(fig).get_title() == "True wellbeing: what citizens gained"
        assert _top_left(fig).get_ylim() == (0, 1)  # not zoomed: small differences look small
    rows = headlines(twin.frames())
    for row, df in zip(rows, twin.frames().values(), strict=True):
        gained = row.index(
            f"what citizens gained (true wellbeing) <b>{df.mean_wellbeing.iloc[-1]:.2f}"
        )
        assert gained < row.index("reported")
        # "really" only ever as the indicator's own count, so it cannot be read as the citizens'
        assert row.count("really") == row.count("the indicator, really") == 1


def test_the_page_headline_explains_reported_and_the_indicator_really():
    page = Rendered()
    page.click("Step")
    assert "what citizens gained (true wellbeing)" in page.text()
    assert "by its own definition, not what they gained" in page.text()


def test_moves_are_marked_on_every_compare_chart_and_cleared_by_a_reset():
    twin = Twin()
    twin.step(20)
    twin.switch("left", "learning")
    twin.step(10)
    twin.shift()
    assert twin.events == [
        (20, "outcomes side switches to learning"),
        (30, "what counts as good changes"),
    ]
    charts = LiveCharts(list(twin.frames()))
    charts.render(twin.frames(), twin.events)
    for fig in (charts.blit.fig, charts_figure(twin)):
        for ax in fig.axes:
            marked = {
                line.get_xdata()[0] for line in ax.lines if line.get_label().startswith("week")
            }
            assert marked == {20, 30}, ax.get_title()
        assert "week 30: what counts as good changes" in [
            t.get_text().strip() for t in _top_left(fig).texts
        ]
    twin.reset()
    assert twin.events == []
    charts.render(twin.frames(), twin.events)
    assert not any(line.get_label().startswith("week") for ax in charts.axes for line in ax.lines)


def test_sliders_show_their_value_and_their_default():
    page = Rendered()
    assert "Now 0.6 (default 0.6). How much measured results matter" in page.text()
    page.slider("Incentive strength").v_model = 1.5
    assert "Now 1.5 (default 0.6). How much measured results matter" in page.text()


def _run_with(twin: Twin) -> tuple[float, int]:
    return twin.models["left"].p["incentive_strength"], twin.seed


def test_reset_to_defaults_keeps_the_seed_and_undo_puts_back_each_earlier_setting(page):
    assert page.button("Undo last change").disabled
    assert page.button("Reset to defaults").disabled  # already there
    page.slider("Incentive strength").v_model = 1.5
    page.type_seed("5")
    assert _run_with(page.twin) == (1.5, 5)
    page.click("Reset to defaults")
    assert _run_with(page.twin) == (0.6, 5)
    assert page.slider("Incentive strength").v_model == 0.6
    for expected in [(1.5, 5), (1.5, 1), (0.6, 1)]:
        page.click("Undo last change")
        assert _run_with(page.twin) == expected
        assert page.slider("Incentive strength").v_model == expected[0]
    assert page.button("Undo last change").disabled


def test_undo_puts_back_a_scenario_and_replays_the_same_run(page):
    for _ in range(3):
        page.click("Step")
    before = page.twin.frames()
    page.select("Scenario", "Complex lives")
    assert page.twin.params["complexity"] == SCENARIOS["Complex lives"]["complexity"]
    page.click("Undo last change")
    assert page.twin.week == 0 and page.twin.params["complexity"] == PARAMS["complexity"].default
    for _ in range(3):
        page.click("Step")
    for name, df in page.twin.frames().items():  # same seed and parameters: the same weeks
        assert df.equals(before[name])


def test_a_rejected_change_is_not_remembered_for_undo(page):
    page.type_seed("-1")
    assert "Not applied" in page.warnings()
    assert page.button("Undo last change").disabled


def test_the_csv_download_carries_every_parameter_and_the_seed():
    twin = Twin(params={"audit_rate": 0.2}, seed=7)
    settings = Settings(params=scenario_sliders(DEFAULT_SCENARIO) | {"audit_rate": 0.2}, seed=7)
    data = csv_with_settings(twin.csv(), settings)
    head = [line for line in data.decode().splitlines() if line.startswith("# ")]
    named = dict(line[2:].split("=", 1) for line in head)
    assert set(PARAMS) | {"seed", "scenario"} == set(named)
    assert (named["seed"], named["audit_rate"]) == ("7", "0.2")
    rows = pd.read_csv(io.BytesIO(data), comment="#")
    assert rows.equals(pd.read_csv(io.BytesIO(twin.csv())))


def test_the_png_download_carries_every_parameter_and_the_seed():
    twin = Twin(params={"complexity": 1.2}, seed=9)
    settings = Settings("Complex lives", scenario_sliders("Complex lives"), 9)
    image = PIL.Image.open(io.BytesIO(png_with_settings(charts_figure(twin), settings)))
    named = dict(line.split("=", 1) for line in image.text["Settings"].splitlines())
    assert set(PARAMS) | {"seed", "scenario"} == set(named)
    assert (named["seed"], named["complexity"], named["scenario"]) == ("9", "1.2", "Complex lives")
    assert from_query(image.text["Source"][1:]) == (settings, [])  # the link makes it again


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_settings_link_opens_the_same_settings(name):
    rng = np.random.default_rng(len(name))
    params = scenario_sliders(name)
    for key in rng.choice(CONTROLS[:15], size=3, replace=False):  # floats: sizes stay valid
        p = PARAMS[key]
        params[key] = round(float(rng.uniform(p.low, p.high)), 2)
    settings = Settings(name, params, int(rng.integers(0, MAX_SEED)))
    assert from_query(settings.query()) == (settings, [])


def test_a_link_sets_the_scenario_seed_and_sliders_of_a_new_session():
    page = Rendered("scenario=Complex+lives&seed=7&audit_rate=0.2")
    assert page.twin.seed == 7
    assert page.twin.params["complexity"] == 1.2 and page.twin.params["audit_rate"] == 0.2
    assert page.slider("Audit rate").v_model == 0.2
    assert "scenario=Complex+lives&amp;seed=7&amp;audit_rate=0.2" in page.text()  # shared on
    assert page.warnings() == ""


@pytest.mark.parametrize(
    ("search", "named"),
    [
        ("seed=-5", "seed=-5 is out of range"),
        ("seed=abc", "seed='abc' is not a whole number"),
        ("audit_rate=abc", "audit_rate='abc' is not a number"),
        ("n_citizens=1e9", "n_citizens=1e+09 is out of range"),
        ("n_workers=200", "n_workers=200 is out of range here"),
        ("scenario=Nope", "scenario 'Nope' is not one of the scenarios"),
        ("auditrate=0.2", "did you mean 'audit_rate'?"),
        ("n_workers=5&n_managers=10", "n_managers=10 exceeds n_workers=5"),
        ("present=maybe", "present='maybe' was not understood"),
    ],
)
def test_a_bad_value_in_a_link_is_one_line_and_the_default_is_used(search, named):
    page = Rendered(search)
    lines = [a for a in page.rc.find(v.Alert).widgets if "address-problem" in (a.class_ or "")]
    assert len(lines) == 1
    text = " ".join(lines[0].children)
    assert named in text and "\n" not in text
    assert "Traceback" not in page.text() and ".py" not in text
    assert page.twin.seed == 1 and page.twin.params == {}  # the defaults run


# The statistics issue 13 names; each must have plain-words help wherever it is shown.
NAMED_TERMS = [
    "rank correlation",
    "contact ratio",
    "reported",
    "the indicator, really",
    "what citizens gained",
    "candour",
    "accountability cost",
]


def _labels_drawn(fig) -> list[str]:
    """Every chart title and line label a figure shows, side names and event markers aside."""
    sides = {"outcomes", "learning", "none", "outcomes → learning"}
    labels = []
    for ax in fig.axes:
        labels.append(ax.get_title())
        legend = ax.get_legend()
        if legend is not None:
            labels += [t.get_text() for t in legend.get_texts()]
    for legend in fig.legends:
        labels += [t.get_text() for t in legend.get_texts()]
    return [
        label
        for label in labels
        if label.strip() and label not in sides and not label.startswith("week ")
    ]


def test_every_statistic_the_compare_and_story_tabs_show_has_a_glossary_entry():
    twin = Twin()
    twin.step(3)
    live = LiveCharts(list(twin.frames()))
    live.render(twin.frames())
    shown = _labels_drawn(live.blit.fig) + _labels_drawn(charts_figure(twin))
    story = Story()
    while story.advance() is not None:
        if ACTS[story.act].panels:
            shown += _labels_drawn(act_figure(story)) + _labels_drawn(act_figure(story, True))
    shown += app.COMPARE_LABELS + NAMED_TERMS
    assert len(shown) > 40
    missing = sorted({label for label in shown if lookup(label) is None})
    assert missing == []
    for term in NAMED_TERMS:  # found as itself, not as a longer entry that contains it
        assert term in lookup(term).names()


def test_statistics_on_the_page_carry_their_meaning_as_a_tooltip():
    page = Rendered()
    page.click("Step")
    text = page.text()
    for term in ("reported", "the indicator, really", "parked", "trust"):
        meaning = escape(lookup(term).meaning, quote=True)
        assert f"title='{meaning}'>{term}</span>" in text
    assert "<details class='glossary'><summary>What these figures mean" in text
    assert "Contact the most complex fifth" in text  # the contact chart, explained below it


def test_explain_leaves_tags_alone_and_explains_a_term_once():
    html = "<b title='reported'>reported</b> reported, and the rank correlation of the table"
    out = explain(html)
    assert out.count("class='term'") == 2  # reported once, rank correlation once
    assert out.startswith("<b title='reported'><span class='term'")
    assert explain(out) == out  # a tooltip's own words are not explained again


@pytest.mark.parametrize(("search", "presenting"), [("present=1", True), ("present=0", False)])
def test_the_address_turns_presenter_mode_on_and_the_toggle_off(search, presenting):
    page = Rendered(search)
    assert bool(page.rc.find(v.Slider).widgets) is not presenting  # the sidebar's sliders
    page.click("Leave presenter mode" if presenting else "Presenter mode")
    assert bool(page.rc.find(v.Slider).widgets) is presenting
    page.click("Step")  # the run's buttons are there either way
    assert page.week() == 1


def test_every_statistic_the_whole_system_tab_shows_has_a_glossary_entry():
    params = system_view.settings(3, PARAMS["contracting"].default, 0.5)
    result = system_view.run_system(params, seed=2, weeks=6)
    shown = list(system_view.services_table(result).index) + system_view.LABELS
    shown += _labels_drawn(system_view.figure(result))
    assert len(shown) > 15
    assert sorted({label for label in shown if lookup(label) is None}) == []
    # Each headline names its statistic, so the page can explain it where it is said.
    for line in system_view.headline(result, params)[1:]:
        assert lookup(line.split(":")[0]) is not None, line
    flows = system_view.flows_table(result).to_numpy()
    assert np.trace(flows) == 0 and flows.sum() == result.sent.sum() > 0  # only to other services


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ({"n_services": 9}, "n_services=9 is out of range: use a whole number from 1 to 4"),
        ({"contracting": "market"}, "contracting='market'"),
        ({"payment_by_results": -0.1}, "payment_by_results=-0.1 is out of range"),
    ],
)
def test_the_whole_system_tab_refuses_what_the_model_refuses_in_one_line(typed, words):
    given = {
        "n_services": 3,
        "contracting": PARAMS["contracting"].default,
        "payment_by_results": 0.5,
    }
    with pytest.raises(ParamError) as refused:
        system_view.settings(**(given | typed))
    assert words in str(refused.value) and "\n" not in str(refused.value)
