"""The model calibrated against real cases by ABC-SMC (pyABC): ``python -m experiments calibrate``.

A case (``experiments/cases/*.toml``) holds published figures, their sources, and how each maps to
the model: which output, under which regime, averaged over which weeks, minus what (a second
regime on the same seed, or a second output). The mapping lives in the file so that a researcher
who reads it differently edits the file, not this code. Qualitative findings ("no significant
impact") are written as a range the model's figure must fall in; figures with no counterpart in
the model are listed with the reason and not fitted.

DIR/
  manifest.json         the case file's text and sha256, options, seed, versions, git commit,
                        sessions (started "running", ended "done" or "interrupted")
  abc.db                pyABC's History (SQLite): every finished generation; a rerun continues
  posterior.csv, .json  each free parameter: prior range, weighted median and 90 % interval
  posterior_pairs.png   pairwise scatter of the final population (size = weight)
  predictive.csv, .png  each published figure against the model's 90 % predictive interval

Reproducibility: with one worker (the default) particles are simulated in this process and the
global NumPy generator is reseeded from ``seed`` and the generation's number before each
generation, so the same seed gives the same posterior, and a run that was interrupted and resumed
gives the same posterior as one that was not (every generation starts from what abc.db holds).
pyABC's multicore and Dask samplers reseed their workers from the operating system, so with more
than one worker the posterior is a fresh draw each time: the manifest says so.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import math
import os
import random
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.spec import NAME, OUTPUTS, SpecError, did_you_mean
from sim.files import atomic_write
from sim.params import (
    MAX_SEED,
    MAX_STEPS,
    PARAMS,
    REGIME_NAMES,
    ParamError,
    coerce,
    unknown_name_message,
    validate,
)

# Budgets that finish every bundled case in well under 30 minutes on one core (docs/cases.md).
DEFAULT_POPULATION = 40
DEFAULT_GENERATIONS = 3
DEFAULT_MAX_SIMULATIONS = 400
DEFAULT_DRAWS = 40  # posterior predictive simulations
DEFAULT_SEED = 2026
INTERVAL = (0.05, 0.95)  # the 90 % intervals of the posterior and the predictive check

TOP_KEYS = {"name", "title", "summary", "mapping", "run", "fixed", "free", "sources", "figures"}
RUN_KEYS = {"regimes", "steps"}
FREE_KEYS = {"low", "high", "why"}
SOURCE_KEYS = {"key", "citation"}
STAT_KEYS = {"output", "regime", "weeks"}
FIGURE_KEYS = {
    "name",
    "published",
    "published_range",
    "counts",
    "finding",
    "encoding",
    "source",
    "meaning",
    "note",
    "minus",
    "input",
    "counterpart",
    *STAT_KEYS,
}
MANIFEST, DATABASE, LOCK = "manifest.json", "abc.db", ".lock"
# Files a calibration writes; anything else in --out means it is someone else's folder.
OWN_FILES = {
    MANIFEST,
    DATABASE,
    LOCK,
    "posterior.csv",
    "posterior.json",
    "posterior_pairs.png",
    "predictive.csv",
    "predictive.png",
}


class CaseError(SpecError):
    """A bad case file or calibration request: one line per problem."""


# --- case files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statistic:
    """The mean of one output under one regime over a span of weeks (both ends included)."""

    output: str
    regime: str
    first: int
    last: int

    def value(self, frames: dict[str, pd.DataFrame]) -> float:
        """This statistic of one simulation, given each regime's weekly rows."""
        df = frames[self.regime]
        column = df.loc[(df.step >= self.first) & (df.step <= self.last), self.output]
        values = column.to_numpy(dtype=float)
        values = values[~np.isnan(values)]  # tiny runs can have empty fifths
        return float(values.mean()) if values.size else math.nan


@dataclass(frozen=True)
class Figure:
    """A published figure and, if it has one, its counterpart in the model.

    Attributes:
        name: Short name, unique in the case.
        source: Key of the case's source that published it.
        meaning: What the figure is, in words.
        published: The published number, or None where the finding is a range.
        published_range: (low, high) that stands for a qualitative finding, or None.
        statistic: The model output it maps to, or None if it is an input or has no counterpart.
        minus: What is subtracted from ``statistic`` (a paired regime or another output), or None.
        input: The fixed parameter the figure sets, for a figure that is an input.
        note: Why a figure is not fitted, or anything else a reader should know.
    """

    name: str
    source: str
    meaning: str
    published: float | None
    published_range: tuple[float, float] | None
    statistic: Statistic | None = None
    minus: Statistic | None = None
    input: str | None = None
    note: str = ""

    @property
    def fitted(self) -> bool:
        """Whether the model has a counterpart, so that the calibration fits it."""
        return self.statistic is not None

    def value(self, frames: dict[str, pd.DataFrame]) -> float:
        """The model's counterpart in one simulation."""
        value = self.statistic.value(frames)
        return value - self.minus.value(frames) if self.minus else value

    def miss(self, value: float) -> float:
        """How far a model value is from the figure: 0 inside a range, infinite if undefined."""
        if math.isnan(value):
            return math.inf
        if self.published_range is not None:
            low, high = self.published_range
            return max(low - value, 0.0, value - high)
        return abs(value - self.published)

    @property
    def shown(self) -> str:
        """The published figure as text: a number or a range."""
        if self.published_range is not None:
            return f"[{self.published_range[0]:g}, {self.published_range[1]:g}]"
        return f"{self.published:g}"


@dataclass(frozen=True)
class Free:
    """A free parameter and its uniform prior."""

    name: str
    low: float
    high: float
    why: str


@dataclass(frozen=True)
class Case:
    """A validated case file."""

    name: str
    title: str
    path: str
    text: str
    regimes: tuple[str, ...]
    weeks: int
    fixed: dict[str, Any]
    free: tuple[Free, ...]
    figures: tuple[Figure, ...]
    sources: dict[str, str]
    mapping: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """sha256 of the case file's text: a changed mapping is a different calibration."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def fitted(self) -> tuple[Figure, ...]:
        """The figures the model has a counterpart for."""
        return tuple(f for f in self.figures if f.fitted)


def bundled_cases() -> dict[str, Path]:
    """Case files shipped with the package, by name."""
    root = resources.files("experiments") / "cases"
    return {
        Path(p.name).stem: Path(str(p))
        for p in sorted(root.iterdir(), key=lambda p: p.name)
        if p.name.endswith(".toml")
    }


def find_case(name_or_path: str) -> Path:
    """A bundled case's file, or a path to a case file."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise CaseError(f"case file {name_or_path!r} not found")
        return path
    cases = bundled_cases()
    if name_or_path not in cases:
        raise CaseError(
            f"no bundled case {name_or_path!r}{did_you_mean(name_or_path, cases)}: "
            f"use one of {', '.join(cases)} or a .toml path"
        )
    return cases[name_or_path]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _unknown(raw: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    for key in raw:
        if key not in allowed:
            problems.append(
                f"{where}: unknown key {key!r}{did_you_mean(key, allowed)}: "
                f"allowed are {', '.join(sorted(allowed))}"
            )


def _text(raw: dict, key: str, where: str, problems: list[str]) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: {key!r} is missing or empty: give it as a string")
        return ""
    return value.strip()


def _regimes(raw: dict, src: str, problems: list[str]) -> tuple[str, ...]:
    regimes = raw.get("regimes")
    if not isinstance(regimes, list) or not regimes or not all(isinstance(r, str) for r in regimes):
        problems.append(f"{src}: [run] regimes must be a list of regime names, e.g. ['outcomes']")
        return ()
    for regime in regimes:
        if regime not in REGIME_NAMES:
            problems.append(
                f"{src}: [run] regime {regime!r} is unknown{did_you_mean(regime, REGIME_NAMES)}: "
                f"use any of {', '.join(REGIME_NAMES)}"
            )
    if len(set(regimes)) != len(regimes):
        problems.append(f"{src}: [run] regimes lists a regime twice")
    return tuple(r for r in regimes if r in REGIME_NAMES)


def _steps(raw: dict, src: str, problems: list[str]) -> int:
    steps = raw.get("steps")
    if not _is_whole(steps) or not 1 <= steps <= MAX_STEPS:
        problems.append(f"{src}: [run] steps must be a whole number of weeks from 1 to {MAX_STEPS}")
        return 0
    return steps


def _fixed(raw: Any, src: str, problems: list[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.append(f"{src}: [fixed] must be a table of parameter = value")
        return {}
    fixed = {}
    for name, value in raw.items():
        if name == "regime":
            problems.append(f"{src}: [fixed] regime: the regimes are set by [run] regimes")
            continue
        try:
            fixed[name] = coerce(name, value)
        except ParamError as err:
            problems.append(f"{src}: [fixed] {err}")
    return fixed


def _free(raw: Any, fixed: dict[str, Any], src: str, problems: list[str]) -> tuple[Free, ...]:
    if not isinstance(raw, dict) or not raw:
        problems.append(f"{src}: [free] must name at least one parameter with its prior range")
        return ()
    free = []
    for name, prior in raw.items():
        where = f"{src}: [free] {name}"
        if name not in PARAMS:
            problems.append(f"{src}: [free] {unknown_name_message(name)}")
            continue
        param = PARAMS[name]
        if param.kind is not float:
            problems.append(f"{where}: only numbers that vary continuously can be free")
            continue
        if name in fixed:
            problems.append(f"{where} is also in [fixed]: keep it in one of them")
            continue
        if not isinstance(prior, dict):
            problems.append(f"{where} must be a table {{ low = ..., high = ..., why = '...' }}")
            continue
        _unknown(prior, FREE_KEYS, where, problems)
        low, high = prior.get("low"), prior.get("high")
        if not (_is_number(low) and _is_number(high) and low < high):
            problems.append(f"{where}: give numbers low < high")
            continue
        if low < param.low or high > param.high:
            problems.append(f"{where}: [{low:g}, {high:g}] leaves {param.allowed()}")
            continue
        free.append(Free(name, float(low), float(high), _text(prior, "why", where, problems)))
    return tuple(free)


def _sources(raw: Any, src: str, problems: list[str]) -> dict[str, str]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{src}: [[sources]] must list at least one source with key and citation")
        return {}
    sources = {}
    for i, item in enumerate(raw, 1):
        where = f"{src}: source {i}"
        if not isinstance(item, dict):
            problems.append(f"{where} must be a table with key and citation")
            continue
        _unknown(item, SOURCE_KEYS, where, problems)
        key, citation = (
            _text(item, "key", where, problems),
            _text(item, "citation", where, problems),
        )
        if key in sources:
            problems.append(f"{where}: key {key!r} is used twice")
        if key:
            sources[key] = citation
    return sources


def _statistic(
    raw: dict, base: Statistic | None, regimes: tuple[str, ...], steps: int, where: str, problems
) -> Statistic | None:
    output = raw.get("output", base.output if base else None)
    regime = raw.get("regime", base.regime if base else None)
    weeks = raw.get("weeks", [base.first, base.last] if base else None)
    ok = True
    if output not in OUTPUTS:
        problems.append(
            f"{where}: output {output!r} is not a model output{did_you_mean(output, OUTPUTS)}: "
            "see sim/metrics.py COLUMNS"
        )
        ok = False
    if regime not in regimes:
        problems.append(
            f"{where}: regime {regime!r} is not one of [run] regimes ({', '.join(regimes)})"
        )
        ok = False
    if not (
        isinstance(weeks, list)
        and len(weeks) == 2
        and all(_is_whole(w) for w in weeks)
        and 1 <= weeks[0] <= weeks[1] <= steps
    ):
        problems.append(f"{where}: weeks must be [first, last] with 1 <= first <= last <= {steps}")
        ok = False
    return Statistic(output, regime, weeks[0], weeks[1]) if ok else None


def _figure(raw: Any, case: dict[str, Any], where: str, problems: list[str]) -> Figure | None:
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a table")
        return None
    _unknown(raw, FIGURE_KEYS, where, problems)
    before = len(problems)
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        problems.append(f"{where}: name must be letters, digits, '_' or '-'")
    where = f"{where.split(':')[0]}: figure {name!r}" if isinstance(name, str) else where
    source = _text(raw, "source", where, problems)
    if source and case["sources"] and source not in case["sources"]:
        problems.append(
            f"{where}: source {source!r} is not a [[sources]] key"
            f"{did_you_mean(source, case['sources'])}"
        )
    meaning = _text(raw, "meaning", where, problems)
    published, span = raw.get("published"), raw.get("published_range")
    if (published is None) == (span is None):
        problems.append(f"{where}: give either published = NUMBER or published_range = [LOW, HIGH]")
    elif published is not None and not _is_number(published):
        problems.append(f"{where}: published must be a number")
    elif span is not None:
        if not (isinstance(span, list) and len(span) == 2 and all(map(_is_number, span))) or (
            span[0] > span[1]
        ):
            problems.append(f"{where}: published_range must be [LOW, HIGH] with LOW <= HIGH")
        for key in ("finding", "encoding"):  # a range is a reading of words: show both
            _text(raw, key, where, problems)
    counts = raw.get("counts")
    if counts is not None:
        if not (isinstance(counts, list) and len(counts) == 2 and all(map(_is_whole, counts))):
            problems.append(f"{where}: counts must be [PART, WHOLE], two whole numbers")
        elif (
            counts[1] <= 0
            or not _is_number(published)
            or abs(counts[0] / counts[1] - published) > 5e-5
        ):
            problems.append(f"{where}: counts {counts[0]}/{counts[1]} do not give published")
    kinds = [k for k in ("output", "input", "counterpart") if k in raw]
    if len(kinds) != 1:
        problems.append(
            f"{where}: say what the figure maps to with exactly one of output = '...' (fitted), "
            "input = 'PARAMETER' (an input held fixed) or counterpart = 'none' (with a note)"
        )
        return None
    statistic = minus = None
    if kinds == ["output"]:
        statistic = _statistic(raw, None, case["regimes"], case["steps"], where, problems)
        if "minus" in raw:
            if not isinstance(raw["minus"], dict) or not raw["minus"]:
                problems.append(f"{where}: minus must be a table {{ regime = ..., output = ... }}")
            else:
                _unknown(raw["minus"], STAT_KEYS, f"{where} minus", problems)
                minus = _statistic(
                    raw["minus"],
                    statistic,
                    case["regimes"],
                    case["steps"],
                    f"{where} minus",
                    problems,
                )
    elif "minus" in raw or any(k in raw for k in STAT_KEYS):
        problems.append(f"{where}: output, regime, weeks and minus belong to fitted figures only")
    if kinds == ["input"]:
        held = case["fixed"].get(raw["input"])
        if held is None or not _is_number(published) or abs(held - published) > 1e-12:
            problems.append(
                f"{where}: input {raw['input']!r} must be in [fixed] with the published value"
            )
    if kinds == ["counterpart"]:
        if raw["counterpart"] != "none":
            problems.append(f"{where}: counterpart may only be 'none' (use output = ... to fit)")
        _text(raw, "note", where, problems)
    if len(problems) > before:
        return None
    return Figure(
        name=name,
        source=source,
        meaning=meaning,
        published=float(published) if published is not None else None,
        published_range=(float(span[0]), float(span[1])) if span is not None else None,
        statistic=statistic,
        minus=minus,
        input=raw.get("input"),
        note=str(raw.get("note", "")),
    )


def parse_case(text: str, src: str, path: str = "") -> Case:
    """Check a case file's text and return the case.

    Raises:
        CaseError: One line per problem, every problem of the file at once.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CaseError(f"{src}: not valid TOML: {err}") from None
    problems: list[str] = []
    _unknown(raw, TOP_KEYS, src, problems)
    name = raw.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        problems.append(f"{src}: name must be letters, digits, '_' or '-' (up to 64)")
    title = _text(raw, "title", src, problems)
    mapping = raw.get("mapping", {})
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        problems.append(f"{src}: [mapping] must be a table of words, e.g. reported = '...'")
        mapping = {}
    for key in ("reported", "true"):
        if key not in mapping:
            problems.append(f"{src}: [mapping] {key} is missing: say what counts as {key}")
    run = raw.get("run")
    if not isinstance(run, dict):
        problems.append(f"{src}: [run] is missing: give regimes = [...] and steps = WEEKS")
        run = {}
    _unknown(run, RUN_KEYS, f"{src}: [run]", problems)
    regimes, steps = _regimes(run, src, problems), _steps(run, src, problems)
    fixed = _fixed(raw.get("fixed", {}), src, problems)
    free = _free(raw.get("free"), fixed, src, problems)
    if free:
        try:  # the sizes must fit together at every point of the prior
            validate({**fixed, **{f.name: f.low for f in free}})
        except ParamError as err:
            problems.append(f"{src}: {err}")
    sources = _sources(raw.get("sources"), src, problems)
    context = {"regimes": regimes, "steps": steps or MAX_STEPS, "fixed": fixed, "sources": sources}
    figures_raw = raw.get("figures")
    figures: list[Figure] = []
    if not isinstance(figures_raw, list) or not figures_raw:
        problems.append(f"{src}: [[figures]] must list the published figures")
    else:
        for i, item in enumerate(figures_raw, 1):
            figure = _figure(item, context, f"{src}: figure {i}", problems)
            if figure is not None:
                figures.append(figure)
        names = [f.name for f in figures]
        for dup in sorted({n for n in names if names.count(n) > 1}):
            problems.append(f"{src}: figure name {dup!r} is used twice")
        if figures and not any(f.fitted for f in figures) and len(figures) == len(figures_raw):
            problems.append(f"{src}: no figure has an output = '...': nothing to fit")
    if problems:
        raise CaseError(*problems)
    return Case(
        name=name,
        title=title,
        path=path,
        text=text,
        regimes=regimes,
        weeks=steps,
        fixed=fixed,
        free=free,
        figures=tuple(figures),
        sources=sources,
        mapping=dict(mapping),
    )


def load_case(name_or_path: str) -> Case:
    """Find, read and check a case (a bundled name or a path)."""
    path = find_case(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CaseError(f"cannot read case file {str(path)!r}: {err}") from None
    return parse_case(text, path.name, str(path))


# --- the model as pyABC sees it ----------------------------------------------------------------


def simulate(case: Case, values: dict[str, float], seed: int) -> dict[str, float]:
    """Each fitted figure's counterpart in one simulation: every regime on the same seed."""
    from sim.model import run

    frames = {
        regime: run(regime=regime, steps=case.weeks, seed=seed, **case.fixed, **values)
        for regime in case.regimes
    }
    return {f.name: f.value(frames) for f in case.fitted}


class CaseModel:
    """A case's simulator for pyABC: parameters in, the fitted figures' counterparts out.

    A top-level class (not a closure) so that process pools and Dask can pickle it.
    """

    def __init__(self, case: Case) -> None:
        self.case = case

    def __call__(self, parameters: dict) -> dict[str, float]:
        """Simulate once; the run's seed comes from NumPy's global generator, which is seeded."""
        # pyABC draws from NumPy's global generator too: one seeded stream drives both.
        seed = int(np.random.randint(0, MAX_SEED, dtype=np.int64))  # noqa: NPY002
        values = {f.name: float(parameters[f.name]) for f in self.case.free}
        return {**simulate(self.case, values, seed), "seed": seed}


class CaseDistance:
    """Euclidean distance over the fitted figures: each figure's miss, 0 inside a range."""

    def __init__(self, case: Case) -> None:
        self.figures = case.fitted

    def __call__(self, x: dict, x_0: dict) -> float:
        """Distance of simulated figures ``x`` from the published ones."""
        return float(math.sqrt(sum(f.miss(float(x[f.name])) ** 2 for f in self.figures)))


def observed(case: Case) -> dict[str, float]:
    """The published figures as pyABC stores them (a range by its middle; the distance knows)."""
    return {
        f.name: f.published if f.published is not None else sum(f.published_range) / 2
        for f in case.fitted
    }


# --- results folder ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What shapes the numbers of a calibration, recorded in the manifest."""

    population: int = DEFAULT_POPULATION
    generations: int = DEFAULT_GENERATIONS
    max_simulations: int = DEFAULT_MAX_SIMULATIONS
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    sampler: str = "single-core"  # single-core, multicore, dask-local, dask
    workers: int = 1

    @property
    def reproducible(self) -> bool:
        """Whether the same seed gives the same posterior (only in this one process)."""
        return self.sampler == "single-core"


# Options that a continued calibration must share with the one it continues.
FIXED_ON_RESUME = ("population", "seed", "draws")


def _read_manifest(out: Path) -> dict[str, Any] | None:
    path = out / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CaseError(f"{path} cannot be read ({err}): use another --out") from None


def check_out(out: Path, case: Case, options: Options) -> dict[str, Any] | None:
    """Refuse an --out that holds something else; return the manifest of a calibration to resume.

    Raises:
        CaseError: ``out`` is a file, holds files a calibration does not write, holds another
            case's calibration (or one of a changed case file), or one with other options.
    """
    if out.exists() and not out.is_dir():
        raise CaseError(f"--out {out} is a file: give a folder")
    manifest = _read_manifest(out) if out.is_dir() else None
    if manifest is None:
        if out.is_dir() and any(p.name != LOCK for p in out.iterdir()):
            raise CaseError(f"--out {out} holds files that are not a calibration: use another")
        return None
    held = manifest.get("case", {})
    if manifest.get("kind") != "calibration":
        raise CaseError(f"--out {out} holds results of something other than a calibration")
    if held.get("name") != case.name:
        raise CaseError(
            f"--out {out} holds the calibration of case {held.get('name')!r}, not "
            f"{case.name!r}: use another --out"
        )
    if held.get("sha256") != case.digest:
        raise CaseError(
            f"--out {out} holds a calibration of {case.name!r} from a different case file "
            "(its mapping or figures changed): use another --out"
        )
    recorded = manifest.get("options", {})
    changed = [
        f"--{k.replace('_', '-')} {recorded.get(k)} (given {getattr(options, k)})"
        for k in FIXED_ON_RESUME
        if recorded.get(k) != getattr(options, k)
    ]
    if changed:
        raise CaseError(
            f"--out {out} was calibrated with {', '.join(changed)}: give the same to continue, "
            "or use another --out"
        )
    return manifest


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    with open(out / LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CaseError(f"another calibration is writing into {out}: wait for it") from None
        yield


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _write_json(path: Path, data: Any) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(json.dumps(data, indent=2) + "\n"))


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False, float_format="%.6g"))


# --- samplers ----------------------------------------------------------------------------------


@contextmanager
def _sampler(options: Options, scheduler: str | None) -> Iterator[Any]:
    from pyabc.sampler import (
        DaskDistributedSampler,
        MulticoreEvalParallelSampler,
        SingleCoreSampler,
    )

    if options.sampler == "single-core":
        yield SingleCoreSampler()
    elif options.sampler == "multicore":
        yield MulticoreEvalParallelSampler(n_procs=options.workers)
    elif options.sampler == "dask":
        from experiments.execute import _connect

        with _connect(scheduler) as client:
            yield DaskDistributedSampler(dask_client=client, batch_size=1)
    else:
        from dask.distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=options.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.CRITICAL,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield DaskDistributedSampler(dask_client=client, batch_size=1)


# --- posterior and predictive check ------------------------------------------------------------


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple) -> list[float]:
    """Quantiles of a weighted sample (midpoints of the cumulative weights)."""
    order = np.argsort(values, kind="stable")
    values, weights = values[order], weights[order]
    cumulative = (np.cumsum(weights) - weights / 2) / weights.sum()
    return [float(np.interp(q, cumulative, values)) for q in qs]


def posterior_table(case: Case, particles: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Each free parameter: prior range, weighted median and 90 % interval of the posterior."""
    rows = []
    for free in case.free:
        low, median, high = weighted_quantiles(
            particles[free.name].to_numpy(float), weights, (INTERVAL[0], 0.5, INTERVAL[1])
        )
        rows.append(
            {
                "parameter": free.name,
                "prior_low": free.low,
                "prior_high": free.high,
                "median": median,
                "q05": low,
                "q95": high,
                "default": PARAMS[free.name].default,
            }
        )
    return pd.DataFrame(rows)


def predictive_table(
    case: Case, particles: pd.DataFrame, weights: np.ndarray, draws: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate ``draws`` posterior particles on fresh seeds; each figure's 90 % interval.

    Returns:
        The summary (one row per figure, fitted or not) and the draws themselves.
    """
    rng = np.random.default_rng([seed, 1])  # its own stream: the posterior's stays untouched
    picks = rng.choice(len(particles), size=draws, p=weights / weights.sum())
    seeds = rng.integers(0, MAX_SEED, size=draws, endpoint=True)
    rows = []
    for pick, run_seed in zip(picks, seeds, strict=True):
        values = {f.name: float(particles.iloc[pick][f.name]) for f in case.free}
        rows.append({"seed": int(run_seed), **values, **simulate(case, values, int(run_seed))})
    sims = pd.DataFrame(rows)
    summary = []
    for figure in case.figures:
        row = {
            "figure": figure.name,
            "source": figure.source,
            "published": figure.published,
            "published_low": figure.published_range[0] if figure.published_range else None,
            "published_high": figure.published_range[1] if figure.published_range else None,
            "model_q05": None,
            "model_median": None,
            "model_q95": None,
            "verdict": "input, held fixed" if figure.input else "no counterpart in the model",
        }
        if figure.fitted:
            values = sims[figure.name].to_numpy(float)
            values = values[~np.isnan(values)]
            low, median, high = np.quantile(values, (INTERVAL[0], 0.5, INTERVAL[1]))
            row |= {"model_q05": low, "model_median": median, "model_q95": high}
            row["verdict"] = _verdict(figure, low, high)
        summary.append(row)
    return pd.DataFrame(summary), sims


def _verdict(figure: Figure, low: float, high: float) -> str:
    if figure.published_range is None:
        return "inside" if low <= figure.published <= high else "outside"
    span_low, span_high = figure.published_range
    if span_low <= low and high <= span_high:
        return "inside"
    return "overlaps" if low <= span_high and high >= span_low else "outside"


def _plot_pairs(case: Case, particles: pd.DataFrame, weights: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [f.name for f in case.free]
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(2.2 * n + 1, 2.2 * n + 1), squeeze=False)
    sizes = 4 + 60 * weights / weights.max()
    for i, row_name in enumerate(names):
        for j, col_name in enumerate(names):
            ax = axes[i][j]
            free_x, free_y = case.free[j], case.free[i]
            if i == j:
                ax.hist(
                    particles[col_name],
                    bins=15,
                    weights=weights,
                    range=(free_x.low, free_x.high),
                    color="tab:blue",
                    alpha=0.7,
                )
                ax.set_yticks([])
            else:
                ax.scatter(
                    particles[col_name],
                    particles[row_name],
                    s=sizes,
                    alpha=0.4,
                    color="tab:blue",
                    linewidths=0,
                )
                ax.set_ylim(free_y.low, free_y.high)
            ax.set_xlim(free_x.low, free_x.high)
            if i == n - 1:
                ax.set_xlabel(col_name, fontsize=8)
            if j == 0 and i != j:
                ax.set_ylabel(row_name, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(f"{case.name}: posterior (final population; point size = weight)", fontsize=10)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=90))
    plt.close(fig)


def _plot_predictive(case: Case, summary: pd.DataFrame, sims: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fitted = [f for f in case.figures if f.fitted]
    fig, axes = plt.subplots(len(fitted), 1, figsize=(7, 1.3 * len(fitted) + 1), squeeze=False)
    for ax, figure in zip(axes[:, 0], fitted, strict=True):
        row = summary.set_index("figure").loc[figure.name]
        ax.hist(sims[figure.name].dropna(), bins=30, color="tab:blue", alpha=0.35)
        ax.axvspan(row.model_q05, row.model_q95, color="tab:blue", alpha=0.15, label="model 90 %")
        if figure.published_range is not None:
            low, high = figure.published_range
            ax.axvline(low, color="tab:red", ls="--")
            ax.axvline(high, color="tab:red", ls="--", label="published range")
        else:
            ax.axvline(figure.published, color="tab:red", lw=2, label="published")
        ax.set_title(f"{figure.name} ({row.verdict})", fontsize=9)
        ax.set_yticks([])
        ax.tick_params(labelsize=8)
        lows = [row.model_q05, *(figure.published_range or (figure.published,))]
        highs = [row.model_q95, *(figure.published_range or (figure.published,))]
        span = max(highs) - min(lows) or 0.05
        ax.set_xlim(min(lows) - span * 0.3, max(highs) + span * 0.3)
    axes[0, 0].legend(fontsize=7, loc="upper right")
    fig.suptitle(f"{case.name}: published figures against the posterior predictive", fontsize=10)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=90))
    plt.close(fig)


# --- the calibration ---------------------------------------------------------------------------


@dataclass
class Result:
    """What a calibration did and wrote."""

    case: Case
    out: Path
    generations: int
    simulations: int
    seconds: float
    stopped: str
    posterior: pd.DataFrame
    predictive: pd.DataFrame
    written: list[Path]

    def lines(self) -> list[str]:
        """A short report for the terminal."""
        lines = [
            f"{self.case.name}: {self.generations} generations, {self.simulations:,} simulations, "
            f"{self.seconds:.0f} s this session ({self.stopped})",
            "posterior (median, 90 % interval):",
        ]
        for row in self.posterior.itertuples():
            lines.append(f"  {row.parameter:<22} {row.median:.3g} [{row.q05:.3g}, {row.q95:.3g}]")
        lines.append("published vs model 90 % predictive interval:")
        for row in self.predictive.itertuples():
            published = (
                f"{row.published:g}"
                if pd.notna(row.published)
                else f"[{row.published_low:g}, {row.published_high:g}]"
            )
            model = (
                f"[{row.model_q05:.3f}, {row.model_q95:.3f}]" if pd.notna(row.model_q05) else "-"
            )
            lines.append(f"  {row.figure:<24} {published:>14} {model:>18}  {row.verdict}")
        return lines


def _seed_generation(seed: int, generation: int) -> None:
    # Every generation starts from the same state whether or not the run was resumed before it.
    np.random.seed([seed, generation])  # noqa: NPY002 (pyABC samples from the global state)
    random.seed(f"{seed}-{generation}")


def calibrate(
    case_ref: str,
    out: str | Path,
    options: Options | None = None,
    scheduler: str | None = None,
    say: Callable[[str], None] = print,
) -> Result:
    """Fit a case's free parameters by ABC-SMC, or continue a calibration stored in ``out``.

    Args:
        case_ref: A bundled case's name or a case file.
        out: Results folder (created; an earlier calibration of the same case is continued).
        options: Budget, seed and sampler.
        scheduler: Address of a Dask scheduler, for ``options.sampler == "dask"``.
        say: Where progress lines go.

    Returns:
        What was done and written.

    Raises:
        CaseError: A bad case, or an --out that cannot take this calibration.
        ExecutorError: The Dask scheduler cannot be reached.
    """
    options = options or Options()
    case = load_case(case_ref)
    out = Path(out)
    manifest = check_out(out, case, options)
    with _sampler(options, scheduler) as sampler:  # a refused scheduler leaves no folder
        if not options.reproducible:  # said only once the request is known to be good
            say(
                f"note: pyABC's {options.sampler} sampler reseeds its workers from the system: "
                "this posterior will not repeat exactly"
            )
        out.mkdir(parents=True, exist_ok=True)
        with _locked(out):
            manifest = check_out(out, case, options) or _new_manifest(case, options)
            return _calibrate(case, out, options, sampler, manifest, say)


def _new_manifest(case: Case, options: Options) -> dict[str, Any]:
    from experiments.store import _version, provenance  # pyarrow: only when a run starts

    return {
        "kind": "calibration",
        "case": {"name": case.name, "path": case.path, "sha256": case.digest, "text": case.text},
        "options": options.__dict__,
        "reproducible": options.reproducible,
        "provenance": {**provenance(), "pyabc": _version("pyabc")},
        "created": _now(),
        "sessions": [],
    }


def _calibrate(case: Case, out: Path, options: Options, sampler, manifest: dict, say) -> Result:
    import pyabc

    for name in ("ABC", "Sampler", "Epsilon", "Distance", "Acceptor", "Transitions"):
        logging.getLogger(name).setLevel(logging.WARNING)  # one line per generation is ours
    database = f"sqlite:///{(out / DATABASE).absolute()}"
    prior = pyabc.Distribution(
        **{f.name: pyabc.RV("uniform", f.low, f.high - f.low) for f in case.free}
    )

    def abc_smc() -> Any:
        return pyabc.ABCSMC(
            CaseModel(case),
            prior,
            CaseDistance(case),
            population_size=options.population,
            sampler=sampler,
        )

    started, session = (
        time.perf_counter(),
        {
            "started": _now(),
            "status": "running",
            "pid": os.getpid(),
            "options": options.__dict__,
        },
    )
    manifest["sessions"].append(session)
    # One session with a parallel sampler makes the whole posterior a one-off draw.
    manifest["reproducible"] = all(
        s["options"]["sampler"] == "single-core" for s in manifest["sessions"]
    )
    _write_json(out / MANIFEST, manifest)
    stopped = "interrupted"
    try:
        if _stored_generations(database, out) == 0:
            with suppress(FileNotFoundError):
                (out / DATABASE).unlink()  # a first session stopped before its first generation
            abc_smc().new(database, observed(case))
        stopped, history = _run_generations(abc_smc, database, options, manifest, say)
        session["status"] = "done"
    finally:
        session["ended"] = _now()
        session["seconds"] = round(time.perf_counter() - started, 1)
        if session["status"] == "running":
            session["status"] = "interrupted"
        _write_json(out / MANIFEST, manifest)
    particles, weights = history.get_distribution(m=0, t=history.max_t)
    weights = np.asarray(weights, float)
    posterior = posterior_table(case, particles, weights)
    say(f"{case.name}: posterior predictive check, {options.draws} simulations")
    predictive, sims = predictive_table(case, particles, weights, options.draws, options.seed)
    written = [out / n for n in ("posterior.csv", "posterior.json", "posterior_pairs.png")]
    _write_csv(written[0], posterior)
    _write_json(written[1], {"case": case.name, "parameters": posterior.to_dict("records")})
    _plot_pairs(case, particles, weights, written[2])
    written += [out / "predictive.csv", out / "predictive.png"]
    _write_csv(written[3], predictive)
    _plot_predictive(case, predictive, sims, written[4])
    manifest["outputs_written"] = _now()
    _write_json(out / MANIFEST, manifest)
    return Result(
        case=case,
        out=out,
        generations=history.max_t + 1,
        simulations=int(history.total_nr_simulations),
        seconds=session["seconds"],
        stopped=stopped,
        posterior=posterior,
        predictive=predictive,
        written=written,
    )


def _stored_generations(database: str, out: Path) -> int:
    """Generations abc.db holds (0 if there is none): the database, not the manifest, decides."""
    if not (out / DATABASE).is_file():
        return 0
    import pyabc

    try:
        history = pyabc.History(database)
        history.id = 1
        return max(history.max_t + 1, 0)
    except Exception as err:  # SQLAlchemy's errors: a damaged or foreign file
        raise CaseError(f"{out / DATABASE} cannot be read as pyABC's database ({err})") from None


def _run_generations(
    abc_smc: Callable[[], Any], database: str, options: Options, manifest: dict, say
) -> tuple[str, Any]:
    """Run generation after generation until a stopping rule holds; say which, and the History.

    Each generation is run by a fresh ABCSMC loaded from abc.db, exactly as a resumed calibration
    is: pyABC's epsilon schedule is only recomputed from the stored populations on ``load`` (a
    second ``run`` of the same object keeps the previous generation's epsilon), and this way an
    interrupted and resumed calibration takes the same path as one that ran straight through.
    """
    while True:
        abc = abc_smc()
        history = abc.load(database, 1)
        done = history.max_t + 1
        if done >= 1:
            epsilon = float(history.get_all_populations().epsilon.iloc[-1])
            if epsilon <= 0:
                return "every figure met exactly: epsilon reached 0", history
        if done >= options.generations:
            return f"{options.generations} generations done", history
        if history.total_nr_simulations >= options.max_simulations:
            return f"simulation budget of {options.max_simulations:,} spent", history
        _seed_generation(options.seed, done)
        say(f"{manifest['case']['name']}: generation {done + 1} of {options.generations}")
        abc.run(max_nr_populations=1)
        last = history.get_all_populations().iloc[-1]
        manifest["generations"] = history.max_t + 1
        manifest["simulations"] = int(history.total_nr_simulations)
        say(
            f"{manifest['case']['name']}: generation {done + 1}: epsilon {last.epsilon:.4g}, "
            f"{int(last.particles)} accepted of {int(last.samples)} simulated"
        )
