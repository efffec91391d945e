"""Screenshots for docs/masterclass.md: ``python -m dashboards.shots [--only presenter|tabs]``.

Taken offline (every request outside localhost blocked) from a fresh server. ``tabs`` is Story
act 3, Red beads after four days and Give up and Replace at 1500×1100; ``presenter`` is Compare
and every Story act at a projector's 1280×720 in presenter mode, into docs/masterclass/presenter/.
"""

from __future__ import annotations

import argparse

from playwright.sync_api import Page, sync_playwright

from dashboards.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, open_page, server, wait_week
from dashboards.story import ACTS

OUT = ROOT / "docs" / "masterclass"
PRESENTER = OUT / "presenter"
PROJECTOR = (1280, 720)
COMPARE_WEEKS = 40  # Compare shown a while after targets arrive (week 13)


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


def main(argv: list[str] | None = None) -> int:
    """Take the screenshots and say where they are."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.shots")
    parser.add_argument("--only", choices=["presenter", "tabs"], help="one set (default both)")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    saved: list[str] = []
    with server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        blocked: list[str] = []
        if args.only != "presenter":
            _, page = open_page(browser, url, blocked, 1500, 1100)
            saved += [str(OUT / name) for name in tab_shots(page)]
        if args.only != "tabs":
            _, page = open_page(browser, url + "?present=1", blocked, *PROJECTOR)
            saved += [str(PRESENTER / name) for name in presenter_shots(page)]
        browser.close()
    if blocked:  # a screenshot of a page that tried the internet is not an offline screenshot
        print(f"requests outside localhost were tried: {blocked}")
        return 1
    print("saved " + ", ".join(saved))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
