"""Validation: the patterns of issue 2 section 5, each averaged over seeds, with tolerances.

Every pattern comes from workers' choices under the levers they face; no rule says "game under
targets". Where a pattern rests on a fixed behavioural rule, the test or ODD says which.
"""

import numpy as np
import pytest
from scipy.stats import spearmanr

from sim.model import AccountabilityModel
from tests.conftest import SEEDS, late_mean, mean_frame, runs

pytestmark = pytest.mark.slow

INCENTIVES = (0.0, 0.3, 0.6, 1.0, 2.0)


def _curve(column):
    return [late_mean("outcomes", column, incentive_strength=b) for b in INCENTIVES]


def test_a_goodhart_gap_rises_measured_rises_wellbeing_peaks_at_moderate_incentive():
    gap, measured, wellbeing = (
        _curve("gaming_gap"),
        _curve("measured_performance"),
        _curve("mean_wellbeing"),
    )
    assert np.all(np.diff(gap) > 0), gap
    assert np.all(np.diff(measured) > 0), measured
    assert gap[0] < 0.01 and gap[-1] > 0.3
    peak = int(np.argmax(wellbeing))
    assert 0 < peak < len(INCENTIVES) - 1, wellbeing  # an interior peak
    assert wellbeing[peak] - wellbeing[0] > 0.01 and wellbeing[peak] - wellbeing[-1] > 0.03


def test_b_targets_work_where_the_measure_fits_the_purpose():
    fit = {"measure_alignment": 0.95, "complexity": 0.3, "incentive_strength": 0.6}
    targets_w = late_mean("outcomes", "mean_wellbeing", **fit)
    none_w = late_mean("none", "mean_wellbeing", **fit)
    targets_t = late_mean("outcomes", "true_performance", **fit)
    none_t = late_mean("none", "true_performance", **fit)
    assert targets_w - none_w > 0.03
    assert targets_t - none_t > 0.03


def test_c_creaming_and_parking_under_targets():
    ratio = late_mean("outcomes", "complex_contact_ratio")
    assert ratio < 0.9
    assert late_mean("learning", "complex_contact_ratio") > 1.5
    assert late_mean("outcomes", "equity_gap") - late_mean("learning", "equity_gap") > 0.04
    assert late_mean("outcomes", "parked_share") - late_mean("learning", "parked_share") > 0.08


def _worker_frames(**params):
    out = []
    for seed in SEEDS[:6]:
        m = AccountabilityModel(rng=seed, worker_rows=True, **params)
        for _ in range(104):
            m.step()
        w = m.worker_frame()
        out.append(w[w.step > 8])
    return out


def _far_above(**params):
    return np.mean(
        [((w.measured_performance - w.target) >= 0.1).mean() for w in _worker_frames(**params)]
    )


def test_d_records_stop_at_the_target_only_where_going_beyond_does_not_pay():
    # Whether records stop at the target is chosen: with a ratchet, audits and a conscience,
    # inventing beyond it costs more than it pays; without those brakes the records run past it.
    # (How many are invented below the target is a rule: enough to avert the miss.)
    braked = _far_above()
    unbraked = _far_above(ratchet=0.0, audit_rate=0.0, intrinsic_motivation=0.1)
    assert braked < 0.03
    assert unbraked > braked + 0.15


def test_d_worker_measured_performance_bunches_at_and_just_above_the_target():
    above, below, true_above = [], [], []
    for w in _worker_frames():
        x = w.measured_performance - w.target
        above.append(((x >= 0) & (x < 0.1)).mean())
        below.append(((x >= -0.1) & (x < 0)).mean())
        y = w.true_performance - w.target
        true_above.append(((y >= 0) & (y < 0.1)).mean())
    assert np.mean(above) > 0.25
    assert np.mean(above) > 2.5 * np.mean(below)
    assert np.mean(true_above) < 0.05  # the bunch is in the records, not in reality


def test_e_rank_is_mostly_noise_and_sanctioning_the_bottom_does_not_help():
    rho = []
    for w in _worker_frames():
        rho += [spearmanr(g.measured_performance, g.skill)[0] for _, g in w.groupby("step")]
    assert abs(np.nanmean(rho)) < 0.25
    harsh = late_mean("outcomes", "mean_wellbeing", sanction_severity=1.0)
    mild = late_mean("outcomes", "mean_wellbeing", sanction_severity=0.0)
    assert harsh <= mild
    assert late_mean("outcomes", "mean_skill", sanction_severity=1.0) < late_mean(
        "outcomes", "mean_skill", sanction_severity=0.0
    )


def test_f_learning_builds_skill_trust_and_wellbeing_with_no_gaming():
    df = mean_frame("learning")
    start, end = df.iloc[:4].mean(), df.iloc[-8:].mean()
    for col, rise in [("mean_skill", 0.2), ("citizen_trust", 0.1), ("mean_wellbeing", 0.05)]:
        assert end[col] - start[col] > rise, col
    assert df.gaming_gap.abs().max() < 0.005
    assert df.gaming_time_share.mean() < 0.05


def test_f_learning_recovers_faster_after_the_environment_shift():
    def recovery(regime):
        df = mean_frame(regime, steps=104, shift_step=52)
        before, after = df.mean_knowledge.iloc[50], df.mean_knowledge.iloc[52]
        regained = (df.mean_knowledge.iloc[78] - after) / (before - after)
        wellbeing = df.mean_wellbeing.iloc[78] - df.mean_wellbeing.iloc[52]
        return regained, wellbeing

    learn, target = recovery("learning"), recovery("outcomes")
    assert learn[0] > 0.4 and learn[0] > 1.5 * target[0]
    assert learn[1] > target[1] + 0.01


def test_h_switch_to_learning_gaming_falls_fast_trust_recovers_slowly():
    df = mean_frame("outcomes", steps=156, switch_step=52)
    assert df.gaming_gap.iloc[40:50].mean() > 0.1
    assert df.gaming_gap.iloc[55:60].mean() < 0.01
    before, soon, later = (df.citizen_trust.iloc[i] for i in (50, 56, 155))
    assert later - before > 0.1
    assert (soon - before) < 0.3 * (later - before)


def test_i_calibration_gap_after_a_year_like_english_a_and_e():
    gaps = [f.gaming_gap.iloc[48:56].mean() for f in runs("outcomes", seeds=range(12))]
    assert 0.15 <= np.mean(gaps) <= 0.25, gaps
