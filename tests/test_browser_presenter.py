"""Presenter mode on a projector's screen, in a real browser, offline.

At 1280×720 and 1920×1080: nothing wider than the window, no chart cut off at its edge, every
Story act on one screen without scrolling and its chart text large enough to read from the back
of the room; titles break between words and every button holds its own label.
"""

import pytest

from dashboards.presenter import CHART_FONT_PX, MIN_CHART_FONT_PX
from dashboards.story import ACTS, TITLE
from tests.browser_support import BROWSER

pytestmark = BROWSER
SCREENS = [(1280, 720), (1920, 1080)]

# Layout facts read in the page, in CSS pixels (one object per call, so one round trip).
OVERFLOW = "document.scrollingElement.scrollWidth - innerWidth"
SCROLL = "document.scrollingElement.scrollHeight - innerHeight"
IMAGES = """() => [...document.querySelectorAll('img')].filter(i => i.offsetParent).map(i => {
  const r = i.getBoundingClientRect();
  // object-fit: contain draws the picture at the smaller of the two scales inside its box
  const scale = Math.min(r.width / i.naturalWidth, r.height / i.naturalHeight);
  return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, scale,
          cls: i.className};
})"""
SLIDE = """() => [...document.querySelectorAll('.story-slide *')].filter(e => e.offsetParent)
  .map(e => e.getBoundingClientRect())
  .filter(r => r.width > 0 && r.height > 0)
  .map(r => ({right: r.right, bottom: r.bottom, left: r.left, top: r.top}))"""
# A word broken across two lines has two client rectangles.
BROKEN_WORDS = """(el) => {
  const broken = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(m[0]);
    }
  }
  return broken;
}"""
SPILLING_BUTTONS = """() => [...document.querySelectorAll('button.v-btn')]
  .filter(b => b.offsetParent)
  .filter(b => {
    const box = b.getBoundingClientRect();
    const label = b.querySelector('.v-btn__content');
    const text = label ? label.getBoundingClientRect() : box;
    return b.scrollWidth > b.clientWidth + 1 || text.right > box.right + 1
      || text.left < box.left - 1 || box.right > innerWidth + 1;
  })
  .map(b => b.innerText)"""


def _fits_width(page) -> None:
    assert page.evaluate(OVERFLOW) <= 0, "the page scrolls sideways"
    width = page.evaluate("innerWidth")
    for img in page.evaluate(IMAGES):
        assert img["left"] >= -1 and img["right"] <= width + 1, f"chart cut off: {img}"


def _act(page, n: int) -> None:
    page.get_by_text(ACTS[n - 1].title, exact=True).wait_for()


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_every_story_act_fits_the_screen_with_readable_charts(open_offline, width, height):
    page = open_offline("?present=1", width, height)
    assert not page.get_by_text("Parameters (a change restarts").is_visible()  # no sidebar
    page.get_by_role("tab", name="Story").click()
    page.get_by_text(TITLE).wait_for()
    for n in range(1, len(ACTS) + 1):
        page.get_by_role("button", name="Next act").click()
        _act(page, n)
        # The slide's layout (with or without a chart column) can follow its text by a frame.
        page.locator(
            ".story-slide" + (":not(.no-chart)" if ACTS[n - 1].panels else ".no-chart")
        ).wait_for()
        if ACTS[n - 1].panels:
            page.locator("img.story-chart").wait_for()
            page.wait_for_function("document.querySelector('img.story-chart').complete")
        _fits_width(page)
        assert page.evaluate(SCROLL) <= 0, f"act {n} needs scrolling at {width}×{height}"
        for box in page.evaluate(SLIDE):
            assert box["bottom"] <= height + 1 and box["right"] <= width + 1, (n, box)
        charts = [i for i in page.evaluate(IMAGES) if "story-chart" in i["cls"]]
        assert len(charts) == (1 if ACTS[n - 1].panels else 0)
        for chart in charts:  # the figure is drawn with no text under CHART_FONT_PX
            assert chart["scale"] * CHART_FONT_PX >= MIN_CHART_FONT_PX, (n, chart)
        assert page.evaluate(SPILLING_BUTTONS) == []
        heading = page.locator(".story-text h1").element_handle()
        assert page.evaluate(BROKEN_WORDS, heading) == [], f"act {n}'s title breaks mid-word"


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_compare_in_presenter_mode_fits_the_width_and_hides_the_badge(open_offline, width, height):
    page = open_offline("?present=1", width, height)
    page.locator("img.compare-chart").first.wait_for()
    _fits_width(page)
    assert page.evaluate(SPILLING_BUTTONS) == []
    assert not page.get_by_text("This website runs on").is_visible()
    assert not page.get_by_text("Parameters (a change restarts").is_visible()
    page.get_by_role("button", name="Step").click()
    page.get_by_text("Week 1", exact=True).wait_for()


@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_the_normal_page_breaks_titles_between_words_and_keeps_labels_in_buttons(
    open_offline, width, height
):
    page = open_offline("", width, height)
    title = page.locator(".v-card__title").first
    assert "Accountability Lab" in title.inner_text()
    assert page.evaluate(BROKEN_WORDS, title.element_handle()) == []
    assert page.evaluate(SPILLING_BUTTONS) == []
    assert not page.get_by_text("This website runs on").is_visible()
    _fits_width(page)
    page.get_by_role("tab", name="Story").click()
    page.get_by_role("button", name="Next act").click()
    _act(page, 1)
    page.locator("img.story-chart").wait_for()
    _fits_width(page)  # the story's wide chart shrinks into its column


def test_the_toggle_turns_presenter_mode_on_and_off(offline_page):
    page = offline_page
    sidebar = page.get_by_text("Parameters (a change restarts")
    assert sidebar.is_visible()
    page.get_by_role("button", name="Presenter mode").click()
    page.get_by_role("button", name="Leave presenter mode").wait_for()
    assert not sidebar.is_visible()
    page.get_by_role("button", name="Step").click()  # the run's buttons stay on Compare
    page.get_by_text("Week 1", exact=True).wait_for()
    page.get_by_role("button", name="Leave presenter mode").click()
    sidebar.wait_for()


def test_a_settings_link_puts_a_session_on_one_setting_and_names_a_bad_value(open_offline):
    page = open_offline("?scenario=Complex+lives&seed=7&audit_rate=abc")
    assert page.get_by_label("Seed (same seed, same citizens and luck)").input_value() == "7"
    problems = page.locator(".address-problem")
    assert problems.count() == 1
    assert "audit_rate='abc' is not a number" in problems.inner_text()
    text = page.inner_text("body")
    assert "Traceback" not in text and ".py" not in text
    link = page.locator("a.share-link").get_attribute("href")
    assert "scenario=Complex+lives" in link and "seed=7" in link and "audit_rate" not in link
    page.get_by_role("button", name="Undo last change").wait_for()
    shared = open_offline("?present=1&seed=7")
    shared.get_by_role("button", name="Leave presenter mode").wait_for()
    assert shared.locator(".address-problem").count() == 0
