"""The room: a trainer's page (``/room``) with what every learner in Play a worker chose.

It reads the anonymous log of played weeks (dashboards.play) and shows, for each regime, how many
learners invented outcomes and how many, how they split their time, and what their choices did to
their citizens beside a simulated colleague in the same post. It looks at the log every
``REFRESH`` seconds and redraws when a learner has played a week; the log is exportable as CSV.

With ``$ACCOUNTABILITY_LAB_ROOM_CODE`` set, the page opens only as ``/room?code=<that code>``;
the server prints the address when it starts, where the trainer sees it.
"""

from __future__ import annotations

import hmac
import os
import sys
import time
from urllib.parse import parse_qs

import pandas as pd
import solara
import solara.lab

from dashboards.play import REGIME_WORDS, db_path, read_weeks
from sim.regimes import COMPARED

REFRESH = 1.0  # seconds between two looks at the log: the room sees a week within 2 s
STYLE = {"font-size": "1.1em", "max-width": "70em", "padding": "1em"}
CODE_ENV = "ACCOUNTABILITY_LAB_ROOM_CODE"  # the room page's code; the page is open when unset
WRONG_CODE = (
    "This page needs the room's code: open /room?code=… with the code the server printed "
    "when it started."
)
TABLE_STYLE = "<style>.room td, .room th {padding: 0.2em 0.8em; text-align: right}</style>"


def _signed(difference: float) -> str:
    """A difference to three places with its sign; one that rounds to nothing reads +0.000."""
    # Rounded first: -0.0004 would otherwise read "-0.000", a loss the room did not see.
    return f"{round(difference, 3) + 0.0:+.3f}"


def room_summary(weeks: pd.DataFrame) -> pd.DataFrame:
    """One column per regime, one row per figure in plain words (empty before anyone played).

    What happened to citizens is read at each learner's latest week: their caseload's wellbeing
    minus what a simulated colleague in the same post would have given the same citizens.
    """
    columns = {}
    for regime in COMPARED:
        played = weeks[weeks.regime == regime]
        if played.empty:
            continue
        per_learner = played.groupby("session")
        latest = played.sort_values("week").groupby("session").last()
        written = played.invented + played.found_out
        columns[f"under {REGIME_WORDS[regime]}"] = {
            "learners": played.session.nunique(),
            "weeks played": len(played),
            "learners who invented an outcome": int((per_learner.false_records.sum() > 0).sum()),
            "outcomes invented": int(written.sum()),
            "of which found out": int(played.found_out.sum()),
            "time helping": f"{played.help_share.mean():.0%}",
            "time on what the indicator counts": f"{played.indicator_share.mean():.0%}",
            "time reflecting": f"{played.reflection_share.mean():.0%}",
            "weeks seeing the neediest first": f"{(played.see_first == 'neediest').mean():.0%}",
            "citizens' wellbeing, you minus a simulated colleague": _signed(
                (latest.wellbeing - latest.colleague_wellbeing).mean()
            ),
            "learners whose citizens did better than with a colleague": int(
                (latest.wellbeing > latest.colleague_wellbeing).sum()
            ),
        }
    return pd.DataFrame(columns)


def room_code() -> str:
    """The code the room page asks for (``$ACCOUNTABILITY_LAB_ROOM_CODE``); empty: no code."""
    return os.environ.get(CODE_ENV, "").strip()


def code_problem(search: str | None, code: str) -> str:
    """Why an address does not open the room page: empty when it does.

    Args:
        search: The query string without its ``?`` (``solara.use_router().search``), or None.
        code: The room's code; empty when the page needs none.
    """
    if not code:
        return ""
    given = parse_qs(search or "").get("code", [""])[0]
    # compare_digest: the time taken does not tell how much of a guess was right.
    return "" if hmac.compare_digest(given.encode(), code.encode()) else WRONG_CODE


def announce() -> None:
    """Print the room page's address with its code, if it has one, to the server's output."""
    if room_code():
        print(f"The room page: /room?code={room_code()}", file=sys.stderr, flush=True)


@solara.component
def Room():
    """The trainer's page: the room's choices, refreshed as learners play (code checked first)."""
    problem = code_problem(solara.use_router().search, room_code())
    if problem:
        solara.Title("Accountability Lab: the room")
        solara.Warning(problem, classes=["room-code"])
        return
    RoomTable()


@solara.component
def RoomTable():
    """The room's choices, refreshed as learners play."""
    played = solara.use_reactive(0)  # rows in the log when the page last looked

    def watch():
        # A look at the log is one small query; the page redraws only when a week was added.
        while task.is_current():
            rows = len(read_weeks())
            if rows != played.value:
                played.value = rows
            time.sleep(REFRESH)

    task = solara.lab.use_task(watch, dependencies=[], prefer_threaded=True)
    _ = played.value
    weeks = read_weeks()
    solara.Title("Accountability Lab: the room")
    with solara.Column(style=STYLE):
        solara.HTML(tag="h2", unsafe_innerHTML="The room: what learners chose in Play a worker")
        if weeks.empty:
            solara.Text("No one has played a week yet. This page updates as they do.")
        else:
            table = room_summary(weeks).to_html(border=0, classes="room")
            solara.HTML(tag="div", unsafe_innerHTML=TABLE_STYLE + table)
        solara.FileDownload(
            lambda: read_weeks().to_csv(index=False),
            filename="room.csv",
            label="Download the room's choices (CSV, anonymous)",
            mime_type="text/csv",
        )
        solara.Text(f"Log: {db_path().name}, {len(weeks)} weeks played.")


@solara.component
def Layout(children):
    """Solara's page layout without route tabs: learners see no link to the room."""
    solara.AppLayout(children=children, navigation=False)


announce()
