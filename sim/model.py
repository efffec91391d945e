"""Accountability Lab: a public service held to account by outcome targets or by learning.

Citizens with needs in several life domains are helped by frontline workers, whose managers hold
them to account under a regime (sim.regimes). Each step is one week: citizens' lives move, workers
decide how to spend their time given the stakes they face and their concern for citizens, managers
act as the regime asks, and the week's figures are recorded (sim.metrics). No rule turns gaming
on under targets: workers choose it when measured results pay and their choices are not checked;
and no rule makes learning work: it works as far as people say what went wrong.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim import metrics
from sim.agents import Citizen, Manager
from sim.arrays import FloatArray
from sim.citizens import VALUES_AFTER, VALUES_BEFORE, Citizens
from sim.learner import LearnerChoices
from sim.managers import Teams
from sim.measures import Measure, measure
from sim.params import DEFAULT_STEPS, DEFAULTS, PARAMS, ModelParams
from sim.regimes import PRESETS, Levers, Regime
from sim.workers import Workers


@dataclass(frozen=True, slots=True)
class Streams:
    """One random stream per stochastic process, spawned from the run's seed in this order.

    Each process draws from its own stream, so two regimes run with one seed face the same
    citizens and the same shocks however differently their workers behave.
    """

    citizens: np.random.Generator  # who the citizens are
    staff: np.random.Generator  # who the workers are, their weekly stress and quits
    life: np.random.Generator  # life events
    economy: np.random.Generator  # the local economy's shocks
    outcomes: np.random.Generator  # luck in outcomes and citizens' reports
    work: np.random.Generator  # workers' plans and visits
    records: np.random.Generator  # what workers record and what audits find
    reviews: np.random.Generator  # reviews, sessions and dismissals
    hiring: np.random.Generator  # the people who fill empty posts
    leaders: np.random.Generator  # managers who leave

    @classmethod
    def spawn(cls, seed: np.random.SeedSequence) -> Streams:
        """Every stream, each from its own child of ``seed``."""
        children = seed.spawn(len(fields(cls)))
        return cls(*(np.random.default_rng(child) for child in children))


_SEED_OBJECTS = (np.random.SeedSequence, np.random.Generator, np.random.BitGenerator)


def _seed_sequence(rng: Any) -> np.random.SeedSequence:
    """The SeedSequence the model's streams are spawned from, leaving ``rng`` itself unspawned."""
    if isinstance(rng, np.random.SeedSequence):
        # A copy: spawning from the caller's own would give the next model different streams.
        return np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key, pool_size=rng.pool_size)
    if isinstance(rng, np.random.BitGenerator):
        rng = np.random.Generator(rng)
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(rng.integers(0, 2**63, size=4).tolist())
    return np.random.SeedSequence(int(rng))


class AccountabilityModel(mesa.Model):
    """The service, its people and its accountability regime.

    Every parameter declared in sim.params is a keyword argument with its declared default
    (``python -m sim params`` lists them).

    Args:
        rng: Seed of the run, as Mesa accepts it: an int, a ``numpy.random.SeedSequence``, a
            ``numpy.random.Generator`` (or BitGenerator), or None for a fresh seed. Each stochastic
            process (citizens' lives, the economy, outcome luck, workers' choices, ...) draws from
            its own stream spawned from it, so two regimes run with one seed face the same citizens
            and the same shocks. An int ``n`` and ``SeedSequence(n)`` give the same run; a
            Generator is drawn from, so passing the same one twice gives two different runs.
        worker_rows: Also record one row per worker at each review.
        **params: Model parameters, validated against sim.params.

    Raises:
        sim.params.ParamError: A parameter is unknown or out of range.
    """

    def __init__(
        self,
        *,
        rng: int
        | np.random.SeedSequence
        | np.random.Generator
        | np.random.BitGenerator
        | None = None,
        worker_rows: bool = False,
        **params: Any,
    ):
        if rng is None:
            rng = int(np.random.SeedSequence().generate_state(1)[0])
        seed_sequence = _seed_sequence(rng)
        # The int seed where there is one (NumPy integers, e.g. read back from Parquet, too).
        self.seed: int | None = None if isinstance(rng, _SEED_OBJECTS) else int(rng)
        super().__init__(rng=self.seed if self.seed is not None else seed_sequence)
        # Our own clock: Mesa 4 removes ``Model.steps`` and its ``time`` is a float.
        self.week: int = 0
        self.params: ModelParams = ModelParams.from_values(params)
        self.streams: Streams = Streams.spawn(seed_sequence)
        self.regime: Regime = PRESETS[self.params.regime]
        self.levers: Levers = self.regime.levers(self.params)
        self.values: FloatArray = VALUES_BEFORE.copy()
        self.measure: Measure = measure(self.params, VALUES_BEFORE)
        self.economy: float = 0.0
        # A learner playing one post (sim.learner); None leaves every post to the model.
        self.learner: LearnerChoices | None = None
        self.citizens: Citizens = Citizens(self, self.streams.citizens)
        self.teams: Teams = Teams(self.params.n_managers)
        self.workers: Workers = Workers(self, self.streams.staff)
        if self.workers.specialist.any():
            self.workers.domain = self.citizens.triage(self.workers.specialist, self.streams.staff)
        self.workers.settle_caseloads()
        self.managers: list[Manager] = [
            Manager(self, team) for team in range(self.params.n_managers)
        ]
        citizens = self.params.n_citizens
        Citizen.create_agents(self, citizens, row=list(range(citizens)))
        self.worker_rows = worker_rows
        self.last_review: dict[str, float] = {
            "bunching": float("nan"),
            "rank_skill_corr": float("nan"),
        }
        self.datacollector = mesa.DataCollector(
            tables={"steps": list(metrics.COLUMNS), "workers": list(metrics.WORKER_COLUMNS)}
        )
        self.citizens.assess(self.streams.outcomes)

    @property
    def p(self) -> dict[str, Any]:
        """Every parameter by name, for callers that look parameters up by name.

        The model itself reads ``params``, a ``sim.params.ModelParams``.
        """
        return self.params.as_dict()

    def switch_regime(self, name: str) -> None:
        """Change the accountability regime mid-run (the ship is rebuilt whilst sailing)."""
        self.regime = PRESETS[name]
        self.levers = self.regime.levers(self.params)
        if self.levers.has_target and np.isnan(self.workers.target).any():
            self.workers.target[:] = self.params.initial_target

    def shift_environment(self) -> None:
        """What counts as good changes: priorities move, and yesterday's know-how goes stale."""
        self.values = VALUES_AFTER.copy()
        self.workers.knowledge *= 0.3

    def step(self) -> None:
        """One week in the life of the service."""
        params, streams = self.params, self.streams
        self.week += 1
        week = self.week
        if week == params.switch_step:
            self.switch_regime(params.switch_to)
        if week == params.shift_step:
            self.shift_environment()
        if not self.levers.has_target:
            self.workers.target[:] = np.nan
        self.economy = streams.economy.normal(0, params.economic_shock_sd)
        self.citizens.live_week(streams.life, self.economy)
        self.citizens.assess(streams.outcomes)
        self.workers.plan_week(streams.work)
        self.workers.work_week(streams.work)
        self.citizens.assess(streams.outcomes)
        self.workers.record(streams.records)
        for manager in self.managers:
            manager.account_time()
        leavers = list(self.workers.live_week(streams.staff))
        self.workers.quits += len(leavers)
        if week % params.review_period == 0:
            self.review(leavers)
        elif leavers:
            self.workers.hire(np.array(leavers), streams.hiring)
        self.replace_leaders(streams.leaders)
        self.datacollector.add_table_row("steps", metrics.step_row(self))

    def review(self, leavers: list[int]) -> None:
        """Each manager reviews the team; workers learn from how it went; posts are filled."""
        reviews = self.streams.reviews
        if self.worker_rows:
            for row in metrics.worker_rows(self):
                self.datacollector.add_table_row("workers", row)
        self.last_review = metrics.review_stats(self)
        dismissed: list[int] = []
        for manager in self.managers:
            dismissed += manager.review(reviews)
            manager.chase_nonengagement()
        self.workers.adapt(reviews)
        self.workers.dismissals += len(set(dismissed) - set(leavers))  # no one leaves twice
        self.workers.reset_period()
        gone = sorted(set(leavers) | set(dismissed))
        if gone:
            self.workers.hire(np.array(gone), self.streams.hiring)

    def replace_leaders(self, rng: np.random.Generator) -> None:
        """Managers who leave this week are replaced by someone new to the team."""
        leaving = rng.random(len(self.managers)) < self.params.leader_turnover
        for team in np.flatnonzero(leaving):
            self.managers[team].remove()
            self.managers[team] = Manager(self, int(team))
            self.managers[team].take_over()

    def frame(self) -> pd.DataFrame:
        """The weekly rows so far, as a pandas DataFrame (the public output contract)."""
        return self.datacollector.get_table_dataframe("steps")

    def worker_frame(self) -> pd.DataFrame:
        """Worker rows at each review (when the model was built with ``worker_rows=True``)."""
        return self.datacollector.get_table_dataframe("workers")


def _signature() -> inspect.Signature:
    keyword = inspect.Parameter.KEYWORD_ONLY
    arguments = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    arguments += [
        inspect.Parameter("rng", keyword, default=None),
        inspect.Parameter("worker_rows", keyword, default=False),
    ]
    arguments += [
        inspect.Parameter(param.name, keyword, default=param.default) for param in PARAMS.values()
    ]
    return inspect.Signature(arguments)


# Introspection (help(), SolaraViz) sees every declared parameter with its default. Typeshed
# declares no ``__signature__`` on functions, though inspect reads it.
AccountabilityModel.__init__.__signature__ = _signature()  # type: ignore[attr-defined]


def run(
    regime: str = DEFAULTS.regime,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    **params: Any,
) -> pd.DataFrame:
    """Run the model and return one row per week.

    Args:
        regime: Preset name: outcomes, learning, none or hybrid.
        steps: Weeks to simulate.
        seed: Seed of the run; the same seed and parameters give identical rows.
        **params: Other model parameters (see sim.params).

    Returns:
        pandas.DataFrame with the columns of sim.metrics.COLUMNS.
    """
    model = AccountabilityModel(rng=seed, regime=regime, **params)
    for _ in range(steps):
        model.step()
    return model.frame()
