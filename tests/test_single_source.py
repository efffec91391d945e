"""One source of truth, checked: each fact is declared once and everything else reads it.

Regime names (sim.regimes.PRESETS) and the comparison the model exists for (sim.regimes.COMPARED),
the default number of weeks (sim.params.DEFAULT_STEPS) and the rule for seeds
(sim.params.check_seed); the ODD's parameter table is the generated one; the dashboard's Give up
and Replace options are parameter sets the model accepts.
"""

from __future__ import annotations

import ast
import difflib
from pathlib import Path

import numpy as np
import pytest

from dashboards.replace import OPTIONS
from dashboards.twin import DEFAULT_REGIMES, SIDES, Twin
from experiments.spec import SpecError, parse
from sim import cli
from sim.citizens import VALUES_BEFORE
from sim.measures import measure
from sim.params import (
    DEFAULT_STEPS,
    MAX_SEED,
    PARAMS,
    REGIME_NAMES,
    ModelParams,
    ParamError,
    validate,
)
from sim.regimes import COMPARED, PRESETS

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "experiments", "dashboards")
# Where each fact is declared: (file, name assigned there).
DECLARED = {("sim/params.py", "DEFAULT_STEPS"), ("sim/regimes.py", "COMPARED")}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _declarations(tree: ast.AST, path: str) -> set[int]:
    """Ids of the value nodes of this file's declarations, which the scans must not flag."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any((path, getattr(t, "id", None)) in DECLARED for t in targets):
                ids |= {id(n) for n in ast.walk(node.value)}
    return ids


def stray_copies(source: str, path: str = "") -> list[str]:
    """Each hand-written copy of a declared fact in ``source``, as ``line: what``."""
    tree = ast.parse(source)
    declared = _declarations(tree, path)
    found = []
    for node in ast.walk(tree):
        if id(node) in declared:
            continue
        if isinstance(node, ast.Constant) and type(node.value) is int:
            if node.value == DEFAULT_STEPS:
                found.append(f"{node.lineno}: {DEFAULT_STEPS} (use sim.params.DEFAULT_STEPS)")
        elif isinstance(node, ast.List | ast.Tuple | ast.Set | ast.Dict):
            items = node.values if isinstance(node, ast.Dict) else node.elts
            names = {i.value for i in items if isinstance(i, ast.Constant)}
            # The full list of names, or the compared pair, written out: a membership test such
            # as ``in ("none", "outcomes")`` or one scene's choice of regimes is not a copy.
            if set(COMPARED) <= names <= set(PRESETS) and len(names) == len(items):
                found.append(f"{node.lineno}: regime names {sorted(names)} written out")
    return found


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_stray_copy_of_the_regime_names_or_the_default_weeks(path):
    relative = path.relative_to(ROOT).as_posix()
    assert stray_copies(path.read_text(encoding="utf-8"), relative) == []


@pytest.mark.parametrize(
    "source",
    [
        "def run(regime='outcomes', steps=104, seed=0): ...",
        "WEEKS = 104",
        "p.add_argument('--steps', default=104)",
        "REGIME_NAMES = ('outcomes', 'learning', 'none', 'hybrid')",
        "regimes = raw.get('regimes', ['outcomes', 'learning'])",
        "DEFAULT_REGIMES = {'left': 'outcomes', 'right': 'learning'}",
        "DEFAULT_STEPS = 104  # declared, but not in sim/params.py",
    ],
)
def test_the_scan_finds_each_stray_copy(source):
    assert stray_copies(source, "dashboards/somewhere.py")


def test_the_scan_leaves_declarations_and_other_uses_alone():
    assert stray_copies("DEFAULT_STEPS = 104", "sim/params.py") == []
    assert stray_copies("COMPARED = ('outcomes', 'learning')", "sim/regimes.py") == []
    assert stray_copies("x = 'outcomes' if left in ('none', 'outcomes') else left") == []
    assert stray_copies("twin = Twin(regimes={'left': 'none', 'right': 'none'})") == []
    assert stray_copies("steps = 156") == []


def test_every_list_of_regime_names_reads_the_presets():
    assert tuple(PRESETS) == REGIME_NAMES
    assert PARAMS["regime"].choices == PARAMS["switch_to"].choices == REGIME_NAMES
    assert set(COMPARED) <= set(PRESETS)
    assert tuple(DEFAULT_REGIMES[side] for side in SIDES) == COMPARED
    commands = cli.parser()._subparsers._group_actions[0].choices
    regime = next(a for a in commands["run"]._actions if a.dest == "regime")
    regimes = next(a for a in commands["compare"]._actions if a.dest == "regimes")
    assert tuple(regime.choices) == tuple(regimes.choices) == REGIME_NAMES
    assert tuple(regimes.default) == COMPARED


def test_every_default_number_of_weeks_reads_one_declaration():
    import inspect

    from dashboards.replace import WEEKS
    from sim.model import run

    commands = cli.parser()._subparsers._group_actions[0].choices
    for command in ("run", "compare"):
        assert commands[command].get_default("steps") == DEFAULT_STEPS
    assert inspect.signature(run).parameters["steps"].default == DEFAULT_STEPS
    assert WEEKS == DEFAULT_STEPS
    spec = parse('name = "x"\n[vary]\nincentive_strength = [0.5]\n')
    assert spec.steps == DEFAULT_STEPS and spec.regimes == COMPARED


EXPERIMENT = 'name = "x"\nseed = {seed}\n[vary]\nincentive_strength = [0.5]\n'
SMALL = {"n_citizens": 40, "n_workers": 4, "n_managers": 1}
# The same bad seed as typed at the command line, written in an experiment file, typed in the
# dashboard (whose box gives the page a number).
REFUSED = [
    ("-1", "-1", -1),
    (str(MAX_SEED + 1), str(MAX_SEED + 1), MAX_SEED + 1),
    (str(2**40), str(2**40), 2**40),
    ("1.5", "1.5", 1.5),
    ("true", "true", True),
]


def _cli_seed(command: str, text: str) -> int:
    """The seed the sim CLI takes from ``--seed text``; raises cli.UsageError if refused."""
    extra = ["--alignment", "0.5", "--incentive", "0.5"] if command == "limit" else []
    return cli.parser().parse_args([command, "--seed", text, *extra]).seed


@pytest.mark.parametrize(("typed", "in_file", "in_box"), REFUSED)
def test_a_seed_is_refused_by_the_cli_the_experiment_file_and_the_dashboard_alike(
    typed, in_file, in_box
):
    for command in ("run", "compare", "limit"):
        with pytest.raises(cli.UsageError, match=f"seed=.*from 0 to {MAX_SEED}"):
            _cli_seed(command, typed)
    with pytest.raises(SpecError, match=f"seed=.*from 0 to {MAX_SEED}"):
        parse(EXPERIMENT.format(seed=in_file))
    twin = Twin(seed=1, params=SMALL)
    with pytest.raises(ParamError, match=f"seed=.*from 0 to {MAX_SEED}"):
        twin.reset(seed=in_box)


def test_a_seed_is_accepted_by_the_cli_the_experiment_file_and_the_dashboard_alike():
    for seed in (0, MAX_SEED):
        assert all(_cli_seed(c, str(seed)) == seed for c in ("run", "compare", "limit"))
        assert parse(EXPERIMENT.format(seed=seed)).seed == seed
    twin = Twin(seed=1, params=SMALL)
    twin.reset(seed=MAX_SEED)
    assert twin.seed == MAX_SEED


def test_a_refused_seed_is_one_short_line_at_the_command_line(capsys):
    assert cli.main(["run", "--seed", "9" * 60]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"from 0 to {MAX_SEED}" in err and len(err) < 160


def test_seeds_are_checked_in_one_place():
    defining = [
        p.relative_to(ROOT).as_posix()
        for p in _sources()
        if "def check_seed" in p.read_text(encoding="utf-8")
        or "2**32" in p.read_text(encoding="utf-8")
    ]
    assert defining == ["sim/params.py"]


def _odd_parameter_table() -> list[str]:
    lines = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8").splitlines()
    start = lines.index("### 8.1 Model parameters")
    table = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            table.append(line)
        elif table:
            break
    return table


def test_the_odd_parameter_table_is_the_generated_one(capsys):
    capsys.readouterr()
    assert cli.main(["params", "--format", "markdown"]) == 0
    generated = capsys.readouterr().out.strip().splitlines()
    documented = _odd_parameter_table()
    diff = "\n".join(difflib.unified_diff(documented, generated, "docs/ODD.md 8.1", "generated"))
    assert len(documented) == len(PARAMS) + 2, "the table has a header, a rule and one row each"
    assert documented == generated, (
        "regenerate docs/ODD.md section 8.1 with 'python -m sim params --format markdown':\n" + diff
    )


@pytest.mark.parametrize("option", list(OPTIONS))
def test_each_give_up_and_replace_option_is_a_parameter_set_the_model_accepts(option):
    values = validate({"regime": "outcomes"} | OPTIONS[option])
    kept = validate({"regime": "outcomes"})
    replaced = measure(ModelParams(**values), VALUES_BEFORE)
    designed = measure(ModelParams(**kept), VALUES_BEFORE)
    assert replaced.weights.sum() == pytest.approx(1.0) and (replaced.weights >= 0).all()
    if OPTIONS[option]:  # every replacement changes what it says, and the regime or the measure
        assert {k for k in PARAMS if values[k] != kept[k]} == set(OPTIONS[option])
        same_measure = replaced.reported == designed.reported and np.array_equal(
            replaced.weights, designed.weights
        )
        assert values["regime"] != "outcomes" or not same_measure
