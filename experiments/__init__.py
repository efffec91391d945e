"""Parameter sweeps for researchers: experiment files, executors, tidy results, analysis.

Layers, each replaceable: ``spec`` (TOML files) -> ``design`` (points and seeded runs) ->
``runner`` (the model wrapped once) -> ``execute`` (sequential, processes, Dask) ->
``store`` (atomic Parquet parts, manifest, resume) -> ``analysis`` (CIs, paired differences,
figures, SALib).
"""

from experiments.analysis import load
from experiments.spec import Experiment, SpecError

__all__ = ["Experiment", "SpecError", "load"]
