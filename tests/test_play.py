"""Play a worker: the learner hook in the model, the game, and its anonymous SQLite log."""

from __future__ import annotations

import re
import sqlite3

import numpy as np
import pytest

import sim
from dashboards import play
from dashboards.play import POST, WEEKS_PER_REGIME, PlayGame, db_path, read_weeks
from sim.learner import SEE_FIRST, LearnerChoices, LearnerError
from sim.model import AccountabilityModel
from sim.regimes import COMPARED

HONEST = (60, 20, 20, "neediest", 0)


def _play(game: PlayGame, choices: tuple, weeks: int = 2 * WEEKS_PER_REGIME) -> None:
    for _ in range(weeks):
        game.work(*choices)


def test_no_learner_changes_nothing():
    model = AccountabilityModel(rng=5, regime="outcomes")
    assert model.learner is None
    for _ in range(10):
        model.step()
    assert model.frame().equals(sim.run("outcomes", steps=10, seed=5))


def test_a_learner_overrides_only_their_own_post():
    played = AccountabilityModel(rng=2, regime="outcomes")
    alone = AccountabilityModel(rng=2, regime="outcomes")
    played.learner = LearnerChoices(POST, 0.2, 0.5, 0.3, "nearest", 3)
    played.step()
    alone.step()
    others = np.arange(len(played.workers.skill)) != POST
    for column in ("help_effort", "indicator_effort", "reflection"):
        mine, theirs = getattr(played.workers, column), getattr(alone.workers, column)
        assert np.array_equal(mine[others], theirs[others]), column
    own = [played.workers.help_effort[POST], played.workers.indicator_effort[POST]]
    assert np.allclose(np.array(own) / sum(own), [0.2 / 0.7, 0.5 / 0.7])
    assert played.workers.creams[POST]


def test_invented_records_are_found_out_sometimes_and_show_in_the_figures(tmp_path):
    liar = PlayGame(seed=3, db=tmp_path / "log.sqlite")
    honest = PlayGame(seed=3, db=tmp_path / "log.sqlite")
    lying_model, truthful_model = liar.model, honest.model  # under targets, kept after the switch
    for _ in range(WEEKS_PER_REGIME):
        liar.work(60, 20, 20, "neediest", 6)
        honest.work(*HONEST)
    weeks = liar.frame()
    assert 0 < weeks.found_out.sum() < weeks.false_records.sum()
    # What was found out is corrected; what stood is in the service's figures.
    lying, truthful = lying_model.frame(), truthful_model.frame()
    assert len(lying) == len(truthful) == WEEKS_PER_REGIME
    # The team reacts too (its reviews, beliefs and candour), so compare over the weeks.
    assert lying.misreport_rate.mean() > truthful.misreport_rate.mean()
    assert lying.measured_performance.mean() > truthful.measured_performance.mean()
    assert honest.frame().invented.sum() == 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_helping_the_neediest_first_raises_their_wellbeing_against_chasing_the_indicator(
    seed, tmp_path
):
    helper = PlayGame(seed=seed, db=tmp_path / "log.sqlite")
    chaser = PlayGame(seed=seed, db=tmp_path / "log.sqlite")
    _play(helper, (90, 0, 10, "neediest", 0))
    _play(chaser, (10, 90, 0, "nearest", 0))
    helped, chased = helper.frame(), chaser.frame()
    for regime in COMPARED:
        last = WEEKS_PER_REGIME - 1
        assert (
            helped[helped.regime == regime].wellbeing.iloc[last]
            > chased[chased.regime == regime].wellbeing.iloc[last]
        ), regime
    # The other caseloads barely notice one colleague's choices.
    assert np.allclose(helped.others_wellbeing, chased.others_wellbeing, atol=0.01)


@pytest.mark.parametrize("params", [{}, {"n_workers": 6}])
def test_the_colleague_in_the_post_is_a_run_of_the_model_with_no_learner(params, tmp_path):
    # One run per seed, regime and parameters serves every game: it must be the run each game
    # would have played beside its own, whatever the learner chose and whoever played first.
    log = tmp_path / "log.sqlite"
    PlayGame(seed=6, db=log, **params)  # the shared runs exist before this game plays
    game = PlayGame(seed=6, db=log, **params)
    _play(game, (10, 80, 10, "nearest", 5))
    weeks = game.frame()
    for regime in COMPARED:
        alone = AccountabilityModel(rng=6, regime=regime, **params)
        mine = alone.citizens.worker == POST
        expected = []
        for _ in range(WEEKS_PER_REGIME):
            alone.step()
            expected.append(float(alone.citizens.wellbeing[mine].mean()))
        assert weeks[weeks.regime == regime].colleague_wellbeing.tolist() == expected, regime
    assert not np.array_equal(weeks.wellbeing, weeks.colleague_wellbeing)


def test_the_log_holds_one_row_per_week_per_session_and_nothing_personal(tmp_path, monkeypatch):
    log = tmp_path / "room" / "play.sqlite"
    monkeypatch.setenv(play.DB_ENV, str(log))
    assert db_path() == log
    games = [PlayGame(), PlayGame()]
    for game in games:
        _play(game, HONEST, weeks=WEEKS_PER_REGIME + 2)
    weeks = read_weeks()
    assert len(weeks) == 2 * (WEEKS_PER_REGIME + 2)
    assert weeks.groupby(["session", "regime", "week"]).size().eq(1).all()
    assert set(weeks.session) == {game.session for game in games}
    assert all(re.fullmatch(r"[0-9a-f]{32}", session) for session in weeks.session)
    # Every text held is a session id or a name from the model: nothing a person typed.
    assert set(weeks.regime) <= set(COMPARED) and set(weeks.see_first) <= set(SEE_FIRST)
    assert list(weeks.columns) == list(play.COLUMNS)
    with sqlite3.connect(log) as db:  # one table, no other place for data to hide
        tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [(play.TABLE,)]


def test_the_default_log_is_outside_the_installed_package(monkeypatch, tmp_path):
    monkeypatch.delenv(play.DB_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert db_path().is_relative_to(tmp_path)
    assert not db_path().is_relative_to(play.__file__.rsplit("/", 2)[0])


@pytest.mark.parametrize(
    ("choices", "problem"),
    [
        ((50, 30, 30, "neediest", 0), "add up to 100 %"),
        ((120, -10, -10, "neediest", 0), "between 0 and 1"),
        ((60, 20, 20, "neediest", -1), "0 or more"),
        ((60, 20, 20, "neediest", 10_000), "at most"),
        ((60, 20, 20, "whoever", 0), "whom to see first must be one of"),
    ],
)
def test_bad_choices_give_one_line_and_change_nothing(choices, problem, tmp_path):
    log = tmp_path / "log.sqlite"
    game = PlayGame(db=log)
    game.work(*HONEST)
    wellbeing = game.model.citizens.wellbeing.copy()
    with pytest.raises(LearnerError, match=problem) as raised:
        game.work(*choices)
    assert "\n" not in str(raised.value)
    assert game.week == 1 and len(game.played) == 1
    assert np.array_equal(game.model.citizens.wellbeing, wellbeing)
    assert len(read_weeks(log)) == 1


def test_the_game_switches_to_learning_with_the_same_citizens_then_ends(tmp_path):
    game = PlayGame(seed=4, db=tmp_path / "log.sqlite")
    first = game.model.citizens.wellbeing.copy()
    _play(game, HONEST, weeks=WEEKS_PER_REGIME)
    assert game.regime == COMPARED[1] and game.week == 0
    assert np.array_equal(game.model.citizens.wellbeing, first)  # the same citizens, anew
    _play(game, HONEST, weeks=WEEKS_PER_REGIME)
    assert game.done
    assert len(game.summary()) == len(COMPARED)
    with pytest.raises(LearnerError, match="game is over"):
        game.work(*HONEST)
    assert play.comparison_chart(game).startswith(b"\x89PNG")


def test_a_log_that_cannot_be_written_costs_the_room_a_row_not_the_learner_a_week(tmp_path):
    unwritable = tmp_path / "a folder"
    unwritable.mkdir()  # SQLite cannot open a folder as its file
    game = PlayGame(db=unwritable)
    game.work(*HONEST)
    assert game.week == 1 and len(game.played) == 1
    assert game.log_problem.startswith("This week was played but not logged for the room")
    assert "\n" not in game.log_problem


def test_a_log_cleared_between_rooms_is_written_anew(tmp_path):
    log = tmp_path / "log.sqlite"
    first, second = PlayGame(db=log), PlayGame(db=log)
    first.work(*HONEST)
    assert len(read_weeks(log)) == 1
    log.unlink()  # the trainer deletes the log to start a new room
    second.work(*HONEST)
    weeks = read_weeks(log)
    assert list(weeks.session) == [second.session] and not second.log_problem
    assert sorted(tmp_path.iterdir()) == [log]  # no journal left beside it
