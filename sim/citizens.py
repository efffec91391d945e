"""The citizens: a population table of people with needs, and what their week brings them.

Each citizen has needs in four life domains, a complexity that slows every kind of progress, a
trust in the service that decides whether they engage, and something about them that decides
what helps (``approach``): for most people the service's standard process, for others something
that has to be found out over contacts with them (``need_heterogeneity``). What workers do to
citizens is in sim.workers; this module holds what happens to citizens whatever the service does,
and how their wellbeing turns into the figures the service reports.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import BoolArray, ByteArray, FloatArray, IntArray
from sim.kernels import Grouping, weigh_rows

if TYPE_CHECKING:
    from sim.services import Service

DOMAINS = ("income", "housing", "health", "relationships")
VALUES_BEFORE = np.array([0.4, 0.3, 0.2, 0.1])  # what counts as good: weight of each domain
VALUES_AFTER = np.array([0.1, 0.2, 0.3, 0.4])  # ... after the environment shift
CONTACT_MEMORY = 8  # weeks: a citizen with no contact in this window is parked
VISIT_SHARE = 0.35  # share of a caseload a worker sees in a week; effort sets how much help

NEED_REVERSION = 0.05  # weekly pull of needs back to each citizen's underlying level
LIFE_EVENT_SIZE = (0.1, 0.3)  # rise in one domain's need, scaled by 1 + complexity
MILESTONE_DECAY = 0.05  # weekly pull of milestones back to the citizen's own level
TRUST_DRIFT = 0.005  # weekly drift of trust back to the citizen's own disposition
APPROACHES = 4  # kinds of help; approach 0 is the service's standard process

# Citizens' own reports (the citizen_reported measure)
RESPONSE_RATE = 0.7  # chance of answering the survey, per unit of trust, at no complexity
RESPONSE_COMPLEXITY = 0.6  # how much complexity lowers the chance of answering
COURTESY = 0.08  # how much a citizen's report is lifted by trust in their worker

# Whole systems: what each service's caseload holds of a citizen (the rest is the person, shared)
CASE_ARRAYS = (
    "worker",
    "understood",
    "contacts",
    "contact_weeks",
    "wellbeing",
    "indicator",
    "achieved",
    "responded",
    "recorded",
    "said_yes",
    "false_record",
    "open",
    "waiting",
)


class Citizens:
    """The population table of citizens (one row per citizen) and what every citizen's week brings.

    Arrays of needs hold one row per citizen and one column per entry of DOMAINS. Each service
    reads the citizens through its own caseload view (``caseload_view``): the arrays named in
    CASE_ARRAYS are the service's own, every other array is the person's, shared by every view.
    """

    model: Service
    # Who they are: drawn once
    complexity: FloatArray
    main_domain: IntArray  # the domain of each citizen's largest need, as drawn
    baseline: FloatArray  # underlying need in each domain, towards which needs drift back
    usual_milestones: FloatArray  # the citizen's own level of the milestones the indicator counts
    disposition: FloatArray  # trust in services the citizen brings, towards which trust drifts
    approach: IntArray  # what helps: 0 the standard process, else a kind of help to find out
    simplest: BoolArray  # in the least complex fifth
    hardest: BoolArray  # in the most complex fifth
    # Their caseworker at this view's service
    worker: IntArray  # row of the worker post whose caseload holds the citizen
    caseloads: Grouping
    open: BoolArray  # on this service's caseload (every citizen is, in a service of one)
    waiting: IntArray  # weeks until a referred citizen's first contact here, -1 if none
    # Across the system
    unmet: IntArray  # the need presented at the last contact if it was not met then, else -1
    referred_for: ByteArray  # one bit per domain the citizen has been referred on for
    # How life is going
    needs: FloatArray
    milestones: FloatArray
    trust: FloatArray
    engaged: BoolArray
    weeks_away: IntArray  # consecutive weeks without engaging
    understood: FloatArray  # how well their worker knows what helps them
    contacts: ByteArray  # one row per week of CONTACT_MEMORY, latest first: 1 for a contact
    contact_weeks: FloatArray  # weeks with a contact, all run (for the contact ratio)
    # This week's figures
    wellbeing: FloatArray
    indicator: FloatArray
    achieved: BoolArray
    responded: BoolArray
    recorded: BoolArray
    said_yes: BoolArray
    false_record: BoolArray
    help_delivered: float  # bespoke help given this week, in units of effort
    value_delivered: float  # need it removed this week, before needs run out

    def __init__(self, model: Service, rng: np.random.Generator) -> None:
        params = model.params
        count = params.n_citizens
        self.model = model
        # Log-normal spread with mean `complexity`: most moderate, a few carry most of it.
        spread = 0.9
        self.complexity = params.complexity * rng.lognormal(-(spread**2) / 2, spread, count)
        scale = np.minimum(self.complexity[:, None], 3.0)
        draws = rng.gamma(2.0, 0.5, (count, len(DOMAINS)))
        self.main_domain = np.argmax(draws, axis=1)
        elsewhere = np.arange(len(DOMAINS))[None, :] != self.main_domain[:, None]
        draws[elsewhere] *= 1 - params.need_concentration
        self.baseline = np.clip(0.1 + 0.4 * scale * draws, 0, 1)
        self.needs = self.baseline.copy()
        self.usual_milestones = np.clip(rng.beta(3, 3, count) * (1 - 0.2 * scale[:, 0]), 0, 1)
        self.milestones = self.usual_milestones.copy()
        self.disposition = np.clip(rng.beta(6, 2, count) - 0.1 * scale[:, 0], 0.05, 1)
        self.trust = self.disposition.copy()
        self.engaged = np.ones(count, dtype=bool)
        self.weeks_away = np.zeros(count, dtype=np.int64)
        # What helps this person: the standard process, unless they are one of the many whose
        # needs call for something else (drawn at random among all approaches).
        bespoke = rng.random(count) < params.need_heterogeneity
        self.approach = np.where(bespoke, rng.integers(0, APPROACHES, count), 0)
        self.understood = np.zeros(count)
        # The service already ran before week 1: start with a typical recent contact history.
        self.contacts = (rng.random((CONTACT_MEMORY, count)) < VISIT_SHARE).astype(np.uint8)
        self.contact_weeks = np.zeros(count)
        self.worker = np.arange(count) % params.n_workers
        self.caseloads = Grouping(self.worker)
        self.wellbeing = np.zeros(count)
        self.indicator = np.zeros(count)
        self.achieved = np.zeros(count, dtype=bool)
        self.responded = np.ones(count, dtype=bool)
        self.recorded = np.zeros(count, dtype=bool)
        self.said_yes = np.zeros(count, dtype=bool)
        self.false_record = np.zeros(count, dtype=bool)
        self.open = np.ones(count, dtype=bool)
        self.waiting = np.full(count, -1)
        self.unmet = np.full(count, -1)
        self.referred_for = np.zeros(count, dtype=np.uint8)
        rank = np.argsort(np.argsort(self.complexity, kind="stable"), kind="stable")
        fifth = rank * 5 // count
        self.simplest, self.hardest = fifth == 0, fifth == 4
        self.help_delivered = 0.0
        self.value_delivered = 0.0

    def caseload_view(self, service: Service, open_: BoolArray) -> Citizens:
        """The same people as another service sees them: its own caseload, the persons shared.

        Args:
            service: The service whose caseload this is.
            open_: Who is on its caseload from the start.

        Returns:
            A view sharing every array but those in CASE_ARRAYS, which start afresh: no contact
            yet, nobody understood, caseloads dealt round the service's workers.
        """
        view = copy.copy(self)
        count = len(self.trust)
        view.model = service
        view.open = open_.copy()
        view.waiting = np.full(count, -1)
        view.worker = np.arange(count) % service.params.n_workers
        view.caseloads = Grouping(view.worker)
        view.understood = np.zeros(count)
        view.contacts = np.zeros_like(self.contacts)
        view.contact_weeks = np.zeros(count)
        for name in ("wellbeing", "indicator"):
            setattr(view, name, np.zeros(count))
        for name in ("achieved", "recorded", "said_yes", "false_record"):
            setattr(view, name, np.zeros(count, dtype=bool))
        view.responded = open_.copy()
        return view

    def share_life(self, views: list[Citizens]) -> None:
        """Give every other view this week's engagement (the arrays ``live_week`` replaces)."""
        for view in views:
            view.engaged, view.weeks_away = self.engaged, self.weeks_away

    def counted(self) -> BoolArray:
        """Citizens whose outcome counts in the figures reported upward this week."""
        out: BoolArray = self.responded | self.false_record
        return out

    def triage(self, specialist: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Give specialists the citizens whose main need is in their domain.

        Citizens are lined up by main domain and cut into equal caseloads handed to the workers
        in a random order; each specialist takes the domain most of their caseload needs.

        Args:
            specialist: One flag per worker post.
            rng: The stream that draws the order of posts.

        Returns:
            Each worker's domain, -1 for a generalist.
        """
        workers = len(specialist)
        lined_up = np.argsort(self.main_domain, kind="stable")
        posts = rng.permutation(workers)
        self.worker[lined_up] = posts[np.arange(len(lined_up)) * workers // len(lined_up)]
        self.caseloads = Grouping(self.worker)
        counts = np.zeros((workers, len(DOMAINS)))
        np.add.at(counts, (self.worker, self.main_domain), 1)
        return np.where(specialist, np.argmax(counts, axis=1), -1)

    def live_week(self, rng: np.random.Generator, economy: float) -> None:
        """What no service controls: needs drift back, the economy and life events strike."""
        params, count = self.model.params, len(self.trust)
        self.needs += NEED_REVERSION * (self.baseline - self.needs)
        self.needs[:, 0] += economy * (1 + self.complexity)
        event = rng.random(count) < params.life_event_rate
        domain = rng.integers(0, len(DOMAINS), count)
        size = rng.uniform(*LIFE_EVENT_SIZE, count) * (1 + np.minimum(self.complexity, 3))
        self.needs[event, domain[event]] += size[event]
        np.clip(self.needs, 0, 1, out=self.needs)
        self.milestones += MILESTONE_DECAY * (self.usual_milestones - self.milestones)
        self.trust += TRUST_DRIFT * (self.disposition - self.trust)
        self.engaged = rng.random(count) < self.trust
        self.weeks_away = np.where(self.engaged, 0, self.weeks_away + 1)

    def assess(self, rng: np.random.Generator) -> None:
        """Wellbeing follows needs; the measure turns it into a score and a yes or no.

        ``achieved`` is the measure's own truth (the indicator, or the citizen's real wellbeing
        against the threshold); what is reported upward is decided when workers record.
        """
        model, measure = self.model, self.model.measure
        count = len(self.trust)
        self.wellbeing = 1 - weigh_rows(self.needs, model.values)
        threshold = model.params.outcome_threshold
        noise = rng.normal(0, 1, count) * model.params.outcome_noise
        if measure.reported:  # citizens say how life is going, by what matters to them now
            self.indicator = self.wellbeing
            answers = RESPONSE_RATE * self.trust / (1 + RESPONSE_COMPLEXITY * self.complexity)
            self.responded = (rng.random(count) < answers) & self.open
        else:  # the indicator keeps the weights it was designed with, whatever matters now
            self.responded = self.open.copy()  # records are kept for the caseload alone
            scored = 1 - weigh_rows(self.needs, measure.weights)
            self.indicator = (measure.alignment * scored + measure.focus * self.milestones) / (
                measure.alignment + measure.focus
            )
        self.achieved = self.indicator + noise >= threshold
        if measure.reported:
            # Politeness lifts the answers of those who trust their worker.
            polite = self.indicator + COURTESY * self.trust + noise
            self.said_yes = polite >= threshold
        else:
            self.said_yes = self.achieved
