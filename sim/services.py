"""Whole systems: the services around each citizen, the referrals between them, the commissioner.

A ``Service`` is one organisation: its own workers (sim.workers.Workers), managers and teams
(sim.managers), its own accountability regime and levers, the life domains it mainly helps with
(``scope``), its own caseload view of the citizens (sim.citizens.Citizens.caseload_view) and its
own random streams. Workers, managers and caseloads read their service as their ``model``; what
belongs to the whole system (the parameters, the week, what counts as good, the people themselves)
the service reads from the ``AccountabilityModel`` that holds it. With ``n_services = 1`` the one
service covers every domain and the model is today's single service.

Services refer citizens to one another (``route_referrals``): a referral can lose the citizen,
costs the relationship and takes time. The ``Commissioner`` holds the contracts and pays on
reported figures; what a service's own figure is worth to its funding (its contract stake) is
derived from the contract it holds, and reaches workers through the funding stake, as far as
managers do not shield them (sim.workers.Workers.plan_week). The contract's terms come from
sim.contracts; no rule here reads the contract's name. Where one contract covers several
services, their managers may meet as a system (``stewardship``): joint reviews of the hand-offs
between them (a reviewed referral is less often lost, and arrives with what the sending service
understood of the person) and learning from the system's figures, both as far as the teams say
what went wrong (sim.managers.Manager.learn_across). The meetings cost managers' time, taken
partly from the support they give their workers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.arrays import BoolArray, FloatArray, IntArray
from sim.citizens import DOMAINS, VALUES_BEFORE
from sim.contracts import contract_terms
from sim.measures import Measure, measure
from sim.regimes import PRESETS

if TYPE_CHECKING:
    from sim.citizens import Citizens
    from sim.learner import LearnerChoices
    from sim.managers import Manager, Teams
    from sim.model import AccountabilityModel, Streams
    from sim.params import ModelParams
    from sim.regimes import Levers, Regime
    from sim.workers import Workers

# Hand-offs between services
REFERRAL_WAIT = 3  # weeks between a referral and the first contact at the other service
REFERRAL_LOSS = 0.3  # chance that a referred citizen never arrives, per unit of distrust
# Managers meeting as a system
JOINT_REVIEW_TIME = 0.1  # share of a manager's week that lets a team's hand-offs all be reviewed


def scopes(count: int) -> BoolArray:
    """The life domains each of ``count`` services mainly helps with: the domains dealt round.

    One row per service, one column per entry of DOMAINS; every domain belongs to one service.
    """
    domains = np.arange(len(DOMAINS))
    out: BoolArray = domains[None, :] % count == np.arange(count)[:, None]
    return out


class Service:
    """One organisation of the system: its workers, managers, regime, domains and caseload.

    Args:
        system: The model that holds the services.
        index: The service's place in ``system.services``.
        scope: One flag per life domain: the domains this service mainly helps with.
        streams: The service's own random streams.
    """

    system: AccountabilityModel
    index: int
    scope: BoolArray
    streams: Streams
    params: ModelParams  # the system's (a mutant may replace it for one service)
    regime: Regime
    levers: Levers
    measure: Measure
    contract_stake: float  # what the service's own reported figure is worth to its funding
    stewardship: float  # share of each manager's week in meetings with the other services'
    peers: list[Service]  # the services its contract covers (itself included)
    helps: float  # 1, or 0 in a counterfactual run where this service's help is removed
    citizens: Citizens
    teams: Teams
    workers: Workers
    managers: list[Manager]
    last_review: dict[str, float]
    # This week's demand, for the system's columns (sim.metrics)
    contacts_now: int
    repeat_contacts: int
    referral_rows: IntArray  # citizens referred on this week
    referral_domains: IntArray  # ... and the domain each was referred for
    referral_warmth: FloatArray  # ... and how far each was reviewed jointly (joint_review)

    def __init__(
        self, system: AccountabilityModel, index: int, scope: BoolArray, streams: Streams
    ) -> None:
        self.system = system
        self.index = index
        self.scope = scope
        self.streams = streams
        self.params = system.params
        self.regime = PRESETS[system.params.service_regime(index)]
        self.levers = self.regime.levers(self.params)
        self.measure = measure(self.params, VALUES_BEFORE)  # until a contract says otherwise
        self.contract_stake = 0.0
        self.stewardship = 0.0
        self.peers = [self]
        self.helps = 1.0
        self.last_review = {"bunching": float("nan"), "rank_skill_corr": float("nan")}
        self.contacts_now = 0
        self.repeat_contacts = 0
        self.referral_rows = np.zeros(0, dtype=np.int64)
        self.referral_domains = np.zeros(0, dtype=np.int64)
        self.referral_warmth = np.zeros(0)

    # What belongs to the whole system, read from the model that holds the service.
    @property
    def week(self) -> int:
        """Week of the run."""
        return self.system.week

    @property
    def values(self) -> FloatArray:
        """What counts as good now: weight of each life domain."""
        return self.system.values

    @property
    def learner(self) -> LearnerChoices | None:
        """A learner playing one post of the first service (sim.learner), or None."""
        return self.system.learner if self.index == 0 else None

    @property
    def funding_stake(self) -> float:
        """What one unit of the service's reported figure is worth to its funding or standing."""
        return self.params.funding_stake + self.contract_stake

    def __getattr__(self, name: str) -> Any:
        # Mesa's agents register with, and draw from, the model that holds the service. Only
        # called for names the service lacks; dunders (copy, pickle) and the link itself are not
        # delegated, so a half-built service fails plainly instead of recursing.
        if name == "system" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.system, name)

    def contract_measure(self, domains: BoolArray) -> Measure:
        """The indicator of a contract that scores ``domains`` (the measure as parameterised)."""
        designed = measure(self.params, VALUES_BEFORE)
        if domains.all() or designed.reported:
            return designed
        weights = np.where(domains & (designed.weights > 0), designed.weights, 0.0)
        if weights.sum() == 0:  # none of the measured domains is the contract's: score its own
            weights = np.where(domains, VALUES_BEFORE, 0.0)
        return Measure(
            weights=weights / weights.sum(),
            alignment=designed.alignment,
            focus=designed.focus,
            reported=False,
            audit_reach=designed.audit_reach,
        )

    def joint_review(self) -> FloatArray:
        """How far each team's hand-offs are reviewed with the other services' managers (0 to 1).

        As far as the time given to the meetings allows (all of them at JOINT_REVIEW_TIME of a
        manager's week), and as far as the sending team says what went wrong: without candour
        the meetings are theatre, and see nothing of what happened to the people passed on.
        """
        covered = min(self.stewardship / JOINT_REVIEW_TIME, 1.0)
        out: FloatArray = covered * self.teams.candour
        return out

    def remove_help(self) -> None:
        """Make this service's contacts change nothing (a counterfactual run for attribution)."""
        self.helps = 0.0

    def switch_regime(self, regime: Regime) -> None:
        """Change the service's accountability regime mid-run."""
        self.regime = regime
        self.levers = regime.levers(self.params)
        if self.levers.has_target and np.isnan(self.workers.target).any():
            self.workers.target[:] = self.params.initial_target

    def demand(self) -> tuple[int, int, int]:
        """This week's contacts, repeat contacts for an unmet need, and referrals sent."""
        return self.contacts_now, self.repeat_contacts, len(self.referral_rows)


class Commissioner(mesa.Agent):
    """The commissioner: holds the contracts with the services and pays on reported figures.

    It reads the contract's terms (sim.contracts.Contract): a contract covers one service and
    is paid by results on its own indicator (the domains it mainly helps with), or pools every
    service, paid on the shared indicator, its budget split evenly. A service's contract stake
    is how far its own reported figure moves its own payment: the share paid by results, times
    the service's weight in the figure its contract is paid on. Where a contract covers several
    services and its terms say so, their managers meet as a system (``Service.stewardship``).

    Attributes:
        terms: The terms of every contract.
        contract: For each service, the contract it holds (an index into ``members``).
        members: For each contract, the services it covers.
        paid_outcomes: Outcomes each service has been paid for, all run (its share of its
            contract's reported outcomes).
        payments: What each service has been paid, all run, in units of a week's contract value.
    """

    def __init__(self, model: AccountabilityModel) -> None:
        super().__init__(model)
        services = model.services
        count = len(services)
        self.terms = contract_terms(model.params)
        pooled = self.terms.pooled
        self.contract: IntArray = np.zeros(count, dtype=np.int64) if pooled else np.arange(count)
        self.members: list[IntArray] = [
            np.flatnonzero(self.contract == c) for c in range(int(self.contract.max()) + 1)
        ]
        self.paid_outcomes: FloatArray = np.zeros(count)
        self.payments: FloatArray = np.zeros(count)
        by_results = model.params.payment_by_results
        for service in services:
            covered = self.members[self.contract[service.index]]
            domains = np.logical_or.reduce([services[k].scope for k in covered])
            service.measure = service.contract_measure(domains)
            # The contract's figure is the mean of its members' figures.
            service.contract_stake = by_results / len(covered)
            service.peers = [services[k] for k in covered]
            # A service alone under its contract has no one to meet as a system.
            service.stewardship = self.terms.stewardship_time * (len(covered) > 1)

    def pay(self) -> None:
        """Pay this week's contracts on the figures the services report upward."""
        services, by_results = self.model.services, self.model.params.payment_by_results
        for members in self.members:
            cases = [services[k].citizens for k in members]
            figure = float(
                np.mean([c.recorded.sum() / max(int(c.counted().sum()), 1) for c in cases])
            )
            outcomes = float(sum(int(c.recorded.sum()) for c in cases))
            self.payments[members] += 1 - by_results + by_results * figure
            self.paid_outcomes[members] += outcomes / len(members)


def route_referrals(model: AccountabilityModel, rng: np.random.Generator) -> int:
    """Hand this week's referrals to the services that own each domain; returns re-referrals.

    A referred citizen waits REFERRAL_WAIT weeks for a first contact, with a new relationship to
    build; one who trusts little may never arrive. A referral for a need the
    citizen was already referred for is failure demand (a re-referral). A referral reviewed
    jointly by the two services' managers (``Service.joint_review``) is lost less often, and
    the receiving service starts from what the sending one understood of the person.
    """
    citizens = model.services[0].citizens
    owner = np.argmax(np.stack([s.scope for s in model.services]), axis=0)
    again = 0
    for service in model.services:
        rows, domains = service.referral_rows, service.referral_domains
        if not len(rows):
            continue
        bit = (1 << domains).astype(np.uint8)
        again += int(((citizens.referred_for[rows] & bit) > 0).sum())
        np.bitwise_or.at(citizens.referred_for, rows, bit)
        warmth = service.referral_warmth
        loss = REFERRAL_LOSS * (1 - citizens.trust[rows]) * (1 - warmth)
        lost = rng.random(len(rows)) < loss
        arrive, to = rows[~lost], owner[domains[~lost]]
        told = warmth[~lost] * service.citizens.understood[arrive]
        for target in np.unique(to):
            case = model.services[int(target)].citizens
            here = (to == target) & ~case.open[arrive] & (case.waiting[arrive] < 0)
            waiting = arrive[here]
            case.waiting[waiting] = REFERRAL_WAIT
            case.understood[waiting] = np.maximum(case.understood[waiting], told[here])
    return again


def open_cases(model: AccountabilityModel) -> None:
    """Citizens whose wait is over join the caseload they were referred to."""
    for service in model.services:
        case = service.citizens
        waiting = case.waiting >= 0
        if not waiting.any():
            continue
        case.waiting[waiting] -= 1
        arrived = waiting & (case.waiting < 0)
        case.open[arrived] = True
