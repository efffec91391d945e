"""The room: a trainer's page over the anonymous log of Play a worker, live, exportable."""

from __future__ import annotations

import io
import os

import pandas as pd
import pytest

from dashboards import play, room
from dashboards.play import WEEKS_PER_REGIME, PlayGame, read_weeks
from dashboards.room import code_problem, room_summary
from dashboards.serve import CHROMIUM, CHROMIUM_ARGS, open_page, server

HONEST = (90, 0, 10, "neediest", 0)
GAMING = (10, 80, 10, "nearest", 4)


def _room(tmp_path) -> pd.DataFrame:
    log = tmp_path / "log.sqlite"
    for choices in (HONEST, GAMING, GAMING):
        game = PlayGame(seed=2, db=log)
        for _ in range(2 * WEEKS_PER_REGIME):
            game.work(*choices)
    return read_weeks(log)


def test_the_summary_counts_learners_invented_outcomes_and_time_per_regime(tmp_path):
    weeks = _room(tmp_path)
    summary = room_summary(weeks)
    assert list(summary.columns) == ["under targets", "under learning"]
    targets = summary["under targets"]
    assert targets["learners"] == 3
    assert targets["weeks played"] == 3 * WEEKS_PER_REGIME
    assert targets["learners who invented an outcome"] == 2
    written = weeks[weeks.regime == "outcomes"][["invented", "found_out"]].sum().sum()
    assert targets["outcomes invented"] == written > 0
    assert targets["time helping"] == f"{(90 + 10 + 10) / 3 / 100:.0%}"
    assert targets["weeks seeing the neediest first"] == "33%"


@pytest.mark.parametrize(
    ("difference", "shown"),
    [(-0.0004, "+0.000"), (0.0, "+0.000"), (-0.0006, "-0.001"), (0.0123, "+0.012")],
)
def test_a_difference_that_rounds_to_nothing_reads_plus_zero(difference, shown):
    assert room._signed(difference) == shown


def test_an_empty_room_has_no_columns(tmp_path):
    assert room_summary(read_weeks(tmp_path / "none.sqlite")).empty


@pytest.mark.parametrize(
    ("search", "code", "opens"),
    [
        ("", "", True),  # no code set: the page is open, as before
        ("code=4821", "4821", True),
        ("code=4822", "4821", False),
        ("", "4821", False),
        ("code=", "4821", False),
        ("seed=4821", "4821", False),
    ],
)
def test_the_room_page_opens_only_with_its_code_when_it_has_one(search, code, opens):
    problem = code_problem(search, code)
    assert (problem == "") is opens
    assert problem in ("", room.WRONG_CODE) and "\n" not in problem
    assert code not in problem or not code  # the page never tells the code


playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs chromium at /usr/bin/chromium")
def test_the_room_page_updates_by_itself_and_exports_csv(tmp_path, monkeypatch):
    log = tmp_path / "room.sqlite"
    monkeypatch.setenv(play.DB_ENV, str(log))  # the server inherits it
    with server() as (url, _), playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        blocked: list[str] = []
        ctx, main = open_page(browser, url, blocked)
        # Learners see no link to the room: the main page has no route tabs.
        assert main.get_by_role("tab", name="room", exact=True).count() == 0
        room = ctx.new_page()
        room.goto(url + "room")
        room.get_by_text("No one has played a week yet").wait_for()
        game = PlayGame(seed=3)  # a learner elsewhere plays one week, logged in the same file
        game.work(*GAMING)
        # The room rereads the log by itself (no reload). How fast is measured by the room
        # benchmark, not here: a timed assertion would fail on a loaded machine.
        room.get_by_text("under targets").wait_for()
        with room.expect_download() as download:
            room.get_by_role("button", name="Download the room's choices").click()
        exported = pd.read_csv(io.StringIO(download.value.path().read_text()))
        assert list(exported.columns) == list(play.COLUMNS)
        assert len(exported) == 1 and exported.session[0] == game.session
        assert blocked == [], blocked
        ctx.close()
        browser.close()


@pytest.mark.browser
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs chromium at /usr/bin/chromium")
def test_a_wrong_room_code_shows_one_line_and_nothing_of_the_room(tmp_path, monkeypatch):
    monkeypatch.setenv(play.DB_ENV, str(tmp_path / "room.sqlite"))  # the server inherits both
    monkeypatch.setenv(room.CODE_ENV, "4821")
    PlayGame(seed=3, db=tmp_path / "room.sqlite").work(*GAMING)
    with server() as (url, proc), playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        blocked: list[str] = []
        ctx, _ = open_page(browser, url, blocked)
        page = ctx.new_page()
        page.goto(url + "room?code=1234")
        page.get_by_text("This page needs the room's code").wait_for()
        assert page.get_by_text("under targets").count() == 0
        assert page.get_by_role("button", name="Download the room's choices").count() == 0
        page.goto(url + "room?code=4821")
        page.get_by_text("under targets").wait_for()
        assert blocked == [], blocked
        ctx.close()
        browser.close()
        proc.terminate()
        said = proc.communicate(timeout=30)[0]
    assert "/room?code=4821" in said  # where the trainer sees it
