"""The one declaration of every model parameter.

``ModelParams`` declares each parameter once, as a typed field of a frozen dataclass whose
metadata carries its allowed range, unit, a one-line meaning and the source or rationale for its
default. The model reads a ``ModelParams`` by attribute; the table ``PARAMS`` that the CLI,
experiment files, dashboard controls and the docs read is generated from it. Nothing else in the
project repeats a default or a range.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, get_type_hints

from sim.regimes import PRESETS

# The regime names are the presets' names (sim.regimes declares them), in their declared order.
REGIME_NAMES = tuple(PRESETS)


class ParamError(ValueError):
    """A parameter value that the model cannot accept; the message is one line for the user."""


@dataclass(frozen=True)
class Param:
    """One model parameter, as the tables read it (generated from its ``ModelParams`` field).

    Attributes:
        name: Keyword accepted by the model, the CLI (`--set name=value`) and experiment files.
        kind: ``int``, ``float`` or ``str``.
        default: Value used when none is given.
        low: Smallest allowed value (numbers only).
        high: Largest allowed value (numbers only).
        unit: Unit of measurement, or ``"-"`` for dimensionless shares and weights.
        meaning: One plain-language line for learners and the dashboard's help text.
        source: Where the default comes from, or why it was chosen.
        group: Section used to group controls and docs.
        choices: Allowed values for a ``str`` parameter.
        label: Short label for a control.
        listed: A ``str`` parameter whose value is a comma-separated list of ``choices`` (or
            empty), not one of them.
    """

    name: str
    kind: type
    default: Any
    low: float | None = None
    high: float | None = None
    unit: str = "-"
    meaning: str = ""
    source: str = ""
    group: str = "model"
    choices: tuple[str, ...] = ()
    label: str = ""
    listed: bool = False

    def allowed(self) -> str:
        """Describe the allowed values in words, for error messages and docs."""
        if self.kind is str and self.listed:
            return "empty, or names separated by commas, each one of " + ", ".join(self.choices)
        if self.kind is str:
            return "one of " + ", ".join(self.choices)
        kind = "a whole number" if self.kind is int else "a number"
        low, high = self.bounds()
        return f"{kind} from {_shown(low)} to {_shown(high)}"

    def bounds(self) -> tuple[float, float]:
        """Smallest and largest allowed value of a number parameter."""
        if self.low is None or self.high is None:
            raise TypeError(f"{self.name} is not a number parameter")
        return self.low, self.high

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, or raise ParamError."""
        if self.kind is str and self.listed:
            if not isinstance(value, str):
                raise ParamError(f"{self.name}={value!r} is not allowed: use {self.allowed()}")
            names = [name.strip() for name in value.split(",")] if value.strip() else []
            unknown = [name for name in names if name not in self.choices]
            if unknown:
                raise ParamError(
                    f"{self.name}={value!r}: {unknown[0]!r} is not allowed: use {self.allowed()}"
                )
            return ",".join(names)
        if self.kind is str:
            if value not in self.choices:
                raise ParamError(f"{self.name}={value!r} is not allowed: use {self.allowed()}")
            return value
        if isinstance(value, bool):
            raise ParamError(f"{self.name}={value!r} is not allowed: use {self.allowed()}")
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise ParamError(
                    f"{self.name}={value!r} is not a number: use {self.allowed()}"
                ) from None
        if not isinstance(value, int | float) and not hasattr(value, "__float__"):
            raise ParamError(f"{self.name}={value!r} is not a number: use {self.allowed()}")
        number = float(value)
        low, high = self.bounds()
        if math.isnan(number) or not low <= number <= high:
            raise ParamError(f"{self.name}={_shown(number)} is out of range: use {self.allowed()}")
        if self.kind is int:
            if number != int(number):
                raise ParamError(f"{self.name}={number:g} is not whole: use {self.allowed()}")
            return int(number)
        return number


def _shown(number: float) -> str:
    """A number as a message shows it.

    Whole numbers in full up to a billion (a city's 1000000, not 1e+06); others as ``:g`` shows
    them, short however many digits were typed.
    """
    if number.is_integer() and abs(number) < 1e9:
        return str(int(number))
    return f"{number:g}"


def _declare(
    default: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    unit: str = "-",
    meaning: str,
    source: str,
    group: str,
    label: str,
    choices: tuple[str, ...] = (),
    listed: bool = False,
) -> Any:
    """A ``ModelParams`` field: its default, and the metadata that its ``Param`` is built from."""
    metadata = {
        "low": low,
        "high": high,
        "unit": unit,
        "meaning": meaning,
        "source": source,
        "group": group,
        "choices": choices,
        "label": label,
        "listed": listed,
    }
    return field(default=default, metadata=metadata)


@dataclass(frozen=True, kw_only=True, slots=True)
class ModelParams:
    """Every model parameter, typed, with its declared default.

    Building one checks every value (``ParamError`` names the first that is not allowed) and
    converts it to its declared type: ``ModelParams(ratchet=1)`` holds ``ratchet == 1.0``. Each
    field's metadata holds its range, unit, meaning, source, group, choices and label (see
    ``Param``); ``from_values`` builds one from names and values typed by a user.
    """

    # fmt: off
    # --- sizes -------------------------------------------------------------------------------------
    n_citizens: int = _declare(600, 1, 1000000, unit='people', label='Citizens', group='sizes',
        meaning='Citizens the service works with.',
        source='Default size: a small locality service, fast enough for a live demo.')
    n_workers: int = _declare(30, 1, 50000, unit='people', label='Workers', group='sizes',
        meaning='Frontline workers; caseloads are shared out evenly.',
        source='20 citizens a worker, a typical case-managed caseload.')
    n_managers: int = _declare(3, 1, 5000, unit='people', label='Managers', group='sizes',
        meaning='Managers; each runs one team of workers.',
        source='Teams of ten.')
    # --- regime ------------------------------------------------------------------------------------
    regime: str = _declare('outcomes', unit='-', label='Regime', group='regime',
        choices=REGIME_NAMES,
        meaning='How the service is held to account: outcome targets, learning, none, or a hybrid of the first two.',
        source='The comparison the model exists for.')
    incentive_strength: float = _declare(0.6, 0.0, 2.0, unit='stake per unit of measured performance', label='Incentive strength', group='regime',
        meaning="How much measured results matter to a worker's pay, standing and security under targets.",
        source='Moderate performance management; the high-stakes cases ask for more: A&E star ratings 0.7-1.8 (Bevan & Hood 2006), Work Programme payment by results 0.6-1.7 (NAO 2014); A&E as Kelman & Friedman (2009) saw it 0.25-1.15 (docs/cases.md).')
    initial_target: float = _declare(0.65, 0.0, 1.0, unit='share of caseload', label='Initial target', group='regime',
        meaning='First target: the share of each caseload that must have an outcome recorded.',
        source="A stretch target for a case-managed service (true performance 0.25-0.3 without gaming); A&E's milestones were higher, 0.66-0.97 in the Bevan & Hood (2006) calibration (docs/cases.md).")
    ratchet: float = _declare(0.5, 0.0, 1.0, unit='-', label='Ratchet', group='regime',
        meaning='How far the next target moves up towards what a worker achieved last review (0 fixed, 1 all the way).',
        source="Bevan & Hood (2006): targets set from last year's achievement.")
    audit_rate: float = _declare(0.05, 0.0, 1.0, unit='share of records', label='Audit rate', group='regime',
        meaning='Chance that any one recorded outcome is checked by an audit.',
        source='Light-touch sampling of case records; self-certified claims (Troubled Families, PAC 2016: 98.9 % turned around) need 0.002-0.06, while Work Programme outcomes checked against tax records (NAO 2014) need 0.23-0.77 (docs/cases.md).')
    sanction_severity: float = _declare(0.5, 0.0, 1.0, unit='-', label='Sanction severity', group='regime',
        meaning='How hard misses, bottom ranks and caught misreporting are punished (warnings, stress, dismissal).',
        source="Mid-scale; at 1 the team's worst-ranked worker is dismissed once they have missed dismiss_after reviews in a row.")
    dismiss_after: int = _declare(6, 1, 52, unit='reviews', label='Misses before dismissal', group='regime',
        meaning="Consecutive missed targets before the team's worst-ranked worker may be dismissed.",
        source='A capability procedure of about six months at monthly reviews.')
    review_period: int = _declare(4, 1, 52, unit='weeks', label='Review period', group='regime',
        meaning="Weeks between a manager's reviews (targets and rankings, or learning sessions and feedback).",
        source='Monthly one-to-ones.')
    learning_time: float = _declare(0.1, 0.0, 0.5, unit='share of the week', label='Learning time', group='regime',
        meaning='Time in learning sessions under learning accountability.',
        source='Half a day a week of reflective practice, as in HLS case studies.')
    autonomy: float = _declare(0.8, 0.0, 1.0, unit='-', label='Autonomy', group='regime',
        meaning='Freedom to respond to need rather than follow a prescribed process, granted under learning accountability.',
        source='HLS: trust and autonomy for bespoke help.')
    base_autonomy: float = _declare(0.3, 0.0, 1.0, unit='-', label='Base autonomy', group='regime',
        meaning='Autonomy where it is not granted deliberately (targets or no accountability).',
        source='Procedure-led services.')
    funding_stake: float = _declare(0.1, 0.0, 2.0, unit='stake per unit of reported performance', label='Funding stake', group='regime',
        meaning="Share of the service's funding or standing tied to the figures it reports upward to its commissioner or government; present under every regime.",
        source='A service mostly funded whatever it reports; where funding hung on self-reported results, Troubled Families (PAC 2016: 116,654 of 117,910 claimed) needs 0.96-1.91 (docs/cases.md).')
    shielding: float = _declare(0.8, 0.0, 1.0, unit='-', label='Shielding', group='regime',
        meaning='How far managers absorb the pressure from above instead of passing it down to workers, under learning accountability (under targets it is passed down).',
        source='HLS: managers as a heat shield; Plymouth used the old measures inside only for learning.')
    case_review_rate: float = _declare(0.15, 0.0, 1.0, unit='share of caseload per review', label='Case reviews', group='regime',
        meaning='Share of each caseload looked at in depth each review period under learning accountability, to learn what really happened (takes workers\' time).',
        source='Case reviews and follow-up conversations, about two hours per citizen sampled.')
    hierarchy: float = _declare(0.3, 0.0, 1.0, unit='-', label='Hierarchy', group='regime',
        meaning='Distance between ranks: how risky it feels to tell a manager what went wrong.',
        source='Psychological safety (Edmondson 1999); mid-to-low in a small locality service.')
    leader_turnover: float = _declare(0.005, 0.0, 0.2, unit='per week', label='Leader turnover', group='regime',
        meaning='Chance that a manager leaves in a week; a successor under pressure from above drifts back towards passing it down unless learning has taken root.',
        source='About one change of manager every four years; reversion reported in Collaborative Newcastle (2020-24).')
    # --- measure -----------------------------------------------------------------------------------
    measure_alignment: float = _declare(0.6, 0.0, 1.0, unit='cosine', label='Measure alignment', group='measure',
        meaning='How well what is measured matches what is valued: the cosine between the two (1 perfect, 0 unrelated).',
        source='Baker (2002) cos(theta); the cases do not pin it down (A&E per Bevan & Hood 2006: 0.07-0.93; NCLB: 0.03-0.95), but real improvement without dysfunction in A&E (Kelman & Friedman 2009) needs 0.41-0.97 (docs/cases.md).')
    measured_domains: str = _declare('all', unit='-', label='Measured domains', group='measure',
        choices=('all', 'income', 'income+housing', 'health+relationships'),
        meaning='Life domains the outcome indicator scores (each weighted as when the measure was designed).',
        source='Give up and Replace: the room chooses what is measured. all: the designed measure.')
    measure: str = _declare('indicator', unit='-', label='Measure', group='measure',
        choices=('indicator', 'citizen_reported'),
        meaning="Where the figures come from: the outcome indicator workers record, or citizens' own reports of their wellbeing.",
        source='Give up and Replace; 360-degree accountability (Lowe et al. 2021, HLS).')
    outcome_threshold: float = _declare(0.7, 0.05, 0.95, unit='indicator score', label='Outcome threshold', group='measure',
        meaning='Score on the indicator at which a citizen counts as having an outcome.',
        source='About a quarter pass without gaming; the Work Programme (NAO 2014: 27 % into work against a 39 % target) needs 0.63-0.79, while A&E, where 69-77 % of patients really were seen within four hours (Bevan & Hood 2006), needs 0.43-0.64 (docs/cases.md).')
    outcome_noise: float = _declare(0.1, 0.0, 0.5, unit='indicator score (sd)', label='Outcome noise', group='measure',
        meaning="Week-to-week luck and measurement error in whether a citizen's outcome is met.",
        source='Realistic: small caseloads make performance figures noisy.')
    # --- workers -----------------------------------------------------------------------------------
    intrinsic_motivation: float = _declare(0.5, 0.0, 1.0, unit='-', label='Intrinsic motivation', group='workers',
        meaning="How much workers care about citizens' real wellbeing, before any crowding out.",
        source='Perry & Wise (1990), mid-scale; no case pins it down (90 % intervals span 0.3-0.9 in A&E, Troubled Families and NCLB; docs/cases.md).')
    motivation_sd: float = _declare(0.15, 0.0, 0.5, unit='-', label='Motivation spread', group='workers',
        meaning='Spread of intrinsic motivation between workers; also the unit of the crowding-out effect sizes.',
        source='Deci, Koestner & Ryan (1999) effect sizes are in standard deviations.')
    effort_cost: float = _declare(0.7, 0.05, 5.0, unit='utility per effort squared', label='Effort cost', group='workers',
        meaning='Curvature of the cost of effort (quadratic).',
        source='Holmstrom & Milgrom (1991) quadratic cost; at 0.7 a skilled, motivated worker would fill the week, so time given to accountability is time taken from citizens, while a less motivated one leaves room for incentives to add effort.')
    time_budget: float = _declare(1.0, 0.1, 100.0, unit='weeks', label='Time budget', group='workers',
        meaning='Working time in a week.',
        source='One working week.')
    reporting_overhead: float = _declare(0.1, 0.0, 0.5, unit='share of the week', label='Reporting overhead', group='workers',
        meaning='Time spent feeding the performance management system under targets.',
        source='Typical recording burden in case-managed services.')
    choice_noise: float = _declare(0.05, 0.0, 1.0, unit='utility', label='Choice noise', group='workers',
        meaning="Noise in workers' choices of tactics (logit temperature); 0 is a strict best response.",
        source='Bounded rationality (McFadden logit).')
    perception_noise: float = _declare(0.05, 0.0, 1.0, unit='utility (sd)', label='Perception noise', group='workers',
        meaning='Noise in how workers perceive the return to each use of time.',
        source='Bounded rationality.')
    reinforcement: float = _declare(0.5, 0.0, 5.0, unit='-', label='Reinforcement rate', group='workers',
        meaning='Learning rate of gaming propensities from what paid off compared with peers.',
        source='Erev & Roth (1998) style learning.')
    imitation: float = _declare(0.25, 0.0, 1.0, unit='per review', label='Imitation', group='workers',
        meaning="Chance that a worker copies part of the tactics of the team's best-rewarded colleague at a review.",
        source='Social learning in teams.')
    status_concern: float = _declare(0.15, 0.0, 1.0, unit='stake per unit of measured performance', label='Status concern', group='workers',
        meaning="How much workers care about how their figures look to colleagues and managers where figures are shown: in league tables, or in sessions where people do not say what went wrong.",
        source='Looking good before peers; small beside pay and security (mid-low).')
    specialisation: float = _declare(0.0, 0.0, 1.0, unit='share of workers', label='Specialisation', group='workers',
        meaning='Share of workers who help in one life domain only, and more deeply there; citizens are triaged to them by their main need, and other needs mean a referral.',
        source='0 is a fully generalist service; the cavalry are not coming: can generalists plug the gaps?')
    # --- citizens ----------------------------------------------------------------------------------
    complexity: float = _declare(0.5, 0.0, 2.0, unit='-', label='Complexity', group='citizens',
        meaning="Average complexity of citizens' needs; a few citizens always carry most of it (log-normal spread).",
        source='Multiple-disadvantage populations (Bramley et al. 2015).')
    need_heterogeneity: float = _declare(0.5, 0.0, 1.0, unit='-', label='Need heterogeneity', group='citizens',
        meaning='How far what helps differs from person to person (0: the standard process suits everyone; 1: what helps each person must be found out).',
        source='Public service is bespoke by default (Lowe et al. 2021); mid-scale.')
    need_concentration: float = _declare(0.0, 0.0, 1.0, unit='-', label='Need concentration', group='citizens',
        meaning="How far a citizen's needs sit in one life domain rather than spread across several (specialists help most where needs are concentrated).",
        source='0: needs spread as drawn; multiple disadvantage is spread across domains (Bramley et al. 2015).')
    economic_shock_sd: float = _declare(0.01, 0.0, 0.1, unit='need per week (sd)', label='Economic shocks', group='citizens',
        meaning='Size of the shared weekly shocks from the local economy.',
        source='Outcomes are made by whole systems.')
    life_event_rate: float = _declare(0.02, 0.0, 0.5, unit='per week', label='Life events', group='citizens',
        meaning='Chance that a citizen meets a personal life event (illness, loss, eviction) in a week.',
        source='About one event a year.')
    # --- system ------------------------------------------------------------------------------------
    n_services: int = _declare(1, 1, 4, unit='services', label='Services', group='system',
        meaning="Services around each citizen, each an organisation of n_workers workers and n_managers managers helping mainly in its own life domains (the four domains dealt round); a citizen's needs span domains, so they may be on several caseloads and be referred between services.",
        source='1 is the single service (today\'s model as the special case); 3 stands for employment support, housing, and health and wellbeing. At most one service per life domain.')
    contracting: str = _declare('siloed', unit='-', label='Contracting', group='system',
        choices=('siloed', 'alliance'),
        meaning="How the commissioner contracts the services: siloed, one contract per service paid on its own indicator (its own domains); alliance, one contract across all services with one budget paid on the shared indicator.",
        source='Plymouth replaced about 25 siloed contracts with one alliance contract (Lowe et al. 2021).')
    payment_by_results: float = _declare(0.0, 0.0, 1.0, unit='share of contract value', label='Payment by results', group='system',
        meaning="Share of a contract's value paid on the results the services report; it adds to each service's funding stake as far as its own figure moves its own payment.",
        source='0: block contracts. The Work Programme paid most of its value on results (NAO 2014).')
    service_regimes: str = _declare('', unit='-', label='Regime of each service', group='system',
        choices=REGIME_NAMES, listed=True,
        meaning='Regime of each service in a whole system, one name per service separated by commas (e.g. outcomes,learning,learning); empty: every service runs regime.',
        source="Each service is its own organisation with its own accountability regime; Plymouth's alliance partners each kept their own ways inside.")
    stewardship_time: float = _declare(0.1, 0.0, 0.5, unit='share of the week', label='Stewardship time', group='system',
        meaning="Share of each manager's week spent meeting the other services' managers as a system, where one contract covers several services: joint reviews of the hand-offs between them and shared learning.",
        source='Half a day a week; Plymouth: system stewardship and 360-degree accountability (Lowe et al. 2021).')
    contract_years: int = _declare(0, 0, 20, unit='years', label='Contract years', group='system',
        meaning="Length of a contract; at each contract's end the commissioner replaces the provider judged worst (on its reported figures, or as tender_evaluation weighs them) by a new one (new workers, managers and culture). 0: no re-tendering. With one service there is no competitor and nothing happens.",
        source='0 keeps the providers of the first tender. Public service contracts commonly run 3 to 7 years; the Work Programme ran 5 (NAO 2014). 1 is a short cycle for study.')
    tender_evaluation: float = _declare(0.0, 0.0, 1.0, unit='weight on true results', label='Tender evaluation', group='system',
        meaning="What the commissioner judges providers on at a contract's end: each provider's score is (1 - e) x its reported figures + e x what its citizens really achieved, and the lowest is replaced (0: reported figures alone; 1: true results alone).",
        source='0: commissioners see what providers report (the Work Programme, NAO 2014). 1 is the contrast that needs independent outcome data (e.g. the Work Programme checked against tax records), rarely available.')
    # --- timeline ----------------------------------------------------------------------------------
    switch_step: int = _declare(0, 0, 10000, unit='weeks', label='Switch week', group='timeline',
        meaning='Week at which the regime switches (0: never).',
        source='Rebuilding a ship whilst sailing it.')
    switch_to: str = _declare('learning', unit='-', label='Switch to', group='timeline',
        choices=REGIME_NAMES,
        meaning='Regime to switch to at switch_step.',
        source='The move from targets to learning.')
    shift_step: int = _declare(0, 0, 10000, unit='weeks', label='Shift week', group='timeline',
        meaning='Week at which what counts as good changes (0: never).',
        source='Environment shift: needs and priorities move on.')
    # fmt: on

    def __post_init__(self) -> None:
        for name, param in PARAMS.items():
            # Frozen: the checked, converted value replaces the one given, once, here.
            object.__setattr__(self, name, param.coerce(getattr(self, name)))
        if self.n_managers > self.n_workers:
            raise ParamError(
                f"n_managers={self.n_managers} exceeds n_workers={self.n_workers}: "
                "each manager needs at least one worker"
            )
        listed = len(self.service_regimes.split(",")) if self.service_regimes else 0
        if listed and listed != self.n_services:
            raise ParamError(
                f"service_regimes={self.service_regimes!r} names {listed} regimes for "
                f"n_services={self.n_services}: give one per service, or leave it empty"
            )
        if self.n_workers > self.n_citizens:
            raise ParamError(
                f"n_workers={self.n_workers} exceeds n_citizens={self.n_citizens}: "
                "each worker needs a caseload"
            )

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> ModelParams:
        """The parameters given by name (strings from the CLI are accepted), defaults elsewhere.

        Raises:
            ParamError: One line naming the first bad parameter, in the order given, and what is
                allowed.
        """
        checked = {name: coerce(name, value) for name, value in values.items()}
        return cls(**checked)

    def service_regime(self, index: int) -> str:
        """The regime the service at ``index`` runs at the start: its own, or ``regime``."""
        return self.service_regimes.split(",")[index] if self.service_regimes else self.regime

    def as_dict(self) -> dict[str, Any]:
        """Every parameter by name, in declared order (for tables, files and ``validate``)."""
        return {name: getattr(self, name) for name in PARAMS}


def _table() -> dict[str, Param]:
    """The ``Param`` of every ``ModelParams`` field, in declared order."""
    kinds = get_type_hints(ModelParams)
    return {
        declared.name: Param(
            name=declared.name,
            kind=kinds[declared.name],
            default=declared.default,
            **declared.metadata,
        )
        for declared in fields(ModelParams)
    }


PARAMS: dict[str, Param] = _table()
# Every parameter at its declared default.
DEFAULTS = ModelParams()

# Mesa's DataCollector holds every row until the run ends. Measured on Mesa 3.5 (see
# tests/test_cli_input.py): about 1.1 kB per weekly row while collecting plus 0.25 kB in the
# returned table, and about 0.4 kB per worker row all told.
WEEK_ROW_BYTES = 1_400
WORKER_ROW_BYTES = 400
# What the rows of one run may take: leaves room for the model itself on an 8 GB laptop (peak
# RSS 0.8 GB with one service of 1,000,000 citizens, 1.1 GB with three; each counterfactual run
# for payment by results is one model more: docs/performance.md, "City scale").
ROWS_MEMORY_BYTES = 2 * 1024**3
# What the models of one run may take: with ROWS_MEMORY_BYTES, room on an 8 GB laptop. The
# estimate (model_memory_bytes) uses bytes measured at 1,000,000 citizens on 2026-12-06
# (docs/performance.md, "City scale"), peak RSS above the interpreter's with its libraries: per
# citizen with one service (the person, a Mesa agent, the caseload, the week's temporaries), per
# citizen on each further service's caseload, and per worker post with its share of a manager.
# It counts every model's weekly temporaries though the models step one after another, so it
# overstates a run with counterfactual runs (by about a fifth with three paid services).
MODEL_MEMORY_BYTES = 4 * 1024**3
CITIZEN_BYTES = 640
CASELOAD_BYTES = 120
WORKER_BYTES = 800
# Two years of weeks: long enough for targets to ratchet and workers to learn what pays.
DEFAULT_STEPS = 104
# 1.4 GB of weekly rows, about 25 minutes at the default sizes; a million weeks is 19,000 years.
MAX_STEPS = 1_000_000
# NumPy takes any non-negative integer, but a seed is typed into a browser box and written to
# CSV: 32 bits keep it exact everywhere (JavaScript numbers lose integers above 2**53).
MAX_SEED = 2**32 - 1
# Parameters that name a week of the run, 0 meaning never.
WEEK_PARAMS = ("switch_step", "shift_step")


def unknown_name_message(name: str) -> str:
    """One line for a parameter name that is not declared, with the closest declared names.

    Args:
        name: The name as the user wrote it (``--set``, an experiment file, ...).

    Returns:
        The message, e.g. ``unknown parameter 'ratchett': did you mean 'ratchet'? ...``.
    """
    close = difflib.get_close_matches(name, PARAMS, n=3)
    hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    return f"unknown parameter {name!r}: {hint}run 'python -m sim params' for the list"


def counterfactual_runs(params: ModelParams | Mapping[str, Any]) -> int:
    """Counterfactual runs a run steps beside itself: one per service under payment by results.

    Each is the same run with one service's help removed, so that the outcomes a paid service
    caused can be counted (attribution); a run without payment by results needs none.

    Args:
        params: The run's parameters, checked (``ModelParams``) or by name, defaults for those
            not given (read as given: a sweep's estimate may pass a sample's mean sizes).
    """
    if isinstance(params, ModelParams):
        params = params.as_dict()
    n_services = params.get("n_services", DEFAULTS.n_services)
    paid = params.get("payment_by_results", DEFAULTS.payment_by_results) > 0
    return round(n_services) if paid else 0


def models_stepped(params: ModelParams | Mapping[str, Any]) -> int:
    """Whole models one run builds and steps: the run itself and its counterfactual runs."""
    return 1 + counterfactual_runs(params)


def model_memory_bytes(params: ModelParams) -> int:
    """Estimated peak memory of the models one run steps (not counting its rows), in bytes."""
    services = params.n_services
    person = CITIZEN_BYTES + (services - 1) * CASELOAD_BYTES
    one_model = params.n_citizens * person + services * params.n_workers * WORKER_BYTES
    return models_stepped(params) * one_model


def check_run(
    params: ModelParams | Mapping[str, Any], steps: int, worker_rows: bool = False
) -> None:
    """Check that a run of ``steps`` weeks fits in memory and reaches the weeks it is given.

    Args:
        params: Every parameter: a ``ModelParams``, or names and values as ``validate`` returns.
        steps: Weeks the run will last.
        worker_rows: Whether one row per worker is kept at each review.

    Raises:
        ParamError: One line naming the problem and what is allowed.
    """
    if not isinstance(params, ModelParams):
        params = ModelParams.from_values(params)
    if not 1 <= steps <= MAX_STEPS:
        raise ParamError(
            f"steps={steps} is out of range: use a whole number from 1 to {MAX_STEPS:,} "
            "(every week's row is kept in memory)"
        )
    for name in WEEK_PARAMS:
        week = getattr(params, name)
        if week > steps:
            raise ParamError(
                f"{name}={week} is after the last week of a {steps}-week run: "
                f"use 1 to {steps}, or 0 for never"
            )
    needed = model_memory_bytes(params)
    if needed > MODEL_MEMORY_BYTES:
        models = models_stepped(params)
        raise ParamError(
            f"n_citizens={params.n_citizens:,} with n_services={params.n_services} and "
            f"payment_by_results={params.payment_by_results:g} ({models} "
            f"{'models' if models > 1 else 'model'}: the run and one counterfactual run per "
            f"paid service) need about {needed / 1024**3:.1f} GiB: at most "
            f"{MODEL_MEMORY_BYTES / 1024**3:.0f} GiB; use fewer citizens or services, or "
            "payment_by_results=0"
        )
    if worker_rows:
        rows = steps // params.review_period * params.n_workers * params.n_services
        fit = ROWS_MEMORY_BYTES // WORKER_ROW_BYTES
        if rows > fit:
            raise ParamError(
                f"{rows:,} worker rows ({steps} weeks, review_period={params.review_period}, "
                f"n_workers={params.n_workers}, n_services={params.n_services}) do not fit in "
                f"memory: at most {fit:,}; "
                "use fewer weeks or workers, or a longer review_period"
            )


def check_seed(seed: Any) -> int:
    """Return ``seed`` as an int, or raise ParamError with a one-line message.

    The one rule for a seed a user gives (the CLIs, experiment files, the dashboard).

    Args:
        seed: A seed given by the user (any integer-like value; ``bool`` is not one).

    Returns:
        The seed as a Python int.

    Raises:
        ParamError: The seed is not a whole number from 0 to MAX_SEED.
    """
    allowed = f"use a whole number from 0 to {MAX_SEED}"
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        shown = repr(seed) if len(repr(seed)) <= 40 else repr(seed)[:36] + "..."
        raise ParamError(f"seed={shown} is not a whole number: {allowed}")
    whole = int(seed)
    if not 0 <= whole <= MAX_SEED:
        shown = str(whole) if len(str(whole)) <= 40 else str(whole)[:36] + "..."  # one short line
        raise ParamError(f"seed={shown} is out of range: {allowed}")
    return whole


def defaults() -> dict[str, Any]:
    """Every parameter at its default."""
    return {name: p.default for name, p in PARAMS.items()}


# The sizes that constrain each other in ``validate``.
SIZES = ("n_citizens", "n_workers", "n_managers")


def coerce(name: str, value: Any) -> Any:
    """One parameter's value, checked on its own and converted to its declared type.

    ``validate`` also checks the sizes against each other; this does not.

    Raises:
        ParamError: An unknown name, or a value of the wrong type or out of range.
    """
    if name not in PARAMS:
        raise ParamError(unknown_name_message(name))
    return PARAMS[name].coerce(value)


def validate(values: Mapping[str, Any]) -> dict[str, Any]:
    """Check and complete a set of parameter values.

    Args:
        values: Parameter names mapped to values (strings from the CLI are accepted).

    Returns:
        Every parameter, with the given values converted to their types and defaults elsewhere.

    Raises:
        ParamError: One line naming the first bad parameter and what is allowed.
    """
    return ModelParams.from_values(values).as_dict()


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a ``name=value`` string from the command line."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise ParamError(f"--set {text!r} is not name=value, e.g. --set incentive_strength=0.8")
    return name.strip(), value.strip()
