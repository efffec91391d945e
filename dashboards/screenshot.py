"""Make docs/dashboard.png: ``python -m dashboards.screenshot [--weeks 40]``."""

from __future__ import annotations

import argparse

from playwright.sync_api import sync_playwright

from dashboards.serve import CHROMIUM, CHROMIUM_ARGS, ROOT, open_page, server, wait_week


def main(argv: list[str] | None = None) -> int:
    """Run the dashboard for some weeks and save a screenshot."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.screenshot")
    parser.add_argument("--weeks", type=int, default=40)
    parser.add_argument("--out", default=str(ROOT / "docs" / "dashboard.png"))
    args = parser.parse_args(argv)
    with server() as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        _, page = open_page(browser, url, width=1500, height=1250)
        for n in range(1, args.weeks + 1):
            page.get_by_role("button", name="Step").click()
            wait_week(page, n)
        page.screenshot(path=args.out)
        browser.close()
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
