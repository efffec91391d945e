"""Teaching in a room, in a real browser, offline: keys that go where the trainer means them,
inputs that explain themselves, and a Compare tab that puts what citizens gained first.
"""

import pytest

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
    table = page.locator("table.replace").inner_text()
    seed = page.get_by_label("Seed", exact=True)
    seed.fill("-5")
    seed.press("Enter")
    page.get_by_text("Not applied").first.wait_for()
    text = page.inner_text("body")
    assert f"seed=-5 is out of range: use a whole number from 0 to {MAX_SEED}" in text
    assert "Traceback" not in text and ".py" not in text
    assert page.locator("table.replace").inner_text() == table  # the runs are still shown


def test_compare_headline_leads_with_what_citizens_gained(page):
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Week 1", exact=True).wait_for()
    text = page.inner_text("body")
    for side in ("outcomes", "learning"):
        row = next(line for line in text.splitlines() if line.startswith(f"{side}:"))
        assert row.index("what citizens gained") < row.index("reported")
        assert row.count("really") == row.count("the indicator, really") == 1
