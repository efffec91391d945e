"""Citizens, workers and managers, and what each does in a week.

Citizens and workers are Mesa agents whose state lives in NumPy arrays (one row per agent), so a
week of 100,000 citizens is a handful of vectorised operations. The agent objects read and write
those rows; the weekly behaviour is written once for the whole population, as a description of
what every person of that kind does. Managers are few and act team by team.

The numbered constants below are structural choices of the model, documented with their
rationale in docs/ODD.md; the user-facing parameters are declared in sim/params.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model import AccountabilityModel

DOMAINS = ("income", "housing", "health", "relationships")
VALUES_BEFORE = np.array([0.4, 0.3, 0.2, 0.1])  # what counts as good: weight of each domain
VALUES_AFTER = np.array([0.1, 0.2, 0.3, 0.4])  # ... after the environment shift
CONTACT_MEMORY = 8  # weeks: a citizen with no contact in this window is parked

# Citizens' lives
NEED_REVERSION = 0.05  # weekly pull of needs back to each citizen's underlying level
LIFE_EVENT_SIZE = (0.1, 0.3)  # rise in one domain's need, scaled by 1 + complexity
MILESTONE_DECAY = 0.05  # weekly pull of milestones back to the citizen's own level
TRUST_GAIN = 0.08  # per helpful contact, times its quality
TRUST_NEGLECT = 0.01  # weekly loss for an engaged citizen left without contact for 4+ weeks
TRUST_DRIFT = 0.005  # weekly drift of trust back to the citizen's own disposition
HELP_EFFECT = 1.0  # need reduced per unit of bespoke help, divided by 1 + complexity
LASTING_SHARE = 0.3  # share of help that lowers the underlying need (capability, not just relief)
MILESTONE_EFFECT = 0.6  # milestone progress per unit of measure-focused work
REFERRAL_EFFICIENCY = 0.5  # help left after a hand-off to another specialist
REFERRAL_TRUST_LOSS = 0.03
NOVICE_TRUST = 0.8  # trust kept by a citizen whose worker is replaced

# Workers' choices
VISIT_SHARE = 0.35  # share of a caseload a worker sees in a week; effort sets how much help
PRIORITY_NOISE = 0.1  # scale of the Gumbel noise in whom a worker sees
HARM = {"cream": 0.3, "misreport": 0.4, "distort": 0.1}  # moral cost of each tactic to a carer
HURDLE = 0.05  # reluctance to bend rules at all
DETECTION_WEIGHT = 2.0  # how much a caught misreport weighs, beyond the sanction itself
NEAR_WIDTH = 0.1  # how far below the threshold a case still looks "winnable"
TACTICS = ("distort", "cream", "misreport")

# Workers' learning and wellbeing
SKILL_RATE = 0.05  # per unit of reflective time
KNOWLEDGE_RATE = 0.05
SESSION_RATE = 0.5  # per session: half of (this rate x session weeks) of the gap to the team's best
FEEDBACK_RATE = 0.05  # knowledge gained per review from feedback on true outcomes
CAUGHT_LEARNING = 0.5  # drop in misreporting propensity per caught record
CROWDING_D = 0.34  # Deci, Koestner & Ryan (1999): tangible rewards, d = -0.34 (-0.28 to -0.40)
PRAISE_D = 0.33  # Deci et al. (1999): positive feedback, d = +0.33
MOTIVATION_RATE = 0.05  # weekly speed at which motivation moves to its new level
STRESS_PRESSURE = 0.012  # weekly, per unit of stake times the risk of missing
STRESS_WORKLOAD = 0.01  # weekly, per week of discretionary effort
STRESS_RECOVERY = 0.03
STRESS_SANCTION = 0.1
QUIT_BASE, QUIT_STRESS = 0.0015, 0.01


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -500, 500)))


def _choose(utility: np.ndarray, noise: float, u: np.ndarray) -> np.ndarray:
    """Logit choice: use a tactic with probability sigmoid(utility / noise); best response at 0."""
    if noise == 0:
        return utility > 0
    return u < _sigmoid(utility / max(noise, 1e-9))


def waterfill(returns: np.ndarray, cost: float, budget: np.ndarray) -> np.ndarray:
    """Best effort allocation under quadratic cost and a time budget.

    Each row maximises ``sum(r_k e_k) - cost/2 * sum(e_k**2)`` subject to ``sum(e_k) <= budget``
    and ``e_k >= 0``. The solution is ``e_k = max(r_k - nu, 0) / cost`` with the shadow price
    ``nu >= 0`` of time set so the budget binds only when it must.

    Args:
        returns: Perceived marginal return of each use of time, one row per worker.
        cost: Curvature of the effort cost.
        budget: Time available to each worker.

    Returns:
        Effort on each use of time, same shape as ``returns``.
    """
    r = np.maximum(returns, 0.0)
    free = r / cost
    over = free.sum(axis=1) > budget
    if not over.any():
        return free
    s = -np.sort(-r[over], axis=1)
    k = np.arange(1, r.shape[1] + 1)
    nu = (np.cumsum(s, axis=1) - cost * budget[over, None]) / k
    last = np.maximum((s > nu).sum(axis=1) - 1, 0)
    nu_star = np.maximum(nu[np.arange(len(last)), last], 0.0)
    out = free.copy()
    out[over] = np.maximum(r[over] - nu_star[:, None], 0.0) / cost
    return out


def _rank_within(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Rank of each item within its group, 0 for the largest key."""
    order = np.lexsort((-key, groups))
    g = groups[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    rank = np.empty(len(g), dtype=np.int64)
    rank[order] = np.arange(len(g)) - first
    return rank


class Grouping:
    """Rank items within groups that never change, fast: groups laid out once as table rows.

    ``rank(key)`` equals ``_rank_within(groups, key)`` (ties keep index order) but sorts each
    short row instead of the whole population; caseloads are fixed for a run.
    """

    def __init__(self, groups: np.ndarray) -> None:
        order = np.argsort(groups, kind="stable")
        g = groups[order]
        counts = np.bincount(groups)
        col = np.arange(len(g)) - np.r_[0, np.cumsum(counts)[:-1]][g]
        self.table = np.full((len(counts), counts.max(initial=0)), -1)
        self.table[g, col] = order
        self.filled = self.table >= 0
        self.items = self.table[self.filled]

    def rank(self, key: np.ndarray) -> np.ndarray:
        """Rank of each item within its group, 0 for the largest key."""
        neg = np.full(self.table.shape, np.inf)  # padding sorts after every real item
        neg[self.filled] = -key[self.items]
        pos = np.argsort(neg, axis=1, kind="stable")
        ranks = np.empty_like(pos)
        np.put_along_axis(ranks, pos, np.arange(pos.shape[1])[None, :], axis=1)
        out = np.empty(len(key), dtype=np.int64)
        out[self.items] = ranks[self.filled]
        return out


class _Row:
    """Descriptor exposing one column of a population table as an agent attribute."""

    def __init__(self, table: str, column: str) -> None:
        self.table, self.column = table, column

    def __get__(self, agent, owner=None):
        if agent is None:
            return self
        return getattr(getattr(agent.model, self.table), self.column)[_live_row(agent)]

    def __set__(self, agent, value) -> None:
        getattr(getattr(agent.model, self.table), self.column)[_live_row(agent)] = value


def _live_row(agent) -> int:
    if agent.row is None:  # a worker who has left: their post's row now belongs to a successor
        raise AttributeError(f"agent {agent.unique_id} has left the service")
    return agent.row


class Citizen(mesa.Agent):
    """A person with needs in several life domains, whose trust decides whether they engage."""

    complexity = _Row("citizens", "complexity")
    wellbeing = _Row("citizens", "wellbeing")
    trust = _Row("citizens", "trust")
    engaged = _Row("citizens", "engaged")
    milestones = _Row("citizens", "milestones")
    worker_row = _Row("citizens", "worker")

    def __init__(self, model: AccountabilityModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def needs(self) -> np.ndarray:
        """Current need in each domain (0 none, 1 severe)."""
        return self.model.citizens.needs[self.row]

    @property
    def worker(self) -> Worker:
        """The worker whose caseload holds this citizen."""
        return self.model.workers.agent[self.worker_row]

    @property
    def parked(self) -> bool:
        """No real contact in the last eight weeks."""
        return bool(self.model.citizens.contacts[:, self.row].sum() == 0)


class Worker(mesa.Agent):
    """A frontline worker with a caseload, a week of time, skill, know-how and motives."""

    skill = _Row("workers", "skill")
    knowledge = _Row("workers", "knowledge")
    motivation = _Row("workers", "motivation")
    stress = _Row("workers", "stress")
    target = _Row("workers", "target")
    team = _Row("workers", "team")

    def __init__(self, model: AccountabilityModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def caseload(self) -> np.ndarray:
        """Rows of the citizens on this worker's caseload."""
        return np.flatnonzero(self.model.citizens.worker == self.row)

    @property
    def propensities(self) -> dict[str, float]:
        """Learned belief in how much each gaming tactic pays."""
        return dict(zip(TACTICS, self.model.workers.belief[self.row], strict=True))


class Citizens:
    """The population table of citizens and what every citizen's week brings."""

    def __init__(self, model: AccountabilityModel, rng: np.random.Generator) -> None:
        p, n = model.p, model.p["n_citizens"]
        self.model = model
        # Log-normal spread with mean `complexity`: most moderate, a few carry most of it.
        spread = 0.9
        self.complexity = p["complexity"] * rng.lognormal(-(spread**2) / 2, spread, n)
        scale = np.minimum(self.complexity[:, None], 3.0)
        self.baseline = np.clip(0.1 + 0.4 * scale * rng.gamma(2.0, 0.5, (n, len(DOMAINS))), 0, 1)
        self.needs = self.baseline.copy()
        self.usual_milestones = np.clip(rng.beta(3, 3, n) * (1 - 0.2 * scale[:, 0]), 0, 1)
        self.milestones = self.usual_milestones.copy()
        self.disposition = np.clip(rng.beta(6, 2, n) - 0.1 * scale[:, 0], 0.05, 1)
        self.trust = self.disposition.copy()
        self.engaged = np.ones(n, dtype=bool)
        self.weeks_away = np.zeros(n, dtype=np.int64)
        # The service already ran before week 1: start with a typical recent contact history.
        self.contacts = (rng.random((CONTACT_MEMORY, n)) < VISIT_SHARE).astype(np.uint8)
        self.contact_weeks = np.zeros(n)  # weeks with a contact, all run (for the ratio)
        self.worker = np.arange(n) % p["n_workers"]
        self.caseloads = Grouping(self.worker)
        self.wellbeing = np.zeros(n)
        self.indicator = np.zeros(n)
        self.achieved = np.zeros(n, dtype=bool)
        self.recorded = np.zeros(n, dtype=bool)
        self.false_record = np.zeros(n, dtype=bool)
        q = np.argsort(np.argsort(self.complexity, kind="stable"), kind="stable") * 5 // n
        self.simplest, self.hardest = q == 0, q == 4
        self.help_delivered = 0.0  # bespoke help given this week, in units of effort

    def live_week(self, rng: np.random.Generator, economy: float) -> None:
        """What no service controls: needs drift back, the economy and life events strike."""
        p, n = self.model.p, len(self.trust)
        self.needs += NEED_REVERSION * (self.baseline - self.needs)
        self.needs[:, 0] += economy * (1 + self.complexity)
        event = rng.random(n) < p["life_event_rate"]
        domain = rng.integers(0, len(DOMAINS), n)
        size = rng.uniform(*LIFE_EVENT_SIZE, n) * (1 + np.minimum(self.complexity, 3))
        self.needs[event, domain[event]] += size[event]
        np.clip(self.needs, 0, 1, out=self.needs)
        self.milestones += MILESTONE_DECAY * (self.usual_milestones - self.milestones)
        self.trust += TRUST_DRIFT * (self.disposition - self.trust)
        self.engaged = rng.random(n) < self.trust
        self.weeks_away = np.where(self.engaged, 0, self.weeks_away + 1)

    def assess(self, rng: np.random.Generator) -> None:
        """Wellbeing follows needs; the indicator mixes (old) wellbeing with milestones."""
        m, ms = self.model, self.model.measure
        self.wellbeing = 1 - self.needs @ m.values
        if ms.reported:  # citizens say how life is going, by what matters to them now
            self.indicator = self.wellbeing
        else:  # the indicator keeps the weights it was designed with, whatever matters now
            scored = 1 - self.needs @ ms.weights
            a, b = ms.alignment, ms.focus
            self.indicator = (a * scored + b * self.milestones) / (a + b)
        noise = rng.normal(0, 1, len(self.trust)) * m.p["outcome_noise"]
        self.achieved = self.indicator + noise >= m.p["outcome_threshold"]


class Workers:
    """The population table of frontline workers and how each spends and learns from a week."""

    def __init__(self, model: AccountabilityModel, rng: np.random.Generator) -> None:
        p, k = model.p, model.p["n_workers"]
        self.model = model
        self.agent: list[Worker] = [None] * k  # type: ignore[list-item]
        self.team = np.arange(k) * p["n_managers"] // k
        n_spec = round(p["specialisation"] * k)
        self.domain = np.full(k, -1)
        self.domain[rng.permutation(k)[:n_spec]] = rng.integers(0, len(DOMAINS), n_spec)
        for name in (
            "skill",
            "knowledge",
            "motivation",
            "baseline_motivation",
            "stress",
            "target",
            "measured_sum",
            "true_sum",
            "misses",
            "reward",
            "caught",
            "weeks",
            "h",
            "m",
            "reflect",
            "gaming_time",
        ):
            setattr(self, name, np.zeros(k))
        self.belief = np.zeros((k, len(TACTICS)))
        self.last_measured = np.full(k, np.nan)
        self.stake = np.zeros(k)
        self.creams = np.zeros(k, dtype=bool)
        self.misreports = np.zeros(k, dtype=bool)
        self.used = np.zeros((k, len(TACTICS)))
        self.quits = 0
        self.dismissals = 0
        self.hire(np.arange(k), rng, novice=False)

    def hire(self, rows: np.ndarray, rng: np.random.Generator, novice: bool = True) -> None:
        """Fill worker posts with new people (at the start, or after a quit or dismissal)."""
        m, p, n = self.model, self.model.p, len(rows)
        if novice:
            self.skill[rows] = rng.beta(3, 6, n)
            self.knowledge[rows] = rng.beta(3, 6, n)
        else:
            self.skill[rows] = rng.beta(5, 4, n)
            self.knowledge[rows] = rng.beta(5, 4, n)
        mu = np.clip(p["intrinsic_motivation"] + p["motivation_sd"] * rng.normal(0, 1, n), 0, 1)
        self.motivation[rows] = self.baseline_motivation[rows] = mu
        self.stress[rows] = 0.0
        self.misses[rows] = 0.0
        for tally in (self.measured_sum, self.true_sum, self.weeks, self.caught, self.reward):
            tally[rows] = 0.0
        self.used[rows] = 0.0
        self.last_measured[rows] = np.nan
        self.belief[rows, 0] = 1.0  # the measure pays what it says: a correct prior
        # Few arrive believing that bending the rules pays; peers and rewards teach the rest.
        self.belief[rows, 1] = rng.uniform(0.2, 1.0, n)
        self.belief[rows, 2] = rng.uniform(0.0, 0.8, n)
        if m.steps and m.levers.has_target:
            self.target[rows] = [np.mean(self.target[self.team == t]) for t in self.team[rows]]
        else:
            self.target[rows] = p["initial_target"]
        for row in rows:
            old = self.agent[row]
            if old is not None:
                old.remove()
                old.row = None
            self.agent[row] = Worker(m, int(row))
        if novice:  # citizens lose the relationship they had with the worker who left
            m.citizens.trust[np.isin(m.citizens.worker, rows)] *= NOVICE_TRUST

    def plan_week(self, rng: np.random.Generator) -> None:
        """Weigh extrinsic stakes against concern for citizens and decide how to spend the week."""
        p, lv = self.model.p, self.model.levers
        k = len(self.skill)
        self.stake = lv.incentive * (1 + lv.sanctions * self.pressure())
        mu, sd, ms = self.motivation, p["perception_noise"], self.model.measure
        a = ms.alignment * ms.fit(VALUES_BEFORE)  # workers see the measure as it was designed
        b = ms.focus
        steer = self.stake * self.belief[:, 0]
        returns = np.column_stack(
            [
                (steer * a + mu) * self.skill,  # bespoke help where the citizen needs it
                steer * b,  # work on what the indicator counts and nothing else
                mu * lv.autonomy * (2 - self.skill - self.knowledge) / 2,  # reflection
            ]
        ) + sd * rng.normal(0, 1, (k, 3))
        budget = np.full(k, p["time_budget"] * (1 - lv.reporting_overhead - lv.learning_time))
        effort = waterfill(returns, p["effort_cost"], budget)
        self.h, self.m, self.reflect = effort.T
        u = rng.random((k, 2))
        penalty = lv.audit_rate * lv.sanctions * DETECTION_WEIGHT
        utility = self.stake[:, None] * self.belief[:, 1:] - mu[:, None] * np.array(
            [HARM["cream"], HARM["misreport"]]
        )
        utility[:, 1] -= penalty
        choice = _choose(utility - HURDLE, p["choice_noise"], u)
        # Records citizens make themselves leave a worker nothing to invent.
        writes = lv.has_target and not ms.reported
        self.creams, self.misreports = choice[:, 0], choice[:, 1] & writes
        self.used[:, 0] += self.m / np.maximum(self.h + self.m, 1e-12)
        self.used[:, 1] += self.creams
        self.used[:, 2] += self.misreports

    def pressure(self) -> np.ndarray:
        """Perceived risk of missing the target, from the last measured performance."""
        if not self.model.levers.has_target:
            return np.zeros(len(self.skill))
        last = np.where(
            self.weeks > 0, self.measured_sum / np.maximum(self.weeks, 1), self.last_measured
        )
        last = np.where(np.isnan(last), self.target - 0.05, last)  # a new hire: just short
        return _sigmoid((self.target - last) / 0.05)

    def work_week(self, rng: np.random.Generator) -> None:
        """See the citizens chosen this week and help them; reflect with the time left."""
        m, p, lv, c = self.model, self.model.p, self.model.levers, self.model.citizens
        n, w = len(c.trust), c.worker
        caseload = np.bincount(w, minlength=len(self.skill))
        capacity = np.ceil(caseload * VISIT_SHARE).astype(np.int64)
        capacity[self.h + self.m <= 0] = 0
        need = 1 - c.wellbeing
        gap = p["outcome_threshold"] - c.indicator
        # What a visit does for the figures: most for cases just short of the threshold, some for
        # cases just over it that could slip back, nothing for cases far from it either way.
        width = np.where(gap > 0, NEAR_WIDTH, NEAR_WIDTH / 2 + p["outcome_noise"])  # slip risk
        near = np.exp(-0.5 * (gap / width) ** 2) / (1 + c.complexity)  # complex cases move slowly
        priority = self.motivation[w] * need + self.creams[w] * self.stake[w] * near
        priority += PRIORITY_NOISE * rng.gumbel(0, 1, n)
        priority[~c.engaged] = -np.inf
        seen = c.engaged & (c.caseloads.rank(priority) < capacity[w]) & (capacity[w] > 0)
        rows, who = np.flatnonzero(seen), w[seen]
        visits = np.maximum(capacity[who], 1)
        help_ = self.h[who] / visits * self.skill[who]
        # Bespoke help aims at the domain that matters most to the worker: what matters to the
        # citizen now (by concern) and what the indicator scores (by stake). It lands there if
        # the worker knows what works and is free to act on it; otherwise in a domain at random.
        best = np.argmax(c.needs[rows] * m.values, axis=1)
        ms = m.measure
        pull = self.stake[who] * self.belief[who, 0] * ms.alignment * (not ms.reported)
        aim = self.motivation[who, None] * m.values + pull[:, None] * ms.weights
        aim = np.argmax(c.needs[rows] * aim, axis=1)
        aim = np.where(pull + self.motivation[who] > 0, aim, best)
        luck, guess = rng.random(n)[rows], rng.integers(0, len(DOMAINS), n)[rows]
        knows = luck < self.knowledge[who] * (0.5 + 0.5 * lv.autonomy)
        domain = np.where(knows, aim, guess)
        spec = self.domain[who]
        referred = (spec >= 0) & (spec != domain)
        help_ = np.where(referred, help_ * REFERRAL_EFFICIENCY, help_)
        relief = np.minimum(HELP_EFFECT * help_ / (1 + c.complexity[rows]), c.needs[rows, domain])
        c.help_delivered = float(help_.sum())
        c.needs[rows, domain] -= relief
        c.baseline[rows, domain] = np.maximum(c.baseline[rows, domain] - LASTING_SHARE * relief, 0)
        work = self.m[who] / visits
        progress = MILESTONE_EFFECT * work / (1 + c.complexity[rows])
        c.milestones[rows] += np.minimum(progress, 1) * (1 - c.milestones[rows])
        hit = domain == best
        share = self.h[who] / np.maximum(self.h[who] + self.m[who], 1e-12)
        quality = share * np.where(hit, 1.0, 0.4) + 0.2 * (1 - share)
        quality *= 1 + 0.5 * lv.citizen_voice
        c.trust[rows] += TRUST_GAIN * quality * (1 - c.trust[rows])
        c.trust[rows] -= REFERRAL_TRUST_LOSS * referred * c.trust[rows]
        c.contacts = np.roll(c.contacts, 1, axis=0)
        c.contacts[0] = seen
        c.contact_weeks += seen
        neglected = c.engaged & ~seen & (c.contacts[:4].sum(axis=0) == 0)
        c.trust[neglected] -= TRUST_NEGLECT * c.trust[neglected]
        np.clip(c.trust, 0, 1, out=c.trust)
        self.skill += SKILL_RATE * self.reflect * (1 - self.skill)
        self.knowledge += KNOWLEDGE_RATE * self.reflect * (1 - self.knowledge)
        np.clip(self.skill, 0, 1, out=self.skill)  # huge time budgets must not overshoot
        np.clip(self.knowledge, 0, 1, out=self.knowledge)

    def record(self, rng: np.random.Generator) -> None:
        """Report outcomes upward; those who misreport invent outcomes that did not happen.

        Below the target every invented outcome helps avert a miss, so a worker who misreports
        invents enough to reach the target plus a small safety margin (a rule, not an
        optimisation). Beyond the target the worker weighs one more invented outcome: one week's
        record pays ``incentive / (0.1 * caseload * review_period)`` but, through the ratchet,
        raises the next target, and risks audit and the worker's conscience. Only where that
        balance is positive, and only for cases near enough to the threshold to be believed, do
        the records run past the target; otherwise they stop just above it (the bunching).
        Without a target there is nothing to aim at, and nothing is invented.
        """
        m, c, lv = self.model, self.model.citizens, self.model.levers
        w = c.worker
        k = len(self.skill)
        caseload = np.bincount(w, minlength=k)
        achieved = np.bincount(w, weights=c.achieved, minlength=k)
        margin = rng.uniform(0, 0.1, k)  # safely over the line, not exactly on it
        to_target = np.ceil((np.nan_to_num(self.target) + margin) * caseload) - achieved
        # one week's record moves the period's mean by 1 / (caseload x weeks in the period)
        per_record = lv.incentive / (0.1 * np.maximum(caseload, 1) * m.p["review_period"])
        beyond = (
            (1 - lv.ratchet) * per_record
            - lv.audit_rate * lv.sanctions * (1 + DETECTION_WEIGHT)
            - self.motivation * HARM["misreport"] * per_record / max(lv.incentive, 1e-12)
        )
        believable = np.bincount(
            w,
            weights=~c.achieved & (c.indicator >= m.p["outcome_threshold"] - 2 * NEAR_WIDTH),
            minlength=k,
        )
        short = np.where(beyond > 0, np.maximum(to_target, believable), to_target)
        short = np.where(self.misreports, np.maximum(short, 0), 0)
        plausible = np.where(c.achieved, -np.inf, c.indicator)
        rank = c.caseloads.rank(plausible)
        c.false_record = ~c.achieved & (rank < short[w])
        audited = rng.random(len(c.trust)) < m.levers.audit_rate
        caught = c.false_record & audited
        c.false_record &= ~caught  # what the audit finds is corrected
        c.recorded = c.achieved | c.false_record
        self.caught += np.bincount(w, weights=caught, minlength=k)
        self.measured_sum += np.bincount(w, weights=c.recorded, minlength=k) / caseload
        self.true_sum += achieved / caseload
        self.gaming_time = self.m + 0.01 * np.bincount(w, weights=c.false_record, minlength=k)
        self.weeks += 1

    def live_week(self, rng: np.random.Generator) -> np.ndarray:
        """Stress, motivation and whether to stay: returns the rows of workers who quit."""
        p, lv = self.model.p, self.model.levers
        pressure = self.pressure()
        load = (self.h + self.m + self.reflect) / p["time_budget"]
        self.stress += STRESS_PRESSURE * self.stake * pressure + STRESS_WORKLOAD * load
        self.stress -= STRESS_RECOVERY * self.stress
        np.clip(self.stress, 0, 1, out=self.stress)
        sd = p["motivation_sd"]
        level = self.baseline_motivation - CROWDING_D * sd * np.minimum(self.stake, 1)
        level += PRAISE_D * sd * lv.feedback
        self.motivation += MOTIVATION_RATE * (np.clip(level, 0, 1) - self.motivation)
        quit_ = rng.random(len(self.skill)) < QUIT_BASE + QUIT_STRESS * self.stress**2
        return np.flatnonzero(quit_)

    def adapt(self, rng: np.random.Generator) -> None:
        """After a review: reinforce tactics that paid off relative to peers, copy the best."""
        p = self.model.p
        used = self.used / np.maximum(self.weeks, 1)[:, None]
        for t in np.unique(self.team):
            mates = np.flatnonzero(self.team == t)
            r = self.reward[mates]
            dev = used[mates] - used[mates].mean(axis=0)
            self.belief[mates] += p["reinforcement"] * dev * (r - r.mean())[:, None]
            best = mates[np.argmax(r)]
            copy = (rng.random(len(mates)) < p["imitation"]) & (r.max() > r.min())
            self.belief[mates[copy]] += 0.5 * (self.belief[best] - self.belief[mates[copy]])
        guilt = np.array([HARM[t] for t in TACTICS])
        self.belief -= 0.1 * p["reinforcement"] * self.motivation[:, None] * guilt * used
        self.belief[:, 2] -= CAUGHT_LEARNING * self.caught
        np.clip(self.belief, 0, 3, out=self.belief)

    def reset_period(self) -> None:
        """Start a new review period's tallies."""
        ended = self.weeks > 0
        self.last_measured[ended] = self.measured_sum[ended] / self.weeks[ended]
        for name in ("measured_sum", "true_sum", "weeks", "caught", "reward"):
            getattr(self, name)[:] = 0
        self.used[:] = 0


class Manager(mesa.Agent):
    """A team manager who holds workers to account in whatever way the regime asks."""

    def __init__(self, model: AccountabilityModel, team: int) -> None:
        super().__init__(model)
        self.team = team
        # Teams and caseloads never change (a leaver's post is refilled), so look them up once.
        self.members = np.flatnonzero(model.workers.team == team)
        self.caseload = np.flatnonzero(np.isin(model.citizens.worker, self.members))

    def review(self, rng: np.random.Generator) -> list[int]:
        """Monthly review of the team; returns the rows of workers dismissed.

        Under targets: rank on measured performance, reward the top, sanction the bottom and
        those who missed, punish what audits caught, ratchet targets, dismiss repeat misses.
        Under learning: a session that spreads what works, feedback on true outcomes, support.
        """
        m, lv, wk = self.model, self.model.levers, self.model.workers
        rows = self.members
        weeks = np.maximum(wk.weeks[rows], 1)
        measured = wk.measured_sum[rows] / weeks
        dismissed: list[int] = []
        if lv.has_target:
            target = wk.target[rows]
            miss = measured < target
            order = np.argsort(np.argsort(-measured + 1e-9 * rng.random(len(rows))))
            fifth = max(1, len(rows) // 5) if len(rows) > 1 else 0  # no league of one
            top, bottom = order < fifth, order >= len(rows) - fifth
            reward = lv.incentive * (measured - target) / 0.1
            reward += lv.ranking * lv.incentive * 0.5 * (top.astype(float) - bottom)
            reward -= lv.sanctions * (miss | bottom) + lv.sanctions * wk.caught[rows]
            wk.reward[rows] = reward
            wk.stress[rows] += STRESS_SANCTION * lv.sanctions * (miss | bottom)
            wk.stress[rows] += 0.2 * lv.sanctions * (wk.caught[rows] > 0)
            np.clip(wk.stress, 0, 1, out=wk.stress)
            wk.misses[rows] = np.where(miss, wk.misses[rows] + 1, 0)
            wk.target[rows] = np.minimum(
                target + lv.ratchet * np.maximum(measured - target, 0), 0.95
            )
            worst = bottom & (order == len(rows) - 1)
            out = (wk.misses[rows] >= m.p["dismiss_after"]) & worst
            out &= rng.random(len(rows)) < lv.sanctions
            dismissed = list(rows[out])
        if lv.learning_time > 0:
            share = SESSION_RATE * lv.learning_time * m.p["review_period"]
            share = min(share, 1.0)
            for col in (wk.knowledge, wk.skill):
                col[rows] += share * (col[rows].max() - col[rows]) * 0.5
        if lv.feedback > 0:
            clarity = lv.feedback / (1 + m.p["outcome_noise"] / 0.1)
            gain = FEEDBACK_RATE * (clarity + 0.5 * lv.citizen_voice)
            wk.knowledge[rows] += gain * (1 - wk.knowledge[rows])
        if lv.support > 0:
            wk.stress[rows] -= 0.3 * lv.support * wk.stress[rows]
        return dismissed

    def chase_nonengagement(self) -> None:
        """Under targets, citizens away for four weeks or more are sanctioned (trust falls)."""
        lv, c = self.model.levers, self.model.citizens
        if lv.nonengagement_sanction <= 0:
            return
        mine = self.caseload[c.weeks_away[self.caseload] >= 4]
        c.trust[mine] *= 1 - 0.3 * lv.nonengagement_sanction
        c.weeks_away[mine] = 0
