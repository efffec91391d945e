"""Experiment files: TOML, validated against the model's one parameter declaration.

An experiment names the regimes to compare (every regime gets the same replicate seeds: common
random numbers), base parameters, what to vary (lists, ranges, or a sampler with bounds), the
number of replications and steps, what to record, and the root seed.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sim.params import PARAMS, REGIME_NAMES, ParamError, validate

SAMPLERS = ("full_factorial", "latin", "sobol", "morris")
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
        base: Parameters fixed for every run.
        vary: Parameter name to the list of values of a full-factorial design.
        sampler: ``None`` or a dict with ``method``, ``n`` and ``bounds``.
        analysis: Outputs to plot and the parameter for the x axis.
        model: ``module:function`` run for each run (default ``sim:run``).
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


def _expand(name: str, value: Any) -> list:
    if isinstance(value, list):
        if not value:
            raise SpecError(f"vary.{name} is an empty list: give at least one value")
        return value
    if isinstance(value, dict) and set(value) == {"start", "stop", "step"}:
        start, stop, step = value["start"], value["stop"], value["step"]
        if not all(isinstance(v, int | float) for v in (start, stop, step)):
            raise SpecError(f"vary.{name}: start, stop and step must be numbers")
        if step <= 0 or stop < start:
            raise SpecError(
                f"vary.{name} is an empty range (start={start}, stop={stop}, step={step}): "
                "use step > 0 and stop >= start"
            )
        count = round((stop - start) / step) + 1
        values = [round(start + i * step, 10) for i in range(count)]
        return [v for v in values if v <= stop + 1e-9]
    raise SpecError(f"vary.{name} must be a list of values or {{start, stop, step}}, not {value!r}")


def _check(values: dict[str, Any], where: str) -> None:
    try:
        validate(values)
    except ParamError as err:
        raise SpecError(f"{where}: {err}") from None


def parse(text: str, source: str = "experiment") -> Experiment:
    """Validate an experiment file's text.

    Raises:
        SpecError: One line naming the problem and what is allowed.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{source} is not valid TOML: {err}") from None
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise SpecError(
            f"{source}: unknown key {sorted(unknown)[0]!r}: allowed keys are "
            + ", ".join(sorted(TOP_KEYS))
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise SpecError(f"{source}: 'name' is required (a short string)")
    regimes = raw.get("regimes", ["outcomes", "learning"])
    if not isinstance(regimes, list) or not regimes or any(r not in REGIME_NAMES for r in regimes):
        raise SpecError(
            f"{source}: regimes {regimes!r}: use a list drawn from " + ", ".join(REGIME_NAMES)
        )
    ints = {}
    for key, default, low in (("replications", 4, 1), ("steps", 104, 1), ("seed", 0, 0)):
        value = raw.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise SpecError(f"{source}: {key}={value!r}: use a whole number >= {low}")
        ints[key] = value
    record = raw.get("record", "final")
    if record not in ("final", "every") and not (isinstance(record, int) and record >= 1):
        raise SpecError(
            f"{source}: record={record!r}: use 'final', 'every' or a whole number k >= 1"
        )
    base = raw.get("base", {})
    if not isinstance(base, dict):
        raise SpecError(f"{source}: [base] must be a table of parameter = value")
    if "regime" in base:
        raise SpecError(f"{source}: set regimes with 'regimes = [...]', not base.regime")
    _check(base, f"{source} [base]")
    vary = {k: _expand(k, v) for k, v in raw.get("vary", {}).items()}
    for k, values in vary.items():
        if k == "regime":
            raise SpecError(f"{source}: vary regimes with 'regimes = [...]', not vary.regime")
        for v in values:
            _check(base | {k: v}, f"{source} [vary]")
    sampler = raw.get("sampler")
    if sampler is not None:
        sampler = _sampler(sampler, base, source)
        if vary:
            raise SpecError(f"{source}: use either [vary] lists or a [sampler], not both")
    analysis = raw.get("analysis", {})
    model = raw.get("model", "sim:run")
    if not isinstance(model, str) or ":" not in model:
        raise SpecError(f"{source}: model={model!r}: use 'module:function'")
    return Experiment(
        name=name,
        description=str(raw.get("description", "")),
        regimes=tuple(regimes),
        replications=ints["replications"],
        steps=ints["steps"],
        seed=ints["seed"],
        record=record,
        base=base,
        vary=vary,
        sampler=sampler,
        analysis=analysis,
        model=model,
        text=text,
    )


def _sampler(raw: Any, base: dict, source: str) -> dict:
    if not isinstance(raw, dict):
        raise SpecError(f"{source}: [sampler] must be a table with method, n and bounds")
    method = raw.get("method")
    if method not in SAMPLERS:
        raise SpecError(f"{source}: unknown sampler {method!r}: use one of {', '.join(SAMPLERS)}")
    n = raw.get("n", 0)
    if not isinstance(n, int) or n < 2:
        raise SpecError(f"{source}: sampler n={n!r}: use a whole number >= 2")
    bounds = raw.get("bounds", {})
    if not isinstance(bounds, dict) or not bounds:
        raise SpecError(f"{source}: [sampler.bounds] needs at least one parameter = [low, high]")
    for k, b in bounds.items():
        if k not in PARAMS or PARAMS[k].kind is str:
            raise SpecError(f"{source}: sampler bound {k!r} is not a numeric model parameter")
        if not (isinstance(b, list) and len(b) == 2 and b[0] < b[1]):
            raise SpecError(f"{source}: sampler bound {k}={b!r}: use [low, high] with low < high")
        _check(base | {k: b[0]}, f"{source} [sampler.bounds]")
        _check(base | {k: b[1]}, f"{source} [sampler.bounds]")
    if method == "sobol" and n & (n - 1):
        raise SpecError(f"{source}: sobol n={n}: use a power of two (e.g. 64, 128, 1024)")
    return {
        "method": method,
        "n": n,
        "bounds": {k: list(map(float, b)) for k, b in bounds.items()},
        "levels": int(raw.get("levels", 4)),
    }


def load(name_or_path: str) -> Experiment:
    """Read and validate a bundled experiment or a TOML file."""
    path = find(name_or_path)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"cannot read {path}: {err}") from None
    return parse(text, path.name)
