"""The output columns: the public contract that sweeps, dashboards and docs read.

One row per week. ``COLUMNS`` maps each column name to its meaning; the names are stable. In a
whole system (sim.services) each service's figures are computed as for a single service and
averaged over the services; what belongs to the people (wellbeing, trust, contacts from any
service) is computed once for them, and the last columns describe the system itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.arrays import FloatArray

if TYPE_CHECKING:
    from sim.model import AccountabilityModel
    from sim.services import Service

COLUMNS: dict[str, str] = {
    "step": "Week of the run (1 is the first week).",
    "regime": "Accountability regime in force this week (each service's, separated by commas, "
    "where the services differ).",
    "target": "Mean target across workers (share of caseload); empty when there are no targets.",
    "measured_performance": "Share of counted citizens with an outcome recorded, as reported "
    "upward (with citizens' own reports, the share of those who answered).",
    "true_performance": "Share of citizens who really achieved the measured outcome (the "
    "indicator's own definition of success, not their wellbeing).",
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
    "candour": "Mean over workers of their team's candour: whether people say what went wrong "
    "(0 never, 1 always).",
    "accountability_cost": "Share of all staff time (workers and managers) spent on holding to "
    "account: reporting, reviews, audits, sessions, case reviews, asking citizens, support.",
    "mean_stake": "Mean stake workers feel on their figures (own target, funding passed down, "
    "looking good).",
    "failure_demand": "Share of this week's demand on the services (contacts and referrals) caused "
    "by a failure to help properly the first time: a contact about the need presented at the "
    "citizen's last contact and not met then, or a referral for a need already referred on.",
    "handoffs": "Referrals from one service to another this week, per contact (0 with one "
    "service).",
    "attribution_error": "Share of the payments for results so far that went for outcomes the paid "
    "service did not cause, by counterfactual runs without each service's help (empty without "
    "payment by results).",
    "gaming_providers": "Share of providers that gamed over the last contract ended: whose figures "
    "reported over the contract exceeded what their citizens really achieved by more than "
    "sim.tendering.GAMING_LINE (empty before the first contract ends, or without re-tendering).",
}
# The columns that describe the system of services rather than any one service.
SYSTEM_COLUMNS = ("failure_demand", "handoffs", "attribution_error", "gaming_providers")
# One row per service each week, on request: the service's own figures and what it was paid.
SERVICE_COLUMNS = (
    "step",
    "service",
    *(name for name in COLUMNS if name not in SYSTEM_COLUMNS and name != "step"),
    "caseload",
    "paid_outcomes",
    "payments",
)
# Columns that count people over the run: summed over the services, not averaged.
SUMMED_COLUMNS = ("turnover", "dismissals")

# Plain words for the figures learners misread, used wherever they are shown side by side. Only
# true wellbeing is what citizens gained; true_performance counts outcomes by the indicator's own
# definition, leaving out invented records, so a regime can lead on it and trail on wellbeing.
GAINED = "what citizens gained"
REPORTED = "reported"
INDICATOR_REALLY = "the indicator, really"
WORDS_NOTE = (
    f"Only true wellbeing says {GAINED}. '{REPORTED.capitalize()}' is what the indicator shows; "
    f"'{INDICATOR_REALLY}' leaves out invented records: citizens who really reached the outcome "
    "the indicator counts, by its own definition, not what they gained."
)

WORKER_COLUMNS = (
    "step",
    "worker_id",
    "team",
    "measured_performance",
    "true_performance",
    "skill",
    "target",
)


def _ratio(part: float | np.number[Any], whole: float | np.number[Any]) -> float:
    return float(part / whole) if whole > 0 else float("nan")


def _mean(values: FloatArray) -> float:
    return float(values.mean()) if values.size else float("nan")  # tiny runs can have empty fifths


def step_row(model: AccountabilityModel) -> dict[str, Any]:
    """This week's row of COLUMNS, for the one service or the whole system."""
    rows = [service_row(service) for service in model.services]
    row = rows[0] if len(rows) == 1 else _combined(model, rows)
    demand = np.array([service.demand() for service in model.services]).sum(axis=0)
    contacts, repeats, referrals = (int(count) for count in demand)
    row["failure_demand"] = _ratio(repeats + model.rereferrals, contacts + referrals)
    row["handoffs"] = _ratio(referrals, contacts)
    row["attribution_error"] = model.attribution_error()
    row["gaming_providers"] = model.tendering.gaming_share
    return row


def service_rows(model: AccountabilityModel) -> list[dict[str, Any]]:
    """This week's row of SERVICE_COLUMNS for each service (payments are over the run so far)."""
    commissioner = model.commissioner
    return [
        {"service": service.index}
        | service_row(service)
        | {
            "caseload": int(service.citizens.open.sum()),
            "paid_outcomes": float(commissioner.paid_outcomes[service.index]),
            "payments": float(commissioner.payments[service.index]),
        }
        for service in model.services
    ]


def _combined(model: AccountabilityModel, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The services' rows as one: means over services, sums of counts, the people's own figures."""
    row = dict(rows[0])
    for column in rows[0]:
        values = [r[column] for r in rows]
        if column in SUMMED_COLUMNS:
            row[column] = sum(values)
        elif column not in ("step", "regime") and not all(np.isnan(values)):
            row[column] = float(np.nanmean(values))
    row["gaming_gap"] = row["measured_performance"] - row["true_performance"]
    regimes = [r["regime"] for r in rows]
    if len(set(regimes)) > 1:  # each service's own, in order, as service_regimes names them
        row["regime"] = ",".join(regimes)
    # Contacts from any service; wellbeing, trust and engagement are the people's (first row).
    people = [service.citizens for service in model.services]
    for column in ("mean_wellbeing", "equity_gap", "citizen_trust", "engagement"):
        row[column] = rows[0][column]
    recent = np.sum([case.contacts.sum(axis=0) for case in people], axis=0)
    weeks: FloatArray = np.sum([case.contact_weeks for case in people], axis=0)
    first = people[0]
    row["parked_share"] = float((recent == 0).mean())
    row["complex_contact_ratio"] = _ratio(_mean(weeks[first.hardest]), _mean(weeks[first.simplest]))
    return row


def service_row(model: Service) -> dict[str, Any]:
    """This week's row for one service (the columns before SYSTEM_COLUMNS)."""
    citizens, workers, levers = model.citizens, model.workers, model.levers
    counted = citizens.responded | citizens.false_record
    recorded = citizens.recorded.sum() / max(int(counted.sum()), 1)
    achieved = citizens.achieved.mean()
    budget = model.params.time_budget
    worked = workers.help_effort + workers.indicator_effort + workers.reflection
    time_used = worked + workers.accountability_time
    sessions = levers.learning_time * model.teams.commitment[workers.team] * budget
    learning = workers.reflection + sessions
    staff_time = budget * (len(workers.skill) + len(model.managers))
    holding = workers.accountability_time.sum() + model.teams.manager_time.sum()
    return {
        "step": model.week,
        "regime": model.regime.name,
        "target": float(np.mean(workers.target)) if levers.has_target else float("nan"),
        "measured_performance": float(recorded),
        "true_performance": float(achieved),
        "gaming_gap": float(recorded - achieved),
        "misreport_rate": _ratio(citizens.false_record.sum(), citizens.recorded.sum()),
        "gaming_time_share": _ratio(workers.gaming_time.sum(), time_used.sum()),
        "parked_share": float((citizens.contacts.sum(axis=0) == 0).mean()),
        "complex_contact_ratio": _ratio(
            _mean(citizens.contact_weeks[citizens.hardest]),
            _mean(citizens.contact_weeks[citizens.simplest]),
        ),
        "mean_wellbeing": float(citizens.wellbeing.mean()),
        "equity_gap": _mean(citizens.wellbeing[citizens.simplest])
        - _mean(citizens.wellbeing[citizens.hardest]),
        "citizen_trust": float(citizens.trust.mean()),
        "worker_morale": float(1 - workers.stress.mean()),
        "turnover": workers.quits + workers.dismissals,
        "mean_skill": float(workers.skill.mean()),
        "learning_time_share": _ratio(learning.sum(), time_used.sum()),
        "engagement": float(citizens.engaged.mean()),
        "mean_knowledge": float(workers.knowledge.mean()),
        "mean_motivation": float(workers.motivation.mean()),
        "creaming_share": float((workers.creams & (workers.stake > 0)).mean()),  # choices that bite
        "misreporting_share": float(workers.misreports.mean()),
        "dismissals": workers.dismissals,
        **model.last_review,
        "candour": float(model.teams.candour[workers.team].mean()),
        "accountability_cost": float(holding / staff_time),
        "mean_stake": float(workers.stake.mean()),
    }


def _ranks(values: FloatArray) -> FloatArray:
    return np.argsort(np.argsort(values, kind="stable"), kind="stable").astype(float)


def review_stats(model: Service) -> dict[str, float]:
    """Figures only a review can show: bunching at the target, and how far rank reflects skill."""
    workers = model.workers
    measured = workers.measured_sum / np.maximum(workers.weeks, 1)
    distance = measured - workers.target
    bunching = float("nan")
    if model.levers.has_target:
        bunching = float(
            ((distance >= 0) & (distance < 0.1)).mean()
            - ((distance >= -0.1) & (distance < 0)).mean()
        )
    rho = float("nan")
    if len(measured) > 2 and measured.std() > 0 and workers.skill.std() > 0:
        rho = float(np.corrcoef(_ranks(measured), _ranks(workers.skill))[0, 1])
    return {"bunching": bunching, "rank_skill_corr": rho}


def worker_rows(model: Service) -> list[dict[str, Any]]:
    """One row per worker for the review period just ended."""
    workers = model.workers
    weeks = np.maximum(workers.weeks, 1)
    measured, true = workers.measured_sum / weeks, workers.true_sum / weeks
    return [
        {
            "step": model.week,
            "worker_id": workers.holder(post).unique_id,
            "team": int(workers.team[post]),
            "measured_performance": float(measured[post]),
            "true_performance": float(true[post]),
            "skill": float(workers.skill[post]),
            "target": float(workers.target[post]),
        }
        for post in range(len(workers.skill))
    ]
