"""Shared helpers: seeded runs averaged over replicates, cached across tests, optionally mutated,
and the browser tests' server, chromium and offline pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache

import pandas as pd
import pytest

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


# Browser tests (tests/test_browser*.py) share one dashboard server and one chromium per module;
# every page they open blocks each request outside localhost and fails its test if one was tried.


@pytest.fixture(scope="module")
def dashboard_url() -> Iterator[str]:
    """A dashboard server for this test module (``solara run dashboards/app.py``)."""
    from dashboards.serve import server

    with server() as (url, _):
        yield url


@pytest.fixture(scope="module")
def browser():
    """A headless chromium for this test module."""
    from dashboards.serve import CHROMIUM, CHROMIUM_ARGS

    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_offline(browser, dashboard_url) -> Iterator[Callable]:
    """Opens dashboard pages offline; after the test, closes them and checks nothing left localhost.

    Yields:
        ``open(query="", width=1500, height=1100)`` returning a page ready to use (Step shown).
    """
    from dashboards.serve import open_page

    opened: list[tuple] = []

    def open_(query: str = "", width: int = 1500, height: int = 1100):
        blocked: list[str] = []
        ctx, page = open_page(browser, dashboard_url + query, blocked, width, height)
        opened.append((ctx, blocked))
        return page

    yield open_
    for ctx, _ in opened:
        ctx.close()
    assert [url for _, blocked in opened for url in blocked] == []


@pytest.fixture
def offline_page(open_offline):
    """A fresh dashboard session at 1500×1100, every request outside localhost blocked."""
    return open_offline()
