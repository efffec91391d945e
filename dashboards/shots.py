"""Screenshots for docs/masterclass.md: ``python -m dashboards.shots``."""

from __future__ import annotations

from playwright.sync_api import sync_playwright

from dashboards.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, open_page, server
from dashboards.story import ACTS

OUT = ROOT / "docs" / "masterclass"


def main() -> int:
    """Story act 3, red beads after four days, and Give up and Replace, as PNGs."""
    OUT.mkdir(exist_ok=True)
    with server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _, page = open_page(browser, url, width=1500, height=1100)
        page.get_by_role("tab", name="Story").click()
        for _ in range(3):
            page.get_by_role("button", name="Next act").click()
        page.get_by_text(ACTS[2].title, exact=True).wait_for(timeout=30_000)
        page.wait_for_timeout(500)  # let the chart image paint
        page.screenshot(path=str(OUT / "story.png"))
        page.get_by_role("tab", name="Red beads").click()
        for _ in range(4):
            page.get_by_role("button", name="Next day").click()
        page.get_by_text("Day 4").first.wait_for(timeout=30_000)
        page.mouse.wheel(0, -5000)  # the buttons scrolled the page; show it from the top
        page.wait_for_timeout(500)
        page.screenshot(path=str(OUT / "redbeads.png"))
        page.get_by_role("tab", name="Give up and Replace").click()
        page.get_by_text("workers inventing outcomes").first.wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(OUT / "replace.png"))
        browser.close()
    print(f"saved story.png, redbeads.png and replace.png in {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
