"""What is measured: the measure acts only through workers' stakes, and replacing it changes play.

Averaged over seeds. These are the model's answers to "Give up and Replace"; docs/masterclass.md
quotes the single-seed figures the room sees.
"""

import numpy as np
import pytest

from sim.citizens import VALUES_BEFORE
from sim.measures import DOMAIN_SETS, measure
from sim.params import ModelParams
from tests.conftest import late_mean, runs


def test_the_designed_measure_scores_every_domain_as_designed():
    m = measure(ModelParams(), VALUES_BEFORE)
    assert m.weights is VALUES_BEFORE and not m.reported and m.fit(VALUES_BEFORE) == 1.0
    assert m.alignment**2 + m.focus**2 == pytest.approx(1.0)


@pytest.mark.parametrize("domains", [d for d in DOMAIN_SETS if d != "all"])
def test_a_partial_measure_weighs_only_its_domains_and_fits_value_less_well(domains):
    m = measure(ModelParams(measured_domains=domains), VALUES_BEFORE)
    kept = list(DOMAIN_SETS[domains])
    assert m.weights.sum() == pytest.approx(1.0)
    assert np.all(m.weights[kept] > 0) and np.all(np.delete(m.weights, kept) == 0)
    assert 0 < m.fit(VALUES_BEFORE) < 1


@pytest.mark.parametrize(
    "change", [{"measured_domains": "income"}, {"measure": "citizen_reported"}]
)
def test_without_stakes_the_measure_changes_no_ones_week(change):
    # With no accountability and no funding tied to the figures, nobody's figures are worth
    # anything, so what the measure scores is irrelevant to what happens to citizens.
    unpaid = {"funding_stake": 0.0}
    for seed in (0, 1):
        base = runs("none", 52, (seed,), **unpaid)[0]
        other = runs("none", 52, (seed,), **unpaid, **change)[0]
        for col in ("mean_wellbeing", "citizen_trust", "parked_share", "mean_skill"):
            assert np.array_equal(base[col], other[col]), col
        # Mutant check: a stake from above is enough for the measure to matter.
        paid = runs("none", 52, (seed,), funding_stake=0.5)[0]
        paid_other = runs("none", 52, (seed,), funding_stake=0.5, **change)[0]
        assert not np.array_equal(paid.mean_wellbeing, paid_other.mean_wellbeing)


@pytest.mark.slow
def test_with_the_stakes_kept_citizen_reports_are_gamed_too():
    # Nothing is left to write up, so most indicator-only work goes; but where answers pay,
    # workers coach those who answer and pick who is asked: the gap is smaller, not gone.
    reported = late_mean("outcomes", "gaming_gap", measure="citizen_reported")
    assert 0.05 < reported < late_mean("outcomes", "gaming_gap")
    coaching = late_mean("outcomes", "gaming_time_share", measure="citizen_reported")
    writing_up = late_mean("outcomes", "gaming_time_share")
    assert writing_up > 0.3 and 0 < coaching < writing_up / 4


@pytest.mark.slow
def test_replacing_the_measure_with_citizen_reports_helps_the_hardest_to_help():
    designed = {c: late_mean("outcomes", c) for c in ("parked_share", "equity_gap")}
    reported = {
        c: late_mean("outcomes", c, measure="citizen_reported")
        for c in ("parked_share", "equity_gap", "mean_wellbeing")
    }
    assert designed["parked_share"] - reported["parked_share"] > 0.1
    assert designed["equity_gap"] - reported["equity_gap"] > 0.02
    assert reported["mean_wellbeing"] > late_mean("outcomes", "mean_wellbeing") + 0.03
    # Creaming survives the new measure: the game changes, it does not end.
    assert late_mean("outcomes", "creaming_share", measure="citizen_reported") > 0.5


@pytest.mark.slow
def test_measuring_what_matters_least_steers_help_away_from_what_matters_most():
    designed = late_mean("outcomes", "mean_wellbeing")
    narrow = late_mean("outcomes", "mean_wellbeing", measured_domains="health+relationships")
    assert designed - narrow > 0.008
