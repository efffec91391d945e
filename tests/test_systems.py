"""Whole systems: several services around each citizen, a commissioner, hand-offs, attribution.

The single service is the special case (``n_services = 1``): its outputs for a fixed seed are
today's, column for column. The system's patterns are averaged over seeds and each is shown to
fail on its mutant (tests/mutants.py), as in tests/test_patterns.py.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import sim
from sim.citizens import DOMAINS
from sim.metrics import COLUMNS, SERVICE_COLUMNS, SYSTEM_COLUMNS
from sim.model import AccountabilityModel
from sim.params import PARAMS, ParamError
from sim.services import JOINT_REVIEW_TIME, Commissioner, scopes
from sim.tendering import GAMING_LINE
from tests import mutants
from tests.conftest import late_mean
from tests.test_pinned import CASES, PINS, pinned_values

SEEDS = (0, 1, 2, 3)
# Three services of the default size, each a quarter of its contract's value paid on results.
SYSTEM = {"n_services": 3, "payment_by_results": 0.5}
# The alliance as Plymouth practised it: one contract, the old measures used inside for learning.
LEARNING_INSIDE = ",".join(["learning"] * SYSTEM["n_services"])


def test_one_service_gives_the_pinned_outputs_whatever_the_contract():
    pinned = json.loads(PINS.read_text())
    for regime, seed in CASES[:2]:
        for contracting in ("siloed", "alliance"):
            got = pinned_values(regime, seed, n_services=1, contracting=contracting)
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
    for name in ("n_services", "contracting", "payment_by_results", "service_regimes"):
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


def test_each_service_runs_its_own_regime_and_all_switch_together():
    model = AccountabilityModel(
        rng=1, n_services=3, service_regimes="outcomes, learning,none", switch_step=3
    )
    assert model.params.service_regimes == "outcomes,learning,none"
    assert [s.regime.name for s in model.services] == ["outcomes", "learning", "none"]
    assert [s.levers.has_target for s in model.services] == [True, False, False]
    assert model.services[1].levers.shielding > 0 == model.services[0].levers.shielding
    for _ in range(3):
        model.step()
    regimes = model.frame().regime
    assert list(regimes[:2]) == ["outcomes,learning,none"] * 2 and regimes.iloc[2] == "learning"
    assert {s.regime.name for s in model.services} == {model.params.switch_to}


def test_service_regimes_default_to_regime_and_a_single_service_may_name_its_own():
    alike = sim.run("learning", steps=6, seed=3, n_services=3)
    named = sim.run("outcomes", steps=6, seed=3, n_services=3, service_regimes=LEARNING_INSIDE)
    assert alike.equals(named)
    one = sim.run("outcomes", steps=6, seed=3, service_regimes="learning")
    assert one.equals(sim.run("learning", steps=6, seed=3))


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"service_regimes": "outcomes,lerning,none"}, "'lerning' is not allowed: use empty"),
        ({"service_regimes": 3}, "service_regimes=3 is not allowed"),
        ({"service_regimes": "outcomes,learning"}, "names 2 regimes for n_services=3"),
    ],
)
def test_bad_service_regimes_get_one_line(values, words):
    with pytest.raises(ParamError, match=words) as raised:
        AccountabilityModel(rng=0, n_services=3, **values)
    assert "\n" not in str(raised.value)


def test_managers_under_one_contract_meet_as_a_system_at_a_cost_in_their_time():
    def after_a_week(**params):
        model = AccountabilityModel(rng=5, contracting="alliance", **(SYSTEM | params))
        model.step()
        return model

    meeting, apart = after_a_week(), after_a_week(stewardship_time=0.0)
    assert meeting.commissioner.terms.stewardship_time == PARAMS["stewardship_time"].default
    for service, alone in zip(meeting.services, apart.services, strict=True):
        assert service.stewardship == PARAMS["stewardship_time"].default
        assert service.peers == meeting.services
        extra = service.teams.manager_time - alone.teams.manager_time  # no support to take from
        np.testing.assert_allclose(extra, service.stewardship * meeting.params.time_budget)
    frame, alone_frame = meeting.frame(), apart.frame()
    assert frame.accountability_cost.iloc[0] > alone_frame.accountability_cost.iloc[0]
    # Siloed services, or one service alone under the alliance, have no one to meet.
    for params in ({"contracting": "siloed"}, {"contracting": "alliance", "n_services": 1}):
        model = AccountabilityModel(rng=5, **(SYSTEM | params))
        assert all(s.stewardship == 0 and not s.joint_review().any() for s in model.services)


def test_joint_reviews_see_as_much_as_the_sending_team_says_and_the_time_allows():
    model = AccountabilityModel(rng=6, contracting="alliance", stewardship_time=0.05, **SYSTEM)
    service = model.services[1]
    service.teams.candour[:] = [0.0, 0.5, 1.0]
    np.testing.assert_allclose(service.joint_review(), [0.0, 0.25, 0.5])
    assert 0.05 / JOINT_REVIEW_TIME == 0.5
    service.teams.candour[:] = 0.0  # the meetings are theatre: every hand-off is as cold as ever
    for _ in range(6):
        model.step()
        assert not service.referral_warmth.any()


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


def test_the_commissioner_judges_on_reported_and_true_results_as_tender_evaluation_weighs_them():
    param = PARAMS["tender_evaluation"]
    assert param.meaning and param.source and param.group == "system"
    assert param.default == 0 and param.bounds() == (0, 1)
    with pytest.raises(ParamError, match=r"tender_evaluation=1\.5 is out of range"):
        AccountabilityModel(rng=0, tender_evaluation=1.5)
    model = AccountabilityModel(rng=0, **TENDERED)
    tendering = model.tendering
    tendering.reported[:] = [0.2, 0.5, 0.4]
    tendering.achieved[:] = [0.3, 0.1, 0.2]
    for weight, worst in ((0.0, 0), (1.0, 1), (0.5, 0), (0.75, 1)):
        model.params = dataclasses.replace(model.params, tender_evaluation=weight)
        assert tendering.worst() == worst, weight


def test_dropping_the_counterfactual_runs_changes_nothing_but_attribution():
    # Tender tests that do not read attribution drop the counterfactual runs, for speed.
    def run(keep):
        model = AccountabilityModel(rng=7, **TENDERED)
        if not keep:
            model.shadows = []
        for _ in range(60):  # past the first contract's end: one provider replaced
            model.step()
        return model

    kept, dropped = run(True), run(False)
    assert kept.shadows and kept.tendering.rounds == dropped.tendering.rounds
    with_runs, without = kept.frame(), dropped.frame()
    assert with_runs.attribution_error.notna().all() and without.attribution_error.isna().all()
    columns = [column for column in with_runs.columns if column != "attribution_error"]
    assert with_runs[columns].equals(without[columns])
    for mine, theirs in zip(kept.services, dropped.services, strict=True):
        assert mine.params == theirs.params
        np.testing.assert_array_equal(mine.workers.skill, theirs.workers.skill)


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


def pattern_the_shielded_alliance_games_less_than_siloed_payment_by_results_at_a_cost(
    mutant=None,
):
    def mean(column, **params):
        return late_mean("outcomes", column, seeds=SEEDS, mutant=mutant, **(SYSTEM | params))

    alliance = {"contracting": "alliance", "service_regimes": LEARNING_INSIDE}
    siloed_gap, gap = mean("gaming_gap", contracting="siloed"), mean("gaming_gap", **alliance)
    unpaid_gap = mean("gaming_gap", **(alliance | {"payment_by_results": 0.0}))
    assert gap < siloed_gap / 2, (gap, siloed_gap)
    # The old measures are still fed upward and paid on, but managers keep them from workers.
    assert gap - unpaid_gap < 0.01, (gap, unpaid_gap)
    cost = mean("accountability_cost", **alliance)
    assert cost > mean("accountability_cost", contracting="siloed") + 0.02, cost


# One-year contracts of the small services above; the measure poorly aligned.
TENDER_ROUNDS = 4
POOR_ALIGNMENT = 0.3


def _tendered_models(rounds, seeds, mutant=None, **params):
    """Each seed's run of the small services after ``rounds`` one-year contracts."""
    models = []
    with mutants.applied(mutant):
        for seed in seeds:
            model = AccountabilityModel(rng=seed, **{**TENDERED, **params})
            model.shadows = []  # attribution is not read here: nothing else changes (test above)
            for _ in range(52 * rounds):
                model.step()
            models.append(model)
    return models


def _tender_rounds(mutant=None, **params):
    """Every contract round's record, over SEEDS, of TENDER_ROUNDS one-year contracts."""
    models = _tendered_models(TENDER_ROUNDS, SEEDS, mutant, **params)
    return [record for model in models for record in model.tendering.rounds]


def pattern_selection_on_reported_figures_replaces_the_most_honest_provider(mutant=None):
    # The selection half of the pattern: with a poorly aligned measure the provider whose
    # figures look worst is the one that gamed least. Under targets in every service (as here)
    # every provider games and the share of gaming providers cannot rise; where it does, the
    # pattern below asserts it.
    records = _tender_rounds(mutant, measure_alignment=POOR_ALIGNMENT)
    gaps = [np.array(record["gaming_gap"]) for record in records]
    chosen = [record["replaced"] for record in records]
    most_honest = np.mean([int(np.argmin(gap)) == k for gap, k in zip(gaps, chosen, strict=True)])
    below_others = np.mean(
        [gap[k] - np.delete(gap, k).mean() for gap, k in zip(gaps, chosen, strict=True)]
    )
    assert most_honest > 0.6, most_honest  # chance: one in three
    assert below_others < -0.02, below_others


# The rise needs providers that differ in gaming: under regime none (no targets inside) only the
# contract's payment by results is at stake, and how much a provider games depends on its culture.
# Under targets every provider games past GAMING_LINE and the share stays at 1 (docs/ODD.md 9.4).
SELECTION_SEEDS = tuple(range(12))
SELECTION_ROUNDS = 8
WELL_ALIGNED = 0.9


def _gaming_providers_after_the_rounds(mutant=None, **params):
    """Share of providers gaming in the last of SELECTION_ROUNDS contracts, one value a seed."""
    models = _tendered_models(
        SELECTION_ROUNDS, SELECTION_SEEDS, mutant, **({"regime": "none"} | params)
    )
    return np.array([model.tendering.gaming_share for model in models])


def pattern_selection_on_reported_figures_raises_gaming_only_where_the_measure_is_poor(
    mutant=None,
):
    # Paired by seed: the same citizens and luck, the commissioner judging providers on their
    # reported figures (tender_evaluation 0) or on what their citizens really achieved (1).
    def raised(alignment):
        reported = _gaming_providers_after_the_rounds(mutant, measure_alignment=alignment)
        true = _gaming_providers_after_the_rounds(
            mutant, measure_alignment=alignment, tender_evaluation=1.0
        )
        return float(np.mean(reported - true))

    poor, good = raised(POOR_ALIGNMENT), raised(WELL_ALIGNED)
    assert poor > 0.15, poor  # seeds 0-11 give 0.28; a third of the providers is 0.33
    assert good < 0.1, good  # 0.03
    assert poor - good > 0.15, (poor, good)


SYSTEM_PATTERNS_AND_MUTANTS = [
    (
        pattern_attribution_is_large_and_grows_with_the_services_around_each_citizen,
        "help_kept_in_counterfactual",
    ),
    (pattern_siloed_contracts_hand_off_more_and_fail_more, "contracts_pay_on_the_shared_indicator"),
    (
        pattern_the_shielded_alliance_games_less_than_siloed_payment_by_results_at_a_cost,
        "figures_fed_upward_unshielded",
    ),
    (
        pattern_selection_on_reported_figures_replaces_the_most_honest_provider,
        "tenders_judged_on_true_results",
    ),
    (
        pattern_selection_on_reported_figures_raises_gaming_only_where_the_measure_is_poor,
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
