import json
import uuid

import numpy as np
import pandas as pd
import pytest

from experiments import analysis
from experiments import cli as command_line
from experiments.discover import Condition, discover
from experiments.spec import OUTPUTS, SpecError, parse
from experiments.sweep import sweep

# A model whose regime differences are planted: outcomes beats learning on wellbeing exactly where
# incentive_strength > 1.2, whatever life_event_rate is, and on trust in the corner where also
# life_event_rate < 0.1. The rest of each row is a real tiny run.
PLANTED = """
import sim


def run(regime, steps, seed, **params):
    df = sim.run(regime, steps=steps, seed=seed, **params)
    corner = params["incentive_strength"] > 1.0 and params["life_event_rate"] < 0.1
    if regime == "outcomes":
        df["mean_wellbeing"] = 1.0 if params["incentive_strength"] > 1.2 else 0.0
        df["citizen_trust"] = 1.0 if corner else 0.0
    else:
        df["mean_wellbeing"] = 0.5
        df["citizen_trust"] = 0.5
    return df
"""

SWEEP = """
name = "planted"
regimes = ["outcomes", "learning"]
replications = 1
steps = 2
seed = 11
record = "final"
model = "{model}:run"
[base]
n_citizens = 30
n_workers = 2
n_managers = 1
[sampler]
method = "latin"
n = 80
[sampler.bounds]
incentive_strength = [0.0, 2.0]
life_event_rate = [0.0, 0.2]
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A stored Latin-hypercube sweep of the planted model (two regimes, 80 points)."""
    root = tmp_path_factory.mktemp("planted")
    name = f"planted_{uuid.uuid4().hex}"
    (root / f"{name}.py").write_text(PLANTED)
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(root))
        exp = parse(SWEEP.format(model=name), allow_model_code=True)
        sweep(exp, str(root / "out"), "sequential")
    return root / "out"


def run_main(capsys, *args):
    capsys.readouterr()
    status = command_line.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return status, out, err.strip().splitlines()


def test_prim_finds_the_planted_box_and_writes_json_csv_png(planted, capsys):
    when = "outcomes.mean_wellbeing > learning.mean_wellbeing"
    status, out, err = run_main(capsys, "discover", planted, "--when", when)
    assert status == 0, err
    stem = "outcomes_mean_wellbeing_gt_learning_mean_wellbeing"
    found = json.loads((planted / "discovery" / f"{stem}.json").read_text())
    assert found["points"] == 80 and found["runs"] == 160 and found["seed"] == 11
    first = found["boxes"][0]
    assert first["density"] > 0.95 and first["coverage"] > 0.9
    # The box is bounded below near 1.2 on incentive_strength and not cut on the noise parameter.
    assert 1.0 < first["limits"]["incentive_strength"]["min"] <= 1.3
    assert "life_event_rate" not in first["limits"]
    table = pd.read_csv(planted / "discovery" / f"{stem}.csv")
    assert table.loc[0, "parameter"] == "incentive_strength" and table.loc[0, "box"] == 1
    png = planted / "discovery" / f"{stem}_box1.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_mode & 0o044  # readable by others, like any new file (not mkstemp's 0600)
    assert "box 1: coverage" in out and "incentive_strength" in out


def test_a_box_in_two_parameters_is_found_and_drawn(planted):
    found = discover(planted, "outcomes.citizen_trust > learning.citizen_trust", name="corner")
    first = found.summary["boxes"][0]
    assert set(first["limits"]) == {"incentive_strength", "life_event_rate"}
    assert 0.8 < first["limits"]["incentive_strength"]["min"] <= 1.1
    assert 0.08 <= first["limits"]["life_event_rate"]["max"] < 0.12
    assert first["density"] > 0.9 and first["coverage"] > 0.8
    assert (planted / "discovery" / "corner_box1.png").stat().st_size > 10_000


def test_condition_and_or_numbers_and_no_box_when_it_never_holds(planted):
    found = discover(
        planted,
        "learning.mean_wellbeing > outcomes.mean_wellbeing and not 2 * learning.mean_wellbeing < 0",
        name="learning_wins",
    )
    first = found.summary["boxes"][0]
    assert first["limits"]["incentive_strength"]["max"] <= 1.3
    never = discover(planted, "outcomes.mean_wellbeing > 1.5 or learning.mean_wellbeing < -1")
    assert never.summary["cases"] == 0 and never.summary["boxes"] == []


def test_condition_is_interpreted_not_evaluated():
    table = pd.DataFrame({("a", "x"): [1.0, 2.0, 3.0], ("b", "x"): [2.0, 2.0, 2.0]})
    assert Condition("a.x > b.x", ["a", "b"], ["x"]).evaluate(table).tolist() == [0, 0, 1]
    assert Condition("1 < a.x <= 2", ["a", "b"], ["x"]).evaluate(table).tolist() == [0, 1, 0]
    for bad in ["__import__('os').system('true')", "a.x", "a.x == b.x", "a.x.y > 1", "True > 0"]:
        with pytest.raises(SpecError, match="bad expression"):
            Condition(bad, ["a", "b"], ["x"])


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("outcomes.mean_wellbeing >", "bad expression 'outcomes.mean_wellbeing >': it does not"),
        ("open('x').read() > 1", "is not a REGIME.OUTPUT name or a number; allowed: REGIME"),
        ("hybrid.mean_wellbeing > 0", "regime 'hybrid' is not in the results: use one of outcomes"),
        ("outcome.mean_wellbeing > 0", "regime 'outcome' is not in the results (did you mean"),
        ("learning.wellbeing > 0", "output 'wellbeing' is not in the results (did you mean"),
    ],
)
def test_bad_expressions_are_one_line_and_exit_2(planted, capsys, when, expected):
    status, _, err = run_main(capsys, "discover", planted, "--when", when)
    assert status == 2 and len(err) == 1 and expected in err[0], err


def test_no_experiment_and_no_paired_regimes_are_one_line_and_exit_2(tmp_path, capsys):
    when = "outcomes.mean_wellbeing > 0"
    status, _, err = run_main(capsys, "discover", tmp_path, "--when", when)
    assert status == 2 and len(err) == 1 and "holds no experiment" in err[0]
    single = SWEEP.replace('["outcomes", "learning"]', '["outcomes"]').replace("n = 80", "n = 4")
    single = single.replace('model = "{model}:run"\n', "")
    sweep(parse(single), str(tmp_path / "one"), "sequential")
    status, _, err = run_main(capsys, "discover", tmp_path / "one", "--when", when)
    assert status == 2 and len(err) == 1 and "holds no paired regimes" in err[0]
    assert not (tmp_path / "one" / "discovery").exists()


def test_undefined_output_of_a_regime_is_one_line(planted, capsys):
    status, _, err = run_main(capsys, "discover", planted, "--when", "learning.target > 0")
    assert status == 2 and len(err) == 1 and "undefined under regime 'learning'" in err[0]


SOBOL = """
name = "sob"
regimes = ["outcomes"]
replications = 1
steps = 2
seed = 3
[sampler]
method = "sobol"
n = {n}
[sampler.bounds]
incentive_strength = [0.0, 2.0]
life_event_rate = [0.0, 0.2]
ratchet = [0.0, 1.0]
"""


def sobol_inputs(n):
    """A Saltelli sample of a known function (one strong, one weak, one idle parameter)."""
    from SALib.sample import sobol

    from experiments.design import problem

    exp = parse(SOBOL.format(n=n))
    x = sobol.sample(problem(exp), n, calc_second_order=False, seed=exp.seed)
    rng = np.random.default_rng(0)
    y = x[:, 0] + 5 * x[:, 1] + rng.normal(0, 0.05, len(x))
    frame = pd.DataFrame({col: y for col in OUTPUTS})
    return exp, {"outcomes": (x, frame)}


def test_sobol_warns_with_the_needed_sample_size_when_too_small(tmp_path):
    exp, inputs = sobol_inputs(8)
    with pytest.warns(analysis.NoisyIndices) as caught:
        analysis.sensitivity(inputs, exp, ["gaming_gap"], tmp_path / "sobol")
    assert len(caught) == 1  # one line per output
    message = str(caught[0].message)
    assert "gaming_gap under outcomes are too uncertain at n = 8 (40 points)" in message
    needed = int(message.split("about n = ")[1].split(" ")[0].replace(",", ""))
    assert needed > 8 and needed & (needed - 1) == 0  # more, and a power of 2


def test_sobol_does_not_warn_with_an_adequate_sample(tmp_path, recwarn):
    exp, inputs = sobol_inputs(4096)
    analysis.sensitivity(inputs, exp, ["gaming_gap"], tmp_path / "sobol")
    assert not [w for w in recwarn if issubclass(w.category, analysis.NoisyIndices)]


def test_analyse_prints_the_sobol_warning(tmp_path, capsys):
    small = SOBOL.format(n=4) + '[analysis]\noutputs = ["mean_wellbeing"]\n'
    base = "[base]\nn_citizens = 30\nn_workers = 2\nn_managers = 1\n"
    small = small.replace("[sampler]\n", base + "[sampler]\n", 1)
    sweep(parse(small), str(tmp_path / "s"), "sequential")
    status, _, err = run_main(capsys, "analyse", tmp_path / "s")
    assert status == 0
    assert any("too uncertain at n = 4" in line and "would be needed" in line for line in err)


def test_a_full_factorial_sweep_with_a_choice_parameter_is_searched_on_its_numbers(tmp_path):
    text = """
name = "grid"
regimes = ["outcomes", "learning"]
replications = 2
steps = 2
seed = 5
[base]
n_citizens = 30
n_workers = 2
n_managers = 1
[vary]
incentive_strength = [0.0, 1.0, 2.0]
measured_domains = ["all", "income"]
"""
    sweep(parse(text), str(tmp_path / "g"), "sequential")
    found = discover(tmp_path / "g", "learning.citizen_trust > outcomes.citizen_trust - 1")
    assert found.summary["left_out"] == ["measured_domains"]
    assert found.summary["parameters"] == ["incentive_strength"]
    assert found.summary["points"] == 6 and found.summary["runs"] == 24
    assert found.summary["no_box"] == "the condition holds at every point"
