"""The dashboard rendered without a browser (solara.render), and its per-session state."""

import ipyvuetify as v
import ipywidgets as w
import numpy as np
import pytest
import solara

from dashboards.app import CONTROLS, Page
from dashboards.live import LiveCharts, LivePicture
from dashboards.twin import Twin
from sim.params import PARAMS


def _walk(widget, seen=None):
    seen = set() if seen is None else seen
    if id(widget) in seen:
        return
    seen.add(id(widget))
    yield widget
    for child in getattr(widget, "children", None) or []:
        if isinstance(child, w.Widget):
            yield from _walk(child, seen)


class Rendered:
    def __init__(self):
        self.box, self.rc = solara.render(Page(), handle_error=False)

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
    for _ in range(3):
        a.click("Step")
    assert "Week 3" in a.text() and "Week 0" in b.text()


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
