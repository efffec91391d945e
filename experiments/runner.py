"""The model wrapped once: run a chunk of runs and return tidy rows and failures.

Executors only ever call ``run_chunk``; it is a plain top-level function so that process pools
and Dask can ship it to workers.
"""

from __future__ import annotations

import traceback
from typing import Any

import pandas as pd

from experiments.design import Run
from experiments.spec import model_function
from sim.params import validate

RUN_COLUMNS = ["run_id", "point_id", "replicate", "seed"]


def recorded(df: pd.DataFrame, steps: int, record: str | int) -> pd.DataFrame:
    """Keep the steps an experiment asked for: every step, every k steps, or the final one."""
    if record == "every":
        return df
    if record == "final":
        return df[df.step == steps]
    return df[(df.step % int(record) == 0) | (df.step == steps)]


def tidy(run: Run, df: pd.DataFrame) -> pd.DataFrame:
    """One row per recorded step with the run's identity, every parameter and every output."""
    out = df.rename(columns={"regime": "regime_in_force"}).reset_index(drop=True)
    ident = {
        "run_id": run.run_id,
        "point_id": run.point_id,
        "replicate": run.replicate,
        "seed": run.seed,
    }
    params = validate(run.params)
    cols = {k: [v] * len(out) for k, v in (ident | params).items()}
    return pd.concat([pd.DataFrame(cols), out], axis=1)


def run_chunk(
    model: str, runs: list[Run], steps: int, record: str | int
) -> tuple[pd.DataFrame | None, list[dict[str, Any]]]:
    """Run each run of a chunk; a run that raises is reported, and the others go on."""
    fn = model_function(model)
    frames, failures = [], []
    for run in runs:
        params = {k: v for k, v in run.params.items() if k != "regime"}
        try:
            df = fn(regime=run.regime, steps=steps, seed=run.seed, **params)
            frames.append(tidy(run, recorded(df, steps, record)))
        except Exception as err:  # a failed run is data, not a crash of the sweep
            failures.append(
                {
                    "run_id": run.run_id,
                    "point_id": run.point_id,
                    "regime": run.regime,
                    "replicate": run.replicate,
                    "seed": run.seed,
                    "params": run.params,
                    "error": f"{type(err).__name__}: {err}",
                    "traceback": traceback.format_exc(limit=5),
                }
            )
    return (pd.concat(frames, ignore_index=True) if frames else None), failures
