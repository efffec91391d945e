"""What is measured: the measure acts only through workers' stakes, and replacing it changes play.

Averaged over seeds. These are the model's answers to "Give up and Replace"; docs/masterclass.md
quotes the single-seed figures the room sees.
"""

import numpy as np
import pytest

from sim.agents import VALUES_BEFORE
from sim.measures import DOMAIN_SETS, measure
from sim.params import defaults
from tests.conftest import late_mean, runs


def test_the_designed_measure_scores_every_domain_as_designed():
    m = measure(defaults(), VALUES_BEFORE)
    assert m.weights is VALUES_BEFORE and not m.reported and m.fit(VALUES_BEFORE) == 1.0
    assert m.alignment**2 + m.focus**2 == pytest.approx(1.0)


@pytest.mark.parametrize("domains", [d for d in DOMAIN_SETS if d != "all"])
def test_a_partial_measure_weighs_only_its_domains_and_fits_value_less_well(domains):
    m = measure(defaults() | {"measured_domains": domains}, VALUES_BEFORE)
    kept = list(DOMAIN_SETS[domains])
    assert m.weights.sum() == pytest.approx(1.0)
    assert np.all(m.weights[kept] > 0) and np.all(np.delete(m.weights, kept) == 0)
    assert 0 < m.fit(VALUES_BEFORE) < 1


@pytest.mark.parametrize(
    "change", [{"measured_domains": "income"}, {"measure": "citizen_reported"}]
)
def test_without_stakes_the_measure_changes_no_ones_week(change):
    # Under no accountability nobody is paid on the measure, so what it scores is irrelevant
    # to what happens to citizens: wellbeing, trust and contacts are identical.
    for seed in (0, 1):
        base = runs("none", 52, (seed,))[0]
        other = runs("none", 52, (seed,), **change)[0]
        for col in ("mean_wellbeing", "citizen_trust", "parked_share", "mean_skill"):
            assert np.array_equal(base[col], other[col]), col


@pytest.mark.slow
def test_citizen_reports_leave_nothing_to_invent_and_no_indicator_only_work():
    frames = runs("outcomes", **{"measure": "citizen_reported"})
    for df in frames:
        assert (df.misreporting_share == 0).all() and (df.gaming_gap == 0).all()
    assert late_mean("outcomes", "gaming_time_share", measure="citizen_reported") < 0.05
    assert late_mean("outcomes", "gaming_time_share") > 0.4


@pytest.mark.slow
def test_replacing_the_measure_with_citizen_reports_helps_the_hardest_to_help():
    designed = {c: late_mean("outcomes", c) for c in ("parked_share", "equity_gap")}
    reported = {
        c: late_mean("outcomes", c, measure="citizen_reported")
        for c in ("parked_share", "equity_gap", "mean_wellbeing")
    }
    assert designed["parked_share"] - reported["parked_share"] > 0.1
    assert designed["equity_gap"] - reported["equity_gap"] > 0.05
    assert reported["mean_wellbeing"] > late_mean("outcomes", "mean_wellbeing") + 0.03
    # Creaming survives the new measure: the game changes, it does not end.
    assert late_mean("outcomes", "creaming_share", measure="citizen_reported") > 0.5


@pytest.mark.slow
def test_measuring_what_matters_least_steers_help_away_from_what_matters_most():
    designed = late_mean("outcomes", "mean_wellbeing")
    narrow = late_mean("outcomes", "mean_wellbeing", measured_domains="health+relationships")
    assert designed - narrow > 0.008
