"""Pattern g: the multitask principal-agent limit, reached by running the model's workers."""

import math

import numpy as np
import pytest

from sim.limit import closed_form, simulate
from tests import mutants


@pytest.mark.parametrize("alignment", [0.3, 0.6, math.sqrt(0.5), 0.9, 1.0])
@pytest.mark.parametrize("incentive", [0.2, 0.5, 1.0, 1.5])
def test_effort_and_share_match_baker_within_two_percent(alignment, incentive):
    sim, theory = simulate(alignment, incentive), closed_form(alignment, incentive)
    np.testing.assert_allclose(sim["effort"], theory["effort"], rtol=0.02, atol=1e-9)
    s, t = sim["share_of_first_best"], theory["share_of_first_best"]
    assert abs(s - t) <= 0.02 * max(abs(t), 0.05)


@pytest.mark.parametrize("alignment", [0.4, math.sqrt(0.5), 0.8])
def test_optimal_incentive_is_cos_theta_and_stronger_incentives_give_less(alignment):
    grid = np.round(np.arange(0.0, 1.61, 0.05), 2)
    shares = [simulate(alignment, b, steps=2)["share_of_first_best"] for b in grid]
    best = grid[int(np.argmax(shares))]
    assert abs(best - alignment) <= 0.025 + 1e-9
    assert max(shares) == pytest.approx(alignment**2, rel=0.02)
    after = np.array(shares)[grid > best]
    assert np.all(np.diff(after) < 0)


def test_half_of_first_best_at_45_degrees():
    c = math.sqrt(0.5)
    assert simulate(c, c)["share_of_first_best"] == pytest.approx(0.5, rel=0.02)


def test_the_limit_is_about_value_to_citizens_so_help_that_does_nothing_fails_it():
    # Mutant: help that removes no need. Effort is still Baker's, but the share of first-best
    # value is checked on what reached citizens, so the limit is no identity of the optimiser.
    c = math.sqrt(0.5)
    with mutants.applied("help_does_nothing"):
        sim = simulate(c, c)
    np.testing.assert_allclose(sim["effort"], closed_form(c, c)["effort"], rtol=0.02)
    assert sim["share_of_first_best"] < 0
