"""Story mode, red beads and Give up and Replace in a real browser, offline, driven by keyboard.

A presentation clicker sends the same keys (page down/up, arrows), so this is the trainer's show.
"""

import pytest

from dashboards.serve import open_page
from dashboards.story import ACTS, TITLE
from tests.browser_support import BROWSER

pytestmark = BROWSER


@pytest.fixture(scope="module")
def page(browser, dashboard_url):
    """One session for the module: the tests play the show in order, as a trainer would."""
    blocked: list[str] = []
    ctx, page = open_page(browser, dashboard_url, blocked)
    yield page
    ctx.close()
    assert blocked == [], blocked


def _act(page, n: int) -> None:
    page.get_by_text(ACTS[n - 1].title, exact=True).wait_for()


def test_story_advances_and_goes_back_with_the_keyboard(page):
    page.get_by_role("tab", name="Story").click()
    title = page.get_by_text(TITLE)
    title.wait_for()
    title.click()  # focus leaves the tab bar, as when a trainer clicks the slide
    page.keyboard.press("Space")
    _act(page, 1)
    page.keyboard.press("ArrowRight")
    _act(page, 2)
    page.keyboard.press("PageDown")
    _act(page, 3)
    page.get_by_text("week 65").first.wait_for()
    page.keyboard.press("ArrowLeft")
    _act(page, 2)
    page.keyboard.press("PageUp")
    _act(page, 1)


def test_the_clock_cue_and_the_recap_are_on_screen(page):
    page.get_by_role("tab", name="Story").click()
    page.get_by_role("button", name="Start again").click()
    title = page.get_by_text(TITLE)
    title.wait_for()
    title.click()
    for n in range(1, 7):
        page.keyboard.press("ArrowRight")
        _act(page, n)
    cue = page.locator(".story-clock")
    assert cue.inner_text().startswith("⟲ The clock goes back to week 0")
    assert cue.is_visible()
    for n in range(7, len(ACTS) + 1):
        page.keyboard.press("ArrowRight")
        _act(page, n)
    page.get_by_text(ACTS[-2].point[:25]).first.wait_for()
    assert page.locator("ol.story-recap li").count() == len(ACTS) - 1  # one line per act before it


def test_keys_do_nothing_while_another_tab_is_shown(page):
    page.get_by_role("tab", name="Story").click()
    page.get_by_role("button", name="Start again").click()
    page.get_by_text(TITLE).wait_for()
    page.get_by_role("tab", name="About").click()
    page.get_by_text("THINGS TO NOTICE").wait_for()
    page.get_by_text("THINGS TO NOTICE").click()
    page.keyboard.press("ArrowRight")
    page.get_by_role("tab", name="Story").click()
    page.get_by_text(TITLE).wait_for()
    assert page.get_by_text(ACTS[0].title, exact=True).count() == 0


def test_give_up_and_replace_in_the_browser(page):
    page.get_by_role("tab", name="Give up and Replace").click()
    page.get_by_text("workers inventing outcomes").first.wait_for()
