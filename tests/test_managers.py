import dataclasses

import numpy as np

import sim
import sim.regimes

_levers = sim.regimes.Regime.levers


def _knowledge(steps=26, **params):
    return np.mean(
        [
            sim.run("learning", steps=steps, seed=seed, **params).mean_knowledge.iloc[-1]
            for seed in range(3)
        ]
    )


def test_asking_citizens_teaches_even_with_no_case_reviews(monkeypatch):
    asked = _knowledge(case_review_rate=0.0)
    monkeypatch.setattr(
        sim.regimes.Regime,
        "levers",
        lambda self, params: dataclasses.replace(_levers(self, params), citizen_voice=0.0),
    )
    assert asked > _knowledge(case_review_rate=0.0) + 0.01
