import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
import sim
from experiments.design import plan, points, replicate_seed
from experiments.spec import SpecError, bundled, load, parse
from experiments.sweep import sweep

ROOT = Path(__file__).resolve().parents[1]
TINY = """
name = "tiny"
description = "a tiny sweep for tests"
regimes = ["outcomes", "learning"]
replications = 3
steps = 8
seed = 7
record = 4
[base]
n_citizens = 60
n_workers = 4
n_managers = 1
[vary]
incentive_strength = {start = 0.0, stop = 1.0, step = 0.5}
"""


def cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=ROOT
    )


def write(tmp_path, text, name="exp.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_design_expands_ranges_and_shares_seeds_across_regimes_and_points():
    exp = parse(TINY)
    assert [p["incentive_strength"] for p in points(exp)] == [0.0, 0.5, 1.0]
    runs = plan(exp)
    assert len(runs) == 3 * 2 * 3 and [r.run_id for r in runs] == list(range(18))
    for rep in range(3):
        seeds = {r.seed for r in runs if r.replicate == rep}
        assert seeds == {replicate_seed(7, rep)}  # common random numbers
    assert len({replicate_seed(7, r) for r in range(3)}) == 3


def test_every_executor_gives_identical_tables(tmp_path):
    exp = parse(TINY)
    tables = {}
    for kind in ("sequential", "processes", "dask-local"):
        counts = sweep(exp, str(tmp_path / kind), kind, workers=2, chunk=2)
        assert counts == {"planned": 18, "done": 18, "failed": 0, "remaining": 0}
        tables[kind] = experiments.load(tmp_path / kind)
    first = tables["sequential"]
    assert len(first) == 18 * 2 and first.groupby("run_id").size().eq(2).all()
    for kind in ("processes", "dask-local"):
        pd.testing.assert_frame_equal(tables[kind], first)
    manifest = json.loads((tmp_path / "processes" / "manifest.json").read_text())
    assert manifest["experiment"]["text"] == TINY
    assert set(manifest["runs"]["status"]) == {"done"}
    assert manifest["provenance"]["mesa"].startswith("3.")


def test_rows_carry_run_identity_every_parameter_and_every_output(tmp_path):
    from sim.metrics import COLUMNS
    from sim.params import PARAMS

    sweep(parse(TINY), str(tmp_path / "d"), "sequential")
    df = experiments.load(tmp_path / "d")
    expected = {
        "run_id",
        "point_id",
        "replicate",
        "seed",
        "regime_in_force",
        *PARAMS,
        *(set(COLUMNS) - {"regime"}),
    }
    assert expected == set(df.columns)
    assert sorted(df.step.unique()) == [4, 8]
    one = df[(df.regime == "outcomes") & (df.incentive_strength == 0.5) & (df.replicate == 1)]
    alone = sim.run(
        "outcomes",
        steps=8,
        seed=int(one.seed.iloc[0]),
        n_citizens=60,
        n_workers=4,
        n_managers=1,
        incentive_strength=0.5,
    )
    np.testing.assert_array_equal(one.gaming_gap.to_numpy(), alone.gaming_gap.iloc[[3, 7]])
    np.testing.assert_array_equal(one.mean_wellbeing.to_numpy(), alone.mean_wellbeing.iloc[[3, 7]])


def test_killed_sweep_resumes_with_every_run_exactly_once(tmp_path):
    text = TINY.replace("replications = 3", "replications = 12").replace("steps = 8", "steps = 30")
    exp_file = write(tmp_path, text)
    out = tmp_path / "killed"
    cmd = [
        sys.executable,
        "-m",
        "experiments",
        "run",
        exp_file,
        "--out",
        str(out),
        "--executor",
        "sequential",
        "--chunk",
        "1",
        "--batch-rows",
        "1",
    ]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while len(list((out / "parts").glob("part-*.parquet"))) < 5:
        assert proc.poll() is None, "the sweep finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = experiments.load(out).run_id.nunique()
    assert 5 <= partial < 72
    status = cli("status", str(out))
    assert f"{partial} done, 0 failed, {72 - partial} remaining" in status.stdout
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    df = experiments.load(out)
    assert sorted(df.run_id.unique()) == list(range(72))
    assert df.groupby("run_id").size().eq(8).all()  # weeks 4, 8, ..., 28 and the final 30
    assert not list((out / "parts").glob(".*.tmp"))


def test_a_raising_run_is_recorded_and_the_others_complete(tmp_path):
    text = TINY.replace("record = 4\n", 'record = 4\nmodel = "tests.flaky:run"\n')
    exp_file = write(tmp_path, text)
    out = tmp_path / "flaky"
    result = cli("run", exp_file, "--out", str(out), "--executor", "sequential")
    assert result.returncode == 1
    assert "15 done, 3 failed, 0 remaining of 18 runs" in result.stdout
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert len(failures) == 3
    assert all(
        f["params"]["incentive_strength"] == 0.5 and f["regime"] == "outcomes" for f in failures
    )
    assert "deliberate failure" in failures[0]["error"]
    assert experiments.load(out).run_id.nunique() == 15
    status = cli("status", str(out))
    assert status.returncode == 1 and "3 failed" in status.stdout


BAD = [
    ('name = "x"\n[base]\nwibble = 1\n', "unknown parameter 'wibble'"),
    ('name = "x"\n[vary]\naudit_rate = [0.1, 3.0]\n', "audit_rate=3 is out of range"),
    ('name = "x"\n[vary]\nratchet = {start = 0.5, stop = 0.1, step = 0.1}\n', "empty range"),
    ('name = "x"\n[vary]\nratchet = []\n', "empty list"),
    ('name = "x"\n[sampler]\nmethod = "vibes"\nn = 8\n', "unknown sampler 'vibes'"),
    ('name = "x"\nsteps = \n', "is not valid TOML"),
    ('name = "x"\nregimes = ["outcomes", "anarchy"]\n', "regimes"),
    ('name = "x"\nreplications = 0\n', "replications=0"),
    ('name = "x"\ncolour = "red"\n', "unknown key 'colour'"),
    ('description = "no name"\n', "'name' is required"),
]


@pytest.mark.parametrize(("text", "words"), BAD)
def test_bad_experiment_files_give_one_line_and_exit_2(tmp_path, text, words):
    result = cli("run", write(tmp_path, text), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr
    assert not (tmp_path / "out").exists()


def test_a_different_experiment_is_refused_in_a_used_directory(tmp_path):
    out = str(tmp_path / "d")
    sweep(parse(TINY), out, "sequential")
    other = write(tmp_path, TINY.replace("seed = 7", "seed = 8"))
    result = cli("run", other, "--out", out)
    assert result.returncode == 2
    assert "holds experiment 'tiny' from another file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_arguments_and_unknown_names(tmp_path):
    assert "no bundled experiment 'nope'" in cli("run", "nope", "--out", "x").stderr
    assert cli("run", "smoke", "--out", "x", "--workers", "0").returncode == 2
    assert "holds no experiment" in cli("status", str(tmp_path)).stderr


def test_bundled_experiments_are_listed_and_valid():
    listing = cli("list").stdout
    for name in bundled():
        exp = load(name)
        assert name in listing and exp.description and len(plan(exp)) > 0


def test_analysis_writes_ci_tables_paired_differences_and_figures(tmp_path):
    out = tmp_path / "a"
    sweep(parse(TINY.replace("record = 4", 'record = "every"')), str(out), "sequential")
    written = {p.name for p in experiments.analysis.analyse(out)}
    assert {
        "summary.csv",
        "paired_differences.csv",
        "tiny_by_incentive_strength.png",
        "tiny_by_incentive_strength.svg",
        "tiny_over_time.png",
    } <= written
    summary = pd.read_csv(out / "analysis" / "summary.csv")
    assert len(summary) == 3 * 2 and (summary.gaming_gap_n == 3).all()
    paired = pd.read_csv(out / "analysis" / "paired_differences.csv")
    assert set(paired.contrast) == {"learning - outcomes"}
    df = experiments.load(out)
    last = df[df.step == 8]
    d = (
        last[last.regime == "learning"].set_index(["point_id", "replicate"]).gaming_gap
        - last[last.regime == "outcomes"].set_index(["point_id", "replicate"]).gaming_gap
    )
    np.testing.assert_allclose(
        paired.sort_values("point_id").gaming_gap, d.groupby("point_id").mean().to_numpy()
    )


def test_sobol_and_morris_indices(tmp_path):
    sobol = """
name = "sob"
regimes = ["outcomes"]
replications = 1
steps = 30
seed = 3
[base]
n_citizens = 100
n_workers = 5
n_managers = 1
[sampler]
method = "sobol"
n = 16
[sampler.bounds]
incentive_strength = [0.0, 2.0]
life_event_rate = [0.0, 0.05]
[analysis]
outputs = ["gaming_gap"]
"""
    out = tmp_path / "s"
    assert len(plan(parse(sobol))) == 16 * 4
    sweep(parse(sobol), str(out), "processes", workers=2)
    experiments.analysis.analyse(out)
    idx = pd.read_csv(out / "analysis" / "sobol_indices.csv").set_index("parameter")
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(idx.columns)
    assert idx.loc["incentive_strength", "ST"] > idx.loc["life_event_rate", "ST"]
    morris = sobol.replace('method = "sobol"\nn = 16', 'method = "morris"\nn = 6')
    out = tmp_path / "m"
    sweep(parse(morris.replace('name = "sob"', 'name = "mor"')), str(out), "sequential")
    experiments.analysis.analyse(out)
    idx = pd.read_csv(out / "analysis" / "morris_indices.csv").set_index("parameter")
    assert {"mu_star", "sigma"} <= set(idx.columns)
    assert idx.loc["incentive_strength", "mu_star"] > idx.loc["life_event_rate", "mu_star"]


def test_spec_errors_are_one_line():
    with pytest.raises(SpecError) as err:
        parse(
            'name = "x"\n[sampler]\nmethod = "sobol"\nn = 10\n[sampler.bounds]\nratchet = [0, 1]\n'
        )
    assert "power of two" in str(err.value) and "\n" not in str(err.value)
