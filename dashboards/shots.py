"""Screenshots for docs/masterclass.md: ``python -m dashboards.shots [--only SET]``.

Taken offline (every request outside localhost blocked) from a fresh server. ``tabs`` is Story
act 3, Red beads after four days and Give up and Replace at 1500×1100; ``presenter`` is Compare
and every Story act at a projector's 1280×720 in presenter mode, into docs/masterclass/presenter/;
``play`` is Play a worker at /play (week 4 and the end screen) and the room page after two
learners, at 1280×720, with a log of their own in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from dashboards import play
from dashboards.serve import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAGE_WAIT_MS,
    ROOT,
    local_only,
    open_page,
    server,
    wait_week,
)
from dashboards.story import ACTS
from sim.regimes import COMPARED

OUT = ROOT / "docs" / "masterclass"
PRESENTER = OUT / "presenter"
PROJECTOR = (1280, 720)
COMPARE_WEEKS = 40  # Compare shown a while after targets arrive (week 13)
PLAY_WEEKS = 3  # Play a worker shown at week 4, a week's answer under the button
# The two learners the room page shows: help, indicator, reflection (%), false records a week,
# and the weeks each plays (the first plays the whole game, for the end screen).
LEARNERS = (((60, 20, 20), 2, 2 * play.WEEKS_PER_REGIME), ((10, 80, 10), 4, PLAY_WEEKS))
SETS = ("tabs", "presenter", "play")


def _painted(page: Page, selector: str) -> None:
    """Wait until every image the selector finds has loaded."""
    page.locator(selector).first.wait_for()
    page.wait_for_function(
        "(s) => [...document.querySelectorAll(s)].every(i => i.complete)", arg=selector
    )


def tab_shots(page: Page) -> list[str]:
    """Story act 3, red beads after four days (with the lesson), and Give up and Replace."""
    page.get_by_role("tab", name="Story").click()
    for _ in range(3):
        page.get_by_role("button", name="Next act").click()
    page.get_by_text(ACTS[2].title, exact=True).wait_for()
    _painted(page, "img.story-chart")
    page.screenshot(path=str(OUT / "story.png"))
    page.get_by_role("tab", name="Red beads").click()
    for _ in range(4):
        page.get_by_role("button", name="Next day").click()
    page.get_by_text("What the run shows").wait_for()
    _painted(page, "img.redbead-chart")
    page.mouse.wheel(0, -5000)  # the buttons scrolled the page; show it from the top
    page.screenshot(path=str(OUT / "redbeads.png"))
    page.locator(".redbead-lesson").evaluate("e => e.scrollIntoView()")  # it starts on screen
    page.wait_for_timeout(300)  # the scroll paints
    page.screenshot(path=str(OUT / "redbeads-lesson.png"))
    page.get_by_role("tab", name="Give up and Replace").click()
    page.get_by_text("workers inventing outcomes").first.wait_for()
    page.mouse.wheel(0, -5000)
    page.screenshot(path=str(OUT / "replace.png"))
    return ["story.png", "redbeads.png", "redbeads-lesson.png", "replace.png"]


def presenter_shots(page: Page) -> list[str]:
    """Compare after COMPARE_WEEKS weeks, then each Story act, as the projector shows them."""
    PRESENTER.mkdir(exist_ok=True)
    for week in range(1, COMPARE_WEEKS + 1):
        page.get_by_role("button", name="Step").click()
        wait_week(page, week)
    _painted(page, "img.compare-chart")
    page.screenshot(path=str(PRESENTER / "compare.png"))
    saved = ["compare.png"]
    page.get_by_role("tab", name="Story").click()
    for n, act in enumerate(ACTS, start=1):
        page.get_by_role("button", name="Next act").click()
        page.get_by_text(act.title, exact=True).wait_for()
        if act.panels:
            _painted(page, "img.story-chart")
        page.screenshot(path=str(PRESENTER / f"act-{n}.png"))
        saved.append(f"act-{n}.png")
    return saved


SETTLE_MS = 700  # Solara's fade-in (0.5 s) and its busy bar, done before a picture is taken


def _settled(page: Page) -> None:
    """Wait until the page is not loading and has faded in, the pointer off every button."""
    page.wait_for_function("() => document.querySelector('.solara-page-loading') === null")
    page.mouse.move(0, 0)  # no hover or ripple on a button in the picture
    page.wait_for_timeout(SETTLE_MS)


def _projector_page(browser, url: str, blocked: list[str]) -> Page:
    """A page at the projector's size, offline, with the page's default wait."""
    context = browser.new_context(viewport={"width": PROJECTOR[0], "height": PROJECTOR[1]})
    context.set_default_timeout(PAGE_WAIT_MS)
    local_only(context, blocked)
    page = context.new_page()
    page.goto(url)
    return page


def _choose(page: Page, split: tuple[int, int, int], false_records: int) -> None:
    """Set a learner's choices at /play; they stay until changed."""
    labels = ("Helping citizens (%)", "What the indicator counts (%)", "Reflecting (%)")
    for label, value in (*zip(labels, split, strict=True), ("Outcomes to record", false_records)):
        field = page.get_by_label(label)
        field.fill(str(value))
        field.press("Enter")


def _work(page: Page, played: int, weeks: int) -> int:
    """Play ``weeks`` more weeks at /play after ``played``, each once its answer is shown."""
    for n in range(played + 1, played + weeks + 1):
        page.get_by_role("button", name="Work this week").click()
        if n == 2 * play.WEEKS_PER_REGIME:
            page.get_by_text("Your path and what it did to your citizens").wait_for()
        else:
            regime = COMPARED[(n - 1) // play.WEEKS_PER_REGIME]
            shown = (n - 1) % play.WEEKS_PER_REGIME + 1
            page.get_by_text(f"Week {shown} under {play.REGIME_WORDS[regime]}:").wait_for()
    return played + weeks


def play_shots(browser, url: str, blocked: list[str]) -> list[str]:
    """Play a worker at /play, week 4 and the end screen; the room page after two learners."""
    shots = []
    for number, (split, false_records, weeks) in enumerate(LEARNERS):
        page = _projector_page(browser, url + "play", blocked)
        page.locator("h3.play-week").wait_for()
        _choose(page, split, false_records)
        played = _work(page, 0, min(weeks, PLAY_WEEKS))
        if number == 0:
            _settled(page)
            page.screenshot(path=str(OUT / "play.png"))
            _work(page, played, weeks - played)
            _painted(page, "img")
            page.get_by_text("Your path and what").scroll_into_view_if_needed()
            _settled(page)
            page.screenshot(path=str(OUT / "play-end.png"))
            shots += ["play.png", "play-end.png"]
        page.context.close()
    room = _projector_page(browser, url + "room", blocked)
    room.get_by_text("under learning").first.wait_for()  # the first learner's weeks are in
    _settled(room)
    room.screenshot(path=str(OUT / "room.png"))
    room.context.close()
    return [*shots, "room.png"]


def main(argv: list[str] | None = None) -> int:
    """Take the screenshots and say where they are."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.shots")
    parser.add_argument("--only", choices=SETS, help="one set (default all)")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    saved: list[str] = []
    folder = tempfile.TemporaryDirectory()
    # The learners' weeks go to a log of their own (the server inherits it), not the trainer's.
    os.environ[play.DB_ENV] = str(Path(folder.name) / "play.sqlite")
    with folder, server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        blocked: list[str] = []
        if args.only in (None, "tabs"):
            _, page = open_page(browser, url, blocked, 1500, 1100)
            saved += [str(OUT / name) for name in tab_shots(page)]
        if args.only in (None, "presenter"):
            _, page = open_page(browser, url + "?present=1", blocked, *PROJECTOR)
            saved += [str(PRESENTER / name) for name in presenter_shots(page)]
        if args.only in (None, "play"):
            saved += [str(OUT / name) for name in play_shots(browser, url, blocked)]
        browser.close()
    if blocked:  # a screenshot of a page that tried the internet is not an offline screenshot
        print(f"requests outside localhost were tried: {blocked}")
        return 1
    print("saved " + ", ".join(saved))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
