"""Experiment files: TOML, validated against the model's one parameter declaration.

An experiment names the regimes to compare (every regime gets the same replicate seeds: common
random numbers), base parameters, what to vary (lists, ranges, or a sampler with bounds), the
number of replications and steps, what to record, and the root seed.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import itertools
import math
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sim.metrics import COLUMNS
from sim.params import (
    DEFAULT_STEPS,
    PARAMS,
    REGIME_NAMES,
    SIZES,
    ParamError,
    check_seed,
    coerce,
    validate,
)
from sim.regimes import COMPARED

# A sweep beyond this is almost always a slip (a step of 1e-6, n = 2**30) that would only fail
# hours later, out of memory; split a genuinely larger study into several experiments.
MAX_RUNS = 1_000_000
SAMPLERS = ("full_factorial", "latin", "sobol", "morris")
SAMPLER_KEYS = {"method", "n", "bounds", "levels"}
ANALYSIS_KEYS = {"x", "outputs"}
OUTPUTS = [c for c in COLUMNS if c not in ("step", "regime")]  # what analysis may plot
TOP_KEYS = {
    "name",
    "description",
    "regimes",
    "replications",
    "steps",
    "seed",
    "record",
    "base",
    "vary",
    "sampler",
    "arms",
    "analysis",
    "model",
}
# A name becomes file names inside the results directory (figures): no separators, no "..".
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
# The model every experiment runs unless its file names another; any other is code from outside
# this project, run only when the user allows it (``allow_model_code``).
DEFAULT_MODEL = "sim:run"
# An arm's key that names it rather than setting a parameter.
ARM_LABEL = "label"
# Joins an arm's parameter values into the label it gets when its file gives none.
LABEL_SEPARATOR = " · "


class SpecError(ValueError):
    """A bad experiment file: one line for the user per problem found.

    Args:
        *problems: One line each; a file with several mistakes reports them all at once.
    """

    @property
    def problems(self) -> list[str]:
        """Each problem, one line each."""
        return [str(problem) for problem in self.args]

    def __str__(self) -> str:
        return "\n".join(self.problems)


class _Problems:
    """Every problem found in one file, so that a single run of the command reports them all."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, problem: str) -> None:
        """Note one problem (one line)."""
        self.found.append(problem)

    @contextmanager
    def collect(self) -> Iterator[None]:
        """Note the problems of a check that raises SpecError, and go on with the next check."""
        try:
            yield
        except SpecError as err:
            self.found.extend(err.problems)


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to a mistyped word, or ``""``."""
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True)
class Experiment:
    """A validated experiment.

    Attributes:
        name: Short name, also the bundled file's stem.
        description: One line for ``python -m experiments list``.
        regimes: Regimes compared with common random numbers.
        replications: Replicate seeds per parameter point and regime.
        steps: Weeks per run.
        seed: Root seed; replicate r's seed derives from (seed, r).
        record: ``"final"``, ``"every"``, or every k steps (an int).
        base: Parameters fixed for every run, converted to their declared types.
        vary: Parameter name to the list of values of a full-factorial design (declared types).
        sampler: ``None`` or a dict with ``method``, ``n``, ``bounds`` and ``levels`` (Morris).
        arms: Explicit arms (``[[arms]]``), each the parameters it sets on top of ``base``
            (declared types); empty when the design is ``vary`` or ``sampler``. Every arm runs on
            the same replicate seeds, so an arm minus the first is a paired difference.
        arm_labels: Each arm's label: the file's ``label``, or its parameter values joined.
        analysis: Outputs to plot (``outputs``) and the varied parameter for the x axis (``x``).
        model: ``module:function`` run for each run (default ``sim:run``). Any other is code from
            outside this project: ``parse`` refuses it unless ``allow_model_code`` is given, and
            imports nothing; a sweep checks that it imports before it touches the results
            directory (``model_function``).
        text: The file's text, stored in the manifest for provenance.
    """

    name: str
    description: str
    regimes: tuple[str, ...]
    replications: int
    steps: int
    seed: int
    record: str | int
    base: dict[str, Any]
    vary: dict[str, list]
    sampler: dict[str, Any] | None
    analysis: dict[str, Any] = field(default_factory=dict)
    arms: tuple[dict[str, Any], ...] = ()
    arm_labels: tuple[str, ...] = ()
    model: str = DEFAULT_MODEL
    text: str = ""

    @property
    def digest(self) -> str:
        """SHA-256 of the file's text: two DIRs hold the same experiment iff digests match."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def varied(self) -> list[str]:
        """Names of the parameters that change between points."""
        if self.arms:
            return _arm_names(self.arms)
        return list(self.sampler["bounds"]) if self.sampler else list(self.vary)

    @property
    def n_points(self) -> int:
        """Parameter points in the design, counted without drawing the sample."""
        return len(self.arms) if self.arms else _count_points(self.vary, self.sampler)

    @property
    def n_runs(self) -> int:
        """Runs in the design: points x regimes x replications."""
        return self.n_points * len(self.regimes) * self.replications


def _arm_names(arms: Iterable[dict[str, Any]]) -> list[str]:
    """The parameters any arm sets, in the order the file first names them."""
    return list(dict.fromkeys(name for arm in arms for name in arm if name != ARM_LABEL))


def arm_label(overrides: dict[str, Any]) -> str:
    """An arm's label made from the values it sets, e.g. ``alliance · learning,learning``."""
    return LABEL_SEPARATOR.join(str(value) for value in overrides.values()) or "base"


def _count_points(vary: dict[str, list], sampler: dict[str, Any] | None) -> int:
    if not sampler:
        return math.prod(len(v) for v in vary.values())
    n, d = sampler["n"], len(sampler["bounds"])
    return {
        "sobol": n * (d + 2),  # Saltelli without second-order indices
        "morris": n * (d + 1),  # n trajectories of d + 1 points
        "latin": n,
        "full_factorial": n**d,
    }[sampler["method"]]


def bundled() -> dict[str, Path]:
    """Experiment files shipped with the package, by name."""
    root = resources.files("experiments") / "bundled"
    return {
        Path(p.name).stem: Path(str(p))
        for p in sorted(root.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".toml")
    }


def find(name_or_path: str) -> Path:
    """A bundled experiment's file, or a path to a TOML file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise SpecError(f"experiment file {name_or_path!r} not found")
        return path
    files = bundled()
    if name_or_path not in files:
        raise SpecError(
            f"no bundled experiment {name_or_path!r}{did_you_mean(name_or_path, files)}: "
            f"use one of {', '.join(files)} or a .toml path"
        )
    return files[name_or_path]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _expand(name: str, value: Any, source: str) -> list:
    if isinstance(value, list):
        if not value:
            raise SpecError(f"{source}: vary.{name} is an empty list: give at least one value")
        return value
    if isinstance(value, dict) and set(value) == {"start", "stop", "step"}:
        start, stop, step = value["start"], value["stop"], value["step"]
        if not all(_number(v) for v in (start, stop, step)):
            raise SpecError(f"{source}: vary.{name}: start, stop and step must be finite numbers")
        if step <= 0 or stop < start:
            raise SpecError(
                f"{source}: vary.{name} is an empty range (start={start}, stop={stop}, "
                f"step={step}): use step > 0 and stop >= start"
            )
        # Count before building the list: a step of 1e-12 must be refused, not exhaust memory.
        span = (stop - start) / step
        if not span < MAX_RUNS:
            count = (
                f"{span + 1:,.0f}"
                if span < 1e15
                else f"{span:.1e}"
                if math.isfinite(span)
                else "too many"
            )
            raise SpecError(
                f"{source}: vary.{name} (start={start}, stop={stop}, step={step}) gives {count} "
                f"values: an experiment may have at most {MAX_RUNS:,} runs; use a larger step"
            )
        values = [round(start + i * step, 10) for i in range(round(span) + 1)]
        return [v for v in values if v <= stop + 1e-9]
    raise SpecError(
        f"{source}: vary.{name} must be a list of values or {{start, stop, step}}, not {value!r}"
    )


def _check(values: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        return validate(values)
    except ParamError as err:
        raise SpecError(f"{where}: {err}") from None


def _value(name: str, value: Any, where: str) -> Any:
    try:
        return coerce(name, value)
    except ParamError as err:
        raise SpecError(f"{where}: {err}") from None


def _sizes(base: dict[str, Any], vary: dict[str, list], source: str) -> None:
    # Sizes constrain each other (a worker per manager, a citizen per worker); every point must
    # hold together, so each combination of the varied sizes is checked with the base.
    varied = [k for k in SIZES if k in vary]
    if math.prod(len(vary[k]) for k in varied) > MAX_RUNS:
        return  # refused as too many runs once the design is counted
    where = f"{source} [vary]" if varied else f"{source} [base]"
    for combo in itertools.product(*(vary[k] for k in varied)):
        _check(base | dict(zip(varied, combo, strict=True)), where)


def _base(raw: Any, source: str, problems: _Problems) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.add(f"{source}: [base] must be a table of parameter = value")
        return {}
    base = {}
    for name, value in raw.items():
        if name == "regime":
            problems.add(f"{source}: set regimes with 'regimes = [...]', not base.regime")
            continue
        with problems.collect():
            base[name] = _value(name, value, f"{source} [base]")
    return base


def _vary(raw: Any, source: str, problems: _Problems) -> dict[str, list]:
    if not isinstance(raw, dict):
        problems.add(f"{source}: [vary] must be a table of parameter = [values] or a range")
        return {}
    vary = {}
    for name, value in raw.items():
        if name == "regime":
            problems.add(f"{source}: vary regimes with 'regimes = [...]', not vary.regime")
            continue
        with problems.collect():
            # The declaration's coerced values are what runs receive and what the store records,
            # so "0.5" or 60.0 in a file can never make a point differ from its stored parameters.
            values = [_value(name, v, f"{source} [vary]") for v in _expand(name, value, source)]
            repeated = [v for v, count in Counter(values).items() if count > 1]
            if repeated:
                raise SpecError(
                    f"{source}: vary.{name} lists {repeated[0]!r} more than once: "
                    "give each value once"
                )
            vary[name] = values
    return vary


def _known(raw: dict, allowed: set[str], what: str) -> None:
    unknown = sorted(set(raw) - allowed, key=str)
    if unknown:
        listed = ", ".join(sorted(allowed))
        raise SpecError(
            *(
                f"{what} {key!r}{did_you_mean(key, allowed)}: allowed keys are {listed}"
                for key in unknown
            )
        )


def _analysis(raw: Any, varied: list[str], source: str, problems: _Problems) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.add(f"{source}: [analysis] must be a table with x and outputs")
        return {}
    with problems.collect():
        _known(raw, ANALYSIS_KEYS, f"{source}: unknown [analysis] key")
    outputs = raw.get("outputs", [])
    if "outputs" in raw and (
        not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs)
    ):
        problems.add(f"{source}: analysis.outputs must be a non-empty list of output names")
    else:
        for output in outputs:
            if output not in OUTPUTS:
                problems.add(
                    f"{source}: analysis.outputs: {output!r} is not an output"
                    f"{did_you_mean(output, OUTPUTS)}: use any of " + ", ".join(OUTPUTS)
                )
    if "x" in raw and raw["x"] not in varied:
        allowed = f"use one of {', '.join(varied)}" if varied else "nothing is varied; leave it out"
        problems.add(f"{source}: analysis.x={raw['x']!r} is not a varied parameter: {allowed}")
    return dict(raw)


def _table(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _name(raw: dict, source: str) -> str:
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{source}: 'name' is required (a short string)")
    if not NAME.fullmatch(name):
        raise SpecError(
            f"{source}: name={name!r}: use 1 to 64 letters, digits, '_' or '-', starting with a "
            "letter or digit (it names files inside the results directory)"
        )
    return name


def _regimes(raw: dict, source: str) -> tuple[str, ...]:
    regimes = raw.get("regimes", list(COMPARED))
    if (
        not isinstance(regimes, list)
        or not regimes
        or any(r not in REGIME_NAMES for r in regimes)
        or len(set(regimes)) < len(regimes)
    ):
        raise SpecError(
            f"{source}: regimes {regimes!r}: use a list of different names drawn from "
            + ", ".join(REGIME_NAMES)
        )
    return tuple(regimes)


def _model(raw: dict, source: str, allow_model_code: bool) -> str:
    # Only the text is looked at here: importing a module runs its code, so nothing is imported
    # before the user has said they trust the file.
    model = raw.get("model", DEFAULT_MODEL)
    if not isinstance(model, str) or not re.fullmatch(r"\w+(\.\w+)*:\w+", model):
        raise SpecError(f"{source}: model={model!r}: use 'module:function', e.g. 'sim:run'")
    if model != DEFAULT_MODEL and not allow_model_code:
        raise SpecError(
            f"{source}: model={model!r} runs code from outside this project (it imports "
            f"{model.partition(':')[0]!r} and calls it): if you trust this file, pass "
            "--allow-model-code (allow_model_code=True in Python)"
        )
    return model


def parse(text: str, source: str = "experiment", *, allow_model_code: bool = False) -> Experiment:
    """Validate an experiment file's text, importing nothing.

    Args:
        text: The TOML text.
        source: Name used at the start of error messages (the file's name).
        allow_model_code: Accept a ``model`` other than the default. Such a file runs code from
            outside this project when it is swept, so it is refused unless the user trusts it.

    Returns:
        The experiment, with every parameter value converted to its declared type.

    Raises:
        SpecError: One line per problem, each naming the problem and what is allowed; every
            problem of the file is reported at once.
    """
    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as err:
        reason = "it is nested too deeply" if isinstance(err, RecursionError) else err
        raise SpecError(f"{source} is not valid TOML: {reason}") from None
    problems = _Problems()
    with problems.collect():
        _known(raw, TOP_KEYS, f"{source}: unknown key")
    name = ""
    with problems.collect():
        name = _name(raw, source)
    description = raw.get("description", "")
    if not isinstance(description, str):
        problems.add(f"{source}: description={description!r}: use a string")
    regimes: tuple[str, ...] = ()
    with problems.collect():
        regimes = _regimes(raw, source)
    ints = {}
    for key, default, low in (("replications", 4, 1), ("steps", DEFAULT_STEPS, 1)):
        value = raw.get(key, default)
        if not _whole(value, low):
            problems.add(f"{source}: {key}={value!r}: use a whole number >= {low}")
        ints[key] = value
    ints["seed"] = raw.get("seed", 0)
    try:
        check_seed(ints["seed"])  # the one rule for seeds, as the CLI and dashboard apply it
    except ParamError as err:
        problems.add(f"{source}: {err}")
    record = raw.get("record", "final")
    if record not in ("final", "every") and not _whole(record, 1):
        problems.add(f"{source}: record={record!r}: use 'final', 'every' or a whole number k >= 1")
    before_design = len(problems.found)
    base = _base(raw.get("base", {}), source, problems)
    vary = _vary(raw.get("vary", {}), source, problems)
    given = {**_table(raw.get("base")), **_table(raw.get("vary"))}
    if all(k in base or k in vary for k in SIZES if k in given):  # each size fine on its own
        with problems.collect():
            _sizes(base, vary, source)
    sampler = raw.get("sampler")
    if sampler is not None:
        sampler = _sampler(sampler, base, source, problems)
        if _table(raw.get("vary")):
            problems.add(f"{source}: use either [vary] lists or a [sampler], not both")
    arms: list[dict[str, Any]] = []
    labels: list[str] = []
    if "arms" in raw:
        arms, labels = _arms(raw["arms"], base, source, problems)
        given = [f"[{key}]" for key in ("vary", "sampler") if key in raw]
        if given:
            problems.add(
                f"{source}: use either [[arms]] or {' or '.join(given)}, not both: each arm "
                "sets its own parameters on top of [base]"
            )
    design_ok = len(problems.found) == before_design
    # The names the file varies, even those refused above: x = one of them is not a new problem.
    varied = list(_table(_table(raw.get("sampler")).get("bounds")) or _table(raw.get("vary")))
    if isinstance(raw.get("arms"), list):
        varied += _arm_names(_table(arm) for arm in raw["arms"])
    analysis = _analysis(raw.get("analysis", {}), varied, source, problems)
    model = DEFAULT_MODEL
    with problems.collect():
        model = _model(raw, source, allow_model_code)
    if design_ok and regimes and _whole(ints["replications"], 1):
        points = len(arms) if arms else _count_points(vary, sampler)
        runs = points * len(regimes) * ints["replications"]
        if runs > MAX_RUNS:
            problems.add(
                f"{source}: {runs:,} runs ({points:,} points x {len(regimes)} regimes x "
                f"{ints['replications']} replications): an experiment may have at most "
                f"{MAX_RUNS:,} runs; split it or use a coarser design"
            )
    if problems.found:
        raise SpecError(*problems.found)
    return Experiment(
        name=name,
        description=description,
        regimes=regimes,
        replications=ints["replications"],
        steps=ints["steps"],
        seed=ints["seed"],
        record=record,
        base=base,
        vary=vary,
        sampler=sampler,
        analysis=analysis,
        arms=tuple(arms),
        arm_labels=tuple(labels),
        model=model,
        text=text,
    )


def _sampler(raw: Any, base: dict, source: str, problems: _Problems) -> dict | None:
    if not isinstance(raw, dict):
        problems.add(f"{source}: [sampler] must be a table with method, n and bounds")
        return None
    found = len(problems.found)
    with problems.collect():
        _known(raw, SAMPLER_KEYS, f"{source}: unknown [sampler] key")
    method = raw.get("method")
    if method not in SAMPLERS:
        problems.add(
            f"{source}: unknown sampler {method!r}{did_you_mean(method, SAMPLERS)}: use one of "
            + ", ".join(SAMPLERS)
        )
    n = raw.get("n", 0)
    if not _whole(n, 2):
        problems.add(f"{source}: sampler n={n!r}: use a whole number >= 2")
    elif method == "sobol" and n & (n - 1):
        problems.add(f"{source}: sobol n={n}: use a power of two (e.g. 64, 128, 1024)")
    if "levels" in raw and method != "morris":
        problems.add(f"{source}: sampler levels is for method = 'morris' only, not {method!r}")
    levels = raw.get("levels", 4)
    if not _whole(levels, 2) or levels % 2:
        problems.add(
            f"{source}: sampler levels={levels!r}: use an even whole number >= 2 "
            "(odd numbers of Morris levels bias the sample)"
        )
    bounds = raw.get("bounds", {})
    if not isinstance(bounds, dict) or not bounds:
        problems.add(f"{source}: [sampler.bounds] needs at least one parameter = [low, high]")
        bounds = {}
    numeric = [k for k, p in PARAMS.items() if p.kind is not str]
    for k, b in bounds.items():
        if k not in numeric:
            problems.add(
                f"{source}: sampler bound {k!r} is not a numeric model parameter"
                f"{did_you_mean(k, numeric)}"
            )
        elif not (isinstance(b, list) and len(b) == 2 and all(map(_number, b)) and b[0] < b[1]):
            problems.add(
                f"{source}: sampler bound {k}={b!r}: use [low, high], two numbers with low < high"
            )
        else:
            with problems.collect():
                for v in b:
                    _check(base | {k: v}, f"{source} [sampler.bounds]")
    if len(problems.found) > found:
        return None
    return {
        "method": method,
        "n": n,
        "bounds": {k: list(map(float, b)) for k, b in bounds.items()},
        "levels": levels,
    }


def _arms(
    raw: Any, base: dict[str, Any], source: str, problems: _Problems
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each arm's parameters (declared types) and label; every problem noted, one line each."""
    if not isinstance(raw, list) or not raw or not all(isinstance(arm, dict) for arm in raw):
        problems.add(
            f"{source}: arms must be one or more [[arms]] tables, each an optional label and "
            "parameter = value settings on top of [base]"
        )
        return [], []
    arms, labels, found = [], [], len(problems.found)
    for number, table in enumerate(raw, start=1):
        where = f"{source} [[arms]] {number}"
        label = table.get(ARM_LABEL)
        if ARM_LABEL in table and (not isinstance(label, str) or not label.strip()):
            problems.add(f"{where}: label={label!r}: use a non-empty string")
        overrides = {}
        for name, value in table.items():
            if name == ARM_LABEL:
                continue
            if name == "regime":
                problems.add(f"{where}: set regimes with 'regimes = [...]', not an arm's regime")
                continue
            with problems.collect():
                overrides[name] = _value(name, value, where)
        with problems.collect():
            _check(base | overrides, where)  # the arm's sizes and lists hold together with base
        arms.append(overrides)
        labels.append(label if isinstance(label, str) else arm_label(overrides))
    if len(problems.found) > found:
        return [], []
    # Two arms that run the same parameters (a default set or left alone alike) would be the
    # same runs under two names.
    complete = [validate(base | arm) for arm in arms]
    for number, arm in enumerate(complete, start=1):
        same = [n for n, other in enumerate(complete[: number - 1], start=1) if other == arm]
        if same:
            problems.add(
                f"{source} [[arms]] {number} sets the same parameters as arm {same[0]}: "
                "give each arm different settings"
            )
    repeated = [label for label, count in Counter(labels).items() if count > 1]
    if repeated:
        problems.add(
            f"{source}: [[arms]] label {repeated[0]!r} names more than one arm: give each arm "
            "its own label"
        )
    return arms, labels


def model_function(path: str) -> Callable[..., Any]:
    """The function named by an experiment's ``model = "module:function"``.

    This imports the module, which runs its code: call it only for the default model or one the
    user has allowed (``parse(..., allow_model_code=True)``).

    Args:
        path: ``module:function``, importable from this process.

    Returns:
        The callable; sweeps call it as ``fn(regime=..., steps=..., seed=..., **params)``.

    Raises:
        SpecError: The module cannot be imported, or has no callable of that name.
    """
    module, _, name = path.partition(":")
    try:
        imported = importlib.import_module(module)
    except Exception as err:  # a user's module can fail to import in any way; say how, briefly
        raise SpecError(
            f"model {path!r}: cannot import {module!r} ({type(err).__name__}: {err})"
        ) from None
    fn = getattr(imported, name, None)
    if fn is None:
        raise SpecError(f"model {path!r}: module {module!r} has no {name!r}")
    if not callable(fn):
        raise SpecError(f"model {path!r}: {name!r} is not a function")
    return fn


def load(name_or_path: str, *, allow_model_code: bool = False) -> Experiment:
    """Read and validate a bundled experiment or a TOML file (see ``parse``)."""
    path = find(name_or_path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"cannot read {path}: {err}") from None
    return parse(text, path.name, allow_model_code=allow_model_code)
