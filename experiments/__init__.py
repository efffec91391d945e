"""Parameter sweeps for researchers: experiment files, executors, tidy results, analysis.

Layers, each replaceable: ``spec`` (TOML files) -> ``design`` (points and seeded runs) ->
``runner`` (the model wrapped once) -> ``execute`` (sequential, processes, Dask) ->
``store`` (atomic Parquet parts, manifest, resume) -> ``analysis`` (CIs, paired differences,
figures, SALib).
"""

from __future__ import annotations

import importlib
from typing import Any

from experiments.spec import Experiment, SpecError

__all__ = ["Experiment", "SpecError", "load"]


def __getattr__(name: str) -> Any:
    # The analysis layer pulls in matplotlib and SciPy; the command line and the workers import
    # this package without needing them, so it is loaded on first use (PEP 562).
    if name == "load":
        return importlib.import_module("experiments.analysis").load
    if name == "analysis":
        return importlib.import_module("experiments.analysis")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
