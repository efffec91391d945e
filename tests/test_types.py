"""The model core type-checks: mypy over sim/ (configured in pyproject.toml) finds no errors."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

api = pytest.importorskip("mypy.api", reason="mypy comes with the [dev] extra")

# A parameter read by a misspelt name: with typed parameters, mypy must catch it.
MISSPELT = """from sim.params import ModelParams


def show(params: ModelParams) -> None:
    print(params.incentive_strenght)
"""


def test_mypy_finds_no_errors_in_sim_and_catches_a_misspelt_parameter(tmp_path):
    """One mypy run (so parallel test workers never share its cache) over sim/ and a probe."""
    probe = tmp_path / "misspelt.py"
    probe.write_text(MISSPELT)
    # mypy's incremental cache (.mypy_cache, keyed by each file's hash) keeps a rerun fast.
    config = ["--config-file", str(ROOT / "pyproject.toml")]
    cache = ["--cache-dir", str(ROOT / ".mypy_cache")]
    report, errors, _ = api.run([*config, *cache, str(ROOT / "sim"), str(probe)])
    lines = [line for line in (report + errors).splitlines() if ": error:" in line]
    in_sim = [line for line in lines if probe.name not in line]
    assert not in_sim, "mypy found errors in sim/:\n" + "\n".join(in_sim)
    assert len(lines) == 1, report + errors
    assert '"ModelParams" has no attribute "incentive_strenght"' in lines[0]
