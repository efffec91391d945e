"""Experiment files that are wrong, unsafe or mistyped: what the command line does with them."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments import cli as command_line
from experiments.analysis import load as load_rows
from experiments.design import plan, points
from experiments.execute import ExecutorError
from experiments.spec import SpecError, bundled, load, parse
from experiments.sweep import sweep

ROOT = Path(__file__).resolve().parents[1]
SMALL = """
name = "small"
regimes = ["outcomes", "learning"]
replications = 1
steps = 3
seed = 5
[base]
n_citizens = 40
n_workers = 4
n_managers = 1
[vary]
incentive_strength = [0.2, 0.8]
"""


def run_main(capsys, *args):
    """``python -m experiments ARGS`` in this process: (status, stdout, stderr lines)."""
    capsys.readouterr()
    status = command_line.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err.strip().splitlines()


def write(folder: Path, text: str, name: str = "exp.toml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def everything_in(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


@pytest.mark.parametrize("name", ["../../escaped", "ABSOLUTE"])
def test_a_name_that_leaves_the_results_directory_is_refused_by_run_and_analyse(
    tmp_path, capsys, name
):
    name = str(tmp_path / "escaped") if name == "ABSOLUTE" else name
    bad_text = SMALL.replace('name = "small"', f"name = {json.dumps(name)}")
    status, _, err = run_main(capsys, "run", write(tmp_path, bad_text), "--out", tmp_path / "r")
    assert status == 2 and len(err) == 1 and "name=" in err[0] and "letters, digits" in err[0]
    assert not (tmp_path / "r").exists()
    # A results directory whose manifest holds such a name (written by an older version, or
    # edited): analyse must refuse it rather than write figures where the name points.
    results = tmp_path / "deep" / "er" / "results"
    sweep(parse(SMALL), str(results), "sequential")
    manifest = json.loads((results / "manifest.json").read_text())
    manifest["experiment"]["text"] = bad_text
    (results / "manifest.json").write_text(json.dumps(manifest))
    before = everything_in(tmp_path)
    status, _, err = run_main(capsys, "analyse", results)
    assert status == 2 and len(err) == 1 and "name=" in err[0], err
    assert everything_in(tmp_path) == before  # nothing written anywhere, inside or out


def evil_module(folder: Path) -> tuple[str, Path]:
    """A module beside an experiment file that leaves a marker file when it is imported."""
    module, marker = f"evil_{uuid.uuid4().hex}", folder / "imported.marker"
    (folder / f"{module}.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).touch()\nfrom sim import run\n"
    )
    return module, marker


def test_a_model_key_runs_nothing_and_imports_nothing_without_the_flag(
    tmp_path, capsys, monkeypatch
):
    module, marker = evil_module(tmp_path)
    monkeypatch.chdir(tmp_path)  # the current directory on the path, as with python -m
    monkeypatch.syspath_prepend(str(tmp_path))
    exp_file = write(tmp_path, f'model = "{module}:run"\n' + SMALL)
    for extra in ([], ["--dry-run"]):
        status, _, err = run_main(capsys, "run", exp_file, "--out", tmp_path / "o", *extra)
        assert status == 2 and len(err) == 1 and "--allow-model-code" in err[0], err
        assert not marker.exists() and not (tmp_path / "o").exists()
    with pytest.raises(SpecError, match="allow-model-code"):
        parse('model = "os:system"\n' + SMALL)  # a plain string check passed it before
    # Allowed: the module is imported (a dry run checks it as a run would) and nothing is written.
    status, out, _ = run_main(
        capsys, "run", exp_file, "--out", tmp_path / "o", "--dry-run", "--allow-model-code"
    )
    assert status == 0 and marker.exists() and f"model {module}:run" in out
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("model", "words"),
    [
        ("no_such_module_xyz:run", "cannot import 'no_such_module_xyz'"),
        ("sim:no_such_function", "module 'sim' has no 'no_such_function'"),
        ("sim.params:PARAMS", "'PARAMS' is not a function"),
    ],
)
def test_an_allowed_model_that_is_not_a_function_is_refused_in_one_line(
    tmp_path, capsys, model, words
):
    exp_file = write(tmp_path, f'model = "{model}"\n' + SMALL)
    status, _, err = run_main(
        capsys, "run", exp_file, "--out", tmp_path / "o", "--allow-model-code"
    )
    assert status == 2 and len(err) == 1 and words in err[0], err
    assert not (tmp_path / "o").exists()


def test_the_readme_says_an_experiment_file_with_a_model_key_runs_code():
    readme = (ROOT / "README.md").read_text()
    assert "--allow-model-code" in readme and "runs code" in readme


def test_every_problem_in_a_file_is_reported_at_once(tmp_path, capsys):
    text = """
name = "several"
stpes = 10
replications = 0
[base]
incentive_strenght = 0.5
[vary]
audit_rate = [0.1, 3.0]
[analysis]
outputs = ["gaming_gap", "wellbeing"]
"""
    status, _, err = run_main(capsys, "run", write(tmp_path, text), "--out", tmp_path / "o")
    assert status == 2 and len(err) == 5, err
    expected = [
        "unknown key 'stpes' (did you mean 'steps'?)",
        "replications=0",
        "unknown parameter 'incentive_strenght': did you mean 'incentive_strength'?",
        "audit_rate=3 is out of range",
        "'wellbeing' is not an output",
    ]
    for line, words in zip(err, expected, strict=True):
        assert line.startswith("python -m experiments: error: exp.toml") and words in line
    assert not (tmp_path / "o").exists()
    with pytest.raises(SpecError) as raised:
        parse(text)
    assert len(raised.value.problems) == 5 and str(raised.value).count("\n") == 4


def test_sizes_are_not_compared_when_one_of_them_is_already_refused():
    with pytest.raises(SpecError) as raised:
        parse('name = "x"\n[base]\nn_citizens = -5\nn_workers = 10\n')
    assert len(raised.value.problems) == 1 and "n_citizens=-5" in str(raised.value)


def test_did_you_mean_for_experiment_and_parameter_names(tmp_path, capsys):
    status, _, err = run_main(capsys, "run", "smok", "--out", tmp_path / "o")
    assert status == 2 and len(err) == 1 and "(did you mean 'smoke'?)" in err[0]
    bad = 'name = "x"\n[sampler]\nmethod = "sobl"\nn = 8\n[sampler.bounds]\nratchett = [0, 1]\n'
    status, _, err = run_main(capsys, "run", write(tmp_path, bad), "--out", tmp_path / "o")
    assert status == 2 and len(err) == 2, err
    assert "did you mean 'sobol'" in err[0] and "did you mean 'ratchet'" in err[1]
    status, _, err = run_main(capsys, "run", "zzzzzz", "--out", tmp_path / "o")
    assert "did you mean" not in err[0]  # no suggestion when nothing is close
    assert not (tmp_path / "o").exists()


def test_a_toml_file_nested_too_deeply_is_one_line(tmp_path, capsys):
    deep = "a = " + "[" * 100_000 + "]" * 100_000 + "\n"
    status, _, err = run_main(capsys, "run", write(tmp_path, deep), "--out", tmp_path / "o")
    assert status == 2 and len(err) == 1 and "nested too deeply" in err[0], err


def test_list_shows_each_experiments_runs_and_an_estimated_time(capsys):
    status, out, _ = run_main(capsys, "list", "--workers", "2")
    assert status == 0 and "estimates for 2 workers on this machine" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:-1]}
    assert set(rows) == set(bundled())
    for name, row in rows.items():
        assert row[1] == f"{load(name).n_runs:,}" and row[2].startswith("~"), row


def test_the_estimate_scales_with_runs_weeks_population_and_workers():
    exp = parse(SMALL)
    per_agent_week = 1e-5
    one = command_line.estimated_seconds(exp, 1, per_agent_week)
    assert one == pytest.approx(4 * 3 * (40 + 4 + 1) * per_agent_week)
    assert command_line.estimated_seconds(exp, 2, per_agent_week) == pytest.approx(one / 2)
    assert command_line.estimated_seconds(exp, 99, per_agent_week) == pytest.approx(one / 4)
    longer = parse(SMALL.replace("steps = 3", "steps = 6"))
    assert command_line.estimated_seconds(longer, 1, per_agent_week) == pytest.approx(2 * one)
    assert command_line.seconds_per_agent_week() > 0


def test_dry_run_prints_the_design_and_creates_nothing(tmp_path, capsys):
    out_dir = tmp_path / "not" / "yet"
    status, out, err = run_main(capsys, "run", "smoke", "--out", out_dir, "--dry-run")
    exp = load("smoke")
    assert status == 0 and not err
    assert "2 points x 2 regimes (outcomes, learning) x 3 replications = 12 runs" in out
    table = out[out.index("incentive_strength") :]
    assert "0.3" in table and "0.9" in table and "estimated time" in out
    assert exp.n_runs == len(plan(exp)) == 12
    assert not (tmp_path / "not").exists()


def test_a_refused_run_creates_no_folder(tmp_path, capsys, monkeypatch):
    out_dir = tmp_path / "a" / "b"
    status, _, _ = run_main(capsys, "run", "smoke", "--out", out_dir, "--workers", "0")
    assert status == 2 and not (tmp_path / "a").exists()
    status, _, _ = run_main(capsys, "run", write(tmp_path, "colour = 1\n"), "--out", out_dir)
    assert status == 2 and not (tmp_path / "a").exists()

    # A refusal that comes after the results directory was made (here the executor) removes it.
    def refuse(*args, **kwargs):
        raise ExecutorError("no executor today")

    monkeypatch.setattr("experiments.sweep.executor", refuse)
    small = write(tmp_path, SMALL)
    status, _, err = run_main(capsys, "run", small, "--out", out_dir)
    assert status == 2 and "no executor today" in err[0]
    assert not (tmp_path / "a").exists()
    # ... but never a directory that held something before.
    monkeypatch.undo()
    held = tmp_path / "held"
    sweep(parse(SMALL), str(held), "sequential")
    before = everything_in(held)
    monkeypatch.setattr("experiments.sweep.executor", refuse)
    status, _, _ = run_main(capsys, "run", small, "--out", held)
    assert status == 2 and everything_in(held) >= before and list((held / "parts").iterdir())


def test_a_reader_that_goes_away_is_not_an_error(tmp_path):
    # `python -m experiments list | head -1`: the pipe closes before the listing ends.
    listing = subprocess.Popen(
        [sys.executable, "-m", "experiments", "list"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # each line written as it is printed
    )
    listing.stdout.readline()
    listing.stdout.close()
    assert listing.wait(timeout=120) == 0
    assert listing.stderr.read() == ""


WHOLE_SYSTEM = """
name = "tiny_system"
regimes = ["outcomes"]
replications = 3
steps = 6
seed = 5
record = "every"
[base]
n_citizens = 60
n_workers = 6
n_managers = 1
n_services = 3
payment_by_results = 0.5
[[arms]]
label = "siloed"
[[arms]]
contracting = "alliance"
[[arms]]
contracting = "alliance"
service_regimes = "learning,learning,learning"
[analysis]
outputs = ["handoffs", "attribution_error"]
"""


WHOLE_SYSTEM_LEARNING = {"contracting": "alliance", "service_regimes": "learning,learning,learning"}


def test_an_arms_file_parses_into_arms_on_base_with_labels_given_or_made():
    exp = parse(WHOLE_SYSTEM)
    assert exp.arms == ({}, {"contracting": "alliance"}, WHOLE_SYSTEM_LEARNING)
    assert exp.arm_labels == ("siloed", "alliance", "alliance · learning,learning,learning")
    assert exp.varied == ["contracting", "service_regimes"]
    assert exp.n_points == 3 and exp.n_runs == 9 == len(plan(exp))
    # Every point names every varied parameter: the defaults where an arm leaves one alone.
    assert [(p["contracting"], p["service_regimes"], p["n_services"]) for p in points(exp)] == [
        ("siloed", "", 3),
        ("alliance", "", 3),
        ("alliance", "learning,learning,learning", 3),
    ]


def test_a_dry_run_shows_each_arm_by_its_label(tmp_path, capsys):
    status, out, err = run_main(
        capsys, "run", "whole_system", "--out", tmp_path / "r", "--dry-run", "--workers", "2"
    )
    assert status == 0 and not err
    assert "4 points x 1 regime (outcomes) x 20 replications = 80 runs" in out
    assert "alliance, learning inside" in out and "siloed, re-tendered yearly" in out
    assert not (tmp_path / "r").exists()


def test_every_arm_runs_on_the_same_replicate_seeds():
    for exp in (parse(WHOLE_SYSTEM), load("whole_system")):
        runs = plan(exp)
        seeds = {
            label: [r.seed for r in runs if r.point_id == point]
            for point, label in enumerate(exp.arm_labels)
        }
        first = seeds[exp.arm_labels[0]]
        assert all(arm_seeds == first for arm_seeds in seeds.values())
        assert len(set(first)) == exp.replications


def test_the_whole_system_experiment_has_its_four_arms():
    exp = load("whole_system")
    assert exp.base["n_services"] == 3 and exp.base["payment_by_results"] == 0.5
    assert (exp.replications, exp.seed) == (20, 2026)
    arms = dict(zip(exp.arm_labels, exp.arms, strict=True))
    assert len(arms) == 4 and [arm.get("contracting") for arm in arms.values()] == [
        "siloed",
        "alliance",
        "alliance",
        "siloed",
    ]
    assert [arm.get("contract_years", 0) for arm in arms.values()] == [0, 0, 0, 1]
    assert list(arms.values())[2]["service_regimes"] == "learning,learning,learning"
    assert {"accountability_cost", "gaming_providers"} <= set(exp.analysis["outputs"])


ARMS_HEAD = 'name = "x"\nregimes = ["outcomes"]\n[base]\nn_services = 3\n'
BAD_ARMS = [
    (
        ARMS_HEAD + '[vary]\naudit_rate = [0.1]\n[[arms]]\ncontracting = "alliance"\n',
        "use either [[arms]] or [vary], not both",
    ),
    (
        ARMS_HEAD + '[[arms]]\ncontracting = "alliance"\n'
        '[sampler]\nmethod = "latin"\nn = 4\n[sampler.bounds]\nratchet = [0, 1]\n',
        "use either [[arms]] or [sampler], not both",
    ),
    (ARMS_HEAD + "[[arms]]\nwibble = 1\n", "[[arms]] 1: unknown parameter 'wibble'"),
    (
        ARMS_HEAD + '[[arms]]\ncontracting = "siloed"\n[[arms]]\ncontract_years = 99\n',
        "[[arms]] 2: contract_years=99 is out of range",
    ),
    (ARMS_HEAD + '[[arms]]\ncontracting = "guild"\n', "[[arms]] 1: contracting='guild'"),
    (
        ARMS_HEAD + '[[arms]]\nservice_regimes = "learning,learning"\n',
        "[[arms]] 1: service_regimes='learning,learning' names 2 regimes for n_services=3",
    ),
    ('name = "x"\narms = []\n', "arms must be one or more [[arms]] tables"),
    (
        ARMS_HEAD + '[[arms]]\ncontracting = "siloed"\n[[arms]]\nlabel = "again"\n',
        "[[arms]] 2 sets the same parameters as arm 1",
    ),
    (
        ARMS_HEAD + '[[arms]]\nlabel = "A"\n[[arms]]\nlabel = "A"\ncontracting = "alliance"\n',
        "label 'A' names more than one arm",
    ),
    (ARMS_HEAD + '[[arms]]\nlabel = ""\n', "label='': use a non-empty string"),
    (ARMS_HEAD + '[[arms]]\nregime = "learning"\n', "not an arm's regime"),
]


@pytest.mark.parametrize(("text", "words"), BAD_ARMS)
def test_bad_arms_give_one_line_and_exit_2(tmp_path, capsys, text, words):
    out_dir = tmp_path / "out"
    status, _, err = run_main(capsys, "run", write(tmp_path, text), "--out", out_dir)
    assert status == 2 and len(err) == 1 and words in err[0], err
    assert not out_dir.exists()


def test_a_runs_time_estimate_counts_its_services_and_counterfactual_models():
    from sim.model import AccountabilityModel
    from sim.params import models_stepped

    assert models_stepped({}) == 1
    assert models_stepped({"n_services": 3}) == 1  # nothing paid on results: no attribution
    assert models_stepped({"n_services": 3, "payment_by_results": 0.5}) == 4
    tiny = {"n_citizens": 40, "n_workers": 4, "n_managers": 1}
    for params in ({"n_services": 2, "payment_by_results": 0.5}, {"n_services": 2}):
        model = AccountabilityModel(rng=1, **tiny, **params)
        assert models_stepped(model.params) == 1 + len(model.shadows)
    exp = parse(WHOLE_SYSTEM)
    per_agent_week = 1e-5
    # Three services of 60 + 6 + 1 agents, each run stepping four such models.
    expected = exp.n_runs * exp.steps * (60 + 6 + 1) * 3 * 4 * per_agent_week
    assert command_line.estimated_seconds(exp, 1, per_agent_week) == pytest.approx(expected)


def test_the_arms_tables_pair_each_arm_with_the_first_by_replicate():
    from experiments import systems

    # A synthetic store: 3 arms x 4 replicates, weeks 2 and 4; the late half is week 4 alone.
    # Hand-offs: the replicate's own level, shared by every arm (common random numbers), plus the
    # arm's effect (B: 0.5; C: 1 + rep); week 2 is settling in (100) and must not count.
    def handoffs(point: int, rep: int, step: int) -> float:
        return 100.0 if step == 2 else rep * 10 + point * 0.5 + rep * (point == 2)

    rows = [
        {
            "run_id": point * 4 + rep,
            "point_id": point,
            "replicate": rep,
            "regime": "outcomes",
            "step": step,
            "handoffs": handoffs(point, rep, step),
            "attribution_error": step / 4 * (point + 1),
        }
        for point in range(3)
        for rep in range(4)
        for step in (2, 4)
    ]
    df = pd.DataFrame(rows)
    arms = ["A", "B", "C"]
    runs = systems.per_run(df, ["handoffs", "attribution_error"], arms)
    assert list(runs.arm) == ["A"] * 4 + ["B"] * 4 + ["C"] * 4
    means, differences = systems.contrast(runs, ["handoffs", "attribution_error"], arms)
    a = means.set_index(["output", "arm"])
    assert a.loc[("handoffs", "A"), "mean"] == pytest.approx(15.0)  # 0, 10, 20, 30
    assert a.loc[("handoffs", "C"), "mean"] == pytest.approx(15.0 + 1.0 + 1.5)
    assert a.loc[("attribution_error", "B"), "mean"] == pytest.approx(2.0)  # the last week
    sd = np.std([0, 10, 20, 30], ddof=1)
    assert a.loc[("handoffs", "A"), "ci95"] == pytest.approx(3.182446 * sd / 2, rel=1e-5)
    d = differences.set_index(["output", "arm"])
    # C - A per replicate is 1 + rep: paired, the replicates' own levels cancel.
    assert d.loc[("handoffs", "C"), "diff"] == pytest.approx(2.5)
    assert d.loc[("handoffs", "C"), "ci95"] == pytest.approx(
        3.182446 * np.std([1, 2, 3, 4], ddof=1) / 2, rel=1e-5
    )
    assert d.loc[("handoffs", "B"), "diff"] == pytest.approx(0.5)
    assert d.loc[("handoffs", "B"), "ci95"] == pytest.approx(0.0, abs=1e-12)
    assert set(differences.arm) == {"B", "C"} and (differences.n == 4).all()
    # A replicate missing in one arm (a partial sweep) is left out of that arm's pairs only.
    partial = runs[~((runs.arm == "C") & (runs.replicate == 0))]
    _, differences = systems.contrast(partial, ["handoffs"], arms)
    assert list(differences.n) == [4, 3]
    text = systems.markdown(*systems.contrast(runs, ["handoffs"], arms), arms)
    assert "| output | A | B | C |" in text and "| `handoffs` | +0.500 ± 0.000 | +2.500 ±" in text


def test_the_system_table_is_paired_by_replicate_and_bad_input_is_one_line(tmp_path, capsys):
    from experiments import systems

    results = tmp_path / "r"
    sweep(parse(WHOLE_SYSTEM), str(results), "sequential")
    figure = tmp_path / "f.png"
    assert systems.main([str(results), "--out", str(figure)]) == 0
    out = capsys.readouterr().out
    assert figure.stat().st_size > 10_000 and "| `handoffs` |" in out
    assert "alliance · learning,learning,learning − siloed" in out
    arms = list(parse(WHOLE_SYSTEM).arm_labels)
    runs = systems.per_run(load_rows(results), ["handoffs", "attribution_error"], arms)
    _, differences = systems.contrast(runs, ["handoffs"], arms)
    row = differences.set_index("arm").loc["alliance"]
    by_arm = runs.pivot_table(index="replicate", columns="arm", values="handoffs")
    assert row["diff"] == pytest.approx((by_arm.alliance - by_arm.siloed).mean())
    assert row["n"] == 3
    for argv in ([str(tmp_path)], [str(results), "--out", str(tmp_path / "f.gif")]):
        assert systems.main(argv) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    one_arm = tmp_path / "u"
    sweep(parse(SMALL.replace("[0.2, 0.8]", "[0.2]")), str(one_arm), "sequential")
    assert systems.main([str(one_arm)]) == 2
    assert "has 1 arm: give two or more [[arms]]" in capsys.readouterr().err
