"""Whole systems: several services around each citizen, a commissioner, hand-offs, attribution.

The single service is the special case (``n_services = 1``): its outputs for a fixed seed are
today's, column for column. The system's patterns are averaged over seeds and each is shown to
fail on its mutant (tests/mutants.py), as in tests/test_patterns.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import sim
from sim.citizens import DOMAINS
from sim.metrics import COLUMNS, SERVICE_COLUMNS, SYSTEM_COLUMNS
from sim.model import AccountabilityModel
from sim.params import PARAMS, ParamError
from sim.services import Commissioner, scopes
from sim.tendering import GAMING_LINE
from tests import mutants
from tests.conftest import late_mean
from tests.test_pinned import CASES, PINS, WEEKS

SEEDS = (0, 1, 2, 3)
# Three services of the default size, each a quarter of its contract's value paid on results.
SYSTEM = {"n_services": 3, "payment_by_results": 0.5}


def _values(regime, seed, **params):
    """The pinned weeks' numbers, as tests/test_pinned.py reads them, with ``params`` set."""
    df = sim.run(regime, steps=max(WEEKS), seed=seed, switch_step=40, shift_step=30, **params)
    rows = df[df.step.isin(WEEKS)].select_dtypes("number")
    return {
        f"{col}@{int(step)}": float(v)
        for step, row in zip(rows.step, rows.to_dict("records"), strict=True)
        for col, v in row.items()
        if col != "step"
    }


def test_one_service_gives_the_pinned_outputs_whatever_the_contract():
    pinned = json.loads(PINS.read_text())
    for regime, seed in CASES[:2]:
        for contracting in ("siloed", "alliance"):
            got = _values(regime, seed, n_services=1, contracting=contracting)
            expected = pinned[f"{regime}/{seed}"]
            assert set(expected) <= set(got)
            for key, value in expected.items():
                assert np.isclose(got[key], value, rtol=1e-9, atol=1e-12, equal_nan=True), key


def test_the_system_columns_come_last_and_are_present_for_one_service():
    assert tuple(COLUMNS)[-len(SYSTEM_COLUMNS) :] == SYSTEM_COLUMNS
    df = sim.run("outcomes", steps=8, seed=1)
    assert (df.handoffs == 0).all()
    assert df.attribution_error.isna().all()  # no payment by results, nothing to attribute
    assert df.failure_demand.between(0, 1).all() and df.failure_demand.iloc[-1] > 0


def test_the_system_parameters_are_declared_with_bounds_and_sources():
    for name in ("n_services", "contracting", "payment_by_results"):
        param = PARAMS[name]
        assert param.meaning and param.source and param.group == "system"
    assert PARAMS["n_services"].default == 1 and PARAMS["payment_by_results"].default == 0
    assert PARAMS["n_services"].high == len(DOMAINS)  # at most one service per life domain
    with pytest.raises(ParamError, match="n_services=5 is out of range"):
        AccountabilityModel(rng=0, n_services=5)
    with pytest.raises(ParamError, match="contracting='pooled' is not allowed"):
        AccountabilityModel(rng=0, contracting="pooled")


def test_every_domain_belongs_to_one_service():
    for count in range(1, len(DOMAINS) + 1):
        owned = scopes(count)
        assert owned.shape == (count, len(DOMAINS))
        assert (owned.sum(axis=0) == 1).all() and owned.any(axis=1).all()


def test_each_service_is_an_organisation_of_its_own_around_the_same_people():
    model = AccountabilityModel(rng=2, regime="outcomes", n_services=3)
    first, second = model.services[0], model.services[1]
    assert first.workers is not second.workers and first.teams is not second.teams
    assert len(second.workers.skill) == model.params.n_workers
    assert len(model.agents_by_type[sim.agents.Worker]) == 3 * model.params.n_workers
    assert first.citizens.needs is second.citizens.needs  # one person, several caseloads
    assert first.citizens.trust is second.citizens.trust
    assert first.citizens.worker is not second.citizens.worker
    # Each citizen starts on the caseload of the service of their main need.
    starts = np.stack([service.citizens.open for service in model.services])
    assert (starts.sum(axis=0) == 1).all()
    assert isinstance(model.commissioner, Commissioner)
    for _ in range(30):
        model.step()
    later = np.stack([service.citizens.open for service in model.services])
    assert (later.sum(axis=0) > 1).any()  # referrals put some on several caseloads
    assert (later >= starts).all()


def test_a_contract_pays_on_its_own_indicator_and_stakes_follow_the_payment():
    siloed = AccountabilityModel(rng=0, contracting="siloed", **SYSTEM)
    alliance = AccountabilityModel(rng=0, contracting="alliance", **SYSTEM)
    for service in siloed.services:  # each indicator scores the service's own domains only
        assert (service.measure.weights[~service.scope] == 0).all()
        assert service.contract_stake == pytest.approx(0.5)
    for service in alliance.services:  # one contract, one indicator, one budget shared
        assert (service.measure.weights > 0).all()
        assert service.contract_stake == pytest.approx(0.5 / 3)
    assert len(siloed.commissioner.members) == 3 and len(alliance.commissioner.members) == 1


def test_attribution_costs_one_counterfactual_run_per_service_on_common_random_numbers():
    model = AccountabilityModel(rng=4, **SYSTEM)
    assert len(model.shadows) == 3
    assert not model.shadows[0].shadows  # a counterfactual run has no runs of its own
    for index, shadow in enumerate(model.shadows):
        assert [s.helps for s in shadow.services] == [float(k != index) for k in range(3)]
        np.testing.assert_array_equal(shadow.citizens.needs, model.citizens.needs)
    for _ in range(10):
        model.step()
    assert 0 <= model.attribution_error() <= 1
    assert AccountabilityModel(rng=4, n_services=3).shadows == []


def test_per_service_rows_on_request_add_up_to_the_system_row():
    model = AccountabilityModel(rng=3, service_rows=True, **SYSTEM)
    for _ in range(6):
        model.step()
    services, weeks = model.service_frame(), model.frame()
    assert list(services.columns) == list(SERVICE_COLUMNS)
    assert len(services) == 6 * 3 and set(services.service) == {0, 1, 2}
    last = services[services.step == 6]
    assert last.measured_performance.mean() == pytest.approx(weeks.measured_performance.iloc[-1])
    assert last.turnover.sum() == weeks.turnover.iloc[-1]
    assert (last.caseload > 0).all()
    for _, paid in services.groupby("service"):  # payments over the run so far only grow
        assert paid.payments.is_monotonic_increasing and paid.paid_outcomes.is_monotonic_increasing
    assert AccountabilityModel(rng=3).service_frame().empty  # nothing kept unless asked


def test_pressure_from_the_commissioner_reaches_workers_as_a_funding_stake():
    def stake(**params):
        return late_mean("none", "mean_stake", seeds=SEEDS[:2], n_services=3, **params)

    assert stake(payment_by_results=0.8) > stake(payment_by_results=0.0) + 0.1


# --- re-tendering ---------------------------------------------------------------------------------

# Small services, so that contract rounds are cheap: 150 citizens' worth, 9 workers, 3 teams.
SMALL = {"n_citizens": 150, "n_workers": 9, "n_managers": 3}
TENDERED = {**SYSTEM, **SMALL, "contract_years": 1}


def test_contract_years_is_declared_and_off_by_default():
    param = PARAMS["contract_years"]
    assert param.meaning and param.source and param.group == "system"
    assert param.default == 0 and param.kind is int
    with pytest.raises(ParamError, match="contract_years=-1 is out of range"):
        AccountabilityModel(rng=0, contract_years=-1)


def test_without_re_tendering_no_culture_is_drawn_and_no_provider_replaced():
    model = AccountabilityModel(rng=1, **{**TENDERED, "contract_years": 0})
    assert not model.tendering.active
    assert all(service.params is model.params for service in model.services)
    for _ in range(53):
        model.step()
    assert model.tendering.rounds == [] and model.frame().gaming_providers.isna().all()


def test_one_service_has_no_competitor_so_re_tendering_changes_nothing():
    params = {**SMALL, "payment_by_results": 0.5}
    alone = sim.run("outcomes", steps=60, seed=2, contract_years=1, **params)
    untendered = sim.run("outcomes", steps=60, seed=2, **params)
    assert alone.equals(untendered)
    assert alone.gaming_providers.isna().all()


def test_each_provider_has_its_own_culture_and_the_other_streams_are_untouched():
    tendered = AccountabilityModel(rng=5, **TENDERED)
    plain = AccountabilityModel(rng=5, **{**TENDERED, "contract_years": 0})
    cultures = {(s.params.intrinsic_motivation, s.params.status_concern) for s in tendered.services}
    assert len(cultures) == 3  # providers differ ...
    for service in tendered.services:  # ... in their culture alone
        assert service.params.measure_alignment == tendered.params.measure_alignment
        assert service.params.incentive_strength == tendered.params.incentive_strength
    np.testing.assert_array_equal(tendered.citizens.needs, plain.citizens.needs)
    for mine, theirs in zip(tendered.services, plain.services, strict=True):
        np.testing.assert_array_equal(mine.workers.skill, theirs.workers.skill)


def test_at_a_contracts_end_the_provider_reporting_worst_is_replaced_everywhere():
    model = AccountabilityModel(rng=3, **TENDERED)
    for _ in range(51):
        model.step()
    before = [(s.workers, s.managers[0], s.params) for s in model.services]
    reported = model.tendering.reported.copy()
    model.step()
    (record,) = model.tendering.rounds
    worst = record["replaced"]
    assert model.tendering.reported.sum() == 0  # a new contract starts its own tally
    assert worst == int(
        np.argmin(
            reported
            + [
                s.citizens.recorded.sum() / max(int(s.citizens.counted().sum()), 1)
                for s in model.services
            ]
        )
    )
    for service, (workers, manager, params) in zip(model.services, before, strict=True):
        replaced = service.index == worst
        assert (service.workers is not workers) == replaced
        assert (service.managers[0] is not manager) == replaced
        assert (service.params is not params) == replaced
    assert len(model.agents_by_type[sim.agents.Worker]) == 3 * SMALL["n_workers"]
    assert len(model.agents_by_type[sim.agents.Manager]) == 3 * SMALL["n_managers"]
    assert 0 <= record["gaming_share"] <= 1
    assert record["gamed"] == [gap > GAMING_LINE for gap in record["gaming_gap"]]
    assert model.frame().gaming_providers.iloc[-1] == record["gaming_share"]
    # The counterfactual runs for attribution replace the same provider by the same newcomer.
    for shadow in model.shadows:
        assert shadow.tendering.rounds[0]["replaced"] == worst
        assert shadow.services[worst].params == model.services[worst].params
    for _ in range(52):
        model.step()
    assert len(model.tendering.rounds) == 2


# --- patterns -------------------------------------------------------------------------------------


def _final(column, mutant=None, **params):
    with mutants.applied(mutant):
        return float(
            np.mean([sim.run("outcomes", seed=s, **params)[column].iloc[-1] for s in SEEDS])
        )


def pattern_attribution_is_large_and_grows_with_the_services_around_each_citizen(mutant=None):
    error = [
        _final("attribution_error", mutant, n_services=n, payment_by_results=0.5) for n in (2, 3, 4)
    ]
    assert error[1] > 0.6, error  # most paid outcomes were made elsewhere, or would have come
    assert error[1] - error[0] > 0.02 and error[2] - error[1] > 0.02, error


def pattern_siloed_contracts_hand_off_more_and_fail_more(mutant=None):
    def mean(column, contracting):
        return late_mean(
            "outcomes", column, seeds=SEEDS, mutant=mutant, contracting=contracting, **SYSTEM
        )

    assert mean("handoffs", "siloed") > 2 * mean("handoffs", "alliance")
    assert mean("failure_demand", "siloed") - mean("failure_demand", "alliance") > 0.1


# One-year contracts of the small services above; the measure poorly aligned.
TENDER_ROUNDS = 4
POOR_ALIGNMENT = 0.3


def _tender_rounds(mutant=None, **params):
    """Every contract round's record, over SEEDS, of TENDER_ROUNDS one-year contracts."""
    records = []
    with mutants.applied(mutant):
        for seed in SEEDS:
            model = AccountabilityModel(rng=seed, **{**TENDERED, **params})
            for _ in range(52 * TENDER_ROUNDS):
                model.step()
            records += model.tendering.rounds
    return records


def pattern_selection_on_reported_figures_replaces_the_most_honest_provider(mutant=None):
    # The selection half of the pattern: with a poorly aligned measure the provider whose
    # figures look worst is the one that gamed least. Whether the share of gaming providers then
    # rises is reported in docs/ODD.md 9.4: in this model it does not (not asserted).
    records = _tender_rounds(mutant, measure_alignment=POOR_ALIGNMENT)
    gaps = [np.array(record["gaming_gap"]) for record in records]
    chosen = [record["replaced"] for record in records]
    most_honest = np.mean([int(np.argmin(gap)) == k for gap, k in zip(gaps, chosen, strict=True)])
    below_others = np.mean(
        [gap[k] - np.delete(gap, k).mean() for gap, k in zip(gaps, chosen, strict=True)]
    )
    assert most_honest > 0.6, most_honest  # chance: one in three
    assert below_others < -0.02, below_others


SYSTEM_PATTERNS_AND_MUTANTS = [
    (
        pattern_attribution_is_large_and_grows_with_the_services_around_each_citizen,
        "help_kept_in_counterfactual",
    ),
    (pattern_siloed_contracts_hand_off_more_and_fail_more, "contracts_pay_on_the_shared_indicator"),
    (
        pattern_selection_on_reported_figures_replaces_the_most_honest_provider,
        "tenders_judged_on_true_results",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(
    "pattern", [p for p, _ in SYSTEM_PATTERNS_AND_MUTANTS], ids=lambda p: p.__name__[8:]
)
def test_system_pattern_holds(pattern):
    pattern()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("pattern", "mutant"),
    SYSTEM_PATTERNS_AND_MUTANTS,
    ids=[f"{p.__name__[8:]}-{m}" for p, m in SYSTEM_PATTERNS_AND_MUTANTS],
)
def test_each_system_pattern_fails_on_its_mutant(pattern, mutant):
    with pytest.raises(AssertionError):
        pattern(mutant)
