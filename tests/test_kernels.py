"""Unit tests of the numerical kernels the agents decide with (sim.kernels)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import minimize

from sim.kernels import Blocks, Grouping, rank_within, waterfill, weigh_rows


def _objective(e, r, c):
    return -(r @ e - c / 2 * e @ e)


@settings(max_examples=200, deadline=None)
@given(
    arrays(float, (1, 3), elements=st.floats(-1, 3)),
    st.floats(0.1, 3),
    st.floats(0.0, 2),
)
def test_waterfill_is_the_constrained_optimum(r, cost, budget):
    e = waterfill(r, cost, np.array([budget]))[0]
    assert np.all(e >= 0) and e.sum() <= budget + 1e-9
    cons = [{"type": "ineq", "fun": lambda x: budget - x.sum()}]
    best = minimize(
        _objective,
        np.zeros(3),
        args=(r[0], cost),
        bounds=[(0, None)] * 3,
        constraints=cons,
        method="SLSQP",
    )
    assert _objective(e, r[0], cost) <= best.fun + 1e-6


def test_waterfill_binding_budget_equalises_marginal_returns():
    r = np.array([[0.9, 0.6, 0.1]])
    e = waterfill(r, 1.0, np.array([0.5]))[0]
    assert e.sum() == pytest.approx(0.5)
    assert r[0, 0] - e[0] == pytest.approx(r[0, 1] - e[1])  # same shadow price of time
    assert e[2] == 0
    np.testing.assert_allclose(waterfill(r, 1.0, np.array([0.0])), 0)


def testrank_within_groups_matches_pandas():
    rng = np.random.default_rng(0)
    groups, key = rng.integers(0, 7, 300), rng.random(300)
    expected = pd.Series(key).groupby(groups).rank(ascending=False, method="first") - 1
    np.testing.assert_array_equal(rank_within(groups, key), expected.to_numpy())


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 300), st.integers(0, 2**31 - 1))
def test_grouping_ranks_likerank_within_including_ties_and_infinities(k, n, seed):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, k, n)
    key = rng.choice([-np.inf, 0.0, 0.5, 1.0, 2.0], n) + (rng.random(n) < 0.5) * rng.random(n)
    np.testing.assert_array_equal(Grouping(groups).rank(key), rank_within(groups, key))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 40), st.integers(1, 300), st.integers(0, 2**31 - 1))
def test_positions_in_an_order_are_the_ranks(k, n, seed):
    rng = np.random.default_rng(seed)
    groups, key = rng.integers(0, k, n), rng.random(n)
    grouping = Grouping(groups)
    np.testing.assert_array_equal(grouping.positions(grouping.order(key)), rank_within(groups, key))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=80), st.integers(0, 2**32 - 1))
def test_blocks_compute_per_group_what_a_loop_over_the_groups_computes(groups, seed):
    """Means, ranks and arg-maxima by block equal a loop's, to the bit; so do the draws."""
    groups = np.unique(groups, return_inverse=True)[1]  # every group holds an item
    values = np.random.default_rng(seed).lognormal(0, 2, len(groups))
    blocks = Blocks(groups)
    looped = [np.flatnonzero(groups == group) for group in range(groups.max() + 1)]
    means, ranks, best = np.empty(len(looped)), np.empty(len(groups)), np.empty(len(looped))
    for block in blocks.blocks:
        means[block.groups] = values[block.items].mean(axis=1)
        ranks[block.items] = np.argsort(np.argsort(-values[block.items], axis=1), axis=1)
        best[block.groups] = block.items[np.arange(len(block.items)), values[block.items].argmax(1)]
    for group, members in enumerate(looped):
        assert np.array_equal(blocks.members(group), members)
        assert means[group] == values[members].mean()  # exact: the same order of summation
        assert np.array_equal(ranks[members], np.argsort(np.argsort(-values[members])))
        assert best[group] == members[np.argmax(values[members])]
    rng, loop_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    ties, luck = blocks.paired_uniforms(rng)
    for members in looped:
        first, second = loop_rng.random(len(members)), loop_rng.random(len(members))
        assert np.array_equal(ties[np.isin(blocks.order, members)], first)
        assert np.array_equal(luck[np.isin(blocks.order, members)], second)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(0, 3 * 8_192 + 3), st.integers(0, 2**32 - 1))
def test_weighing_rows_a_block_at_a_time_gives_the_whole_product_to_the_bit(columns, rows, seed):
    """Blocks of rows (a lone last row too) give what one BLAS call on the whole matrix gives."""
    rng = np.random.default_rng(seed)
    matrix = rng.random((rows, columns)) * rng.choice([1e-3, 1.0, 1e3], (rows, columns))
    weights = rng.random(columns)
    np.testing.assert_array_equal(weigh_rows(matrix, weights), matrix @ weights)


@pytest.mark.parametrize("rows", [2 * 2_048 + 1, 1_000_000])
def test_weighing_a_citys_needs_by_blocks_gives_the_whole_product_to_the_bit(rows):
    """Four life domains: a lone last row, and a city's million rows (BLAS threaded, whole)."""
    rng = np.random.default_rng(rows)
    needs, values = rng.random((rows, 4)), np.array([0.4, 0.3, 0.2, 0.1])
    np.testing.assert_array_equal(weigh_rows(needs, values), needs @ values)
