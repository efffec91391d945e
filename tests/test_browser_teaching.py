"""Teaching in a room, in a real browser, offline: keys that go where the trainer means them,
inputs that explain themselves, a Compare tab that puts what citizens gained first, Red beads a
room can draw, and an ODD whose formulas are drawn without the internet.
"""

import pytest

from dashboards.presenter import CHART_FONT_PX, COMPARE_FONT_PT, MIN_CHART_FONT_PX
from dashboards.story import ACTS, TITLE
from dashboards.twin import MAX_SEED
from tests.browser_support import BROWSER

pytestmark = BROWSER


@pytest.fixture
def page(offline_page):
    """A fresh session per test, every request outside localhost blocked."""
    return offline_page


def _act(page, n: int) -> None:
    page.get_by_text(ACTS[n - 1].title, exact=True).wait_for()


def test_an_arrow_on_a_focused_slider_moves_the_slider_not_the_story(page):
    page.get_by_role("tab", name="Story").click()
    title = page.get_by_text(TITLE)
    title.wait_for()
    title.click()
    page.keyboard.press("ArrowRight")
    _act(page, 1)
    slider = page.get_by_role("slider").first
    before = slider.get_attribute("aria-valuenow")
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "([el, v]) => el.getAttribute('aria-valuenow') !== v", arg=[slider.element_handle(), before]
    )  # the slider took the key...
    page.wait_for_timeout(1_500)  # ...and the story, given time to react, did not
    assert page.get_by_text(ACTS[1].title, exact=True).count() == 0
    assert page.get_by_text(ACTS[0].title, exact=True).count() == 1
    page.get_by_text(ACTS[0].title, exact=True).click()  # focus back on the slide
    page.keyboard.press("ArrowRight")
    _act(page, 2)


def test_a_negative_seed_in_give_up_and_replace_is_one_line_not_a_traceback(page):
    page.get_by_role("tab", name="Give up and Replace").click()
    page.get_by_text("workers inventing outcomes").first.wait_for()
    table = page.locator("table.replace").first.inner_text()
    seed = page.get_by_label("Seed", exact=True)
    seed.fill("-5")
    seed.press("Enter")
    page.get_by_text("Not applied").first.wait_for()
    text = page.inner_text("body")
    assert f"seed=-5 is out of range: use a whole number from 0 to {MAX_SEED}" in text
    assert "Traceback" not in text and ".py" not in text
    assert page.locator("table.replace").first.inner_text() == table  # the runs are still shown


def test_compare_headline_leads_with_what_citizens_gained(page):
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Week 1", exact=True).wait_for()
    text = page.inner_text("body")
    for side in ("outcomes", "learning"):
        row = next(line for line in text.splitlines() if line.startswith(f"{side}:"))
        assert row.index("what citizens gained") < row.index("reported")
        assert row.count("really") == row.count("the indicator, really") == 1


# The scale each visible image of a class is drawn at (shown width over natural width).
SCALES = """(cls) => [...document.querySelectorAll('img.' + cls)].filter(i => i.offsetParent)
  .map(i => i.getBoundingClientRect().width / i.naturalWidth)"""


def _no_traceback(page) -> str:
    text = page.inner_text("body")
    assert "Traceback" not in text and ".py" not in text
    return text


def test_a_bad_seed_in_red_beads_is_one_line_and_keeps_the_experiment(page):
    page.get_by_role("tab", name="Red beads").click()
    page.get_by_role("button", name="Next day").click()
    page.get_by_text("Day 1", exact=True).wait_for()
    table = page.locator("table.beads").inner_text()
    seed = page.get_by_label("Experiment (seed)")
    for typed in ("-5", str(10**30)):
        seed.fill(typed)
        seed.press("Enter")
        page.get_by_text(f"seed={typed} is out of range").wait_for()
        text = _no_traceback(page)
        assert f"use a whole number from 0 to {MAX_SEED}" in text
        assert page.locator(".redbead-problem").count() == 1  # one line, replaced, not added
        assert page.locator("table.beads").inner_text() == table  # nothing restarted
        assert page.get_by_role("tab", name="Red beads").get_attribute("aria-selected") == "true"


def test_the_room_draws_the_beads_and_gets_the_lesson_on_a_projector(open_offline):
    page = open_offline("?present=1", 1280, 720)
    page.get_by_role("tab", name="Red beads").click()
    page.get_by_text("The room draws the beads").click()
    for name, typed in (("Alex", "9"), ("Bea", "51"), ("Cam", "8"), ("Dee", "12")):
        page.get_by_label(f"{name}'s red beads").fill(typed)
    page.get_by_role("button", name="Draw for Eli").click()
    page.get_by_role("button", name="Draw for Fay").click()
    page.get_by_role("button", name="Record day 1").click()
    page.get_by_text("Bea's count '51' is not allowed").wait_for()
    assert "type a whole number of red beads from 0 to 50" in _no_traceback(page)
    assert page.locator("table.beads").count() == 0  # nothing recorded
    page.get_by_label("Bea's red beads").fill("7")
    page.get_by_role("button", name="Record day 1").click()
    page.get_by_role("button", name="Record day 2").wait_for()
    assert page.locator(".redbead-problem").count() == 0
    row = page.locator("table.beads tbody tr").first.inner_text().split()
    assert row[:5] == ["1", "9", "7", "8", "12"]  # day 1: the counts the room typed
    for day in (2, 3, 4):
        page.get_by_role("button", name=f"Record day {day}").wait_for()  # the day's workers
        for button in page.get_by_role("button", name="Draw for").all():
            button.click()
        page.get_by_role("button", name=f"Record day {day}").click()
    page.get_by_text("What the run shows").wait_for()
    lesson = page.locator(".redbead-lesson").inner_text()
    assert "control limits" in lesson and "not the people" in lesson
    page.wait_for_function(
        "[...document.querySelectorAll('img.redbead-chart')].every(i => i.complete)"
    )
    (scale,) = page.evaluate(SCALES, "redbead-chart")
    assert scale * CHART_FONT_PX >= MIN_CHART_FONT_PX  # the chart's smallest text, on screen


def test_compare_chart_text_is_readable_in_presenter_mode(open_offline):
    page = open_offline("?present=1", 1280, 720)
    page.locator("img.compare-chart").first.wait_for()
    page.wait_for_function(
        "[...document.querySelectorAll('img.compare-chart')].every(i => i.complete)"
    )
    scales = page.evaluate(SCALES, "compare-chart")
    assert len(scales) == 2  # the charts and the picture of the agents
    for scale in scales:  # drawn at 72 dpi: no text under COMPARE_FONT_PT pixels
        assert scale * COMPARE_FONT_PT >= MIN_CHART_FONT_PX, scales


def test_the_odd_tab_draws_its_formulas_offline_without_developers_notes(page):
    page.get_by_role("tab", name="Model description (ODD)").click()
    page.locator("svg.math").first.wait_for()
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('svg.math')].map(s => {
          const glyph = s.querySelector('use');
          return glyph ? glyph.getBBox().width : 0; })"""
    )
    assert len(drawn) > 450 and min(drawn) > 0  # every formula's glyphs are there
    box = page.locator("svg.math").nth(10).bounding_box()
    assert box["width"] > 5 and box["height"] > 5
    text = page.locator(".v-window-item--active").inner_text()
    assert "Purpose and patterns" in text
    assert "$" not in text and "\\frac" not in text and "\\mathcal" not in text
    assert "Notes for the developers" not in text
