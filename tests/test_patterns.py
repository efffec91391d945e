"""Validation: the model's patterns, each averaged over seeds, each shown to fail on a mutant.

Every pattern comes from what agents choose under the levers they face; no rule says "game under
targets" or "learning works". Each ``pattern_*`` function asserts one pattern and takes the name
of a mutant (tests/mutants.py): the same model with that pattern's mechanism switched off.
``test_each_pattern_fails_on_its_mutant`` runs every pattern against its mutant and expects the
assertion to fail, so no pattern test passes whatever the model does.
"""

import numpy as np
import pytest
from scipy.stats import spearmanr

from dashboards.scenarios import SCENARIOS
from sim.model import AccountabilityModel
from tests import mutants
from tests.conftest import SEEDS, late_mean, mean_frame, runs
from tests.test_systems import SYSTEM_PATTERNS_AND_MUTANTS

pytestmark = pytest.mark.slow

INCENTIVES = (0.0, 0.3, 0.6, 1.0, 2.0)
FEW = SEEDS[:6]
# Where targets work: a measure derived from purpose, simple needs alike from person to person.
FITTING = {"measure_alignment": 0.95, "complexity": 0.3, "need_heterogeneity": 0.0}
# The regions the dashboard and the bundled experiments show, declared once in the scenarios:
# targets beat learning where the measure fits, workers have little intrinsic motivation, there
# are no sanctions and learning is done expensively; learning theatre is much session time in a
# team that does not say what went wrong (steep hierarchy, pressure from above passed down).
TARGETS_WIN = SCENARIOS["Where targets beat learning"]
THEATRE = SCENARIOS["Learning theatre"]
GOODHART = {"measure_alignment": 0.9}  # Baker: the best incentive is cos(theta), here 0.9


def pattern_a_goodhart(mutant=None):
    def curve(column):
        return [
            late_mean("outcomes", column, mutant=mutant, incentive_strength=b, **GOODHART)
            for b in INCENTIVES
        ]

    gap, measured, wellbeing = (
        curve("gaming_gap"),
        curve("measured_performance"),
        curve("mean_wellbeing"),
    )
    assert np.all(np.diff(gap) > 0), gap
    assert np.all(np.diff(measured) > 0), measured
    assert gap[0] < 0.05 and gap[-1] > 0.25, gap
    peak = int(np.argmax(wellbeing))
    assert 0 < peak < len(INCENTIVES) - 1, wellbeing  # an interior peak
    assert wellbeing[peak] - wellbeing[-1] > 0.01, wellbeing


def pattern_b_targets_work_where_the_measure_fits(mutant=None):
    def mean(regime, column):
        return late_mean(regime, column, mutant=mutant, **FITTING)

    assert mean("outcomes", "true_performance") - mean("none", "true_performance") > 0.03
    assert mean("outcomes", "mean_wellbeing") - mean("none", "mean_wellbeing") > 0.005


def pattern_c_creaming_and_parking(mutant=None):
    def mean(regime, column):
        return late_mean(regime, column, mutant=mutant)

    assert mean("outcomes", "complex_contact_ratio") < 0.9
    assert mean("learning", "complex_contact_ratio") > 1.2
    assert mean("outcomes", "equity_gap") - mean("learning", "equity_gap") > 0.03
    assert mean("outcomes", "parked_share") - mean("learning", "parked_share") > 0.08


def _worker_frames(mutant=None, **params):
    out = []
    with mutants.applied(mutant):
        for seed in SEEDS[:6]:
            model = AccountabilityModel(rng=seed, worker_rows=True, **params)
            for _ in range(104):
                model.step()
            frame = model.worker_frame()
            out.append(frame[frame.step > 8])
    return out


def _far_above(mutant=None, **params):
    frames = _worker_frames(mutant, **params)
    return np.mean([((w.measured_performance - w.target) >= 0.1).mean() for w in frames])


def pattern_d_records_stop_at_the_target_only_where_going_beyond_does_not_pay(mutant=None):
    # With a ratchet, audits and a conscience, inventing beyond the target costs more than it
    # pays; without those brakes the records run past it.
    braked = _far_above(mutant)
    unbraked = _far_above(mutant, ratchet=0.0, audit_rate=0.0, intrinsic_motivation=0.1)
    assert braked < 0.05, braked
    assert unbraked > braked + 0.15, (braked, unbraked)


def pattern_d_records_bunch_at_the_target_and_reality_does_not(mutant=None):
    above, below, true_above = [], [], []
    for w in _worker_frames(mutant):
        recorded = w.measured_performance - w.target
        above.append(((recorded >= 0) & (recorded < 0.1)).mean())
        below.append(((recorded >= -0.1) & (recorded < 0)).mean())
        true = w.true_performance - w.target
        true_above.append(((true >= 0) & (true < 0.1)).mean())
    assert np.mean(above) > 0.25, above
    assert np.mean(above) > 2.5 * np.mean(below), (above, below)
    assert np.mean(true_above) < 0.05, true_above  # the bunch is in the records


def _rank_skill(frames, column):
    rho = [
        spearmanr(review[column], review.skill)[0]
        for w in frames
        for _, review in w.groupby("step")
    ]
    return float(np.nanmean(rho))


def pattern_e_rank_on_figures_hides_skill(mutant=None):
    measured = _rank_skill(_worker_frames(mutant), "measured_performance")
    # The same workers with a measure that is their citizens' wellbeing, no luck and no stakes.
    clean = {"measure_alignment": 1.0, "outcome_noise": 0.0, "funding_stake": 0.0}
    clean_rank = _rank_skill(_worker_frames(mutant, regime="none", **clean), "true_performance")
    assert abs(measured) < 0.25, measured  # the league table is mostly noise ...
    assert clean_rank > measured + 0.1, (clean_rank, measured)  # ... though skill is real


def pattern_e_harsher_sanctions_do_not_help(mutant=None):
    def mean(column, severity):
        return late_mean("outcomes", column, mutant=mutant, sanction_severity=severity)

    assert mean("mean_wellbeing", 1.0) <= mean("mean_wellbeing", 0.0)
    assert mean("mean_skill", 1.0) < mean("mean_skill", 0.0) - 0.01
    assert mean("worker_morale", 1.0) < mean("worker_morale", 0.0) - 0.05


def pattern_f_learning_builds_skill_trust_and_wellbeing_without_gaming(mutant=None):
    learning, none = mean_frame("learning", mutant=mutant), mean_frame("none", mutant=mutant)
    for column in ("mean_skill", "citizen_trust", "mean_wellbeing"):
        assert learning[column].iloc[-8:].mean() > none[column].iloc[-8:].mean() + 0.02, column
    assert learning.gaming_gap.abs().max() < 0.01
    assert learning.candour.iloc[-8:].mean() > 0.5


def pattern_f_learning_recovers_faster_after_the_environment_shift(mutant=None):
    def recovery(regime):
        df = mean_frame(regime, steps=104, mutant=mutant, shift_step=52)
        before, after = df.mean_knowledge.iloc[50], df.mean_knowledge.iloc[52]
        regained = (df.mean_knowledge.iloc[78] - after) / (before - after)
        wellbeing = df.mean_wellbeing.iloc[78] - df.mean_wellbeing.iloc[52]
        return regained, wellbeing

    learning, targets = recovery("learning"), recovery("outcomes")
    assert learning[0] > 0.4 and learning[0] > 1.5 * targets[0], (learning, targets)
    assert learning[1] > targets[1] + 0.01, (learning, targets)


def pattern_h_switch_to_learning_stops_gaming_fast_and_trust_recovers_slowly(mutant=None):
    df = mean_frame("outcomes", steps=156, mutant=mutant, switch_step=52)
    assert df.gaming_gap.iloc[40:50].mean() > 0.1
    assert df.gaming_gap.iloc[55:60].mean() < 0.02
    before, soon, later = (df.citizen_trust.iloc[i] for i in (50, 56, 155))
    assert later - before > 0.1
    assert (soon - before) < 0.3 * (later - before)


def pattern_i_gap_after_a_year_like_english_a_and_e(mutant=None):
    frames = runs("outcomes", seeds=range(12), mutant=mutant)
    gaps = [f.gaming_gap.iloc[48:56].mean() for f in frames]
    assert 0.15 <= np.mean(gaps) <= 0.25, gaps


def pattern_j_a_stake_from_above_is_enough_to_invent_records(mutant=None):
    gaps = [
        late_mean("none", "gaming_gap", seeds=FEW, mutant=mutant, funding_stake=stake)
        for stake in (0.0, 0.2, 0.5, 1.0)
    ]
    unpaid = runs("none", seeds=FEW, mutant=mutant, funding_stake=0.0)
    assert all((f.misreporting_share == 0).all() for f in unpaid)  # no stake, nothing invented
    assert np.all(np.diff(gaps) > 0) and gaps[1] > 0.01, gaps


def pattern_k_targets_beat_learning_on_wellbeing_and_trust_somewhere(mutant=None):
    def mean(regime, column):
        return late_mean(regime, column, seeds=FEW, mutant=mutant, **TARGETS_WIN)

    for column in ("mean_wellbeing", "citizen_trust"):
        assert mean("outcomes", column) > mean("learning", column), column


def pattern_l_learning_theatre_does_worse_than_no_accountability(mutant=None):
    def mean(regime, column):
        return late_mean(regime, column, seeds=FEW, mutant=mutant, **THEATRE)

    assert mean("learning", "mean_wellbeing") < mean("none", "mean_wellbeing")
    assert mean("learning", "candour") < 0.5


def pattern_m_learning_gains_most_where_people_differ(mutant=None):
    def advantage(heterogeneity, over):
        def mean(regime):
            return late_mean(
                regime,
                "mean_wellbeing",
                seeds=FEW,
                mutant=mutant,
                measure_alignment=0.95,
                need_heterogeneity=heterogeneity,
            )

        return mean("learning") - mean(over)

    # With a fitting measure targets steer help to where it is needed, in the standard way.
    for over in ("none", "outcomes"):
        alike, different = advantage(0.0, over), advantage(1.0, over)
        assert different > alike + 0.005, (over, alike, different)


def pattern_n_every_lever_costs_time(mutant=None):
    def cost(regime, **params):
        return late_mean(regime, "accountability_cost", seeds=FEW[:2], mutant=mutant, **params)

    assert cost("none") == 0
    assert cost("learning") > 0.1 and cost("outcomes") > 0.05
    assert cost("learning", learning_time=0.3) > cost("learning") + 0.1
    assert cost("learning", case_review_rate=0.6) > cost("learning") + 0.05


def pattern_o_specialists_win_where_needs_are_concentrated(mutant=None):
    def advantage(concentration):
        def mean(specialisation):
            return late_mean(
                "learning",
                "mean_wellbeing",
                seeds=FEW,
                mutant=mutant,
                specialisation=specialisation,
                need_concentration=concentration,
            )

        return mean(1.0) - mean(0.0)

    spread, concentrated = advantage(0.0), advantage(1.0)
    assert spread < 0 < concentrated, (spread, concentrated)


def pattern_p_citizens_reports_are_flattering_and_partial(mutant=None):
    reported = {"measure": "citizen_reported", "funding_stake": 0.0}
    gap = late_mean("learning", "gaming_gap", seeds=FEW, mutant=mutant, **reported)
    assert gap > 0.02, gap  # non-response of the hardest to help and courtesy, with no stake
    coached = late_mean("outcomes", "gaming_gap", seeds=FEW, mutant=mutant, **reported)
    assert coached > gap + 0.02, (gap, coached)  # where answers pay, some are coached


def pattern_q_new_managers_under_pressure_pass_it_down(mutant=None):
    pressed = {"funding_stake": 1.0, "hierarchy": 0.8}

    def stake(turnover):
        return late_mean(
            "learning", "mean_stake", seeds=FEW, mutant=mutant, leader_turnover=turnover, **pressed
        )

    assert stake(0.05) > stake(0.0) + 0.05, (stake(0.0), stake(0.05))


def test_gamed_figures_teach_less_than_honest_ones():
    # Invented records are read as if true: what the figures teach is corrupted in proportion.
    def knowledge(mutant=None):
        fitting_unaudited = {"measure_alignment": 0.95, "incentive_strength": 1.0, "audit_rate": 0}
        return late_mean(
            "outcomes", "mean_knowledge", seeds=FEW, mutant=mutant, **fitting_unaudited
        )

    assert knowledge() < knowledge("gamed_figures_still_teach") - 0.03


PATTERNS_AND_MUTANTS = [
    (pattern_a_goodhart, "no_invented_records"),
    (pattern_b_targets_work_where_the_measure_fits, "stakes_never_reach_workers"),
    (pattern_c_creaming_and_parking, "no_creaming"),
    (
        pattern_d_records_stop_at_the_target_only_where_going_beyond_does_not_pay,
        "no_invented_records",
    ),
    (pattern_d_records_bunch_at_the_target_and_reality_does_not, "no_target_step"),
    (pattern_e_rank_on_figures_hides_skill, "help_ignores_skill"),
    (pattern_e_harsher_sanctions_do_not_help, "sanctions_reach_nobody"),
    (pattern_f_learning_builds_skill_trust_and_wellbeing_without_gaming, "learning_does_nothing"),
    (pattern_f_learning_recovers_faster_after_the_environment_shift, "no_feedback_or_sessions"),
    (
        pattern_h_switch_to_learning_stops_gaming_fast_and_trust_recovers_slowly,
        "stakes_never_reach_workers",
    ),
    (pattern_i_gap_after_a_year_like_english_a_and_e, "no_invented_records"),
    (pattern_j_a_stake_from_above_is_enough_to_invent_records, "stakes_never_reach_workers"),
    (
        pattern_k_targets_beat_learning_on_wellbeing_and_trust_somewhere,
        "stakes_never_reach_workers",
    ),
    (pattern_l_learning_theatre_does_worse_than_no_accountability, "candour_fixed_at_one"),
    (pattern_m_learning_gains_most_where_people_differ, "everyone_alike"),
    (pattern_n_every_lever_costs_time, "learning_costs_no_time"),
    (pattern_o_specialists_win_where_needs_are_concentrated, "no_specialist_depth"),
    (pattern_p_citizens_reports_are_flattering_and_partial, "perfect_citizen_reports"),
    (pattern_q_new_managers_under_pressure_pass_it_down, "successor_keeps_commitment"),
]


@pytest.mark.parametrize(
    "pattern", [p for p, _ in PATTERNS_AND_MUTANTS], ids=lambda p: p.__name__[8:]
)
def test_pattern_holds(pattern):
    pattern()


@pytest.mark.parametrize(
    ("pattern", "mutant"),
    PATTERNS_AND_MUTANTS,
    ids=[f"{p.__name__[8:]}-{m}" for p, m in PATTERNS_AND_MUTANTS],
)
def test_each_pattern_fails_on_its_mutant(pattern, mutant):
    with pytest.raises(AssertionError):
        pattern(mutant)


def test_every_mutant_breaks_something():
    # A mutant no test runs shows nothing. Two are run outside the patterns: the figures'
    # honesty above, and help that does nothing in tests/test_limit.py; the whole system's
    # patterns run theirs in tests/test_systems.py.
    elsewhere = {"gamed_figures_still_teach", "help_does_nothing"}
    elsewhere |= {mutant for _, mutant in SYSTEM_PATTERNS_AND_MUTANTS}
    used = {mutant for _, mutant in PATTERNS_AND_MUTANTS} | elsewhere
    assert set(mutants.MUTANTS) == used
