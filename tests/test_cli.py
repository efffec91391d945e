import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

PROJECT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    """``python -m sim`` from this checkout (not whichever one is installed), run in ``cwd``."""
    env = os.environ | {"PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, cwd=cwd, env=env
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--set", "incentive_strength=3"], "incentive_strength=3 is out of range"),
        (["run", "--set", "wibble=1"], "unknown parameter 'wibble'"),
        (["run", "--set", "n_workers=0"], "n_workers=0 is out of range"),
        (["run", "--set", "n_managers=31"], "n_managers=31 exceeds n_workers=30"),
        (["run", "--set", "audit_rate=some"], "audit_rate='some' is not a number"),
        (["run", "--set", "ratchet"], "is not name=value"),
        (["run", "--steps", "0"], "--steps: 0 is below 1"),
        (["run", "--regime", "chaos"], "invalid choice: 'chaos'"),
        (["run", "--out", "rows.xlsx"], "must end in .csv or .parquet"),
        (["compare", "--out", "fig.gif"], "must end in .png or .svg or .pdf"),
        (["limit", "--alignment", "1.5", "--incentive", "0.5"], "--alignment 1.5 is outside"),
        (["limit", "--alignment", "0.5"], "required: --incentive"),
        (["frobnicate"], "invalid choice"),
        (["run", "--steps", "2", "--out", "/proc/nowhere.csv"], "cannot write '/proc/nowhere.csv'"),
        (["run", "--out", "a.csv", "--workers-out", "a.csv"], "name the same file"),
        (["run", "--steps", "2", "--service-rows"], "--service-rows writes one row per service"),
        (
            ["run", "--out", "a.csv", "--workers-out", "a.services.csv", "--service-rows"],
            "--workers-out and --service-rows name the same file",
        ),
        (["run", "--out", "/proc/nowhere.csv", "--service-rows"], "cannot write '/proc/nowhere"),
        (["compare", "--out", "/proc/nowhere.png"], "cannot write '/proc/nowhere.png'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, words, tmp_path):
    out = cli(*args, cwd=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], out.stderr
    assert "Traceback" not in out.stderr
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_run_writes_csv_and_parquet_with_worker_rows(tmp_path):
    out = cli(
        "run",
        "--regime",
        "outcomes",
        "--steps",
        "12",
        "--seed",
        "1",
        "--set",
        "incentive_strength=0.8",
        "--out",
        str(tmp_path / "run.csv"),
        "--workers-out",
        str(tmp_path / "workers.parquet"),
    )
    assert out.returncode == 0, out.stderr
    rows = pd.read_csv(tmp_path / "run.csv")
    assert len(rows) == 12 and rows.gaming_gap.notna().all()
    workers = pd.read_parquet(tmp_path / "workers.parquet")
    assert set(workers.step) == {4, 8, 12} and len(workers) == 90
    again = cli(
        "run",
        "--steps",
        "12",
        "--seed",
        "1",
        "--set",
        "incentive_strength=0.8",
        "--out",
        str(tmp_path / "run.parquet"),
    )
    assert again.returncode == 0
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "run.parquet"), rows, check_dtype=False
    )


def test_service_rows_are_written_beside_the_weekly_rows_and_change_nothing(tmp_path):
    from sim.metrics import SERVICE_COLUMNS

    common = ["run", "--steps", "6", "--seed", "3", "--set", "n_services=3"]
    out = cli(*common, "--out", str(tmp_path / "run.parquet"), "--service-rows")
    assert out.returncode == 0, out.stderr
    beside = tmp_path / "run.services.parquet"
    assert out.stdout.strip().splitlines()[-2:] == [
        f"wrote 6 weeks of the outcomes regime to {tmp_path / 'run.parquet'}",
        f"wrote 18 service rows (3 services × 6 weeks) to {beside}",
    ]
    services = pd.read_parquet(beside)
    assert list(services.columns) == list(SERVICE_COLUMNS)
    assert sorted(set(services.service)) == [0, 1, 2] and sorted(set(services.step)) == [
        *range(1, 7)
    ]
    # Each service's paid outcomes so far only grow, and the weekly rows are the run without them.
    assert (services.groupby("service").paid_outcomes.diff().dropna() >= 0).all()
    plain = cli(*common, "--out", str(tmp_path / "plain.parquet"))
    assert plain.returncode == 0, plain.stderr
    pd.testing.assert_frame_equal(
        pd.read_parquet(tmp_path / "plain.parquet"), pd.read_parquet(tmp_path / "run.parquet")
    )


def test_compare_prints_a_table_and_writes_the_figure(tmp_path):
    out = cli("compare", "--seed", "1", "--steps", "30", "--out", str(tmp_path / "c.png"))
    assert out.returncode == 0, out.stderr
    assert "outcomes" in out.stdout and "learning" in out.stdout
    assert (tmp_path / "c.png").stat().st_size > 20_000
    # What citizens gained comes first; "really" only ever qualifies the indicator.
    rows = [line.split("  ")[0] for line in out.stdout.splitlines()[2:6]]
    assert rows == [
        "what citizens gained (true wellbeing)",
        "reported (indicator)",
        "the indicator, really",
        "gap: reported − the indicator, really",
    ]
    assert "true_performance" not in out.stdout and "measured_performance" not in out.stdout
    assert "Only true wellbeing says what citizens gained." in out.stdout


def test_params_lists_every_parameter():
    from sim.params import PARAMS

    out = cli("params", "--format", "json")
    rows = json.loads(out.stdout)
    assert [r["name"] for r in rows] == list(PARAMS)
    assert all({"default", "low", "high", "unit", "meaning"} <= set(r) for r in rows)
    table = cli("params").stdout
    assert all(name in table for name in PARAMS)


def test_limit_prints_simulated_and_closed_form_within_two_percent():
    out = cli("limit", "--alignment", "0.7071", "--incentive", "0.7071")
    result = json.loads(out.stdout)
    assert result["closed_form"]["share_of_first_best"] == pytest.approx(0.5, abs=1e-3)
    assert result["share_error"] < 0.02


def test_ctrl_c_is_one_line_exit_130_and_writes_nothing(tmp_path, monkeypatch, capsys):
    from sim import cli as command_line
    from sim.model import AccountabilityModel

    def interrupted(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(AccountabilityModel, "step", interrupted)
    status = command_line.main(["run", "--out", str(tmp_path / "rows.csv")])
    lines = capsys.readouterr().err.strip().splitlines()
    assert status == 130 and lines == ["python -m sim: interrupted"]
    assert list(tmp_path.iterdir()) == []
