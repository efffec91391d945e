"""Fixed seeds give pinned outputs: speed work must not change results.

The pinned values live in tests/data/pinned.json. A deliberate change to the model updates them
with ``PIN_UPDATE=1 python -m pytest tests/test_pinned.py`` and says so in its commit message.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest

import sim

PINS = Path(__file__).parent / "data" / "pinned.json"
CASES = [("outcomes", 3), ("learning", 3), ("hybrid", 11), ("outcomes", 11)]
WEEKS = (1, 13, 52)


def pinned_values(regime, seed, **params):
    """The pinned weeks' numbers of one run, with ``params`` set (tests/test_systems.py too)."""
    df = sim.run(regime, steps=max(WEEKS), seed=seed, switch_step=40, shift_step=30, **params)
    rows = df[df.step.isin(WEEKS)].select_dtypes("number")
    return {
        f"{col}@{int(step)}": float(v)
        for step, row in zip(rows.step, rows.to_dict("records"), strict=True)
        for col, v in row.items()
        if col != "step"
    }


def test_fixed_seeds_give_the_pinned_outputs():
    got = {f"{r}/{s}": pinned_values(r, s) for r, s in CASES}
    if os.environ.get("PIN_UPDATE"):
        PINS.write_text(json.dumps(got, indent=1, sort_keys=True))
        pytest.skip("pins rewritten")
    pinned = json.loads(PINS.read_text())
    assert pinned.keys() == got.keys()
    for case, values in pinned.items():
        for key, expected in values.items():
            actual = got[case][key]
            assert np.isclose(actual, expected, rtol=1e-9, atol=1e-12, equal_nan=True), (
                f"{case} {key}: {actual} != pinned {expected}"
            )
