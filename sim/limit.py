"""The multitask principal-agent limit (Holmstrom & Milgrom 1991; Baker 2002).

With noise, learning, imitation, intrinsic motivation, sanctions, every stake but the worker's own
incentive, complexity and differences between citizens switched off, fully skilled
workers paid ``b`` per unit of the measure, with quadratic effort cost, choose effort
``a* = b g``. With value direction ``f`` and measure direction ``g`` of unit length and
``cos(theta) = measure_alignment``, the net value (value minus effort cost) as a share of the
first best is ``2 b cos(theta) - b**2``, maximised at ``b* = cos(theta)`` with share
``cos(theta)**2``. ``simulate`` gets there by running the model's own workers; ``closed_form``
is the textbook answer. Misreporting is free in this configuration (no audits, no sanctions) and
workers do record outcomes that did not happen, but records do not enter the effort choice, so
the effort and the value of help are those of the textbook agent. Value is what the help did for
citizens (the need it removed, before needs run out), so help that does nothing fails the test.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.model import AccountabilityModel

LIMIT_PARAMS: dict[str, Any] = {
    "regime": "outcomes",
    "intrinsic_motivation": 0.0,
    "motivation_sd": 0.0,
    "perception_noise": 0.0,
    "choice_noise": 0.0,
    "reinforcement": 0.0,
    "imitation": 0.0,
    "outcome_noise": 0.0,
    "sanction_severity": 0.0,
    "ratchet": 0.0,
    "audit_rate": 0.0,
    "reporting_overhead": 0.0,
    "learning_time": 0.0,
    "time_budget": 100.0,  # never binds: the textbook agent has no time constraint
    "effort_cost": 1.0,  # the textbook's unit cost
    "economic_shock_sd": 0.0,
    "life_event_rate": 0.0,
    "specialisation": 0.0,
    "funding_stake": 0.0,
    "status_concern": 0.0,
    "complexity": 0.0,
    "need_heterogeneity": 0.0,
    "base_autonomy": 0.0,
    "leader_turnover": 0.0,
}


def closed_form(alignment: float, incentive: float) -> dict[str, Any]:
    """Baker's (2002) answer for unit-length value and measure directions."""
    cos, sin = alignment, math.sqrt(1 - alignment**2)
    return {
        "effort": [incentive * cos, incentive * sin],
        "share_of_first_best": 2 * incentive * cos - incentive**2,
        "optimal_incentive": cos,
        "optimal_share": cos**2,
    }


def simulate(alignment: float, incentive: float, steps: int = 4, seed: int = 0) -> dict[str, Any]:
    """Run the model's workers in the limiting configuration and measure what they achieve.

    Effort is what each worker chose (sim.workers.Workers.plan_week); value is the need that
    help removed for citizens on their visits (sim.workers.Workers.work_week); cost is the quadratic
    effort cost of the chosen effort. The first best is a worker paid on value itself.
    """
    model = AccountabilityModel(
        rng=seed, measure_alignment=alignment, incentive_strength=incentive, **LIMIT_PARAMS
    )
    workers, effort_cost = model.workers, model.params.effort_cost
    workers.skill[:] = 1.0  # the textbook agent turns effort into value one for one
    effort, value, cost = [], [], []
    for _ in range(steps):
        model.step()
        workers.skill[:] = 1.0
        chosen = np.column_stack([workers.help_effort, workers.indicator_effort])
        effort.append(chosen.mean(axis=0))
        value.append(model.citizens.value_delivered / len(workers.skill))
        cost.append(0.5 * effort_cost * (chosen**2).sum(axis=1).mean())
    first_best = 0.5 / effort_cost
    return {
        "effort": [float(x) for x in np.mean(effort, axis=0)],
        "share_of_first_best": float((np.mean(value) - np.mean(cost)) / first_best),
    }


def compare(alignment: float, incentive: float, steps: int = 4, seed: int = 0) -> dict[str, Any]:
    """Simulated and closed-form results side by side, with the relative error of the share."""
    simulated = simulate(alignment, incentive, steps, seed)
    theory = closed_form(alignment, incentive)
    share, expected = simulated["share_of_first_best"], theory["share_of_first_best"]
    return {
        "alignment": alignment,
        "incentive": incentive,
        "simulated": simulated,
        "closed_form": theory,
        "share_error": abs(share - expected) / max(abs(expected), 1e-12),
    }
