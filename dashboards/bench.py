"""Dashboard benchmarks: ``python -m dashboards.bench``.

1. Step + redraw in one process: both models one week, then the charts and the agent picture
   rendered to PNG, at the default size (target <= 100 ms).
2. Through a real browser: the time from pressing Step to the new week on screen.
3. Thirty sessions at once on this machine: each in its own browser context, all connected; the
   Step round trip while all are idle, and while all are playing; the server's memory.

Prints Markdown; the figures go in docs/performance.md. Nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from dashboards.live import LiveCharts, LivePicture
from dashboards.serve import CHROMIUM, CHROMIUM_ARGS, open_page, server, wait_week, week
from dashboards.twin import Twin
from sim.params import DEFAULT_STEPS


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _ms(xs: list[float]) -> str:
    xs = sorted(xs)
    return (
        f"median {1000 * statistics.median(xs):.0f} ms, "
        f"p95 {1000 * xs[int(0.95 * (len(xs) - 1))]:.0f} ms, max {1000 * xs[-1]:.0f} ms"
    )


def step_redraw(weeks: int = DEFAULT_STEPS) -> list[float]:
    """Seconds for each week's step of both models plus both redraws."""
    twin = Twin()
    charts, picture = LiveCharts(list(twin.frames())), LivePicture(twin)
    charts.render(twin.frames())
    picture.render()
    out = []
    for _ in range(weeks):
        start = time.perf_counter()
        twin.step()
        charts.render(twin.frames())
        picture.render()
        out.append(time.perf_counter() - start)
    return out


def round_trips(page, n: int) -> list[float]:
    """Press Step n times, waiting each time for the next week on screen."""
    out = []
    for _ in range(n):
        target = week(page) + 1
        start = time.monotonic()
        page.get_by_role("button", name="Step").click()
        wait_week(page, target, timeout=120)
        out.append(time.monotonic() - start)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the figures."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.bench", description=__doc__)
    parser.add_argument("--sessions", type=int, default=30)
    args = parser.parse_args(argv)
    times = step_redraw()
    print(f"- step + redraw, in process, default size: {_ms(times)} (target <= 100 ms)")
    with server() as (url, proc), sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        idle_rss = _rss_mib(proc.pid)
        _, first = open_page(browser, url)
        print(f"- one session, Step pressed to week on screen: {_ms(round_trips(first, 30))}")
        start = time.monotonic()
        pages = [first] + [open_page(browser, url)[1] for _ in range(args.sessions - 1)]
        opened = time.monotonic() - start
        rss = _rss_mib(proc.pid)
        print(
            f"- {args.sessions} sessions opened one after another in {opened:.0f} s; "
            f"server memory {idle_rss:.0f} MiB before, {rss:.0f} MiB with all open "
            f"({(rss - idle_rss) / args.sessions:.0f} MiB a session)"
        )
        trips = [t for page in pages for t in round_trips(page, 3)]
        print(f"- {args.sessions} sessions connected, all idle, Step round trip: {_ms(trips)}")
        for page in pages[1:]:
            page.get_by_role("button", name="Play").click()
        time.sleep(5)
        before = [week(page) for page in pages[1:]]
        time.sleep(20)
        rates = [(week(page) - b) / 20 for page, b in zip(pages[1:], before, strict=True)]
        trips = round_trips(pages[0], 10)
        print(
            f"- {args.sessions - 1} sessions playing at 'normal' speed (3.3 weeks/s asked): "
            f"each reached {statistics.median(rates):.2f} weeks/s (median, min "
            f"{min(rates):.2f}); meanwhile a learner's Step round trip: {_ms(trips)}"
        )
        print(f"- server memory at the end: {_rss_mib(proc.pid):.0f} MiB")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
