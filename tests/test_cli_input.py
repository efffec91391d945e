"""Bad input to ``python -m sim`` is refused in one line, before anything is run or created;
output is written whole or not at all; the model takes its seed as Mesa does."""

import errno
import os
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli as command_line
from sim.files import atomic_write, check_writable
from sim.model import AccountabilityModel
from sim.params import (
    MAX_STEPS,
    MODEL_MEMORY_BYTES,
    PARAMS,
    ROWS_MEMORY_BYTES,
    WEEK_ROW_BYTES,
    WORKER_ROW_BYTES,
    ModelParams,
    ParamError,
    check_run,
    model_memory_bytes,
    models_stepped,
    unknown_name_message,
    validate,
)
from sim.regimes import PRESETS

PROJECT = Path(__file__).resolve().parents[1]


def cli(*args, cwd=None):
    """``python -m sim`` from this checkout (not whichever one is installed), run in ``cwd``."""
    env = os.environ | {"PYTHONPATH": str(PROJECT)}
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,  # a bound that is not checked runs for ever: fail instead
    )


def refused(capsys, *args) -> str:
    """Run the command line in-process; assert exit 2 and one line; return the line."""
    status = command_line.main(list(args))
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1, err
    assert err[0].startswith("python -m sim: error: ")
    return err[0]


# --- sizes that cannot fit in memory ----------------------------------------------------------


@pytest.mark.parametrize("command", [["run"], ["compare"], ["limit", "--alignment", "0.5"]])
def test_a_huge_steps_is_one_line_and_exit_2_before_any_work(command, tmp_path):
    args = [*command, "--steps", str(10**30)]
    if command[0] == "limit":
        args += ["--incentive", "0.5"]
    out = cli(*args, cwd=tmp_path)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and f"is above {MAX_STEPS:,}" in lines[0], out.stderr
    assert len(lines[0]) < 120  # a 31-digit number is shortened, not echoed in full
    assert list(tmp_path.iterdir()) == []


def test_steps_one_above_the_bound_is_refused_and_the_bound_itself_parses(capsys):
    line = refused(capsys, "run", "--steps", str(MAX_STEPS + 1))
    assert f"--steps: {MAX_STEPS + 1} is above {MAX_STEPS:,}" in line
    args = command_line.parser().parse_args(["run", "--steps", str(MAX_STEPS)])
    assert args.steps == MAX_STEPS
    with pytest.raises(ParamError, match="steps=1000001 is out of range"):
        check_run(validate({}), MAX_STEPS + 1)


def _bytes_held(model: AccountabilityModel, weeks: int) -> int:
    """Memory the rows of ``weeks`` more weeks keep, in the collector and in the frames."""
    model.step()  # first-week set-up is not a cost of the rows
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(weeks):
            model.step()
        frames = model.frame(), model.worker_frame()
        held = tracemalloc.get_traced_memory()[0] - before
        del frames
        return held
    finally:
        tracemalloc.stop()


def test_the_bounds_hold_what_one_run_keeps_in_memory():
    """Measured: the rows a run keeps cost no more than the bounds assume."""
    weeks = 1500  # the row size does not depend on the sizes: measured on a small service
    small = AccountabilityModel(rng=0, n_citizens=40, n_workers=2, n_managers=1)
    assert _bytes_held(small, weeks) / weeks < WEEK_ROW_BYTES
    many = AccountabilityModel(
        rng=0, n_citizens=600, n_workers=300, review_period=1, worker_rows=True
    )
    worker_rows = 20 * 300
    assert _bytes_held(many, 20) / worker_rows < WORKER_ROW_BYTES + WEEK_ROW_BYTES / 300
    assert MAX_STEPS * WEEK_ROW_BYTES <= ROWS_MEMORY_BYTES


def test_the_size_parameters_are_bounded():
    for name in ("n_citizens", "n_workers", "n_managers"):
        assert PARAMS[name].high is not None and PARAMS[name].high <= 1_000_000
        with pytest.raises(ParamError, match=f"{name}=1e\\+12 is out of range"):
            validate({name: 10**12})


def test_a_city_is_allowed_and_one_citizen_more_is_one_line_and_exit_2(capsys):
    """A city of a million citizens, with the default caseload and teams, is accepted."""
    city = validate({"n_citizens": 1_000_000, "n_workers": 50_000, "n_managers": 5_000})
    assert city["n_citizens"] == 1_000_000
    line = refused(capsys, "run", "--steps", "1", "--set", "n_citizens=1000001")
    assert "n_citizens=1000001 is out of range: use a whole number from 1 to 1000000" in line


CITY = ("n_citizens=1000000", "n_workers=50000", "n_managers=5000")


def _city(*assignments: str) -> list[str]:
    return [arg for text in (*CITY, *assignments) for arg in ("--set", text)]


def test_a_city_whose_models_cannot_fit_in_memory_is_one_line_and_exit_2(capsys, tmp_path):
    """Four paid services: the run and four counterfactual runs, five cities' worth of models."""
    out = tmp_path / "run.csv"
    args = _city("n_services=4", "payment_by_results=0.5")
    line = refused(capsys, "run", "--steps", "1", *args, "--out", str(out))
    assert "n_citizens=1,000,000 with n_services=4 and payment_by_results=0.5 (5 models" in line
    assert f"at most {MODEL_MEMORY_BYTES / 1024**3:.0f} GiB" in line
    assert "payment_by_results=0" in line  # what to change
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("assignments", "models"),
    [((), 1), (("n_services=4",), 1), (("n_services=3", "payment_by_results=0.5"), 4)],
)
def test_the_benchmarked_cities_fit_in_the_memory_bound(assignments, models):
    """One service, four unpaid, three paid by results (python -m benchmarks.city) all fit."""
    params = ModelParams.from_values(dict(text.split("=") for text in (*CITY, *assignments)))
    check_run(params, 104)
    assert models_stepped(params) == models
    assert model_memory_bytes(params) <= MODEL_MEMORY_BYTES


@pytest.mark.parametrize("by_results", [0.0, 0.3])
@pytest.mark.parametrize("services", [1, 3])
def test_the_models_a_run_steps_are_the_ones_its_memory_is_estimated_for(services, by_results):
    """The run and its counterfactual runs, as the model builds them (a small one, cheaply)."""
    run = AccountabilityModel(
        rng=0, n_services=services, payment_by_results=by_results, n_citizens=40, n_workers=4
    )
    assert 1 + len(run.shadows) == models_stepped(run.params)
    assert all(not shadow.shadows for shadow in run.shadows)


def test_worker_rows_that_cannot_fit_in_memory_are_refused(capsys, tmp_path):
    out = tmp_path / "w.csv"
    line = refused(
        capsys, "run", "--steps", "1000000", "--set", "review_period=1", "--workers-out", str(out)
    )
    assert "30,000,000 worker rows" in line and "do not fit in memory" in line
    assert list(tmp_path.iterdir()) == []


# --- a full disk --------------------------------------------------------------------------------


def _fill_the_disk(monkeypatch, owner, method):
    """Make ``owner.method`` write half its file, then fail as a full disk does."""

    def full(self, path, *args, **kwargs):
        Path(path).write_bytes(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(owner, method, full)


@pytest.mark.parametrize("name", ["rows.csv", "rows.parquet"])
def test_a_full_disk_is_one_line_naming_the_file_and_leaves_the_old_file_whole(
    name, tmp_path, monkeypatch, capsys
):
    target = tmp_path / name
    target.write_text("yesterday's results\n")
    _fill_the_disk(
        monkeypatch, pd.DataFrame, "to_parquet" if name.endswith("parquet") else "to_csv"
    )
    line = refused(capsys, "run", "--steps", "3", "--out", str(target))
    assert line.endswith(f"cannot write {str(target)!r}: No space left on device")
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left
    assert target.read_text() == "yesterday's results\n"


def test_a_full_disk_under_compare_is_one_line(tmp_path, monkeypatch, capsys):
    from matplotlib.figure import Figure

    _fill_the_disk(monkeypatch, Figure, "savefig")
    target = tmp_path / "new" / "c.png"
    line = refused(capsys, "compare", "--steps", "3", "--out", str(target))
    assert line.endswith(f"cannot write {str(target)!r}: No space left on device")
    assert list(tmp_path.iterdir()) == []  # the folder made for it is gone again


def test_a_failed_atomic_write_removes_only_the_folders_it_made(tmp_path):
    (tmp_path / "kept").mkdir()
    target = tmp_path / "kept" / "a" / "b" / "rows.csv"

    def fail(tmp):
        Path(tmp).write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, fail)
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]
    assert list((tmp_path / "kept").iterdir()) == []


# --- weeks beyond the run, repeated and misspelt names --------------------------------------------


@pytest.mark.parametrize("name", ["switch_step", "shift_step"])
@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_week_after_the_run_is_refused(name, command, capsys):
    line = refused(capsys, command, "--steps", "10", "--set", f"{name}=11")
    assert f"{name}=11 is after the last week of a 10-week run: use 1 to 10, or 0 for never" in line


def test_the_last_week_and_never_are_both_honoured():
    """The week check allows exactly the weeks the model acts on."""
    last = AccountabilityModel(rng=0, switch_step=10, switch_to="learning")
    never = AccountabilityModel(rng=0, switch_step=0, switch_to="learning")
    check_run(last.params, 10)
    check_run(never.params, 10)
    for _ in range(10):
        last.step()
        never.step()
    assert last.regime is PRESETS["learning"] and never.regime is PRESETS["outcomes"]


def test_a_repeated_set_is_refused_naming_the_parameter(capsys):
    line = refused(capsys, "run", "--set", "ratchet=0.1", "--set", "ratchet=0.2")
    assert "--set ratchet is given more than once (0.1 and 0.2)" in line


def test_a_misspelt_name_gets_a_suggestion(capsys):
    line = refused(capsys, "run", "--set", "incentive_strenght=0.5")
    assert "unknown parameter 'incentive_strenght': did you mean 'incentive_strength'?" in line


def test_unknown_name_message_is_one_line_and_suggests_only_close_names():
    assert "did you mean 'ratchet'?" in unknown_name_message("ratchett")
    far = unknown_name_message("wibble")
    assert "did you mean" not in far and "python -m sim params" in far
    assert "\n" not in unknown_name_message("n_citizen")


# --- what was written, and help without markup --------------------------------------------------


def test_run_says_what_it_wrote_where(tmp_path, capsys):
    rows, workers = tmp_path / "out" / "run.csv", tmp_path / "w.parquet"
    status = command_line.main(
        ["run", "--steps", "8", "--out", str(rows), "--workers-out", str(workers)]
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert status == 0
    assert lines[-2] == f"wrote 8 weeks of the outcomes regime to {rows}"
    assert lines[-1] == f"wrote 60 worker rows from 2 reviews to {workers}"
    assert len(pd.read_csv(rows)) == 8 and len(pd.read_parquet(workers)) == 60


def test_run_without_out_says_nothing_was_written(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert command_line.main(["run", "--steps", "2"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("nothing written")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [[], ["run"], ["compare"], ["params"], ["limit"]])
def test_help_shows_no_markup(command, capsys):
    with pytest.raises(SystemExit) as done:
        command_line.parser().parse_args([*command, "--help"])
    text = capsys.readouterr().out
    assert done.value.code == 0 and "usage: python -m sim" in text
    assert not re.search(r"`|\*\*|:\w+:`|\.\. ", text), text


# --- a refused run creates nothing ----------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        ["--set", "ratchet=5"],
        ["--set", "switch_step=500"],
        ["--set", "ratchet=0.1", "--set", "ratchet=0.1"],
        ["--steps", str(MAX_STEPS + 1)],
    ],
)
def test_a_refused_run_does_not_create_its_out_folder(bad, tmp_path):
    out = cli("run", *bad, "--out", "new/deeper/rows.csv", cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert list(tmp_path.iterdir()) == []


def test_check_writable_creates_nothing_but_still_refuses_what_cannot_be_made(tmp_path):
    check_writable(tmp_path / "new" / "deeper" / "rows.csv")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        check_writable(tmp_path / "file" / "rows.csv")
    with pytest.raises(OSError):
        check_writable("/proc/new/rows.csv")


# --- Mesa conventions for rng ---------------------------------------------------------------------


def _rows(rng) -> pd.DataFrame:
    model = AccountabilityModel(rng=rng, n_citizens=120, n_workers=6, n_managers=2)
    for _ in range(6):
        model.step()
    return model.frame()


def test_rng_accepts_what_mesa_accepts_and_an_int_means_its_seed_sequence():
    by_int = _rows(7)
    pd.testing.assert_frame_equal(_rows(np.int64(7)), by_int)
    pd.testing.assert_frame_equal(_rows(np.random.SeedSequence(7)), by_int)
    # A SeedSequence is not spawned from in place: used twice, it gives the same run twice.
    sequence = np.random.SeedSequence(7)
    pd.testing.assert_frame_equal(_rows(sequence), _rows(sequence))
    assert sequence.n_children_spawned == 0
    # A Generator is drawn from, as Mesa does: the same state gives the same run.
    from_generator = _rows(np.random.default_rng(7))
    pd.testing.assert_frame_equal(_rows(np.random.default_rng(7)), from_generator)
    pd.testing.assert_frame_equal(_rows(np.random.PCG64(7)), from_generator)
    assert not from_generator.equals(_rows(np.random.default_rng(8)))
    assert AccountabilityModel(rng=np.random.default_rng(7)).seed is None
    assert AccountabilityModel(rng=7).seed == 7
