"""Accountability Lab's simulation core: the model, its parameters and its outputs."""

from sim.metrics import COLUMNS
from sim.model import AccountabilityModel, run
from sim.params import PARAMS, ModelParams, ParamError
from sim.regimes import PRESETS

__all__ = [
    "COLUMNS",
    "PARAMS",
    "PRESETS",
    "AccountabilityModel",
    "ModelParams",
    "ParamError",
    "run",
]
