"""Mutants: the model with one mechanism switched off, so that each pattern test is shown to fail.

A pattern test that still passes when the mechanism it claims to show is switched off tests
nothing. Each mutant here names one mechanism and how it is switched off (a constant set to a
value that disables it, or a method replaced); ``applied`` switches it off for the duration of a
``with`` block. tests/test_patterns.py runs every pattern against its mutant and expects failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import sim.citizens
import sim.managers
import sim.regimes
import sim.workers
from sim.citizens import VALUES_BEFORE
from sim.managers import Manager
from sim.measures import Measure, measure
from sim.params import ModelParams
from sim.services import Service
from sim.tendering import Tendering
from sim.workers import Workers


def _without_stakes(method: Callable[..., None]) -> Callable[..., None]:
    """The method, run as if nobody's figures were worth anything to anyone."""

    def unpaid(self: Workers, rng: np.random.Generator) -> None:
        model = self.model
        levers, params = model.levers, model.params
        contract_stake = model.contract_stake
        model.levers = dataclasses.replace(levers, incentive=0.0, sanctions=0.0, ranking=0.0)
        model.params = dataclasses.replace(params, funding_stake=0.0, status_concern=0.0)
        model.contract_stake = 0.0
        try:
            method(self, rng)
        finally:
            model.levers, model.params = levers, params
            model.contract_stake = contract_stake

    return unpaid


_regime_levers = sim.regimes.Regime.levers


def _sanctions_reach_nobody(self: sim.regimes.Regime, params: ModelParams) -> sim.regimes.Levers:
    return dataclasses.replace(_regime_levers(self, params), sanctions=0.0)


def _learning_costs_no_time(self: Workers, commitment: np.ndarray) -> np.ndarray:
    """Only reporting to the performance system takes time; sessions and reviews are free."""
    return np.full(len(self.skill), self.model.levers.reporting_overhead)


_reset_period = Workers.reset_period


def _gamed_figures_still_teach(self: Workers) -> None:
    """Nobody ever learns that some of last period's records were invented."""
    _reset_period(self)
    self.honesty[:] = 1.0


def _learning_levers_inert(self: sim.regimes.Regime, params: ModelParams) -> sim.regimes.Levers:
    """Learning's levers keep their time but change nothing: no autonomy, support or voice."""
    return dataclasses.replace(
        _regime_levers(self, params),
        autonomy=params.base_autonomy,
        support=0.0,
        citizen_voice=0.0,
    )


def _pressure_passed_down(self: sim.regimes.Regime, params: ModelParams) -> sim.regimes.Levers:
    """Managers absorb none of the pressure from above: the figures fed upward reach workers."""
    return dataclasses.replace(_regime_levers(self, params), shielding=0.0)


def _successor_keeps_commitment(self: Manager) -> None:
    """A new manager carries on exactly as the old one did."""


def _help_kept(self: Service) -> None:
    """The counterfactual run keeps the service's help: attribution compares a run with itself."""


def _shared_indicator(self: Service, domains: np.ndarray) -> Measure:
    """Every contract pays on the indicator of the whole system, whatever it covers."""
    return measure(self.params, VALUES_BEFORE)


def _worst_by_true_results(self: Tendering) -> int:
    """The commissioner sees what each provider's citizens really achieved, not its figures.

    As ``tender_evaluation`` = 1 does, whatever the parameter says: selection on reported figures
    is switched off.
    """
    return int(np.argmin(self.achieved))


MUTANTS: dict[str, list[tuple[Any, str, Any]]] = {
    "no_invented_records": [(sim.workers, "RECORD_HURDLE", 1e9)],
    "no_creaming": [(sim.workers, "HURDLE", 1e9)],
    "no_target_step": [(sim.workers, "MISS_WEIGHT", 0.0)],
    "help_does_nothing": [(sim.workers, "HELP_EFFECT", 0.0)],
    "help_ignores_skill": [(sim.workers, "SKILL_USE", 0.0)],
    "stakes_never_reach_workers": [
        (Workers, "plan_week", _without_stakes(Workers.plan_week)),
        (Workers, "record", _without_stakes(Workers.record)),
    ],
    "sanctions_reach_nobody": [(sim.regimes.Regime, "levers", _sanctions_reach_nobody)],
    "candour_fixed_at_one": [
        (sim.managers, "CANDOUR_START", 1.0),
        (sim.managers, "CANDOUR_RISE", 0.0),
        (sim.managers, "CANDOUR_FALL", 0.0),
    ],
    "everyone_alike": [(sim.workers, "MISMATCH_EFFECT", 1.0)],
    "no_specialist_depth": [(sim.workers, "SPECIALIST_DEPTH", 1.0)],
    "successor_keeps_commitment": [(Manager, "take_over", _successor_keeps_commitment)],
    "perfect_citizen_reports": [
        (sim.citizens, "COURTESY", 0.0),
        (sim.citizens, "RESPONSE_COMPLEXITY", 0.0),
        (sim.citizens, "RESPONSE_RATE", 1e9),
    ],
    "gamed_figures_still_teach": [(Workers, "reset_period", _gamed_figures_still_teach)],
    "no_feedback_or_sessions": [
        (sim.managers, "FEEDBACK_RATE", 0.0),
        (sim.managers, "SESSION_RATE", 0.0),
        (sim.managers, "FIGURE_RATE", 0.0),
    ],
    "learning_does_nothing": [
        (sim.regimes.Regime, "levers", _learning_levers_inert),
        (sim.managers, "FEEDBACK_RATE", 0.0),
        (sim.managers, "SESSION_RATE", 0.0),
        (sim.managers, "FIGURE_RATE", 0.0),
        (sim.managers, "SKILL_RATE", 0.0),
    ],
    "help_kept_in_counterfactual": [(Service, "remove_help", _help_kept)],
    "contracts_pay_on_the_shared_indicator": [(Service, "contract_measure", _shared_indicator)],
    "figures_fed_upward_unshielded": [(sim.regimes.Regime, "levers", _pressure_passed_down)],
    "tenders_judged_on_true_results": [(Tendering, "worst", _worst_by_true_results)],
    "learning_costs_no_time": [
        (Workers, "accountability_share", _learning_costs_no_time),
        (sim.workers, "EXPLORATION", 0.0),
    ],
}


@contextlib.contextmanager
def applied(name: str | None) -> Iterator[None]:
    """Switch the named mechanism off inside the block (no-op for ``None``)."""
    if name is None:
        yield
        return
    saved = [(owner, attr, getattr(owner, attr)) for owner, attr, _ in MUTANTS[name]]
    try:
        for owner, attr, value in MUTANTS[name]:
            setattr(owner, attr, value)
        yield
    finally:
        for owner, attr, value in saved:
            setattr(owner, attr, value)
