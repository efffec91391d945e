"""A model wrapper that fails for one parameter value, to test how sweeps record failures."""

import sim


def run(regime, steps, seed, **params):
    if params.get("incentive_strength") == 0.5 and regime == "outcomes":
        raise RuntimeError("deliberate failure for incentive_strength=0.5")
    return sim.run(regime, steps=steps, seed=seed, **params)
