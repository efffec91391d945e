"""Play a worker in a real browser, offline: a few weeks, a rejected choice, the end screen; and
the same game alone at /play, as a room of learners opens it on a projector-sized screen."""

import os
import time

import pandas as pd
import pytest

from dashboards import play
from dashboards.serve import CHROMIUM, CHROMIUM_ARGS, PAGE_WAIT_MS, local_only, open_page, server

playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
pytestmark = [
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs chromium at /usr/bin/chromium"),
    pytest.mark.browser,
]


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    """The server's SQLite log, in a temporary folder (the server inherits the environment)."""
    path = tmp_path_factory.mktemp("room") / "play.sqlite"
    before = os.environ.get(play.DB_ENV)
    os.environ[play.DB_ENV] = str(path)
    yield path
    if before is None:
        del os.environ[play.DB_ENV]
    else:
        os.environ[play.DB_ENV] = before


def _logged(log, rows: int, before: pd.DataFrame | None = None) -> pd.DataFrame:
    """The weeks logged since ``before``, once there are ``rows`` of them (or the page's wait ends).

    A week is logged just after its answer is sent (dashboards.play), so the page can show the
    answer a moment before the log holds it.
    """
    deadline = time.monotonic() + PAGE_WAIT_MS / 1000
    while True:
        weeks = play.read_weeks(log)
        if before is not None:
            weeks = weeks[~weeks.session.isin(before.session)]
        if len(weeks) >= rows or time.monotonic() > deadline:
            return weeks
        time.sleep(0.05)


@pytest.fixture(scope="module")
def served(log):
    """One server (writing to ``log``) and one chromium for the module: (browser, url)."""
    with server() as (url, _), playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser, url
        browser.close()


@pytest.fixture(scope="module")
def page(served):
    browser, url = served
    blocked: list[str] = []
    ctx, page = open_page(browser, url, blocked)
    yield page
    assert blocked == [], blocked
    ctx.close()


def _set(page, label: str, value: int) -> None:
    field = page.get_by_label(label)
    field.fill(str(value))
    field.press("Enter")


def _heading(page, week: int, words: str) -> None:
    page.get_by_text(f"Week {week} of {play.WEEKS_PER_REGIME} under {words}").wait_for()


def test_play_a_few_weeks_then_reach_the_end_screen(page, log):
    page.get_by_role("tab", name="Play a worker").click()
    _heading(page, 1, "targets")
    work = page.get_by_role("button", name="Work this week")
    _set(page, "Helping citizens (%)", 50)  # 50 + 20 + 20: not a whole week
    work.click()
    page.get_by_text("Not played, nothing changed").wait_for()
    _heading(page, 1, "targets")
    assert not log.exists()  # nothing was played, so nothing was logged
    _set(page, "Helping citizens (%)", 60)
    _set(page, "Outcomes to record that did not happen", 3)
    for week in range(1, 2 * play.WEEKS_PER_REGIME + 1):
        regime = week <= play.WEEKS_PER_REGIME
        shown = week if regime else week - play.WEEKS_PER_REGIME
        _heading(page, shown, "targets" if regime else "learning")
        work.click()
        if week < 2 * play.WEEKS_PER_REGIME:
            page.get_by_text(f"Week {shown} under").wait_for()
    page.get_by_text("Your path and what it did to your citizens").wait_for()
    assert page.get_by_text("Under targets").first.is_visible()
    assert page.get_by_text("Under learning").first.is_visible()
    weeks = _logged(log, 2 * play.WEEKS_PER_REGIME)
    assert len(weeks) == 2 * play.WEEKS_PER_REGIME and weeks.session.nunique() == 1
    assert (weeks.false_records == 3).all()


PROJECTOR = {"width": 1280, "height": 720}
# Wider than the window: something would have to be scrolled sideways to be read.
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_the_play_page_holds_the_game_alone_and_logs_each_week(served, log):
    browser, url = served
    before = play.read_weeks(log)
    ctx = browser.new_context(viewport=PROJECTOR)
    ctx.set_default_timeout(PAGE_WAIT_MS)
    blocked: list[str] = []
    local_only(ctx, blocked)
    page = ctx.new_page()
    page.goto(url + "play")
    _heading(page, 1, "targets")
    # The game alone: none of the dashboard's tabs, sidebar or Compare run came with it.
    assert page.get_by_role("tab").count() == 0
    assert page.get_by_role("button", name="Step").count() == 0
    assert page.evaluate(OVERFLOW) <= 0
    _set(page, "Helping citizens (%)", 70)
    _set(page, "What the indicator counts (%)", 10)
    _set(page, "Outcomes to record that did not happen", 2)
    work = page.get_by_role("button", name="Work this week")
    work.click()
    page.get_by_text("Week 1 under targets: you saw").wait_for()
    _heading(page, 2, "targets")
    assert page.evaluate(OVERFLOW) <= 0  # the line about the week just played fits too
    new = _logged(log, 1, before)
    assert len(new) == 1
    row = new.iloc[0]
    assert (row.regime, row.week, row.false_records) == ("outcomes", 1, 2)
    assert (row.help_share, row.indicator_share, row.reflection_share) == (0.7, 0.1, 0.2)
    for week in range(2, 2 * play.WEEKS_PER_REGIME + 1):
        work.click()
        if week < 2 * play.WEEKS_PER_REGIME:
            shown = week if week <= play.WEEKS_PER_REGIME else week - play.WEEKS_PER_REGIME
            page.get_by_text(f"Week {shown} under").wait_for()
    page.get_by_text("Your path and what it did to your citizens").wait_for()
    page.locator("img").first.wait_for()
    assert page.evaluate(OVERFLOW) <= 0  # the end screen's chart shrinks to the window
    mine = _logged(log, 2 * play.WEEKS_PER_REGIME, before)
    assert len(mine) == 2 * play.WEEKS_PER_REGIME and mine.session.nunique() == 1
    assert (
        list(mine.sort_values(["regime", "week"]).groupby("regime").week.max())
        == [play.WEEKS_PER_REGIME] * 2
    )
    ctx.close()
    assert blocked == [], blocked
