"""The dashboard in a real browser: Playwright driving Debian's chromium, offline.

Every request outside localhost is blocked, so a passing run shows that the page needs nothing
from the internet. Skipped (with the reason) where chromium or Playwright is missing; `.ci/run`
installs chromium.
"""

from dashboards.serve import steady_week, wait_for, wait_week, week
from tests.browser_support import BROWSER

pytestmark = BROWSER


def test_offline_page_steps_plays_and_pauses(offline_page, tmp_path):
    page = offline_page
    first = page.locator("img").first.get_attribute("src")
    page.get_by_role("button", name="Step").click()
    page.get_by_role("button", name="Step").click()
    wait_week(page, 2)
    assert page.locator("img").first.get_attribute("src") != first
    page.get_by_role("button", name="Play").click()
    wait_for(lambda: week(page) >= 5, what="Play reaching week 5")
    page.get_by_role("button", name="Pause").click()
    paused = steady_week(page)
    assert paused >= 5 and page.get_by_role("button", name="Play").is_enabled()
    assert "what citizens gained" in page.content() and "the indicator, really" in page.content()
    page.screenshot(path=str(tmp_path / "dashboard.png"))


def test_parameter_change_and_regime_switch(offline_page):
    page = offline_page
    for _ in range(3):
        page.get_by_role("button", name="Step").click()
    wait_week(page, 3)
    slider = page.get_by_role("slider").first
    slider.focus()
    page.keyboard.press("ArrowRight")
    wait_week(page, 0)
    page.get_by_role("button", name="Step").click()
    wait_week(page, 1)
    page.get_by_role("button", name="Switch targets side to learning").click()
    page.get_by_role("button", name="Step").click()
    wait_week(page, 2)
    page.get_by_text("outcomes → learning").first.wait_for()


def test_play_toggled_quickly_then_reset_stays_at_week_zero(offline_page):
    page = offline_page
    play, pause = (page.get_by_role("button", name=n) for n in ("Play", "Pause"))
    for _ in range(3):  # each Play starts a loop; only the newest may step
        play.click()
        pause.click()
    play.click()
    wait_for(lambda: week(page) >= 2, what="Play reaching week 2")
    page.get_by_role("button", name="Reset", exact=True).click()  # not "Reset to defaults"
    wait_week(page, 0)
    assert steady_week(page) == 0  # no loop from before the reset steps the new models
    assert play.is_enabled()


def test_rejected_seed_and_combination_are_explained(offline_page):
    page = offline_page
    page.get_by_role("button", name="Step").click()
    wait_week(page, 1)
    seed = page.get_by_label("Seed (same seed, same citizens and luck)")
    seed.fill("-1")
    seed.press("Enter")
    page.get_by_text("Not applied").first.wait_for()
    assert "seed=-1 is out of range" in page.content()
    assert steady_week(page) == 1  # the running models were kept
    seed.fill("5")
    seed.press("Enter")
    wait_week(page, 0)
    wait_for(lambda: "Not applied" not in page.content(), what="the warning clearing")


def test_two_browser_sessions_are_isolated(open_offline):
    a, b = open_offline(), open_offline()
    for _ in range(3):
        a.get_by_role("button", name="Step").click()
    wait_week(a, 3)
    assert week(b) == 0
    b.get_by_role("button", name="Step").click()
    wait_week(b, 1)
    assert week(a) == 3


def test_about_and_model_description_tabs(offline_page):
    page = offline_page
    page.get_by_role("tab", name="About").click()
    page.get_by_text("THINGS TO NOTICE").wait_for()
    page.get_by_role("tab", name="Model description (ODD)").click()
    page.get_by_text("Process overview and scheduling").first.wait_for()


def test_red_bead_tab_in_the_browser(offline_page):
    page = offline_page
    page.get_by_role("tab", name="Red beads").click()
    page.get_by_role("button", name="Next day").click()
    page.get_by_text("merit award", exact=False).first.wait_for()
    assert "Day 1" in page.content()
