"""Shared helpers: seeded runs averaged over replicates, cached across tests."""

from __future__ import annotations

from functools import cache

import pandas as pd

import sim

SEEDS = tuple(range(8))


@cache
def _runs(
    regime: str, steps: int, seeds: tuple[int, ...], items: tuple
) -> tuple[pd.DataFrame, ...]:
    return tuple(sim.run(regime, steps=steps, seed=s, **dict(items)) for s in seeds)


def runs(regime: str, steps: int = 104, seeds=SEEDS, **params) -> tuple[pd.DataFrame, ...]:
    """One frame per seed (cached: many tests read the same runs)."""
    return _runs(regime, steps, tuple(seeds), tuple(sorted(params.items())))


def mean_frame(regime: str, steps: int = 104, seeds=SEEDS, **params) -> pd.DataFrame:
    """Weekly rows averaged over seeds (numeric columns)."""
    frames = runs(regime, steps, seeds, **params)
    return sum(f.select_dtypes("number") for f in frames) / len(frames)


def late_mean(regime: str, column: str, start: int = 52, **params) -> float:
    """Mean of a column over weeks after ``start`` and over seeds."""
    return float(mean_frame(regime, **params)[column].iloc[start:].mean())
