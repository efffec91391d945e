"""Play a worker: a learner takes one worker's week in a team of simulated colleagues.

First under targets, then under learning, with the same citizens and the same luck (one seed).
Each week the learner splits their own time, chooses whom to see first and how many outcomes to
record that did not happen; the model (sim.learner) does the rest. A run of the model with the
same seed and no learner (played once per server, shared by every game) leaves the post to a
simulated colleague, so the end screen can say what the learner's choices did to their own
citizens. Every week played is logged anonymously (a random session id,
no personal data) in a local SQLite file that the trainer's room page reads.
"""

from __future__ import annotations

import io
import os
import sqlite3
import threading
import uuid
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from dashboards import presenter
from sim.learner import SEE_FIRST, LearnerChoices, LearnerError
from sim.model import AccountabilityModel
from sim.regimes import COMPARED

WEEKS_PER_REGIME = 12  # weeks the learner plays under each regime
POST = 0  # the post the learner holds: the same caseload under both regimes
DEFAULT_SEED = 1
REGIME_WORDS = dict(zip(COMPARED, ("targets", "learning"), strict=True))  # as a learner says it
DEFAULT_SPLIT = (60, 20, 20)  # help, indicator, reflection: percentages a new game starts from
DB_ENV = "ACCOUNTABILITY_LAB_PLAY_DB"  # where the log of played weeks is kept
TABLE = "weeks"


def db_path() -> Path:
    """The SQLite log: ``$ACCOUNTABILITY_LAB_PLAY_DB``, else under the user's data directory."""
    chosen = os.environ.get(DB_ENV)
    if chosen:
        return Path(chosen)
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "accountability-lab" / "play.sqlite"


@dataclass(frozen=True)
class PlayedWeek:
    """One week as the learner played it and what followed; one row of the log.

    Attributes:
        session: Random id of the browser session (nothing about the person).
        regime: Regime in force (a key of sim.regimes.PRESETS).
        week: Week under that regime, from 1.
        help_share, indicator_share, reflection_share: The learner's split of their own time.
        see_first: Whom the learner saw first (a key of sim.learner.SEE_FIRST).
        false_records: False records the learner asked for.
        invented: False records that stood after checks (at most one per citizen without one).
        found_out: False records a check found and corrected this week.
        seen: Citizens the learner saw.
        wellbeing: Mean wellbeing of the learner's citizens.
        colleague_wellbeing: The same citizens' wellbeing had a simulated colleague held the post.
        others_wellbeing: Mean wellbeing of the other caseloads.
        colleagues_help, colleagues_indicator, colleagues_reflection: The simulated colleagues'
            mean split of their own time.
        colleagues_invented: False records that stood, per simulated colleague.
    """

    session: str
    regime: str
    week: int
    help_share: float
    indicator_share: float
    reflection_share: float
    see_first: str
    false_records: int
    invented: int
    found_out: int
    seen: int
    wellbeing: float
    colleague_wellbeing: float
    others_wellbeing: float
    colleagues_help: float
    colleagues_indicator: float
    colleagues_reflection: float
    colleagues_invented: float


COLUMNS = tuple(field.name for field in fields(PlayedWeek))
# Annotations are strings here (postponed evaluation): each field's type by name.
SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    + ", ".join(
        f"{field.name} {dict(int='INTEGER', float='REAL', str='TEXT')[str(field.type)]} NOT NULL"
        for field in fields(PlayedWeek)
    )
    + ", PRIMARY KEY (session, regime, week))"
)


# Every session of a server writes through this lock, one row at a time: SQLite would make
# writers that find the file locked sleep and retry, and thirty learners pressing "Work this
# week" together then waited seconds for one another.
_writing = threading.Lock()
# One connection per log file, kept open, committing without waiting for the disk
# (synchronous=OFF): opening the file and committing with that wait took 16 ms a week, and
# thirty learners pressing together queued behind the lock for half a second; now 0.1 ms. The
# system still writes every week to the file, so a server that crashes loses none; a power cut
# or a crash of the machine itself can lose or damage the last weeks. The rollback journal
# (not WAL) leaves no file beside the log between weeks, so deleting the log starts a new room.
_open: dict[Path, tuple[sqlite3.Connection, int]] = {}  # path: (connection, the file's inode)
INSERT = f"INSERT INTO {TABLE} VALUES ({', '.join('?' * len(COLUMNS))})"


def _connection(path: Path) -> sqlite3.Connection:
    """The open connection to ``path`` (call holding ``_writing``); a new one if the file is new.

    A file deleted or replaced since it was opened (a trainer clearing the log between rooms)
    is opened anew, so weeks are never written to a file nobody can read.
    """
    held = _open.get(path)
    try:
        inode = path.stat().st_ino
    except FileNotFoundError:
        inode = None
    if held is not None:
        if held[1] == inode:
            return held[0]
        del _open[path]
        held[0].close()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10, check_same_thread=False)  # timeout: other servers
    try:
        db.execute("PRAGMA synchronous=OFF")
        with db:
            db.execute(SCHEMA)
    except sqlite3.Error:
        db.close()
        raise
    _open[path] = (db, path.stat().st_ino)
    return db


def log_week(row: PlayedWeek, path: Path | None = None) -> None:
    """Append one played week to the log (one transaction: the row is written whole or not)."""
    path = path or db_path()
    with _writing:
        db = _connection(path)
        try:
            with db:
                db.execute(INSERT, tuple(asdict(row).values()))
        except sqlite3.Error:
            # A connection that failed is not trusted again: the next week opens the file anew.
            del _open[path]
            db.close()
            raise


def read_weeks(path: Path | None = None) -> pd.DataFrame:
    """Every week played, one row each (an empty frame before anyone has played)."""
    path = path or db_path()
    if not path.exists():
        return pd.DataFrame(columns=list(COLUMNS))
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as db:
        known = db.execute("SELECT name FROM sqlite_master WHERE name = ?", (TABLE,)).fetchone()
        frame = (
            pd.read_sql_query(f"SELECT * FROM {TABLE}", db)
            if known
            else pd.DataFrame(columns=list(COLUMNS))
        )
    db.close()
    return frame


# The post left to a simulated colleague does not depend on the learner: same seed, parameters
# and regime, same weeks. Each such run is played once per server and shared by every game that
# needs it, so a learner's week steps one model, not two (thirty learners on one seed pressed
# together and queued behind each other's second model).
_colleagues: dict[tuple, tuple[float, ...]] = {}
_colleagues_lock = threading.Lock()
COLLEAGUE_RUNS_KEPT = 32  # distinct (seed, regime, parameters) a server keeps; then it starts anew


def colleague_wellbeing(seed: int, regime: str, params: dict) -> tuple[float, ...]:
    """Mean wellbeing of ``POST``'s citizens each week with a simulated colleague in the post.

    Args:
        seed: The game's seed.
        regime: Regime in force (a key of sim.regimes.PRESETS).
        params: The game's other model parameters.

    Returns:
        One value per week under ``regime``, weeks 1 to ``WEEKS_PER_REGIME``.
    """
    try:
        key = (seed, regime, tuple(sorted(params.items())))
        hash(key)
    except TypeError:  # parameters that cannot be a key (a list): played for this game alone
        key = None
    with _colleagues_lock:
        if key is not None and key in _colleagues:
            return _colleagues[key]
        shadow = AccountabilityModel(rng=seed, regime=regime, **params)
        mine = shadow.citizens.worker == POST
        weeks = []
        for _ in range(WEEKS_PER_REGIME):
            shadow.step()
            weeks.append(float(shadow.citizens.wellbeing[mine].mean()))
        if key is not None:
            if len(_colleagues) >= COLLEAGUE_RUNS_KEPT:
                _colleagues.clear()
            _colleagues[key] = tuple(weeks)
        return tuple(weeks)


class PlayGame:
    """One learner's game: a model where they hold ``POST``; a colleague's run beside it.

    Args:
        seed: Seed of every model: the same citizens and luck under both regimes.
        session: Id logged with each week; a random one by default.
        db: The SQLite log; ``db_path()`` by default.
        **params: Other model parameters (sim.params).
    """

    def __init__(
        self, seed: int = DEFAULT_SEED, session: str | None = None, db: Path | None = None, **params
    ) -> None:
        self.seed, self.params, self.db = seed, params, db
        self.session = session or uuid.uuid4().hex
        self.played: list[PlayedWeek] = []
        self.log_problem = ""  # why the last week could not be logged, if it could not
        self.start: dict[str, tuple[float, float]] = {}  # regime: (yours, others') at week 0
        self._begin(COMPARED[0])

    def _begin(self, regime: str) -> None:
        self.regime = regime
        self.model = AccountabilityModel(rng=self.seed, regime=regime, **self.params)
        self.colleague = colleague_wellbeing(self.seed, regime, self.params)
        self.mine = self.model.citizens.worker == POST
        wellbeing = self.model.citizens.wellbeing
        self.start[regime] = (
            float(wellbeing[self.mine].mean()),
            float(wellbeing[~self.mine].mean()),
        )

    @property
    def week(self) -> int:
        """Weeks played under the current regime."""
        return self.model.week

    @property
    def done(self) -> bool:
        """Every week of every regime has been played."""
        return len(self.played) >= WEEKS_PER_REGIME * len(COMPARED)

    @property
    def caseload(self) -> int:
        """Citizens on the learner's caseload."""
        return int(self.mine.sum())

    def work(
        self,
        help_pct: int,
        indicator_pct: int,
        reflection_pct: int,
        see_first: str,
        false_records: int,
    ) -> PlayedWeek:
        """Play one week with the learner's choices and log it (``play``, then ``log``).

        Raises:
            LearnerError: A choice that cannot be played (the game is left as it was).
        """
        row = self.play(help_pct, indicator_pct, reflection_pct, see_first, false_records)
        self.log(row)
        return row

    def play(
        self,
        help_pct: int,
        indicator_pct: int,
        reflection_pct: int,
        see_first: str,
        false_records: int,
    ) -> PlayedWeek:
        """Play one week with the learner's choices, not yet logged; the split is in percent.

        Raises:
            LearnerError: A choice that cannot be played (the game is left as it was).
        """
        if self.done:
            raise LearnerError("the game is over: every week has been played")
        choices = LearnerChoices(
            POST,
            help_pct / 100,
            indicator_pct / 100,
            reflection_pct / 100,
            see_first,
            false_records,
        )
        choices.check(self.model)  # before anything moves
        citizens, workers = self.model.citizens, self.model.workers
        self.model.learner = choices
        self.model.step()
        # The records the learner could write: citizens on the caseload without a true outcome.
        open_cases = int((self.mine & ~(citizens.said_yes & citizens.responded)).sum())
        invented = int((citizens.false_record & self.mine).sum())
        own = np.column_stack([workers.help_effort, workers.indicator_effort, workers.reflection])
        shares = own / np.maximum(own.sum(axis=1, keepdims=True), 1e-12)
        others = np.arange(len(shares)) != POST
        colleagues = shares[others].mean(axis=0)
        row = PlayedWeek(
            session=self.session,
            regime=self.regime,
            week=self.week,
            help_share=choices.help_share,
            indicator_share=choices.indicator_share,
            reflection_share=choices.reflection_share,
            see_first=see_first,
            false_records=false_records,
            invented=invented,
            found_out=min(false_records, open_cases) - invented,
            seen=int((citizens.contacts[0] & self.mine).sum()),
            wellbeing=float(citizens.wellbeing[self.mine].mean()),
            colleague_wellbeing=self.colleague[self.week - 1],
            others_wellbeing=float(citizens.wellbeing[~self.mine].mean()),
            colleagues_help=float(colleagues[0]),
            colleagues_indicator=float(colleagues[1]),
            colleagues_reflection=float(colleagues[2]),
            colleagues_invented=float((citizens.false_record & ~self.mine).sum() / others.sum()),
        )
        self.played.append(row)
        if self.week == WEEKS_PER_REGIME and not self.done:
            self._begin(COMPARED[COMPARED.index(self.regime) + 1])
        return row

    def log(self, row: PlayedWeek) -> None:
        """Write a played week to the room's log; ``log_problem`` says why if it could not be."""
        try:
            log_week(row, self.db)
            self.log_problem = ""
        except (sqlite3.Error, OSError) as e:  # the week is played; only the room misses it
            self.log_problem = f"This week was played but not logged for the room: {e}"

    def frame(self) -> pd.DataFrame:
        """The weeks played so far, one row each."""
        return pd.DataFrame([asdict(row) for row in self.played], columns=list(COLUMNS))

    def summary(self) -> list[str]:
        """What the learner did and what it did to their citizens, one paragraph per regime."""
        frame, lines = self.frame(), []
        for regime in COMPARED:
            weeks = frame[frame.regime == regime]
            if weeks.empty:
                continue
            yours, others = self.start[regime]
            last = weeks.iloc[-1]
            words = REGIME_WORDS[regime]
            lines.append(
                f"<b>Under {words}</b> you spent on average {weeks.help_share.mean():.0%} of your "
                f"time helping, {weeks.indicator_share.mean():.0%} on what the indicator counts "
                f"and {weeks.reflection_share.mean():.0%} reflecting; your simulated colleagues "
                f"{weeks.colleagues_help.mean():.0%}, {weeks.colleagues_indicator.mean():.0%} and "
                f"{weeks.colleagues_reflection.mean():.0%}. You recorded "
                f"{weeks.invented.sum() + weeks.found_out.sum():.0f} outcomes that did not happen "
                f"({weeks.found_out.sum():.0f} found out); each colleague "
                f"{weeks.colleagues_invented.sum():.1f} that stood. Your citizens' wellbeing went "
                f"from {yours:.3f} to {last.wellbeing:.3f} ({last.wellbeing - yours:+.3f}); with "
                f"a simulated colleague in your post it would be {last.colleague_wellbeing:.3f}; "
                f"the other caseloads went from {others:.3f} to {last.others_wellbeing:.3f} "
                f"({last.others_wellbeing - others:+.3f})."
            )
        return lines


def comparison_chart(game: PlayGame) -> bytes:
    """What each caseload gained since week 0, and how the learner's time went beside the team's.

    Caseloads start from different places, so the lines show the change since week 0; the
    learner's citizens with a simulated colleague in the post start where the learner's did.
    """
    frame = game.frame()
    fig = Figure(figsize=(11, 6), dpi=90, layout="constrained")
    axes = fig.subplots(2, len(COMPARED), sharey="row", height_ratios=[3, 2])
    for column, regime in enumerate(COMPARED):
        weeks = frame[frame.regime == regime]
        yours, others = game.start[regime]
        gained = axes[0, column]
        x = [0, *weeks.week]
        lines = (
            (weeks.wellbeing - yours, "-o", "#c0392b", "your citizens"),
            (weeks.colleague_wellbeing - yours, "--", "#7f8c8d", "the same citizens, a colleague"),
            (weeks.others_wellbeing - others, ":", "#2c3e50", "the other caseloads"),
        )
        for change, style, colour, label in lines:
            gained.plot(x, [0, *change], style, color=colour, label=label)
        gained.axhline(0, color="black", lw=0.8)
        gained.set_title(f"Under {REGIME_WORDS[regime]}: what citizens gained since week 0")
        gained.set_xlabel("week")
        split = axes[1, column]
        mine = [
            weeks.help_share.mean(),
            weeks.indicator_share.mean(),
            weeks.reflection_share.mean(),
        ]
        team = [
            weeks.colleagues_help.mean(),
            weeks.colleagues_indicator.mean(),
            weeks.colleagues_reflection.mean(),
        ]
        uses = np.arange(3)
        split.barh(uses - 0.2, mine, 0.4, color="#c0392b", label="you")
        split.barh(uses + 0.2, team, 0.4, color="#7f8c8d", label="your colleagues (mean)")
        split.set_yticks(uses, ["helping", "what the indicator counts", "reflecting"])
        if column == 0:  # the rows share one axis: turn it once, helping on top
            split.invert_yaxis()
        split.set_xlim(0, 1)
        split.set_xlabel("share of your own time")
    axes[0, 0].set_ylabel("change in true wellbeing")
    axes[0, 0].legend(loc="best", fontsize=9)
    axes[1, 0].legend(loc="lower right", fontsize=9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


INTRO = (
    "<h2>Play a worker</h2><p>You hold one post in a team of simulated colleagues, "
    f"{WEEKS_PER_REGIME} weeks under targets and then {WEEKS_PER_REGIME} weeks under learning, "
    "with the same citizens and the same luck. Each week: split your own time (after what "
    "accountability takes), choose whom to see first, and decide whether to record outcomes "
    "that did not happen. Your choices are logged anonymously for the room.</p>"
)
ANSWER = {"font-size": "1.05em", "max-width": "60em"}


def week_in_words(row: PlayedWeek) -> str:
    """What happened in the week just played, in plain words."""
    found = f", {row.found_out} found out and corrected" if row.found_out else ""
    return (
        f"Week {row.week} under {REGIME_WORDS[row.regime]}: you saw {row.seen} citizens; "
        f"{row.invented} invented outcomes stood{found}. Your citizens' wellbeing "
        f"{row.wellbeing:.3f} (a simulated colleague: {row.colleague_wellbeing:.3f}); "
        f"other caseloads {row.others_wellbeing:.3f}."
    )


@solara.component
def PlayWorker():
    """The Play tab: one learner's game, a week at a time, then the comparison."""
    games = solara.use_reactive(0)  # a new game each time the learner plays again
    game = solara.use_memo(PlayGame, [games.value])
    tick = solara.use_reactive(0)
    help_pct = solara.use_reactive(DEFAULT_SPLIT[0])
    indicator_pct = solara.use_reactive(DEFAULT_SPLIT[1])
    reflection_pct = solara.use_reactive(DEFAULT_SPLIT[2])
    see_first = solara.use_reactive(SEE_FIRST["neediest"])
    false_records = solara.use_reactive(0)
    problem = solara.use_reactive("")
    log_problem = solara.use_reactive("")
    _ = tick.value

    def work():
        whom = next(key for key, words in SEE_FIRST.items() if words == see_first.value)
        try:
            row = game.play(
                help_pct.value, indicator_pct.value, reflection_pct.value, whom, false_records.value
            )
        except LearnerError as e:
            problem.value = f"Not played, nothing changed: {e}"
            return
        problem.value = ""
        tick.value += 1  # renders the week and sends it to the learner
        # The log after the answer has gone: thirty learners pressing together wait for each
        # other's turn at the log file, and that wait once came before their week was shown.
        game.log(row)
        log_problem.value = game.log_problem

    def again():
        games.value += 1
        problem.value = ""
        log_problem.value = ""

    solara.HTML(tag="div", unsafe_innerHTML=INTRO, style=ANSWER)
    if game.done:
        solara.HTML(tag="h3", unsafe_innerHTML="Your path and what it did to your citizens")
        solara.Image(comparison_chart(game))
        for line in game.summary():
            solara.HTML(tag="p", unsafe_innerHTML=line, style=ANSWER)
        solara.Button("Play again", on_click=again)
        return
    words = REGIME_WORDS[game.regime]
    solara.HTML(
        tag="h3",
        unsafe_innerHTML=f"Week {game.week + 1} of {WEEKS_PER_REGIME} under {words}",
        classes=["play-week"],
    )
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.InputInt("Helping citizens (%)", value=help_pct)
        solara.InputInt("What the indicator counts (%)", value=indicator_pct)
        solara.InputInt("Reflecting (%)", value=reflection_pct)
    solara.Select("Whom to see first", values=list(SEE_FIRST.values()), value=see_first)
    solara.InputInt(
        f"Outcomes to record that did not happen (caseload {game.caseload})", value=false_records
    )
    solara.Button("Work this week", on_click=work, color="primary")
    for line in (problem.value, log_problem.value):
        if line:
            solara.Warning(line, dense=True)
    if game.played:
        solara.HTML(tag="p", unsafe_innerHTML=week_in_words(game.played[-1]), style=ANSWER)


@solara.component
def PlayPage():
    """Play a worker alone at ``/play``: the address a trainer gives a room of learners.

    The tabbed dashboard keeps every tab's widgets alive in each session, so a week played there
    is sent and redrawn beside all of them; this page holds the game and nothing else. The tab
    stays for one learner exploring on their own.
    """
    solara.Title("Accountability Lab: play a worker")
    solara.Style(presenter.CSS)  # the page-wide fixes: no badge, no button text spilling out
    with solara.Div(classes=["lab-page", "play-page"], style={"padding": "0 1em"}):
        PlayWorker()
