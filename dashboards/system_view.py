"""Whole system: the services side by side, citizens moving between them, money following figures.

One run of a whole system (sim.services): several services around the same citizens, each with its
own domains, workers and managers, held to targets, paid by a commissioner under siloed contracts
or one alliance contract. The tab reads what the model did (each service's demand each week, the
commissioner's payments, the counterfactual runs behind ``attribution_error``) and says it in
plain words; nothing here decides what services do.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import pandas as pd
import solara
from matplotlib.figure import Figure

from dashboards.charts import INDICATOR_REALLY, REPORTED, png
from dashboards.glossary import explain, glossary_html
from sim.citizens import DOMAINS
from sim.model import AccountabilityModel
from sim.params import PARAMS, ParamError, check_seed, validate

WEEKS = 52  # a year: enough for the referrals and payments to settle, quick enough to wait for
REGIME = "outcomes"  # targets in every service, as in experiments/bundled/whole_system.toml
START = {"n_services": 3, "contracting": "siloed", "payment_by_results": 0.5}
# The words the tab uses for each statistic (every one has a glossary entry).
CASELOAD = "citizens on the caseload"
REFERRALS = "referrals sent"
HANDOFFS = "hand-offs"
FAILURE = "failure demand"
ATTRIBUTION = "attribution error"
PAID = "outcomes paid for"
CAUSED = "outcomes it caused"
PAYMENTS = "payments received"
NOT_CAUSED = "paid for but not caused"
LABELS = [
    CASELOAD,
    REFERRALS,
    HANDOFFS,
    FAILURE,
    ATTRIBUTION,
    PAID,
    CAUSED,
    PAYMENTS,
    NOT_CAUSED,
    REPORTED,
    INDICATOR_REALLY,
    "gaming gap",
    PARAMS["contracting"].label,
    PARAMS["payment_by_results"].label,
]
# Rows in these units are shown to one decimal; every other row is a count.
DECIMAL_UNITS = ("(%)", "(points)", "(weeks of contract value)")
SERVICE_COLOURS = ("#2c7fb8", "#d95f0e", "#31a354", "#756bb1")


@dataclass
class SystemRun:
    """What one run of the system did, in the tab's terms.

    Attributes:
        weekly: The model's weekly rows (sim.metrics.COLUMNS).
        services: The last week's row per service (sim.metrics.SERVICE_COLUMNS).
        scopes: For each service, the life domains it mainly helps with.
        flows: Referrals over the run, from service (row) to service (column).
        sent: Referrals each service sent over the run.
        caused: Outcomes each service caused over the run (counterfactual runs), or None without
            payment by results.
        contracts: How many contracts the commissioner holds.
    """

    weekly: pd.DataFrame
    services: pd.DataFrame
    scopes: list[list[str]]
    flows: np.ndarray
    sent: np.ndarray
    caused: np.ndarray | None
    contracts: int


def settings(n_services: Any, contracting: Any, payment_by_results: Any) -> dict[str, Any]:
    """The tab's parameters, checked by the model's own declarations.

    Raises:
        ParamError: One line naming the value and what is allowed.
    """
    given = {
        "n_services": n_services,
        "contracting": contracting,
        "payment_by_results": payment_by_results,
    }
    checked = validate(given)
    return {name: checked[name] for name in given}


def run_system(params: dict[str, Any], seed: int, weeks: int = WEEKS) -> SystemRun:
    """Run the system for ``weeks`` weeks, counting who is referred where each week."""
    model = AccountabilityModel(rng=seed, regime=REGIME, service_rows=True, **params)
    services = model.services
    owner = np.argmax(np.stack([service.scope for service in services]), axis=0)
    flows = np.zeros((len(services), len(services)), dtype=np.int64)
    for _ in range(weeks):
        model.step()
        for service in services:  # this week's referrals, kept until next week's work
            np.add.at(flows[service.index], owner[service.referral_domains], 1)
    frame = model.service_frame()
    return SystemRun(
        weekly=model.frame(),
        services=frame[frame.step == frame.step.max()].set_index("service"),
        scopes=[[d for d, mine in zip(DOMAINS, s.scope, strict=True) if mine] for s in services],
        flows=flows,
        sent=flows.sum(axis=1),
        caused=model.caused.copy() if model.shadows else None,
        contracts=len(model.commissioner.members),
    )


def service_name(index: int, scopes: list[list[str]]) -> str:
    """A service by number and the domains it mainly helps with."""
    return f"Service {index + 1} ({', '.join(scopes[index])})"


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else float("nan")


def services_table(result: SystemRun) -> pd.DataFrame:
    """The services side by side: caseload, figures, referrals and money, one column each."""
    names = [service_name(i, result.scopes) for i in range(len(result.scopes))]
    rows = result.services
    table = pd.DataFrame(
        {
            CASELOAD: rows.caseload.to_numpy(),
            f"{REPORTED} (%)": 100 * rows.measured_performance.to_numpy(),
            f"{INDICATOR_REALLY} (%)": 100 * rows.true_performance.to_numpy(),
            "gaming gap (points)": 100 * rows.gaming_gap.to_numpy(),
            REFERRALS: result.sent,
            f"{PAYMENTS} (weeks of contract value)": rows.payments.to_numpy(),
            PAID: rows.paid_outcomes.to_numpy(),
        },
        index=names,
    )
    if result.caused is not None:
        table[CAUSED] = result.caused
        paid = rows.paid_outcomes.to_numpy()
        table[f"{NOT_CAUSED} (%)"] = [
            100 * np.clip(1 - _share(c, p), 0, 1) for c, p in zip(result.caused, paid, strict=True)
        ]
    return table.T


def flows_table(result: SystemRun) -> pd.DataFrame:
    """Referrals over the run, from each service (rows) to each service (columns)."""
    names = [service_name(i, result.scopes) for i in range(len(result.scopes))]
    return pd.DataFrame(
        result.flows, index=[f"from {n}" for n in names], columns=[f"to {n}" for n in names]
    )


def headline(result: SystemRun, params: dict[str, Any]) -> list[str]:
    """The run in plain sentences: hand-offs, failure demand, where the money went."""
    late = result.weekly.iloc[len(result.weekly) // 2 :]
    handoffs, failure = late.handoffs.mean(), late.failure_demand.mean()
    services = len(result.scopes)
    contract = (
        "one contract and one budget for all of them, paid on one shared figure"
        if result.contracts == 1 < services
        else "each on its own contract, paid on its own figures"
    )
    lines = [
        f"{services} services, {contract}; targets in every service. "
        f"Over the second half of the year:",
        f"{HANDOFFS}: for every 100 contacts, {100 * handoffs:.0f} citizens were referred on to "
        "another service instead of being helped where they were.",
        f"{FAILURE}: {100 * failure:.0f} in every 100 contacts and referrals were caused by a "
        "failure to help properly the first time.",
    ]
    error = result.weekly.attribution_error.iloc[-1]
    if np.isnan(error):
        lines.append(
            f"No {PARAMS['payment_by_results'].label.lower()}: the money does not follow the "
            "figures, so there is nothing to attribute."
        )
    else:
        lines.append(
            f"{ATTRIBUTION}: of every 100 outcomes paid for, {100 * error:.0f} were not caused by "
            "the service that was paid (they would have happened anyway, were made by another "
            "service, or were never real)."
        )
    return lines


def figure(result: SystemRun) -> Figure:
    """Citizens moving (hand-offs and failure demand by week) and money following figures."""
    fig = Figure(figsize=(13, 4.2), dpi=90, layout="constrained")
    left, right = fig.subplots(1, 2)
    weekly = result.weekly
    left.plot(weekly.step, weekly.handoffs, lw=2, color="#d35400", label=HANDOFFS)
    left.plot(weekly.step, weekly.failure_demand, lw=2, color="#7f8c8d", label=FAILURE)
    left.plot(weekly.step, weekly.attribution_error, lw=2, color="#16a085", label=ATTRIBUTION)
    left.set_ylim(0, 1)
    left.set_xlabel("week")
    left.set_title(f"{HANDOFFS}, {FAILURE} and {ATTRIBUTION}, week by week")
    left.legend(fontsize=9, loc="lower right")
    left.grid(alpha=0.3)
    count = len(result.scopes)
    positions = np.arange(count)
    paid = result.services.paid_outcomes.to_numpy()
    colours = list(SERVICE_COLOURS[:count])
    right.bar(positions - 0.2, paid, width=0.4, color=colours, label=PAID)
    if result.caused is not None:
        right.bar(
            positions + 0.2, result.caused, width=0.4, color=colours, hatch="//", alpha=0.5,
            label=CAUSED,
        )  # fmt: skip
    right.set_xticks(positions, [service_name(i, result.scopes) for i in range(count)], fontsize=8)
    right.set_ylabel("outcomes over the year")
    right.set_title(f"The money follows the figures:\n{PAID} against {CAUSED}")
    right.legend(fontsize=9)
    right.grid(alpha=0.3, axis="y")
    return fig


def _number(value: float, counts: bool) -> str:
    """A count as a whole number, a share or money to one decimal, nothing as a dash."""
    if np.isnan(value):
        return "–"
    return f"{value:,.0f}" if counts else f"{value:,.1f}"


def _table_html(table: pd.DataFrame, css_class: str) -> str:
    """The table, each row in its unit: shares, points and money to one decimal, counts whole."""
    shown = pd.DataFrame(
        [
            [_number(float(value), not str(name).endswith(DECIMAL_UNITS)) for value in row]
            for name, row in table.iterrows()
        ],
        index=table.index,
        columns=table.columns,
    )
    return shown.to_html(border=0, classes=css_class)


@solara.component
def SystemView(active: bool = True):
    """The tab: choose the contract and the system; see the services, the flows and the money.

    Args:
        active: The tab is on screen; the run waits until it is, so opening the page stays fast.
    """
    chosen = solara.use_reactive(dict(START))
    seed = solara.use_reactive(1)
    problem = solara.use_reactive("")  # why the last value typed was not used

    def setter(name: str):
        def on_value(typed) -> None:
            # The main seed box's rule: a rejected value keeps the run on screen and says why.
            try:
                checked = settings(**(chosen.value | {name: typed}))
            except ParamError as err:
                problem.value = f"Not applied, the run below is unchanged: {err}"
                return
            problem.value = ""
            chosen.value = checked

        return on_value

    def set_seed(typed) -> None:
        try:
            seed.value = check_seed(typed)
        except ParamError as err:
            problem.value = f"Not applied, the run below is unchanged: {err}"
            return
        problem.value = ""

    result = solara.use_memo(
        lambda: run_system(chosen.value, seed.value) if active else None,
        [tuple(chosen.value.items()), seed.value, active],
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            "<h2>Whole system</h2><p>Several services work with the same citizens: each mainly "
            "helps with some parts of life, and refers citizens to the others for the rest. A "
            "commissioner pays them on the figures they report. Choose how the services are "
            "contracted, and the same citizens with the same luck live a year with them. The "
            "sidebar's settings are Compare's: this tab runs the model's defaults with the "
            "four settings below.</p>"
        ),
        style={"font-size": "1.15em", "max-width": "60em"},
    )
    with solara.Row():
        solara.Select(
            PARAMS["contracting"].label,
            values=list(PARAMS["contracting"].choices),
            value=chosen.value["contracting"],
            on_value=setter("contracting"),
        )
        # Plain values, not reactives: a rejected value must not become the tab's.
        solara.InputInt(
            PARAMS["n_services"].label,
            value=chosen.value["n_services"],
            on_value=setter("n_services"),
        )
        solara.InputFloat(
            PARAMS["payment_by_results"].label,
            value=chosen.value["payment_by_results"],
            on_value=setter("payment_by_results"),
        )
        solara.InputInt("Seed", value=seed.value, on_value=set_seed)
    if problem.value:
        solara.Warning(problem.value, dense=True, classes=["system-problem"])
    if result is None:
        return
    sentences = "".join(f"<li>{escape(line)}</li>" for line in headline(result, chosen.value))
    solara.HTML(
        tag="div",
        unsafe_innerHTML=explain(f"<ul>{sentences}</ul>"),
        style={"font-size": "1.15em"},
        classes=["system-headline"],
    )
    style = (
        "<style>.system td, .system th {padding: 0.1em 0.8em; text-align: right}"
        ".system th:first-child {text-align: left}</style>"
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=explain(
            style
            + "<h3>The services side by side (week "
            + f"{len(result.weekly)}; referrals, payments and outcomes over the year)</h3>"
            + _table_html(services_table(result), "system")
            + "<h3>Citizens moving between services: referrals over the year</h3>"
            + _table_html(flows_table(result), "system")
        ),
    )
    solara.Image(png(figure(result), dpi=90))
    solara.HTML(tag="div", unsafe_innerHTML=glossary_html(LABELS))
