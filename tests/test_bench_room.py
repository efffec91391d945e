"""The room benchmark's arithmetic: the median's confidence interval its figures carry."""

from __future__ import annotations

import random

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")

from dashboards.bench_room import CI_MIN, median_ci, spread


def test_the_median_interval_takes_the_order_statistics_around_the_middle():
    # n = 100: ranks 50 ∓ 9.8, i.e. the 40th and the 61st values.
    assert median_ci([float(v) for v in range(1, 101)]) == (40.0, 61.0)
    assert median_ci([1.0] * (CI_MIN - 1)) is None
    assert "95 % CI" in spread([v / 1000 for v in range(1, 31)])
    assert "CI" not in spread([0.1, 0.2, 0.3])


def test_the_median_interval_covers_the_true_median_about_95_times_in_100():
    draws = random.Random(5)
    trials, covered = 2000, 0
    for _ in range(trials):
        sample = [draws.expovariate(1.0) for _ in range(30)]
        low, high = median_ci(sample)
        covered += low <= 0.6931471805599453 <= high  # the exponential's median, ln 2
    assert 0.93 <= covered / trials <= 0.985  # order statistics err on the wide side
