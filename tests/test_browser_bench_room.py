"""The room benchmark's timer in a real browser: each press is timed, and given up, on its own.

No server: a page with one button whose answer comes later, as a server's would.
"""

from __future__ import annotations

import time

from dashboards.bench_room import finished, timed
from dashboards.serve import local_only
from tests.browser_support import BROWSER

pytestmark = BROWSER

# A button whose answer comes ``window.delay`` ms after the click, as a server's would.
PAGE = """<h3>Week 1</h3><button onclick="setTimeout(() => {
  const h = document.querySelector('h3');
  h.textContent = 'Week ' + (Number(h.textContent.split(' ')[1]) + 1);
}, window.delay)">Work</button><script>window.delay = 0;</script>"""


LIMIT_MS = 1000  # each press's give-up time in this test


def test_an_earlier_press_gives_up_on_its_own_timing_only(browser):
    blocked: list[str] = []
    context = browser.new_context()
    local_only(context, blocked)
    page = context.new_page()
    page.set_content(PAGE)
    timed(page, "Work", "h3", "Week 2", limit=LIMIT_MS)
    first, _ = finished(page)
    assert first >= 0
    # The second press is still waiting when the first one's give-up timer fires: that timer
    # once marked the second press as never shown.
    time.sleep(0.6 * LIMIT_MS / 1000)
    page.evaluate(f"window.delay = {0.8 * LIMIT_MS}")
    timed(page, "Work", "h3", "Week 3", limit=LIMIT_MS * 2)
    second, _ = finished(page)
    assert second >= 0.8 * LIMIT_MS / 1000
    context.close()
    assert blocked == []
