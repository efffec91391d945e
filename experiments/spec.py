"""Experiment files: TOML, validated against the model's one parameter declaration.

An experiment names the regimes to compare (every regime gets the same replicate seeds: common
random numbers), base parameters, what to vary (lists, ranges, or a sampler with bounds), the
number of replications and steps, what to record, and the root seed.
"""

from __future__ import annotations

import hashlib
import importlib
import itertools
import math
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sim.metrics import COLUMNS
from sim.params import PARAMS, REGIME_NAMES, SIZES, ParamError, coerce, validate

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
    "analysis",
    "model",
}


class SpecError(ValueError):
    """A bad experiment file; the message is one line for the user."""


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
        analysis: Outputs to plot (``outputs``) and the varied parameter for the x axis (``x``).
        model: ``module:function`` run for each run (default ``sim:run``); a sweep checks that it
            imports before it touches the results directory (``model_function``).
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
    model: str = "sim:run"
    text: str = ""

    @property
    def digest(self) -> str:
        """SHA-256 of the file's text: two DIRs hold the same experiment iff digests match."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def varied(self) -> list[str]:
        """Names of the parameters that change between points."""
        return list(self.sampler["bounds"]) if self.sampler else list(self.vary)

    @property
    def n_points(self) -> int:
        """Parameter points in the design, counted without drawing the sample."""
        if not self.sampler:
            return math.prod(len(v) for v in self.vary.values())
        n, d = self.sampler["n"], len(self.sampler["bounds"])
        return {
            "sobol": n * (d + 2),  # Saltelli without second-order indices
            "morris": n * (d + 1),  # n trajectories of d + 1 points
            "latin": n,
            "full_factorial": n**d,
        }[self.sampler["method"]]


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
            f"no bundled experiment {name_or_path!r}: use one of {', '.join(files)} or a .toml path"
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


def _vary(raw: Any, source: str) -> dict[str, list]:
    if not isinstance(raw, dict):
        raise SpecError(f"{source}: [vary] must be a table of parameter = [values] or a range")
    vary = {}
    for name, value in raw.items():
        if name == "regime":
            raise SpecError(f"{source}: vary regimes with 'regimes = [...]', not vary.regime")
        # The declaration's coerced values are what runs receive and what the store records,
        # so "0.5" or 60.0 in a file can never make a point differ from its stored parameters.
        values = [_value(name, v, f"{source} [vary]") for v in _expand(name, value, source)]
        repeated = [v for v, count in Counter(values).items() if count > 1]
        if repeated:
            raise SpecError(
                f"{source}: vary.{name} lists {repeated[0]!r} more than once: give each value once"
            )
        vary[name] = values
    return vary


def _known(raw: dict, allowed: set[str], what: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise SpecError(f"{what} {unknown[0]!r}: allowed keys are " + ", ".join(sorted(allowed)))


def _analysis(raw: Any, varied: list[str], source: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SpecError(f"{source}: [analysis] must be a table with x and outputs")
    _known(raw, ANALYSIS_KEYS, f"{source}: unknown [analysis] key")
    outputs = raw.get("outputs", [])
    if "outputs" in raw and (
        not isinstance(outputs, list) or not outputs or not all(isinstance(o, str) for o in outputs)
    ):
        raise SpecError(f"{source}: analysis.outputs must be a non-empty list of output names")
    bad = [o for o in outputs if o not in OUTPUTS]
    if bad:
        raise SpecError(
            f"{source}: analysis.outputs: {bad[0]!r} is not an output: use any of "
            + ", ".join(OUTPUTS)
        )
    if "x" in raw and raw["x"] not in varied:
        allowed = f"use one of {', '.join(varied)}" if varied else "nothing is varied; leave it out"
        raise SpecError(f"{source}: analysis.x={raw['x']!r} is not a varied parameter: {allowed}")
    return dict(raw)


def parse(text: str, source: str = "experiment") -> Experiment:
    """Validate an experiment file's text.

    Args:
        text: The TOML text.
        source: Name used at the start of error messages (the file's name).

    Returns:
        The experiment, with every parameter value converted to its declared type.

    Raises:
        SpecError: One line naming the problem and what is allowed.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{source} is not valid TOML: {err}") from None
    _known(raw, TOP_KEYS, f"{source}: unknown key")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{source}: 'name' is required (a short string)")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"{source}: description={description!r}: use a string")
    regimes = raw.get("regimes", ["outcomes", "learning"])
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
    ints = {}
    for key, default, low in (("replications", 4, 1), ("steps", 104, 1), ("seed", 0, 0)):
        value = raw.get(key, default)
        if not _whole(value, low):
            raise SpecError(f"{source}: {key}={value!r}: use a whole number >= {low}")
        ints[key] = value
    record = raw.get("record", "final")
    if record not in ("final", "every") and not _whole(record, 1):
        raise SpecError(
            f"{source}: record={record!r}: use 'final', 'every' or a whole number k >= 1"
        )
    base = raw.get("base", {})
    if not isinstance(base, dict):
        raise SpecError(f"{source}: [base] must be a table of parameter = value")
    if "regime" in base:
        raise SpecError(f"{source}: set regimes with 'regimes = [...]', not base.regime")
    base = {k: _value(k, v, f"{source} [base]") for k, v in base.items()}
    vary = _vary(raw.get("vary", {}), source)
    _sizes(base, vary, source)
    sampler = raw.get("sampler")
    if sampler is not None:
        sampler = _sampler(sampler, base, source)
        if vary:
            raise SpecError(f"{source}: use either [vary] lists or a [sampler], not both")
    model = raw.get("model", "sim:run")
    if not isinstance(model, str) or not re.fullmatch(r"\w+(\.\w+)*:\w+", model):
        raise SpecError(f"{source}: model={model!r}: use 'module:function', e.g. 'sim:run'")
    exp = Experiment(
        name=name,
        description=description,
        regimes=tuple(regimes),
        replications=ints["replications"],
        steps=ints["steps"],
        seed=ints["seed"],
        record=record,
        base=base,
        vary=vary,
        sampler=sampler,
        analysis=_analysis(
            raw.get("analysis", {}), list(sampler["bounds"]) if sampler else list(vary), source
        ),
        model=model,
        text=text,
    )
    runs = exp.n_points * len(exp.regimes) * exp.replications
    if runs > MAX_RUNS:
        raise SpecError(
            f"{source}: {runs:,} runs ({exp.n_points:,} points x {len(exp.regimes)} regimes x "
            f"{exp.replications} replications): an experiment may have at most {MAX_RUNS:,} "
            "runs; split it or use a coarser design"
        )
    return exp


def _sampler(raw: Any, base: dict, source: str) -> dict:
    if not isinstance(raw, dict):
        raise SpecError(f"{source}: [sampler] must be a table with method, n and bounds")
    _known(raw, SAMPLER_KEYS, f"{source}: unknown [sampler] key")
    method = raw.get("method")
    if method not in SAMPLERS:
        raise SpecError(f"{source}: unknown sampler {method!r}: use one of {', '.join(SAMPLERS)}")
    n = raw.get("n", 0)
    if not _whole(n, 2):
        raise SpecError(f"{source}: sampler n={n!r}: use a whole number >= 2")
    if method == "sobol" and n & (n - 1):
        raise SpecError(f"{source}: sobol n={n}: use a power of two (e.g. 64, 128, 1024)")
    if "levels" in raw and method != "morris":
        raise SpecError(f"{source}: sampler levels is for method = 'morris' only, not {method!r}")
    levels = raw.get("levels", 4)
    if not _whole(levels, 2) or levels % 2:
        raise SpecError(
            f"{source}: sampler levels={levels!r}: use an even whole number >= 2 "
            "(odd numbers of Morris levels bias the sample)"
        )
    bounds = raw.get("bounds", {})
    if not isinstance(bounds, dict) or not bounds:
        raise SpecError(f"{source}: [sampler.bounds] needs at least one parameter = [low, high]")
    for k, b in bounds.items():
        if k not in PARAMS or PARAMS[k].kind is str:
            raise SpecError(f"{source}: sampler bound {k!r} is not a numeric model parameter")
        if not (isinstance(b, list) and len(b) == 2 and all(map(_number, b)) and b[0] < b[1]):
            raise SpecError(
                f"{source}: sampler bound {k}={b!r}: use [low, high], two numbers with low < high"
            )
        for v in b:
            _check(base | {k: v}, f"{source} [sampler.bounds]")
    return {
        "method": method,
        "n": n,
        "bounds": {k: list(map(float, b)) for k, b in bounds.items()},
        "levels": levels,
    }


def model_function(path: str) -> Callable[..., Any]:
    """The function named by an experiment's ``model = "module:function"``.

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


def load(name_or_path: str) -> Experiment:
    """Read and validate a bundled experiment or a TOML file."""
    path = find(name_or_path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"cannot read {path}: {err}") from None
    return parse(text, path.name)
