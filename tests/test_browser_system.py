"""The Whole system tab in a real browser, offline: services side by side, citizens moving between
them, money following figures, and bad input as one line on the page.
"""

import pytest

from dashboards.system_view import ATTRIBUTION, CAUSED, FAILURE, HANDOFFS, PAID
from dashboards.twin import MAX_SEED
from tests.browser_support import BROWSER

pytestmark = BROWSER


@pytest.fixture
def page(offline_page):
    """A fresh session per test, every request outside localhost blocked."""
    return offline_page


def _tables(page) -> list[str]:
    return [table.inner_text() for table in page.locator("table.system").all()]


def test_the_whole_system_tab_shows_services_flows_and_money_and_refuses_bad_input(page):
    page.get_by_role("tab", name="Whole system").click()
    page.locator("table.system").first.wait_for()
    text = page.inner_text("body")
    for words in (HANDOFFS, FAILURE, ATTRIBUTION, PAID, CAUSED, "Service 3 (health)"):
        assert words in text, words
    assert "from Service 1" in _tables(page)[1]  # who was referred where
    assert page.locator(".system-headline .term").count() >= 3  # meanings as tooltips
    before = _tables(page)
    for label, typed, words in (
        ("Services", "9", "n_services=9 is out of range: use a whole number from 1 to 4"),
        ("Payment by results", "1.5", "payment_by_results=1.5 is out of range"),
        ("Seed", "-5", f"seed=-5 is out of range: use a whole number from 0 to {MAX_SEED}"),
    ):
        box = page.get_by_label(label, exact=True).last
        box.fill(typed)
        box.press("Enter")
        problem = page.locator(".system-problem")
        problem.get_by_text(words).wait_for()
        assert problem.count() == 1 and len(problem.inner_text().strip().splitlines()) == 1
        body = page.inner_text("body")
        assert "Traceback" not in body and ".py" not in body
        assert _tables(page) == before  # the run on screen is kept
    # A valid change runs the system again: the alliance refers far fewer citizens on.
    contracting = page.get_by_label("Contracting", exact=True)
    page.locator(".v-input__slot", has=contracting).click()  # Vuetify's select opens on its slot
    page.get_by_role("option", name="alliance").click()
    page.get_by_text("one contract and one budget for all of them").wait_for()
    assert page.locator(".system-problem").count() == 0
