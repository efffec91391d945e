"""Numerical kernels the agents' weekly behaviour is written with.

Pure functions and small classes over NumPy arrays: a logistic choice, the effort allocation of
a worker under a time budget (the multitask agent's best response), ranking within fixed groups
such as caseloads, and fixed groups such as teams laid out for exact per-group arithmetic.
Nothing here knows about citizens, workers or regimes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from sim.arrays import BoolArray, FloatArray, IntArray

# Elements of the largest block ``weigh_rows`` hands to BLAS at once. OpenBLAS keeps a
# matrix-vector product on the calling thread below 2,304 x 4 elements and wakes its own threads
# above; at a city's size those threads spin on the other core (and fight other processes for
# it) for more CPU time than they save. 8,192 elements are 2,048 rows of four life domains.
BLAS_BLOCK_ELEMENTS = 8_192
# Blocks start on a multiple of this many rows, as BLAS's kernels group rows within one call.
BLAS_BLOCK_ALIGN = 64


def sigmoid(x: FloatArray) -> FloatArray:
    """Logistic function, safe for large arguments."""
    out: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))
    return out


def weigh_rows(matrix: FloatArray, weights: FloatArray) -> FloatArray:
    """Each row of ``matrix`` weighted by ``weights``: ``matrix @ weights``, a block at a time.

    The same BLAS call on blocks of rows gives each row the same sum as one call on the whole
    matrix (tests/test_kernels.py checks it, to the bit), on one thread.

    Args:
        matrix: One row per item, e.g. citizens' needs by life domain.
        weights: One weight per column.

    Returns:
        One weighted sum per row.
    """
    count = matrix.shape[0]
    out: FloatArray = np.empty(count)
    fit = BLAS_BLOCK_ELEMENTS // max(matrix.shape[1], 1)
    rows = max(fit // BLAS_BLOCK_ALIGN, 1) * BLAS_BLOCK_ALIGN
    bounds = [*range(0, count, rows), count]
    if len(bounds) > 2 and bounds[-1] - bounds[-2] == 1:
        # NumPy takes one row times a vector as a dot product, whose last bit can differ from
        # the matrix-vector routine's: the last row goes with the block before it.
        del bounds[-2]
    for start, stop in itertools.pairwise(bounds):
        np.matmul(matrix[start:stop], weights, out=out[start:stop])
    return out


def choose(utility: FloatArray, noise: float, uniform: FloatArray) -> BoolArray:
    """Logit choice: take an option with probability sigmoid(utility / noise); best at 0 noise."""
    if noise == 0:
        return utility > 0
    return uniform < sigmoid(utility / max(noise, 1e-9))


def waterfill(returns: FloatArray, cost: float, budget: FloatArray) -> FloatArray:
    """Best effort allocation under quadratic cost and a time budget.

    Each row maximises ``sum(r_k e_k) - cost/2 * sum(e_k**2)`` subject to ``sum(e_k) <= budget``
    and ``e_k >= 0``. The solution is ``e_k = max(r_k - nu, 0) / cost`` with the shadow price
    ``nu >= 0`` of time set so the budget binds only when it must.

    Args:
        returns: Perceived marginal return of each use of time, one row per worker.
        cost: Curvature of the effort cost.
        budget: Time available to each worker.

    Returns:
        Effort on each use of time, same shape as ``returns``.
    """
    positive = np.maximum(returns, 0.0)
    free: FloatArray = positive / cost
    over = free.sum(axis=1) > budget
    if not over.any():
        return free
    ordered = -np.sort(-positive[over], axis=1)
    count = np.arange(1, positive.shape[1] + 1)
    price = (np.cumsum(ordered, axis=1) - cost * budget[over, None]) / count
    last = np.maximum((ordered > price).sum(axis=1) - 1, 0)
    shadow = np.maximum(price[np.arange(len(last)), last], 0.0)
    out = free.copy()
    out[over] = np.maximum(positive[over] - shadow[:, None], 0.0) / cost
    return out


def rank_within(groups: IntArray, key: FloatArray) -> IntArray:
    """Rank of each item within its group, 0 for the largest key (ties keep index order)."""
    order = np.lexsort((-key, groups))
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(sorted_groups[1:] != sorted_groups[:-1]) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(sorted_groups)]))
    rank = np.empty(len(sorted_groups), dtype=np.int64)
    rank[order] = np.arange(len(sorted_groups)) - first
    return rank


class Grouping:
    """Rank items within groups that never change, fast: groups laid out once as table rows.

    ``rank(key)`` equals ``rank_within(groups, key)`` but sorts each short row instead of the
    whole population; caseloads are fixed for a run.
    """

    table: IntArray  # one row per group: the group's items, padded with -1
    filled: BoolArray  # where ``table`` holds an item
    items: IntArray  # the items in table order

    def __init__(self, groups: IntArray) -> None:
        order = np.argsort(groups, kind="stable")
        sorted_groups = groups[order]
        counts = np.bincount(groups)
        column = np.arange(len(sorted_groups)) - np.r_[0, np.cumsum(counts)[:-1]][sorted_groups]
        self.table = np.full((len(counts), counts.max(initial=0)), -1)
        self.table[sorted_groups, column] = order
        self.filled = self.table >= 0
        self.items = self.table[self.filled]

    def order(self, key: FloatArray) -> IntArray:
        """Each group's items sorted by ``key``, largest first, padded with -1 (one row a group)."""
        negated = np.full(self.table.shape, np.inf)  # padding sorts after every real item
        negated[self.filled] = -key[self.items]
        position = np.argsort(negated, axis=1, kind="stable")
        return np.take_along_axis(self.table, position, axis=1)

    def positions(self, order: IntArray) -> IntArray:
        """Each item's place in ``order`` (a result of ``order``): its rank by that key."""
        placed = order >= 0
        out = np.empty(len(self.items), dtype=np.int64)
        out[order[placed]] = np.nonzero(placed)[1]
        return out

    def rank(self, key: FloatArray) -> IntArray:
        """Rank of each item within its group, 0 for the largest key."""
        negated = np.full(self.table.shape, np.inf)
        negated[self.filled] = -key[self.items]
        position = np.argsort(negated, axis=1, kind="stable")
        ranks = np.empty_like(position)
        np.put_along_axis(ranks, position, np.arange(position.shape[1])[None, :], axis=1)
        out = np.empty(len(key), dtype=np.int64)
        out[self.items] = ranks[self.filled]
        return out


class Blocks:
    """Groups that never change, laid out as matrices of equal-sized groups, for exact arithmetic.

    Each block holds every group of one size, one row per group with its items in index order.
    NumPy reduces a matrix along its rows as it reduces each row alone (the same order of
    summation, the same sort), so a mean, rank or arg-maximum per row equals what a loop over the
    groups computes, to the bit; a loop over groups becomes one step per block (usually one or
    two sizes).

    Attributes:
        order: The items sorted by group, each group's items in index order (the loop's order).
        starts: Where each group begins in ``order``.
        sizes: How many items each group holds.
        blocks: One ``Block`` per size of group.
    """

    order: IntArray
    starts: IntArray
    sizes: IntArray
    blocks: list[Block]

    def __init__(self, groups: IntArray) -> None:
        self.order = np.argsort(groups, kind="stable")
        self.sizes = np.bincount(groups)
        self.starts = np.r_[0, np.cumsum(self.sizes)[:-1]]
        self.blocks = []
        for size in np.unique(self.sizes[self.sizes > 0]):
            chosen = np.flatnonzero(self.sizes == size)
            place = self.starts[chosen][:, None] + np.arange(size)
            self.blocks.append(Block(chosen, self.order[place], place))

    def members(self, group: int) -> IntArray:
        """The items of one group, in index order."""
        start = self.starts[group]
        out: IntArray = self.order[start : start + self.sizes[group]]
        return out

    def paired_uniforms(self, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        """Two uniform draws per item, as a loop drawing two arrays per group, group after group.

        Doubles from one Generator come one after another whatever the sizes asked for, so one
        call gives the loop's draws; each is returned at its item's place in ``order``.
        """
        drawn = rng.random(2 * len(self.order))
        group = np.repeat(np.arange(len(self.sizes)), self.sizes)
        place = np.arange(len(self.order)) + self.starts[group]
        return drawn[place], drawn[place + self.sizes[group]]


@dataclass(frozen=True, slots=True)
class Block:
    """Every group of one size: ``items[i]`` are the items of group ``groups[i]``.

    ``place`` gives each item's place in the ``Blocks.order`` the block was cut from, to read
    values laid out in that order (draws made group after group).
    """

    groups: IntArray
    items: IntArray
    place: IntArray
