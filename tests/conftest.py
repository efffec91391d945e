"""Shared helpers: seeded runs averaged over replicates, cached across tests, optionally mutated."""

from __future__ import annotations

from functools import cache

import pandas as pd

import sim
from tests import mutants

SEEDS = tuple(range(8))


@cache
def _runs(
    regime: str, steps: int, seeds: tuple[int, ...], items: tuple, mutant: str | None
) -> tuple[pd.DataFrame, ...]:
    with mutants.applied(mutant):
        return tuple(sim.run(regime, steps=steps, seed=s, **dict(items)) for s in seeds)


def runs(
    regime: str, steps: int = 104, seeds=SEEDS, mutant: str | None = None, **params
) -> tuple[pd.DataFrame, ...]:
    """One frame per seed (cached: many tests read the same runs); ``mutant`` names a switch-off."""
    return _runs(regime, steps, tuple(seeds), tuple(sorted(params.items())), mutant)


def mean_frame(
    regime: str, steps: int = 104, seeds=SEEDS, mutant: str | None = None, **params
) -> pd.DataFrame:
    """Weekly rows averaged over seeds (numeric columns)."""
    frames = runs(regime, steps, seeds, mutant, **params)
    return sum(f.select_dtypes("number") for f in frames) / len(frames)


def late_mean(
    regime: str,
    column: str,
    start: int = 52,
    seeds=SEEDS,
    mutant: str | None = None,
    **params,
) -> float:
    """Mean of a column over weeks after ``start`` and over seeds."""
    return float(
        mean_frame(regime, seeds=seeds, mutant=mutant, **params)[column].iloc[start:].mean()
    )
