"""``python -m experiments calibrate``: a tiny ABC-SMC on a tiny case, resume, refusals."""

from __future__ import annotations

import json

import pandas as pd
import pytest

pytest.importorskip("pyabc")

from experiments import lab
from experiments.calibrate import Options, calibrate, load_case
from experiments.cli import main

# A case small enough that a calibration takes seconds: 24 citizens, 8 weeks, two free parameters,
# a published number, a range over a paired regime, and a figure with no counterpart.
TINY = """
name = "tiny"
title = "A tiny case for the tests"
[mapping]
reported = "measured_performance"
true = "true_performance"
[run]
regimes = ["outcomes", "none"]
steps = 8
[fixed]
n_citizens = 24
n_workers = 3
n_managers = 1
[free]
outcome_threshold = { low = 0.3, high = 0.9, why = "test" }
audit_rate = { low = 0.0, high = 0.5, why = "test" }
[[sources]]
key = "Test 2026"
citation = "Test, T. (2026). A source long enough to count as a full citation for the tests."
[[figures]]
name = "reported"
published = 0.6
source = "Test 2026"
meaning = "Reported share."
output = "measured_performance"
regime = "outcomes"
weeks = [5, 8]
[[figures]]
name = "gain"
published_range = [0.0, 1.0]
finding = "Some gain."
encoding = "Any gain."
source = "Test 2026"
meaning = "True performance with targets minus without."
output = "true_performance"
regime = "outcomes"
weeks = [5, 8]
minus = { regime = "none" }
[[figures]]
name = "sites"
published = 12
source = "Test 2026"
meaning = "Sites studied."
counterpart = "none"
note = "One service at a time."
"""
TINY_OPTIONS = Options(population=6, generations=1, draws=5, seed=7)


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def _quiet(_line: str) -> None:
    pass


def _particles(out) -> pd.DataFrame:
    import pyabc

    history = pyabc.History(f"sqlite:///{out / 'abc.db'}")
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    return frame.assign(weight=weights).reset_index(drop=True)


def test_a_tiny_calibration_writes_posterior_and_predictive_check(tiny, tmp_path):
    out = tmp_path / "out"
    result = calibrate(str(tiny), out, TINY_OPTIONS, say=_quiet)
    for name in ("posterior.csv", "posterior.json", "posterior_pairs.png"):
        assert (out / name).stat().st_size > 0
    for name in ("predictive.csv", "predictive.png", "manifest.json", "abc.db"):
        assert (out / name).stat().st_size > 0
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.parameter) == ["outcome_threshold", "audit_rate"]
    assert (posterior.q05 <= posterior["median"]).all() and (
        posterior["median"] <= posterior.q95
    ).all()
    assert (posterior.q05 >= posterior.prior_low).all() and (
        posterior.q95 <= posterior.prior_high
    ).all()
    predictive = pd.read_csv(out / "predictive.csv").set_index("figure")
    assert list(predictive.index) == ["reported", "gain", "sites"]
    assert predictive.loc["reported", "verdict"] in ("inside", "outside")
    assert predictive.loc["sites", "verdict"] == "no counterpart in the model"
    assert predictive.loc["reported", "model_q05"] <= predictive.loc["reported", "model_q95"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["case"]["text"] == TINY
    assert manifest["case"]["sha256"] == load_case(str(tiny)).digest
    assert manifest["options"]["seed"] == 7 and manifest["reproducible"] is True
    assert manifest["provenance"]["pyabc"].startswith("0.13")
    assert [s["status"] for s in manifest["sessions"]] == ["done"]
    assert result.generations == 1 and result.simulations >= TINY_OPTIONS.population


def test_resume_continues_and_matches_an_uninterrupted_run(tiny, tmp_path):
    # Two generations in one go, and one then one more in a second session: the same posterior,
    # because every generation is seeded from the seed and its number and starts from abc.db.
    whole, split = tmp_path / "whole", tmp_path / "split"
    two = Options(**{**TINY_OPTIONS.__dict__, "generations": 2})
    calibrate(str(tiny), whole, two, say=_quiet)
    first = calibrate(str(tiny), split, TINY_OPTIONS, say=_quiet)
    second = calibrate(str(tiny), split, two, say=_quiet)
    assert second.generations == 2
    assert second.simulations > first.simulations  # continued: generation 1 was not redone
    manifest = json.loads((split / "manifest.json").read_text())
    assert len(manifest["sessions"]) == 2 and manifest["generations"] == 2
    pd.testing.assert_frame_equal(_particles(whole), _particles(split))
    # Each generation's epsilon comes from the one before (a second run() of one pyABC object
    # would have kept the first generation's).
    import pyabc

    epsilons = pyabc.History(f"sqlite:///{whole / 'abc.db'}").get_all_populations().epsilon
    assert epsilons.iloc[-1] < epsilons.iloc[-2]
    assert (whole / "predictive.csv").read_text() == (split / "predictive.csv").read_text()
    # A rerun of a finished calibration runs nothing more and writes the same files.
    again = calibrate(str(tiny), split, two, say=_quiet)
    assert again.simulations == second.simulations
    assert (whole / "posterior.csv").read_text() == (split / "posterior.csv").read_text()


def test_an_interrupted_calibration_keeps_its_generations_and_resumes_to_the_same_posterior(
    tiny, tmp_path
):
    two = Options(**{**TINY_OPTIONS.__dict__, "generations": 2})

    def interrupt_before_the_second(line: str) -> None:
        if "generation 2 of 2" in line:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        calibrate(str(tiny), tmp_path / "cut", two, say=interrupt_before_the_second)
    manifest = json.loads((tmp_path / "cut" / "manifest.json").read_text())
    assert manifest["sessions"][-1]["status"] == "interrupted" and manifest["generations"] == 1
    assert not (tmp_path / "cut" / "posterior.csv").exists()  # no half-finished results
    calibrate(str(tiny), tmp_path / "cut", two, say=_quiet)
    calibrate(str(tiny), tmp_path / "whole", two, say=_quiet)
    pd.testing.assert_frame_equal(_particles(tmp_path / "whole"), _particles(tmp_path / "cut"))


def test_a_wrong_case_name_is_one_line_with_a_suggestion_and_status_2(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["calibrate", "ae_bevan_hod", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'ae_bevan_hood'" in err
    assert not out.exists()
    assert lab.main(["calibrate", "work_programe", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'work_programme'" in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--population", "0"], "0 is below 1"),
        (["--seed", "-1"], "seed=-1 is out of range"),
        (["--scheduler", "tcp://x:1", "--workers", "2"], "--workers does not apply"),
        (["--dask-local", "--scheduler", "tcp://x:1"], "not allowed with argument"),
        (["--scheduler", "nosuch://x:1"], "cannot use the Dask scheduler"),
    ],
)
def test_bad_options_are_one_line_and_status_2(tiny, tmp_path, capsys, args, words):
    out = tmp_path / "out"
    assert main(["calibrate", str(tiny), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
    assert not out.exists()


def test_an_out_holding_something_else_is_refused_and_left_alone(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    calibrate(str(tiny), out, TINY_OPTIONS, say=_quiet)
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    # Another case into the same folder.
    other = tmp_path / "other.toml"
    other.write_text(TINY.replace('name = "tiny"', 'name = "other"'))
    assert main(["calibrate", str(other), "--out", str(out)]) == 2
    assert "holds the calibration of case 'tiny', not 'other'" in capsys.readouterr().err
    # The same case, with a changed mapping.
    tiny.write_text(TINY.replace("weeks = [5, 8]", "weeks = [4, 8]", 1))
    assert main(["calibrate", str(tiny), "--out", str(out)]) == 2
    assert "different case file" in capsys.readouterr().err
    tiny.write_text(TINY)
    # The same case with another seed.
    args = ["calibrate", str(tiny), "--out", str(out), "--population", "6", "--draws", "5"]
    assert main([*args, "--seed", "8"]) == 2
    assert "--seed 7 (given 8)" in capsys.readouterr().err
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    # A folder of other files.
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert main(["calibrate", str(tiny), "--out", str(foreign)]) == 2
    assert "not a calibration" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
