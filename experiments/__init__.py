"""Parameter sweeps for researchers: experiment files, executors, tidy results, analysis.

Layers, each replaceable: ``spec`` (TOML files) -> ``design`` (points and seeded runs) ->
``runner`` (the model wrapped once) -> ``execute`` (sequential, processes, Dask) ->
``store`` (atomic Parquet parts, manifest, resume) -> ``analysis`` (CIs, paired differences,
figures, SALib).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["Experiment", "SpecError", "load"]

# Every name is loaded on first use (PEP 562): the analysis layer pulls in matplotlib and SciPy,
# which the command line and the workers seldom need, and ``python -m experiments`` imports this
# package before its entry point can catch a Ctrl-C pressed while NumPy loads.
_LAZY = {
    "Experiment": ("experiments.spec", "Experiment"),
    "SpecError": ("experiments.spec", "SpecError"),
    "load": ("experiments.analysis", "load"),
    "analysis": ("experiments.analysis", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _LAZY[name]
    imported = importlib.import_module(module)
    return imported if attribute is None else getattr(imported, attribute)
