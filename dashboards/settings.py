"""A session's settings (scenario, seed, parameters): in the address, in exports, undone.

A trainer puts the whole room on one setting with a link: ``?scenario=Complex+lives&seed=7&
audit_rate=0.2`` (add ``present=1`` for presenter mode). Opening it sets those values; a value the
dashboard cannot take is named in one line on the page and its default is used instead. The CSV
and PNG downloads carry every parameter and the seed, so a figure in a slide can be made again.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from matplotlib.figure import Figure

from dashboards.presenter import FLAG, OFF, ON
from dashboards.scenarios import SCENARIOS
from dashboards.twin import Twin
from sim.params import PARAMS, ParamError, check_seed, coerce, validate

# The parameters with a slider, in the sidebar's order.
CONTROLS = [
    "incentive_strength",
    "audit_rate",
    "ratchet",
    "sanction_severity",
    "measure_alignment",
    "learning_time",
    "case_review_rate",
    "autonomy",
    "funding_stake",
    "shielding",
    "hierarchy",
    "leader_turnover",
    "complexity",
    "need_heterogeneity",
    "outcome_noise",
    "n_citizens",
    "n_workers",
    "n_managers",
]
DASHBOARD_MAX = {"n_citizens": 3000, "n_workers": 150, "n_managers": 15}  # keep Play smooth
DEFAULT_SCENARIO = "Default service"
DEFAULT_SEED = Twin.seed
KEYS = ("scenario", "seed", FLAG, *CONTROLS)  # everything the address may set
LONGEST_SHOWN = 40  # characters of a bad value quoted back on the page


@dataclass(frozen=True)
class Settings:
    """What a session runs: a scenario, the sliders' values and a seed.

    Attributes:
        scenario: A name from dashboards.scenarios.SCENARIOS.
        params: Every slider's value (CONTROLS).
        seed: The seed of both sides.
    """

    scenario: str = DEFAULT_SCENARIO
    params: dict[str, Any] = field(default_factory=lambda: scenario_sliders(DEFAULT_SCENARIO))
    seed: int = DEFAULT_SEED

    def extras(self) -> dict[str, Any]:
        """The scenario's settings that have no slider."""
        return {k: v for k, v in SCENARIOS[self.scenario].items() if k not in CONTROLS}

    def model_params(self) -> dict[str, Any]:
        """Every model parameter these settings run with (the regime aside)."""
        return validate(self.params | self.extras())

    def query(self) -> str:
        """The address's query string that opens these settings.

        Only the sliders set otherwise than the scenario sets them are written.
        """
        preset = scenario_sliders(self.scenario)
        changed = {k: v for k, v in self.params.items() if preset.get(k) != v}
        return urlencode({"scenario": self.scenario, "seed": self.seed} | changed)

    def lines(self) -> list[str]:
        """Every setting as ``name=value``: scenario, seed, then every model parameter."""
        params = self.model_params()
        return [f"scenario={self.scenario}", f"seed={self.seed}"] + [
            f"{name}={params[name]}" for name in sorted(params)
        ]


def scenario_sliders(name: str) -> dict[str, Any]:
    """The sliders' values under a scenario: defaults, with the scenario's own on top."""
    return {n: PARAMS[n].default for n in CONTROLS} | {
        k: v for k, v in SCENARIOS[name].items() if k in CONTROLS
    }


def _shown(value: str) -> str:
    return repr(value if len(value) <= LONGEST_SHOWN else value[: LONGEST_SHOWN - 3] + "...")


def _slider_value(name: str, text: str) -> Any:
    """One slider's value from the address, checked as the slider would check it.

    Raises:
        ParamError: One line naming the setting and what is allowed.
    """
    value = coerce(name, text)
    top = min(PARAMS[name].high, DASHBOARD_MAX.get(name, PARAMS[name].high))
    if not PARAMS[name].low <= value <= top:
        raise ParamError(f"{name}={value} is out of range here: use {PARAMS[name].low} to {top}")
    return value


def from_query(search: str | None) -> tuple[Settings, list[str]]:
    """The settings an address asks for, and one line for each value that could not be used.

    A bad value is left out (its default is used); nothing here raises.

    Args:
        search: The query string without its ``?`` (``solara.use_router().search``), or None.

    Returns:
        The settings, and the problems in words (empty when the address was fine).
    """
    problems: list[str] = []
    asked: dict[str, str] = {}
    for key, text in parse_qsl(search or "", keep_blank_values=True):
        if key in KEYS:
            asked[key] = text.strip()
            continue
        close = difflib.get_close_matches(key, KEYS, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        problems.append(
            f"The address's setting {_shown(key)} is unknown and was left out: {hint}"
            "use scenario, seed, present or a slider's name"
        )
    if asked.get(FLAG, "").lower() not in ON + OFF:
        problems.append(
            f"The address's {FLAG}={_shown(asked[FLAG])} was not understood: use {FLAG}=1 for "
            "presenter mode; the page opens without it"
        )
    scenario = asked.get("scenario", DEFAULT_SCENARIO)
    if scenario not in SCENARIOS:
        close = difflib.get_close_matches(scenario, SCENARIOS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(
            f"The address's scenario {_shown(scenario)} is not one of the scenarios{hint}: "
            f"“{DEFAULT_SCENARIO}” is used"
        )
        scenario = DEFAULT_SCENARIO
    seed = DEFAULT_SEED
    if "seed" in asked:
        try:
            text = asked["seed"]
            seed = check_seed(int(text) if text.lstrip("+-").isdigit() else text)
        except ParamError as e:
            problems.append(f"The address's seed was not used ({e}); seed {DEFAULT_SEED} is used")
    params = scenario_sliders(scenario)
    for name in CONTROLS:
        if name in asked:
            try:
                params[name] = _slider_value(name, asked[name])
            except ParamError as e:
                problems.append(f"The address's {name} was not used ({e}); {params[name]} is used")
    settings = Settings(scenario, params, seed)
    try:
        settings.model_params()
    except ParamError as e:  # values fine alone that do not go together
        problems.append(f"The address's parameters were not used ({e}): the scenario's are")
        settings = Settings(scenario, scenario_sliders(scenario), seed)
    return settings, problems


def csv_with_settings(csv: bytes, settings: Settings) -> bytes:
    """A CSV download headed by every setting as ``# name=value`` comment lines.

    ``pandas.read_csv(path, comment="#")`` reads the rows as before.
    """
    head = "".join(f"# {line}\n" for line in settings.lines())
    return head.encode() + csv


def png_with_settings(fig: Figure, settings: Settings, dpi: int = 150) -> bytes:
    """A figure as PNG bytes, carrying the settings that made it.

    The scenario, seed and link are written under the figure; every setting is in the PNG's
    metadata (``PIL.Image.open(path).text["Settings"]``).
    """
    engine = fig.get_layout_engine()
    if hasattr(engine, "set"):  # constrained layout: leave the bottom line to the settings
        engine.set(rect=(0, 0.03, 1, 0.97))
    fig.text(
        0.5,
        0.003,
        f"Accountability Lab · scenario “{settings.scenario}” · seed {settings.seed} · "
        f"settings: ?{settings.query()}",
        ha="center",
        va="bottom",
        fontsize=7,
        color="#555555",
        wrap=True,
    )
    buf = io.BytesIO()
    metadata = {
        "Title": "Accountability Lab: targets or learning?",
        "Software": "Accountability Lab",
        "Settings": "\n".join(settings.lines()),
        "Source": f"?{settings.query()}",
    }
    fig.savefig(buf, format="png", dpi=dpi, metadata=metadata)
    return buf.getvalue()
