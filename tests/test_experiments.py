import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import experiments
import sim
from dashboards.scenarios import SCENARIOS
from experiments import cli as command_line
from experiments.design import plan, points, replicate_seed
from experiments.spec import SpecError, bundled, load, parse
from experiments.store import Store
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


def test_reading_stored_runs_never_aborts_the_process_at_exit(tmp_path):
    # Without a collection before exit, pyarrow's reader threads aborted `status` after its
    # output in about 3 runs of 10 (SIGABRT, "terminate called without an active exception").
    out = tmp_path / "out"
    assert (
        cli("run", write(tmp_path, TINY), "--out", str(out), "--executor", "sequential").returncode
        == 0
    )
    results = [cli("status", str(out)) for _ in range(8)]
    assert [r.returncode for r in results] == [0] * 8, [r.stderr for r in results]


def test_a_raising_run_is_recorded_and_the_others_complete(tmp_path):
    text = TINY.replace("record = 4\n", 'record = 4\nmodel = "tests.flaky:run"\n')
    exp_file = write(tmp_path, text)
    out = tmp_path / "flaky"
    result = cli(
        "run", exp_file, "--out", str(out), "--executor", "sequential", "--allow-model-code"
    )
    assert result.returncode == 1
    assert "15 done, 3 failed, 3 remaining of 18 runs" in result.stdout
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
    (
        'name = "x"\n[sampler]\nmethod = "vibes"\nn = 8\n[sampler.bounds]\nratchet = [0, 1]\n',
        "unknown sampler 'vibes'",
    ),
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
        assert name in listing and exp.description
        assert len(plan(exp)) == exp.n_points * len(exp.regimes) * exp.replications > 0


@pytest.mark.parametrize(
    ("name", "scenario"),
    [("targets_win", "Where targets beat learning"), ("learning_theatre", "Learning theatre")],
)
def test_bundled_regions_run_the_dashboard_scenario(name, scenario):
    # The region is declared once, as the scenario; the experiment sweeps one of its settings.
    exp = load(name)
    for key, value in SCENARIOS[scenario].items():
        assert exp.base.get(key) == value or value in exp.vary.get(key, []), key


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


def run_main(capsys, *args):
    """``python -m experiments ARGS`` in this process: (status, stdout, stderr lines)."""
    capsys.readouterr()  # only this command's output
    status = command_line.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err.strip().splitlines()


MORE_BAD = [
    ("[sampler]\nmethod = 'latin'\nn = 4\n[sampler.bounds]\nratchet = ['a', 1]\n", "two numbers"),
    ("[sampler]\nmethod = 'latin'\nn = 4\n[sampler.bounds]\nratchet = [false, true]\n", "numbers"),
    ("[sampler]\nmethod = 'latin'\nn = 4\n[sampler.bounds]\nratchet = [0.8, 0.2]\n", "low < high"),
    (
        "[sampler]\nmethod = 'latin'\nn = 4\n[sampler.bounds]\nratchet = [0, 3]\n",
        "ratchet=3 is out",
    ),
    ("[sampler]\nmethod = 'latin'\nn = 4.5\n[sampler.bounds]\nratchet = [0, 1]\n", "n=4.5"),
    (
        "[sampler]\nmethod = 'morris'\nn = 4\nlevels = 3\n[sampler.bounds]\nratchet = [0, 1]\n",
        "even",
    ),
    (
        "[sampler]\nmethod = 'latin'\nn = 4\nlevels = 4\n[sampler.bounds]\nratchet = [0, 1]\n",
        "morris",
    ),
    ("vary = [1, 2]\n", "[vary] must be a table"),
    ("[vary]\nratchet = {start = 0, stop = 1, step = 1e-12}\n", "1,000,000,000,001 values"),
    ("[vary]\nratchet = {start = nan, stop = 1, step = 0.1}\n", "finite numbers"),
    ("replications = 600000\n", "1,200,000 runs"),
    ("record = true\n", "record=True"),
    ("[vary]\nswitch_to = ['learning', 'anarchy']\n", "switch_to='anarchy' is not allowed"),
    ("[vary]\nratchet = [0.5, 0.5]\n", "more than once"),
    (
        "[base]\nn_citizens = 20\n[vary]\nn_workers = [4, 50]\n",
        "n_workers=50 exceeds n_citizens=20",
    ),
    ("[vary]\nratchet = [0.1, 0.2]\n[analysis]\ny = 'ratchet'\n", "unknown [analysis] key 'y'"),
    ("[analysis]\noutputs = ['gaming_gapp']\n", "'gaming_gapp' is not an output"),
    ("[vary]\nratchet = [0.1, 0.2]\n[analysis]\nx = 'audit_rate'\n", "not a varied parameter"),
]


@pytest.mark.parametrize(("text", "words"), MORE_BAD)
def test_more_bad_experiment_files_give_one_line_and_exit_2(tmp_path, capsys, text, words):
    status, _, err = run_main(
        capsys, "run", write(tmp_path, f'name = "x"\n{text}'), "--out", tmp_path / "o"
    )
    assert status == 2 and len(err) == 1 and words in err[0], err
    assert not (tmp_path / "o").exists()


def test_values_are_stored_as_declared_and_string_parameters_label_curves(tmp_path):
    text = (
        TINY.replace("n_citizens = 60", "n_citizens = 60.0")
        .replace(
            "incentive_strength = {start = 0.0, stop = 1.0, step = 0.5}",
            "incentive_strength = [0.2, '0.8']\nswitch_to = ['learning', 'none']\n"
            "[analysis]\nx = 'incentive_strength'\noutputs = ['gaming_gap']",
        )
        .replace("replications = 3", "replications = 2")
        .replace("record = 4", "record = 'final'")
    )
    exp = parse(text.replace("[base]", "[base]\nswitch_step = 4"))
    assert exp.base["n_citizens"] == 60 and type(exp.base["n_citizens"]) is int
    assert exp.vary == {"incentive_strength": [0.2, 0.8], "switch_to": ["learning", "none"]}
    out = tmp_path / "s"
    sweep(exp, str(out), "sequential")
    df = experiments.load(out)
    assert set(df.switch_to) == {"learning", "none"} and set(df.incentive_strength) == {0.2, 0.8}
    written = {p.name for p in experiments.analysis.analyse(out)}
    assert "tiny_by_incentive_strength.png" in written


def test_a_damaged_manifest_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "d"
    sweep(parse(TINY.replace("replications = 3", "replications = 1")), str(out), "sequential")
    exp_file = write(tmp_path, TINY.replace("replications = 3", "replications = 1"))
    for damage, words in (
        ("{not json", "not readable JSON"),
        ("[]", "not an experiments manifest"),
    ):
        (out / "manifest.json").write_text(damage)
        for args in (("status", out), ("analyse", out), ("run", exp_file, "--out", out)):
            status, _, err = run_main(capsys, *args)
            assert status == 2 and len(err) == 1 and words in err[0], (args, err)


def test_an_unreachable_scheduler_is_one_line_and_exit_2(tmp_path):
    address = "tcp://127.0.0.1:1"  # nothing listens on port 1
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "experiments",
            "run",
            "smoke",
            "--out",
            tmp_path / "d",
            "--scheduler",
            address,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ | {"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"cannot use the Dask scheduler at {address!r}" in lines[0]
    assert not (tmp_path / "d").exists()


def test_an_empty_scheduler_address_is_refused(tmp_path, capsys):
    status, _, err = run_main(capsys, "run", "smoke", "--out", tmp_path / "d", "--scheduler", " ")
    assert status == 2 and len(err) == 1 and "scheduler's address" in err[0]


def test_an_unexpected_error_is_one_line_unless_a_traceback_is_asked_for(monkeypatch, capsys):
    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(command_line, "cmd_list", broken)
    status, _, err = run_main(capsys, "list")
    assert status == 1 and len(err) == 1
    assert "unexpected error: ZeroDivisionError: a bug" in err[0] and "--traceback" in err[0]
    with pytest.raises(ZeroDivisionError):
        command_line.main(["list", "--traceback"])


def _drop_runs(out, keep):
    """Make a sweep partial: keep only the stored rows for which ``keep(df)`` is true."""
    manifest = json.loads((out / "manifest.json").read_text())
    for part in (out / "parts").glob("part-*.parquet"):
        df = pd.read_parquet(part)
        df[keep(df)].to_parquet(part, index=False)
        # As a sweep that stored only these rows would have: the part's hash is recorded.
        manifest["parts"][part.name] = hashlib.sha256(part.read_bytes()).hexdigest()
    (out / "manifest.json").write_text(json.dumps(manifest))


def test_a_partial_sweep_is_analysed_as_far_as_it_goes(tmp_path):
    out = tmp_path / "p"
    sweep(parse(TINY), str(out), "sequential")
    _drop_runs(out, lambda d: (d.regime == "outcomes") | ((d.point_id == 0) & (d.replicate == 0)))
    written = {p.name for p in experiments.analysis.analyse(out)}
    assert "paired_differences.csv" in written
    paired = pd.read_csv(out / "analysis" / "paired_differences.csv")
    assert paired.point_id.tolist() == [0] and paired.gaming_gap_n.tolist() == [1]
    _drop_runs(out, lambda d: d.regime == "outcomes")  # the learning regime has no rows at all
    written = {p.name for p in experiments.analysis.analyse(out)}
    assert "summary.csv" in written and "paired_differences.csv" not in written
    summary = pd.read_csv(out / "analysis" / "summary.csv")
    assert set(summary.regime) == {"outcomes"} and (summary.gaming_gap_n == 3).all()


SAMPLED = """
name = "{method}"
regimes = ["outcomes"]
replications = 1
steps = 8
seed = 3
[base]
n_citizens = 60
n_workers = 4
n_managers = 1
[sampler]
method = "{method}"
n = 4
[sampler.bounds]
incentive_strength = [0.0, 2.0]
life_event_rate = [0.0, 0.05]
[analysis]
outputs = ["gaming_gap", "mean_wellbeing"]
"""


def test_partial_sampler_sweeps_use_stored_points_or_skip_their_indices(tmp_path, capsys):
    out = tmp_path / "m"
    exp = parse(SAMPLED.format(method="morris"))
    sweep(exp, str(out), "sequential")
    _drop_runs(out, lambda d: d.point_id != 4)  # trajectory 1 of 4 (3 points each) is cut
    experiments.analysis.analyse(out)
    idx = pd.read_csv(out / "analysis" / "morris_indices.csv")
    assert (idx.points == 9).all() and idx.mu_star.notna().all()
    _drop_runs(out, lambda d: d.point_id > 8)  # only trajectory 3 is left: too few for indices
    (out / "analysis" / "morris_indices.csv").unlink()
    status, written, err = run_main(capsys, "analyse", out)
    assert status == 0 and len(err) == 1 and "at least 2 complete trajectories" in err[0]
    assert "summary.csv" in written and not (out / "analysis" / "morris_indices.csv").exists()

    out = tmp_path / "s"
    sweep(parse(SAMPLED.format(method="sobol")), str(out), "sequential")
    _drop_runs(out, lambda d: d.point_id != 7)
    status, written, err = run_main(capsys, "analyse", out)
    assert status == 0 and len(err) == 1
    assert "sobol indices skipped" in err[0] and "15 of 16 points" in err[0]
    summary = pd.read_csv(out / "analysis" / "summary.csv")
    assert len(summary) == 15 and not (out / "analysis" / "sobol_indices.csv").exists()


def test_a_damaged_part_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "d"
    text = TINY.replace("replications = 3", "replications = 1")
    sweep(parse(text), str(out), "sequential")
    part = next((out / "parts").glob("part-*.parquet"))
    part.write_bytes(part.read_bytes()[:100])
    for args in (("status", out), ("analyse", out), ("run", write(tmp_path, text), "--out", out)):
        status, _, err = run_main(capsys, *args)
        assert status == 2 and len(err) == 1 and f"{part.name} is damaged" in err[0], (args, err)


def _session_processes(sid: int) -> list[int]:
    """Processes still alive in a session (zombies excluded), read from /proc."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        if int(fields[3]) == sid and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


def test_ctrl_c_twice_stops_a_process_pool_sweep_cleanly_and_it_resumes(tmp_path):
    text = (
        TINY.replace("replications = 3", "replications = 8")
        .replace("steps = 8", "steps = 104")
        .replace("n_citizens = 60", "n_citizens = 2000")
        .replace("n_workers = 4", "n_workers = 20")
    )
    exp_file = write(tmp_path, text)
    out = tmp_path / "interrupted"
    cmd = [sys.executable, "-m", "experiments", "run", exp_file, "--out", str(out)]
    cmd += ["--workers", "2", "--chunk", "4", "--batch-rows", "1"]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while not list((out / "parts").glob("part-*.parquet")):
        assert proc.poll() is None, "the sweep finished before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: to every process of the group
    time.sleep(0.3)
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)  # a hang, not a speed target
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("the sweep hung after Ctrl-C") from None
    assert proc.returncode == 130
    lines = [line for line in err.splitlines() if "runs/s" not in line and line.strip()]
    assert lines == [
        "python -m experiments: interrupted: finished runs are stored; run the same command to "
        "resume"
    ], err
    assert _session_processes(proc.pid) == []  # no worker left behind
    partial = experiments.load(out).run_id.nunique()
    assert 1 <= partial < 48
    again = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    df = experiments.load(out)
    assert (
        sorted(df.run_id.unique()) == list(range(48)) and df.groupby("run_id").size().eq(26).all()
    )


def test_an_interrupt_just_after_a_part_is_written_stores_no_run_twice(tmp_path, monkeypatch):
    calls = []
    write_part = Store.write_part

    def write_then_interrupt(self, df):
        path = write_part(self, df)
        calls.append(path)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return path

    monkeypatch.setattr(Store, "write_part", write_then_interrupt)
    out = tmp_path / "k"
    exp = parse(TINY)
    with pytest.raises(KeyboardInterrupt):
        sweep(exp, str(out), "sequential", batch_rows=1)
    rows = pd.concat(pd.read_parquet(p) for p in (out / "parts").glob("part-*.parquet"))
    assert not rows.duplicated(["run_id", "step"]).any()


PROBE = """
import os

import sim


def run(regime, steps, seed, **params):
    with open(os.environ["PROBE_LOG"], "a") as fh:
        fh.write(f"{regime} {params['incentive_strength']} {seed}\\n")
    if regime == "outcomes" and params["incentive_strength"] == 0.5:
        if os.environ.get("PROBE_MODE") == "raise":
            raise RuntimeError("probe failure")
        if os.environ.get("PROBE_MODE") == "interrupt":
            raise KeyboardInterrupt
    return sim.run(regime, steps=steps, seed=seed, **params)
"""


@pytest.fixture
def probe(tmp_path, monkeypatch):
    """An experiment file whose model fails or is interrupted at incentive 0.5 when told to."""
    name = f"probe_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(PROBE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PROBE_LOG", str(tmp_path / "calls.log"))
    return write(tmp_path, TINY.replace("record = 4\n", f'record = 4\nmodel = "{name}:run"\n'))


def test_a_failed_run_is_retried_by_a_rerun(tmp_path, probe, monkeypatch, capsys):
    out = tmp_path / "r"
    args = ("run", probe, "--out", out, "--executor", "sequential", "--allow-model-code")
    monkeypatch.setenv("PROBE_MODE", "raise")
    status, stdout, _ = run_main(capsys, *args)
    assert status == 1 and "15 done, 3 failed, 3 remaining of 18 runs" in stdout
    status, stdout, _ = run_main(capsys, "status", out)
    assert status == 1 and "15 done, 3 failed, 3 remaining of 18 runs" in stdout
    monkeypatch.delenv("PROBE_MODE")
    status, stdout, _ = run_main(capsys, *args)
    assert status == 0 and "18 done, 0 failed, 0 remaining of 18 runs" in stdout
    assert len((tmp_path / "calls.log").read_text().splitlines()) == 18 + 3  # only those 3 again
    df = experiments.load(out)
    assert sorted(df.run_id.unique()) == list(range(18)) and df.groupby("run_id").size().eq(2).all()
    assert set(json.loads((out / "manifest.json").read_text())["runs"]["status"]) == {"done"}
    assert run_main(capsys, "status", out)[0] == 0


def test_ctrl_c_stops_at_once_keeps_finished_runs_and_resumes(tmp_path, probe, monkeypatch, capsys):
    out = tmp_path / "c"
    args = (
        "run",
        probe,
        "--out",
        out,
        "--executor",
        "sequential",
        "--chunk",
        "1",
        "--batch-rows",
        "1",
        "--allow-model-code",
    )
    monkeypatch.setenv("PROBE_MODE", "interrupt")
    status, _, err = run_main(capsys, *args)
    assert status == 130 and "run the same command to resume" in err[-1]
    assert not any("Traceback" in line for line in err)
    calls = (tmp_path / "calls.log").read_text().splitlines()
    assert len(calls) == 7 and calls[-1].startswith("outcomes 0.5 ")  # nothing ran after it
    assert sorted(experiments.load(out).run_id.unique()) == list(range(6))
    monkeypatch.delenv("PROBE_MODE")
    assert run_main(capsys, *args)[0] == 0
    assert sorted(experiments.load(out).run_id.unique()) == list(range(18))


def test_a_second_sweep_into_a_busy_directory_is_refused(tmp_path, capsys):
    text = TINY.replace("replications = 3", "replications = 1")
    exp_file, out = write(tmp_path, text), tmp_path / "busy"
    args = ("run", exp_file, "--out", out, "--executor", "sequential")
    exp = parse(text)
    with Store(out).open(exp, plan(exp)):  # another sweep holding DIR, as far as flock can tell
        status, _, err = run_main(capsys, *args)
        assert status == 2 and len(err) == 1 and "in use by another sweep" in err[0]
    assert not list((out / "parts").glob("*.parquet"))
    assert run_main(capsys, *args)[0] == 0  # released when the holder is done
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    status, _, err = run_main(capsys, "run", exp_file, "--out", foreign)
    assert status == 2 and "holds no experiment" in err[0]
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]  # left as it was


def test_a_directory_whose_creator_was_killed_before_its_manifest_can_be_used(tmp_path):
    out = tmp_path / "k"
    out.mkdir()
    (out / ".lock").touch()
    (out / ".manifest.json.x1y2.tmp").write_text('{"experi')
    exp = parse(TINY.replace("replications = 3", "replications = 1"))
    assert sweep(exp, str(out), "sequential")["done"] == 6
    assert not list(out.glob("*.tmp"))


def test_the_failure_log_survives_a_line_cut_by_a_kill(tmp_path):
    store = Store(tmp_path)
    store.failures_path.write_text('{"run_id": 1, "error": "x"}\n{"run_id": 2, "err')
    store.record_failures([{"run_id": 3, "error": "y"}])
    assert set(store.failures()) == {1, 3}
    lines = store.failures_path.read_text().splitlines()
    assert lines[1] == '{"run_id": 2, "err' and json.loads(lines[2])["run_id"] == 3


def test_load_counts_a_run_once_even_if_a_part_is_copied(tmp_path):
    out = tmp_path / "dup"
    sweep(parse(TINY), str(out), "sequential")
    before = experiments.load(out)
    shutil.copy(out / "parts" / "part-000000.parquet", out / "parts" / "part-000099.parquet")
    pd.testing.assert_frame_equal(experiments.load(out), before)


def test_a_missing_directory_or_a_file_as_out_is_one_line_and_exit_2(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    for command in ("status", "analyse"):
        status, _, err = run_main(capsys, command, missing)
        assert status == 2 and err == [
            f"python -m experiments: error: {missing} holds no experiment (no manifest.json)"
        ]
    (tmp_path / "run.csv").write_text("x")
    status, _, err = run_main(capsys, "run", "smoke", "--out", tmp_path / "run.csv")
    assert status == 2 and len(err) == 1 and "is a file: give a directory" in err[0]


def test_sizes_are_checked_together_point_by_point():
    exp = parse(
        'name = "sizes"\n[vary]\nn_citizens = [8, 20]\nn_workers = [4, 5]\nn_managers = [1, 2]\n'
    )  # n_citizens = 8 is below the default 30 workers, but every point here holds together
    assert len(points(exp)) == 8
    assert all(p["n_workers"] <= p["n_citizens"] for p in points(exp))
