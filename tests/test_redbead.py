"""Deming's red bead experiment against sampling theory."""

import numpy as np
import pytest
from scipy import stats

from sim.redbead import RedBeadModel, long_run

N, RED, PADDLE = 4000, 800, 50
THEORY = stats.hypergeom(N, RED, PADDLE)


def test_np_chart_limits_are_about_1_5_and_18_5():
    low, centre, high = RedBeadModel(rng=0).limits()
    assert centre == 10
    assert low == pytest.approx(1.515, abs=0.01) and high == pytest.approx(18.485, abs=0.01)


def test_counts_follow_the_hypergeometric_distribution():
    x = np.concatenate([long_run(5000, seed=s) for s in range(4)])
    assert x.mean() == pytest.approx(THEORY.mean(), abs=0.06)
    assert x.var() == pytest.approx(THEORY.var(), rel=0.04)
    outside = ((x < 1.515) | (x > 18.485)).mean()
    expected = THEORY.cdf(1) + THEORY.sf(18)
    assert outside == pytest.approx(expected, abs=0.0015)
    # the whole distribution, not just two moments
    counts = np.bincount(x, minlength=26)[:26]
    probs = THEORY.pmf(np.arange(26))
    keep = probs * len(x) >= 5
    chi2 = stats.chisquare(counts[keep], probs[keep] / probs[keep].sum() * counts[keep].sum())
    assert chi2.pvalue > 0.001


@pytest.mark.parametrize(("bias", "mean"), [(-0.07, 9.4), (0.17, 11.3)])
def test_a_biased_paddle_shifts_the_long_run_average_as_deming_found(bias, mean):
    x = long_run(6000, paddle_bias=bias, seed=7)
    assert x.mean() == pytest.approx(mean, abs=0.15)


def test_the_foreman_judges_chance_no_worker_is_better_than_another():
    totals = np.zeros(6)
    for seed in range(300):
        model = RedBeadModel(rng=seed, fire_after=99)  # nobody fired: compare like with like
        for _ in range(4):
            model.step()
        totals += model.table().sum().to_numpy()
    per_day = totals / (300 * 4)
    assert np.all(np.abs(per_day - 10) < 0.3)


def test_the_programme_warns_rewards_and_fires():
    fired = 0
    for seed in range(50):
        model = RedBeadModel(rng=seed)
        for _ in range(4):
            model.step()
        assert any("merit award" in line for line in model.log)
        assert any("warned" in line for line in model.log)
        gone = [w for w in model.workers if w.status == "fired"]
        fired += len(gone)
        for w in gone:
            assert len(w.counts) == 3  # fired at the end of day 3, no count on day 4
    assert fired > 0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="n_red"):
        RedBeadModel(n_red=5000)
