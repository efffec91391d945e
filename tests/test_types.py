"""The model core type-checks: mypy over sim/ (configured in pyproject.toml) finds no errors."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

api = pytest.importorskip("mypy.api", reason="mypy comes with the [dev] extra")


def mypy(*args: str) -> tuple[str, int]:
    """Run mypy in this process with the project's configuration; its report and exit status."""
    # mypy's incremental cache (.mypy_cache, keyed by each file's hash) keeps a rerun fast.
    config = ["--config-file", str(ROOT / "pyproject.toml")]
    report, errors, status = api.run([*config, "--cache-dir", str(ROOT / ".mypy_cache"), *args])
    return report + errors, status


def test_mypy_finds_no_errors_in_sim():
    report, status = mypy(str(ROOT / "sim"))
    assert status == 0, f"mypy found errors in sim/:\n{report}"


def test_mypy_catches_a_parameter_read_by_a_wrong_name(tmp_path):
    """Parameters are typed attributes: a misspelt one is a type error, not a KeyError mid-run."""
    misspelt = tmp_path / "misspelt.py"
    misspelt.write_text(
        "from sim.params import ModelParams\n\n\n"
        "def stake(params: ModelParams) -> float:\n"
        "    return params.incentive_strenght\n"
    )
    report, status = mypy(str(misspelt))
    assert status == 1 and '"ModelParams" has no attribute "incentive_strenght"' in report, report
