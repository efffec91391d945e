"""Accountability Lab: a public service held to account by outcome targets or by learning.

Citizens with needs in several life domains are helped by frontline workers, whose managers hold
them to account under a regime (sim.regimes). Each step is one week: citizens' lives move, workers
decide how to spend their time given the stakes they face and their concern for citizens, managers
act as the regime asks, and the week's figures are recorded (sim.metrics). No rule turns gaming
on under targets: workers choose it when measured results pay and their choices are not checked;
and no rule makes learning work: it works as far as people say what went wrong.

With ``n_services`` above one the model is a whole system (sim.services): several services, each
with its own workers, managers, regime and domains, around the same citizens, who are referred
between them; a commissioner pays on the figures they report. The single service is the special
case: its model attributes (``workers``, ``managers``, ``levers``, ...) are its one service's.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import mesa
import numpy as np
import pandas as pd

from sim import metrics
from sim.agents import Citizen, Manager
from sim.arrays import FloatArray
from sim.citizens import VALUES_AFTER, VALUES_BEFORE, Citizens
from sim.learner import LearnerChoices
from sim.managers import Teams
from sim.measures import Measure
from sim.params import DEFAULT_STEPS, DEFAULTS, PARAMS, ModelParams, counterfactual_runs
from sim.regimes import PRESETS, Levers, Regime
from sim.services import Commissioner, Service, open_cases, route_referrals, scopes
from sim.tendering import Tendering
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
    referrals: np.random.Generator  # workers' choices to refer a citizen to another service
    handoffs: np.random.Generator  # whether a referred citizen arrives

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
        service_rows: Also record one row per service each week (``service_frame``).
        **params: Model parameters, validated against sim.params.

    Raises:
        sim.params.ParamError: A parameter is unknown or out of range.
    """

    # A counterfactual run for attribution has no counterfactual runs of its own.
    counterfactual: ClassVar[bool] = False

    def __init__(
        self,
        *,
        rng: int
        | np.random.SeedSequence
        | np.random.Generator
        | np.random.BitGenerator
        | None = None,
        worker_rows: bool = False,
        service_rows: bool = False,
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
        # The same seed for the counterfactual runs: the same citizens and the same luck.
        self._seed_copy = np.random.SeedSequence(
            seed_sequence.entropy,
            spawn_key=seed_sequence.spawn_key,
            pool_size=seed_sequence.pool_size,
        )
        self.streams: Streams = Streams.spawn(seed_sequence)
        chosen = self.params
        self.regime_preset: Regime = PRESETS[chosen.regime]
        self.values: FloatArray = VALUES_BEFORE.copy()
        self.economy: float = 0.0
        # A learner playing one post (sim.learner); None leaves every post to the model.
        self.learner: LearnerChoices | None = None
        owned = scopes(chosen.n_services)
        self.tendering = Tendering(self, seed_sequence)
        self.services: list[Service] = []
        for index in range(chosen.n_services):
            streams = self.streams if index == 0 else Streams.spawn(seed_sequence)
            service = Service(self, index, owned[index], streams)
            self.tendering.draw_culture(service)
            self.services.append(service)
            if index == 0:
                service.citizens = Citizens(service, streams.citizens)
            else:
                first = self.services[0].citizens
                service.citizens = first.caseload_view(service, owned[index][first.main_domain])
            self._staff(service)
        if chosen.n_services > 1:  # each citizen starts with the service of their main need
            first = self.services[0].citizens
            first.open = owned[0][first.main_domain]
            first.contacts &= first.open
        # One by one: Mesa's create_agents would also gather them in an AgentSet, unused here,
        # which at a city's size costs as much again.
        for row in range(chosen.n_citizens):
            Citizen(self, row)
        self.commissioner = Commissioner(self)
        self.worker_rows = worker_rows
        self.service_rows = service_rows
        self.datacollector = mesa.DataCollector(
            tables={
                "steps": list(metrics.COLUMNS),
                "workers": list(metrics.WORKER_COLUMNS),
                "services": list(metrics.SERVICE_COLUMNS),
            }
        )
        for service in self.services:
            service.citizens.assess(service.streams.outcomes)
        # Attribution: one counterfactual run per service, on common random numbers.
        self.caused: FloatArray = np.zeros(chosen.n_services)
        self.rereferrals = 0
        self.shadows: list[AccountabilityModel] = []
        if not self.counterfactual:
            self.shadows = [self._without(index) for index in range(counterfactual_runs(chosen))]

    def _without(self, index: int) -> AccountabilityModel:
        """The same run (same citizens, same luck) with one service's help removed."""
        seed = self.seed if self.seed is not None else self._seed_copy
        shadow = Counterfactual(rng=seed, **self.params.as_dict())
        shadow.services[index].remove_help()
        return shadow

    def _staff(self, service: Service) -> None:
        """Give a service its teams, workers (posts filled, caseloads settled) and managers."""
        params, streams = self.params, service.streams
        service.teams = Teams(params.n_managers)
        service.workers = Workers(service, streams.staff)
        workers = service.workers
        if workers.specialist.any():
            workers.domain = service.citizens.triage(workers.specialist, streams.staff)
        workers.settle_caseloads()
        service.teams.lay_out(workers.team, service.citizens.worker)
        service.managers = [Manager(service, team) for team in range(params.n_managers)]

    # The single service's parts, as the model's own (the first service's in a whole system).
    @property
    def citizens(self) -> Citizens:
        """The citizens, as the first service's caseload sees them (the people are shared)."""
        return self.services[0].citizens

    @property
    def workers(self) -> Workers:
        """The first service's workers."""
        return self.services[0].workers

    @property
    def teams(self) -> Teams:
        """The first service's teams."""
        return self.services[0].teams

    @property
    def managers(self) -> list[Manager]:
        """The first service's managers."""
        return self.services[0].managers

    @property
    def regime(self) -> Regime:
        """The accountability regime in force in the first service (every service's by default)."""
        return self.services[0].regime

    @property
    def levers(self) -> Levers:
        """The first service's levers."""
        return self.services[0].levers

    @levers.setter
    def levers(self, levers: Levers) -> None:
        self.services[0].levers = levers

    @property
    def measure(self) -> Measure:
        """The indicator the first service is held to."""
        return self.services[0].measure

    @property
    def last_review(self) -> dict[str, float]:
        """Bunching and rank-skill correlation at the first service's last review."""
        return self.services[0].last_review

    @property
    def p(self) -> dict[str, Any]:
        """Every parameter by name, for callers that look parameters up by name.

        The model itself reads ``params``, a ``sim.params.ModelParams``.
        """
        return self.params.as_dict()

    def switch_regime(self, name: str) -> None:
        """Change the accountability regime mid-run (the ship is rebuilt whilst sailing)."""
        for service in self.services:
            service.switch_regime(PRESETS[name])

    def shift_environment(self) -> None:
        """What counts as good changes: priorities move, and yesterday's know-how goes stale."""
        self.values = VALUES_AFTER.copy()
        for service in self.services:
            service.workers.knowledge *= 0.3

    def step(self) -> None:
        """One week in the life of the services and their citizens."""
        params, streams, services = self.params, self.streams, self.services
        self.week += 1
        week = self.week
        if week == params.switch_step:
            self.switch_regime(params.switch_to)
        if week == params.shift_step:
            self.shift_environment()
        for service in services:
            if not service.levers.has_target:
                service.workers.target[:] = np.nan
        self.economy = streams.economy.normal(0, params.economic_shock_sd)
        people = services[0].citizens
        people.live_week(streams.life, self.economy)
        people.share_life([service.citizens for service in services[1:]])
        open_cases(self)
        for service in services:
            service.citizens.assess(service.streams.outcomes)
        for service in services:
            service.workers.plan_week(service.streams.work)
        for service in services:
            service.workers.work_week(service.streams.work)
        self.rereferrals = route_referrals(self, streams.handoffs)
        for service in services:
            service.citizens.assess(service.streams.outcomes)
            service.workers.record(service.streams.records)
        for service in services:
            self.account(service)
        self.commissioner.pay()
        self.tendering.week()
        self.attribute()
        self.datacollector.add_table_row("steps", metrics.step_row(self))
        if self.service_rows:
            for row in metrics.service_rows(self):
                self.datacollector.add_table_row("services", row)

    def account(self, service: Service) -> None:
        """A service's managers' week: time, quits, the review when due, leaders who leave."""
        service.teams.account_time(service)
        leavers = list(service.workers.live_week(service.streams.staff))
        service.workers.quits += len(leavers)
        if self.week % self.params.review_period == 0:
            self.review(leavers, service)
        elif leavers:
            service.workers.hire(np.array(leavers), service.streams.hiring)
        self.replace_leaders(service.streams.leaders, service)

    def review(self, leavers: list[int], service: Service | None = None) -> None:
        """Each manager reviews the team; workers learn from how it went; posts are filled."""
        service = service or self.services[0]
        workers, reviews = service.workers, service.streams.reviews
        if self.worker_rows:
            for row in metrics.worker_rows(service):
                self.datacollector.add_table_row("workers", row)
        service.last_review = metrics.review_stats(service)
        dismissed = service.teams.review(service, reviews)
        service.teams.chase_nonengagement(service)
        workers.adapt(reviews)
        workers.dismissals += len(set(dismissed) - set(leavers))  # no one leaves twice
        workers.reset_period()
        gone = sorted(set(leavers) | set(dismissed))
        if gone:
            workers.hire(np.array(gone), service.streams.hiring)

    def replace_leaders(self, rng: np.random.Generator, service: Service | None = None) -> None:
        """Managers who leave this week are replaced by someone new to the team."""
        service = service or self.services[0]
        managers = service.managers
        leaving = rng.random(len(managers)) < self.params.leader_turnover
        for team in np.flatnonzero(leaving):
            managers[team].remove()
            managers[team] = Manager(service, int(team))
            managers[team].take_over()

    def attribute(self) -> None:
        """Step the counterfactual runs; count the outcomes each service really caused.

        A service caused the outcomes on its caseload, by its contract's indicator, that the
        run without its help does not have (same citizens, same luck).
        """
        for index, shadow in enumerate(self.shadows):
            shadow.step()
            here, there = self.services[index].citizens, shadow.services[index].citizens
            mine = here.open
            self.caused[index] += int(here.achieved[mine].sum()) - int(there.achieved[mine].sum())

    def attribution_error(self) -> float:
        """Share of the payments for outcomes so far that the paid service did not cause."""
        paid = self.commissioner.paid_outcomes.sum()
        if not self.shadows or paid == 0:
            return float("nan")
        return float(np.clip(1 - self.caused.sum() / paid, 0, 1))

    def frame(self) -> pd.DataFrame:
        """The weekly rows so far, as a pandas DataFrame (the public output contract)."""
        return self.datacollector.get_table_dataframe("steps")

    def service_frame(self) -> pd.DataFrame:
        """One row per service each week (when the model was built with ``service_rows=True``)."""
        return self.datacollector.get_table_dataframe("services")

    def worker_frame(self) -> pd.DataFrame:
        """Worker rows at each review (when the model was built with ``worker_rows=True``)."""
        return self.datacollector.get_table_dataframe("workers")


class Counterfactual(AccountabilityModel):
    """A run on the same seed whose one service's help is removed (``attribute``)."""

    counterfactual = True


def _signature() -> inspect.Signature:
    keyword = inspect.Parameter.KEYWORD_ONLY
    arguments = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    arguments += [
        inspect.Parameter("rng", keyword, default=None),
        inspect.Parameter("worker_rows", keyword, default=False),
        inspect.Parameter("service_rows", keyword, default=False),
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
