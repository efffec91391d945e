"""Designs: from an experiment to parameter points, and from points to seeded runs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from experiments.spec import Experiment
from sim.params import PARAMS, defaults


@dataclass(frozen=True)
class Run:
    """One model run: a parameter point under one regime with one replicate seed."""

    run_id: int
    point_id: int
    regime: str
    replicate: int
    seed: int
    params: dict[str, Any]


def problem(exp: Experiment) -> dict:
    """The SALib problem dict for a sampler's bounds."""
    names = list(exp.sampler["bounds"])
    return {
        "num_vars": len(names),
        "names": names,
        "bounds": [exp.sampler["bounds"][k] for k in names],
    }


def samples(exp: Experiment) -> np.ndarray:
    """The sampler's matrix (one row per point), reproducible from the root seed."""
    from SALib.sample import latin, morris, sobol

    s, prob = exp.sampler, problem(exp)
    if s["method"] == "sobol":
        return sobol.sample(prob, s["n"], calc_second_order=False, seed=exp.seed)
    if s["method"] == "morris":
        return morris.sample(prob, s["n"], num_levels=s["levels"], seed=exp.seed)
    if s["method"] == "latin":
        return latin.sample(prob, s["n"], seed=exp.seed)
    grid = [np.linspace(lo, hi, s["n"]) for lo, hi in prob["bounds"]]
    return np.array(list(itertools.product(*grid)))


def _typed(name: str, value: float) -> Any:
    return round(value) if PARAMS[name].kind is int else float(value)


def points(exp: Experiment) -> list[dict[str, Any]]:
    """Every parameter point, base parameters included.

    An experiment's arms are its points, in the file's order; a parameter that one arm sets and
    another leaves alone is given its default in the other, so every point names every varied
    parameter (the run is the same either way).
    """
    if exp.arms:
        every = defaults()
        unset = {name: every[name] for name in exp.varied}
        return [unset | exp.base | arm for arm in exp.arms]
    if exp.sampler:
        names = list(exp.sampler["bounds"])
        return [
            exp.base | {k: _typed(k, v) for k, v in zip(names, row, strict=True)}
            for row in samples(exp)
        ]
    names = list(exp.vary)
    return [
        exp.base | dict(zip(names, combo, strict=True))
        for combo in itertools.product(*(exp.vary[k] for k in names))
    ]


def replicate_seed(root: int, replicate: int) -> int:
    """A run's seed from (root seed, replicate): the same in every regime and at every point."""
    return int(np.random.SeedSequence([root, replicate]).generate_state(1)[0])


def plan(exp: Experiment) -> list[Run]:
    """All runs, numbered in a fixed order so a run id means the same run on every machine."""
    seeds = [replicate_seed(exp.seed, rep) for rep in range(exp.replications)]  # once, not per run
    runs, run_id = [], 0
    for point_id, params in enumerate(points(exp)):
        for regime in exp.regimes:
            for rep in range(exp.replications):
                runs.append(
                    Run(run_id, point_id, regime, rep, seeds[rep], params | {"regime": regime})
                )
                run_id += 1
    return runs
