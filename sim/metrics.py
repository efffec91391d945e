"""The output columns: the public contract that sweeps, dashboards and docs read.

One row per week. ``COLUMNS`` maps each column name to its meaning; the names are stable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sim.model import AccountabilityModel

COLUMNS: dict[str, str] = {
    "step": "Week of the run (1 is the first week).",
    "regime": "Accountability regime in force this week.",
    "target": "Mean target across workers (share of caseload); empty when there are no targets.",
    "measured_performance": "Share of caseloads with an outcome recorded, as reported upward.",
    "true_performance": "Share of caseloads that really achieved the measured outcome.",
    "gaming_gap": "measured_performance minus true_performance.",
    "misreport_rate": "Share of recorded outcomes that did not happen (after audits).",
    "gaming_time_share": "Share of worker time spent on work that only moves the indicator.",
    "parked_share": "Share of citizens with no real contact in the last 8 weeks.",
    "complex_contact_ratio": "Contacts of the most complex fifth of citizens over the least "
    "complex fifth, whole run so far (1 equal, below 1 the hardest get less).",
    "mean_wellbeing": "Mean true wellbeing of citizens (0 to 1).",
    "equity_gap": "Mean wellbeing of the least complex fifth minus that of the most complex fifth.",
    "citizen_trust": "Mean citizen trust in the service (0 to 1).",
    "worker_morale": "Mean worker morale, 1 minus stress (0 to 1).",
    "turnover": "Cumulative quits and dismissals.",
    "mean_skill": "Mean worker skill (0 to 1).",
    "learning_time_share": "Share of worker time in reflection and learning sessions.",
    "engagement": "Share of citizens who engaged with the service this week.",
    "mean_knowledge": "Mean worker knowledge of what works for whom (0 to 1).",
    "mean_motivation": "Mean intrinsic motivation of workers (0 to 1).",
    "creaming_share": "Share of workers whose choice of whom to see weighed closeness to the "
    "threshold (only where measured results pay).",
    "misreporting_share": "Share of workers who recorded outcomes that did not happen.",
    "dismissals": "Cumulative dismissals.",
    "bunching": "At the last review: share of workers recorded at or up to 0.1 above their target, "
    "minus the share up to 0.1 below it (empty without targets).",
    "rank_skill_corr": "At the last review: rank correlation between workers' measured "
    "performance and their skill.",
}

WORKER_COLUMNS = (
    "step",
    "worker_id",
    "team",
    "measured_performance",
    "true_performance",
    "skill",
    "target",
)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else float("nan")


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")  # tiny runs can have empty fifths


def step_row(model: AccountabilityModel) -> dict:
    """This week's row of COLUMNS."""
    c, w, lv = model.citizens, model.workers, model.levers
    recorded, achieved = c.recorded.mean(), c.achieved.mean()
    budget = model.p["time_budget"]
    time_used = w.h + w.m + w.reflect + budget * (lv.reporting_overhead + lv.learning_time)
    learning = w.reflect + budget * lv.learning_time
    return {
        "step": model.steps,
        "regime": model.regime.name,
        "target": float(np.mean(w.target)) if lv.has_target else float("nan"),
        "measured_performance": float(recorded),
        "true_performance": float(achieved),
        "gaming_gap": float(recorded - achieved),
        "misreport_rate": _ratio(c.false_record.sum(), c.recorded.sum()),
        "gaming_time_share": _ratio(w.gaming_time.sum(), time_used.sum()),
        "parked_share": float((c.contacts.sum(axis=0) == 0).mean()),
        "complex_contact_ratio": _ratio(
            _mean(c.contact_weeks[c.hardest]), _mean(c.contact_weeks[c.simplest])
        ),
        "mean_wellbeing": float(c.wellbeing.mean()),
        "equity_gap": _mean(c.wellbeing[c.simplest]) - _mean(c.wellbeing[c.hardest]),
        "citizen_trust": float(c.trust.mean()),
        "worker_morale": float(1 - w.stress.mean()),
        "turnover": w.quits + w.dismissals,
        "mean_skill": float(w.skill.mean()),
        "learning_time_share": _ratio(learning.sum(), time_used.sum()),
        "engagement": float(c.engaged.mean()),
        "mean_knowledge": float(w.knowledge.mean()),
        "mean_motivation": float(w.motivation.mean()),
        "creaming_share": float((w.creams & (w.stake > 0)).mean()),  # choices that bite
        "misreporting_share": float(w.misreports.mean()),
        "dismissals": w.dismissals,
        **model.last_review,
    }


def _ranks(x: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(x, kind="stable"), kind="stable").astype(float)


def review_stats(model: AccountabilityModel) -> dict[str, float]:
    """Figures only a review can show: bunching at the target, and how far rank reflects skill."""
    w = model.workers
    measured = w.measured_sum / np.maximum(w.weeks, 1)
    x = measured - w.target
    bunching = float("nan")
    if model.levers.has_target:
        bunching = float(((x >= 0) & (x < 0.1)).mean() - ((x >= -0.1) & (x < 0)).mean())
    rho = float("nan")
    if len(measured) > 2 and measured.std() > 0 and w.skill.std() > 0:
        rho = float(np.corrcoef(_ranks(measured), _ranks(w.skill))[0, 1])
    return {"bunching": bunching, "rank_skill_corr": rho}


def worker_rows(model: AccountabilityModel) -> list[dict]:
    """One row per worker for the review period just ended."""
    w = model.workers
    weeks = np.maximum(w.weeks, 1)
    measured, true = w.measured_sum / weeks, w.true_sum / weeks
    return [
        {
            "step": model.steps,
            "worker_id": w.agent[i].unique_id,
            "team": int(w.team[i]),
            "measured_performance": float(measured[i]),
            "true_performance": float(true[i]),
            "skill": float(w.skill[i]),
            "target": float(w.target[i]),
        }
        for i in range(len(w.skill))
    ]
