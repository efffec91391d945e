"""Re-tendering: at each contract's end the provider whose figures look worst is replaced.

Providers differ in culture: each service, when it is created or re-created, draws its own
``intrinsic_motivation`` (whom it recruits) and ``status_concern`` (how much looking good before
colleagues matters there) around the system's values, from a stream of its own, so the streams
the rest of the model draws from are untouched. Every ``contract_years`` × 52 weeks the
commissioner compares the figures each provider reported over the contract (or, as far as
``tender_evaluation`` says, what its citizens really achieved), and the one with the lowest is
replaced by a new one: new workers, new managers and teams, a culture drawn afresh. The citizens
and their caseload stay; only who serves them changes. Nothing is inherited: a newcomer's culture
does not depend on the providers that stayed.

With one service there is no competitor: nothing is compared, nothing is replaced and no
culture is drawn, so the single service runs as it does without re-tendering. With
``contract_years = 0`` (the default) nothing here draws or changes anything.

A provider games, for the round's record, when the figures it reported over the round exceed
what its citizens really achieved (the gaming gap) by more than GAMING_LINE. The share of
providers that gamed in the last round ended is the weekly column ``gaming_providers``.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.arrays import FloatArray

if TYPE_CHECKING:
    from sim.model import AccountabilityModel
    from sim.services import Service

WEEKS_PER_YEAR = 52
# A spawn key no run's own streams reach (they spawn a dozen children per service), so drawing
# cultures consumes nothing that the model's other processes draw from.
TENDER_KEY = 2**31 - 11
# Providers differ in how much looking good matters as much as one unit of the system's default
# (0.15) either way, about one sd: enough for a league table to have something to select on.
CONCERN_SPREAD = 0.15
# Gaming gap over a round (reported minus really achieved, shares of the caseload) above which a
# provider counts as gaming: ten times the gap a service shows with nothing at stake (about 0.01,
# regime none without payment by results), half the gap of a service under targets (about 0.2).
GAMING_LINE = 0.1


class Tendering:
    """The commissioner's tenders: providers' cultures, their figures over a contract, the rounds.

    Args:
        model: The model whose services are tendered.
        seed: The run's SeedSequence; the cultures' stream is a child of it no other stream uses.

    Attributes:
        active: Whether contracts are re-tendered (``contract_years`` > 0 and several services).
        reported: Each provider's reported figure, summed over this contract's weeks.
        achieved: What each provider's citizens really achieved, summed likewise.
        weeks: Weeks of this contract so far.
        appointed: The round in which each service's current provider was appointed (0: first).
        rounds: One record per contract ended: the round, each provider's gaming gap and whether
            it gamed, the share that gamed and the service replaced.
        gaming_share: Share of providers that gamed in the last round ended (NaN before).
        pending: In a counterfactual run, the service the real run replaced this week.
    """

    def __init__(self, model: AccountabilityModel, seed: np.random.SeedSequence) -> None:
        params = model.params
        self.model = model
        self.active = params.contract_years > 0 and params.n_services > 1
        self.length = WEEKS_PER_YEAR * params.contract_years
        own = np.random.SeedSequence(
            seed.entropy, spawn_key=(*seed.spawn_key, TENDER_KEY), pool_size=seed.pool_size
        )
        self.rng = np.random.default_rng(own)
        count = params.n_services
        self.reported: FloatArray = np.zeros(count)
        self.achieved: FloatArray = np.zeros(count)
        self.invented: FloatArray = np.zeros(count)
        self.records: FloatArray = np.zeros(count)
        self.weeks = 0
        self.appointed = np.zeros(count, dtype=np.int64)
        self.rounds: list[dict[str, Any]] = []
        self.gaming_share = float("nan")
        self.pending: int | None = None

    def draw_culture(self, service: Service) -> None:
        """Give a new provider its own culture, around the system's (only when re-tendering)."""
        if not self.active:
            return
        system = self.model.params
        motivation, concern = self.rng.normal(0, 1, 2)
        service.params = dataclasses.replace(
            system,
            intrinsic_motivation=float(
                np.clip(system.intrinsic_motivation + system.motivation_sd * motivation, 0, 1)
            ),
            status_concern=float(np.clip(system.status_concern + CONCERN_SPREAD * concern, 0, 1)),
        )

    def week(self) -> None:
        """Tally this week's figures; at a contract's end, record the round and re-tender."""
        if not self.active:
            return
        model = self.model
        for service in model.services:
            citizens = service.citizens
            counted = max(int(citizens.counted().sum()), 1)
            self.reported[service.index] += citizens.recorded.sum() / counted
            self.achieved[service.index] += citizens.achieved.mean()
            self.invented[service.index] += citizens.false_record.sum()
            self.records[service.index] += citizens.recorded.sum()
        self.weeks += 1
        if model.week % self.length:
            return
        if model.counterfactual:  # the real run chose; its counterfactuals follow it
            chosen, self.pending = self.pending, None
        else:
            chosen = self.worst()
            for shadow in model.shadows:
                shadow.tendering.pending = chosen
        gaps = (self.reported - self.achieved) / self.weeks
        gamed = gaps > GAMING_LINE
        self.gaming_share = float(gamed.mean())
        self.rounds.append(
            {
                "round": len(self.rounds) + 1,
                "week": model.week,
                "reported": (self.reported / self.weeks).tolist(),
                "gaming_gap": gaps.tolist(),
                "invented_share": (self.invented / np.maximum(self.records, 1)).tolist(),
                "gamed": gamed.tolist(),
                "gaming_share": self.gaming_share,
                "appointed": self.appointed.tolist(),
                "replaced": chosen,
            }
        )
        if chosen is not None:
            self.replace(chosen)
        self.reported[:] = 0
        self.achieved[:] = 0
        self.invented[:] = 0
        self.records[:] = 0
        self.weeks = 0

    def worst(self) -> int:
        """The provider judged worst over the contract, by ``tender_evaluation``.

        Each provider's score is its reported figures weighted by ``1 - tender_evaluation`` plus
        what its citizens really achieved weighted by ``tender_evaluation``; the lowest goes.
        """
        weight = self.model.params.tender_evaluation
        return int(np.argmin((1 - weight) * self.reported + weight * self.achieved))

    def replace(self, index: int) -> None:
        """A new provider takes over a service: new people, new managers, a new culture."""
        model = self.model
        service = model.services[index]
        old = service.workers
        for agent in old.agent:
            if agent is not None:
                agent.remove()
        for manager in service.managers:
            manager.remove()
        # Its own streams, from the tender's stream: a counterfactual run draws the same.
        entropy = self.rng.integers(0, 2**63, size=4).tolist()
        service.streams = type(service.streams).spawn(np.random.SeedSequence(entropy))
        self.draw_culture(service)
        model._staff(service)
        workers = service.workers
        # The new provider's targets start where the contract's first did.
        workers.target[:] = service.params.initial_target
        workers.quits, workers.dismissals = old.quits, old.dismissals  # the system's count goes on
        self.appointed[index] = len(self.rounds)
