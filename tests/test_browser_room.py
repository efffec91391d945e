"""A room that holds, in a real browser: a gone browser stops its Play loop; SIGTERM ends it all."""

from __future__ import annotations

import re
import signal

import pytest

from dashboards.serve import local_only, open_page, server
from tests.browser_support import BROWSER

pytestmark = BROWSER


def _count(status, what: str, value: int):
    """Wait until the /sessions page shows ``value`` for ``what`` (the page's default timeout)."""
    status.locator(f"span.{what}").filter(has_text=re.compile(rf"^{value}$")).wait_for()


def test_a_session_whose_browser_has_gone_stops_playing(browser, dashboard_url):
    status_context = browser.new_context()
    blocked: list[str] = []
    local_only(status_context, blocked)
    status = status_context.new_page()
    status.goto(dashboard_url + "sessions")
    _count(status, "playing", 0)
    # No close signal when it goes, as when a laptop's lid shuts or the network drops.
    learner_context, learner = open_page(
        browser, dashboard_url + "?solara-no-close-beacon", blocked
    )
    learner.get_by_role("button", name="Play").click()
    _count(status, "playing", 1)
    open_before = int(status.locator("span.open").inner_text())
    learner_context.close()
    _count(status, "playing", 0)
    # stopped, not yet released: the session waits a while for its browser to come back
    assert int(status.locator("span.open").inner_text()) == open_before
    status_context.close()
    assert blocked == []


def test_the_server_stops_on_sigterm_while_sessions_play(browser):
    with server() as (url, proc):
        contexts = []
        for _ in range(3):
            context, page = open_page(browser, url)
            page.get_by_role("button", name="Play").click()
            page.locator("h2", has_text=re.compile(r"^Week [1-9]")).first.wait_for()  # playing
            contexts.append(context)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=120)  # generous on a loaded machine; the aim is 5 s
        except Exception:
            pytest.fail("the server was still running 120 s after SIGTERM")
        for context in contexts:
            context.close()
    assert proc.returncode is not None
