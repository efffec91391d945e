"""Nothing the project uses is removed in Mesa 4: a source scan of sim/, experiments/, dashboards/.

Mesa 4 removes ``Model.steps`` (mesa PR #3328, replaced by the float ``Model.time``), the
``seed=`` keyword of ``Model`` (``rng=`` replaces it), ``mesa.batch_run`` and ``mesa.space``. The
models keep their own whole-number clocks (``AccountabilityModel.week``, ``RedBeadModel.day``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sim
from sim.model import AccountabilityModel
from sim.redbead import RedBeadModel

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sim", "experiments", "dashboards")
# ``.steps`` on these names is the project's own number of weeks (the argparse namespace of the
# CLIs, an experiment spec), not Mesa's step counter.
OWN_STEPS = {"args", "exp"}


def _is_model_init(func: ast.expr) -> bool:
    """A call that builds a Mesa model: ``super().__init__(...)`` or ``SomethingModel(...)``."""
    if isinstance(func, ast.Attribute) and func.attr == "__init__":
        return isinstance(func.value, ast.Call) and getattr(func.value.func, "id", "") == "super"
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name.endswith("Model")


def removed_in_mesa_4(source: str) -> list[str]:
    """Each use of a name Mesa 4 removes in ``source``, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute):
            if node.attr == "steps" and getattr(node.value, "id", None) not in OWN_STEPS:
                found.append(f"{line}: .steps (Mesa 4 removes Model.steps)")
            if node.attr == "space" and getattr(node.value, "id", None) == "mesa":
                found.append(f"{line}: mesa.space")
            if node.attr == "batch_run":
                found.append(f"{line}: batch_run")
        elif isinstance(node, ast.Name) and node.id == "batch_run":
            found.append(f"{line}: batch_run")
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(("mesa.space", "mesa.batchrunner")):
                found.append(f"{line}: from {node.module}")
            if node.module == "mesa" and {"space", "batch_run"} & {a.name for a in node.names}:
                found.append(f"{line}: from mesa import space/batch_run")
        elif isinstance(node, ast.Import):
            found += [
                f"{line}: import {a.name}"
                for a in node.names
                if a.name.startswith(("mesa.space", "mesa.batchrunner"))
            ]
        elif (
            isinstance(node, ast.Call)
            and _is_model_init(node.func)
            and any(k.arg == "seed" for k in node.keywords)
        ):
            found.append(f"{line}: a model built with seed= (Mesa 4 takes rng=)")
    return found


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_the_scan_reads_every_package():
    assert {p.relative_to(ROOT).parts[0] for p in _sources()} == set(PACKAGES)


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_name_removed_in_mesa_4(path):
    assert removed_in_mesa_4(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "row = {'step': model.steps}",
        "week = self.steps",
        "x = twin.models['left'].steps",
        "import mesa.space",
        "from mesa.space import MultiGrid",
        "from mesa import batch_run",
        "from mesa.batchrunner import batch_run",
        "mesa.batch_run(M, parameters={})",
        "grid = mesa.space.MultiGrid(5, 5, torus=False)",
        "class M(mesa.Model):\n    def __init__(self):\n        super().__init__(seed=1)",
        "m = AccountabilityModel(seed=3)",
        "m = mesa.Model(seed=3)",
    ],
)
def test_the_scan_finds_each_removed_name(source):
    assert removed_in_mesa_4(source)


@pytest.mark.parametrize(
    "source",
    [
        "for _ in range(args.steps): pass",
        "t = exp.steps * 2",
        "df = run(regime='outcomes', steps=4, seed=0)",  # the project's own run(), not Mesa's
        "x = sobol.sample(prob, 8, seed=exp.seed)",
        "m = AccountabilityModel(rng=3)",
    ],
)
def test_the_scan_leaves_the_projects_own_names_alone(source):
    assert removed_in_mesa_4(source) == []


def test_the_models_own_clocks_count_the_steps_taken():
    model = AccountabilityModel(rng=0, n_citizens=60, n_workers=6, n_managers=2)
    assert model.week == 0
    for _ in range(3):
        model.step()
    assert model.week == 3
    assert model.frame()["step"].tolist() == [1, 2, 3]
    beads = RedBeadModel(rng=0)
    beads.step()
    beads.step()
    assert beads.day == 2 and len(beads.workers[0].counts) == 2


def test_sim_run_still_numbers_weeks_from_one():
    assert sim.run("outcomes", steps=2, seed=0, n_citizens=60, n_workers=6)["step"].tolist() == [
        1,
        2,
    ]
