"""The frontline workers: a population table, and how each spends, records and learns from a week.

A worker's week: weigh what the figures are worth (their own target, the service's funding passed
down by their manager, looking good before colleagues) against their concern for citizens; split
the week between helping, work that only moves the indicator and reflection, after the time that
accountability itself takes; see the citizens they choose; record outcomes, inventing some only
where that is worth more than the risk, the conscience and the lesson a false record hides. No rule
here reads the regime's name: stakes, time costs and checks arrive through the levers
(sim.regimes) and the team's state (sim.managers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import BoolArray, FloatArray, IntArray
from sim.citizens import DOMAINS, VALUES_BEFORE, VISIT_SHARE
from sim.kernels import choose, sigmoid, waterfill

if TYPE_CHECKING:
    from sim.agents import Worker
    from sim.services import Service

TACTICS = ("distort", "cream", "misreport")
HARM = {"cream": 0.3, "misreport": 0.4, "distort": 0.1}  # moral cost of each tactic to a carer
HURDLE = 0.05  # reluctance to bend rules at all
PRIORITY_NOISE = 0.1  # scale of the Gumbel noise in whom a worker sees
NEAR_WIDTH = 0.1  # how far below the threshold a case still looks "winnable"

# Recording: what one invented outcome is worth and costs, in the units of a review's reward
RECORD_UNIT = 0.1  # reviews reward measured performance per 0.1 of a caseload
RECORD_HURDLE = 0.005  # reluctance to write any one false record
CONSCIENCE = 0.05  # moral cost of a false record, per unit of motivation and harm
DOUBT_WIDTH = 0.25  # indicator score below the line at which a record is twice as doubtful
PLAUSIBLE_FIND = (
    0.25  # chance, relative to a clear case, that a check disproves a record at the line
)
DETECTION_WEIGHT = 1.0  # what being found out costs beyond the sanction: standing and trust
HIDDEN_LESSON = 0.02  # what a false record costs the worker's own learning, where figures teach
MISS_WEIGHT = 1.0  # how much averting a miss (its sanction, standing, the table) weighs

# Helping
FULL_ROUND = 0.6  # weeks of casework it takes to see the usual share of a caseload
HELP_EFFECT = 1.0  # need reduced per unit of bespoke help, divided by 1 + complexity
SKILL_USE = 1.0  # how much of bespoke help's effect rests on the worker's skill (exponent)
LASTING_SHARE = 0.3  # share of help that lowers the underlying need (capability, not just relief)
MILESTONE_EFFECT = 0.6  # milestone progress per unit of measure-focused work
MISMATCH_EFFECT = 0.25  # help of the wrong kind for this person does a quarter as much
EXPLORATION = 0.3  # share of a contact spent finding out what helps, at full autonomy, new case
UNDERSTANDING_RATE = 0.2  # per contact, times 0.5 + know-how: finding out what helps a person
SPECIALIST_DEPTH = 2.0  # a specialist's help in their own domain goes further
REFERRAL_EFFICIENCY = 0.5  # help left after a hand-off to another specialist
REFERRAL_TRUST_LOSS = 0.03
# Whole systems: help with a need that another service mainly deals with
OUT_OF_SCOPE_DEPTH = 0.6  # help outside the service's own domains goes this far
# What a referral is worth to the citizen, against help of depth 1 here: slightly below
# OUT_OF_SCOPE_DEPTH, so a caring worker with nothing at stake keeps most citizens.
REFERRAL_VALUE = 0.5
# Share of a contact's worth to the figures that passing a citizen on frees: below the smallest
# share (0.25) an all-domain indicator counts, so only a narrow indicator makes passing on pay.
TIME_FREED = 0.25
TRUST_GAIN = 0.15  # per helpful contact, times its quality
FELT_HALF = 0.02  # need removed by a visit that feels half as helpful as it could
VOICE_TRUST = 0.25  # extra trust from being asked how it went, at full voice
TRUST_NEGLECT = 0.01  # weekly loss for an engaged citizen left without contact for 4+ weeks
NOVICE_TRUST = 0.8  # trust kept by a citizen whose worker is replaced

# The time accountability takes from workers
CASE_REVIEW_TIME = 0.05  # weeks (two hours) for each citizen whose case is reviewed in depth
VOICE_TIME = 0.02  # share of the week spent asking citizens how it went, at full voice

# Learning and wellbeing
SKILL_RATE = 0.05  # per unit of reflective time
KNOWLEDGE_RATE = 0.05
CAUGHT_LEARNING = 0.5  # drop in misreporting propensity per caught record
CROWDING_D = 0.34  # Deci, Koestner & Ryan (1999): tangible rewards, d = -0.34 (-0.28 to -0.40)
PRAISE_D = 0.33  # Deci et al. (1999): positive feedback, d = +0.33
DRIFT_D = 0.5  # motivation lost, in sd, by a less-motivated worker left alone and unobserved
MOTIVATION_RATE = 0.05  # weekly speed at which motivation moves to its new level
STRESS_PRESSURE = 0.012  # weekly, per unit of stake times the risk of missing
STRESS_WORKLOAD = 0.01  # weekly, per week of discretionary effort
STRESS_RECOVERY = 0.03
STRESS_SANCTION = 0.1
QUIT_BASE, QUIT_STRESS = 0.0015, 0.01


class Workers:
    """The population table of frontline workers: one row per post, one array per column."""

    model: Service
    agent: list[Worker | None]  # the Mesa agent holding each post (sim.agents.Worker)
    # Posts: fixed for a run
    team: IntArray
    specialist: BoolArray
    domain: IntArray  # a specialist's domain, set by triage; -1 for a generalist
    caseload: IntArray  # citizens on each caseload (settle_caseloads)
    capacity: IntArray  # citizens each worker sees in a week of full casework
    # Lasting traits and states of the person in the post
    skill: FloatArray
    knowledge: FloatArray
    motivation: FloatArray
    baseline_motivation: FloatArray
    stress: FloatArray
    target: FloatArray
    belief: FloatArray  # learned belief in what each tactic pays: one column per TACTICS entry
    misses: FloatArray  # consecutive missed targets
    honesty: FloatArray  # share of last period's records that were true
    last_measured: FloatArray
    # This week's choices
    stake: FloatArray  # what one unit of the worker's measured figure is worth
    figure_stake: FloatArray  # the part of it that pays per record, not per target
    autonomy: FloatArray
    oversight: FloatArray  # how much of what really happens someone looks at
    help_effort: FloatArray
    indicator_effort: FloatArray
    reflection: FloatArray
    accountability_time: FloatArray  # reporting, sessions, case reviews, asking citizens
    gaming_time: FloatArray
    creams: BoolArray
    misreports: BoolArray
    # This review period's tallies
    measured_sum: FloatArray
    true_sum: FloatArray
    invented: FloatArray
    recorded: FloatArray
    caught: FloatArray
    weeks: FloatArray
    reward: FloatArray
    used: FloatArray  # how much each tactic was used: one column per TACTICS entry
    joined: BoolArray  # a new person in the post this period
    # Whole-run counts
    quits: int
    dismissals: int

    def __init__(self, model: Service, rng: np.random.Generator) -> None:
        params = model.params
        posts = params.n_workers
        self.model = model
        self.agent = [None] * posts
        self.team = np.arange(posts) * params.n_managers // posts
        self.specialist = np.zeros(posts, dtype=bool)
        self.specialist[rng.permutation(posts)[: round(params.specialisation * posts)]] = True
        self.domain = np.full(posts, -1)
        # Lasting traits and states
        self.skill = np.zeros(posts)
        self.knowledge = np.zeros(posts)
        self.motivation = np.zeros(posts)
        self.baseline_motivation = np.zeros(posts)
        self.stress = np.zeros(posts)
        self.target = np.zeros(posts)
        self.belief = np.zeros((posts, len(TACTICS)))
        self.misses = np.zeros(posts)
        self.honesty = np.ones(posts)
        self.last_measured = np.full(posts, np.nan)
        # This week's choices
        self.stake = np.zeros(posts)
        self.figure_stake = np.zeros(posts)
        self.autonomy = np.zeros(posts)
        self.oversight = np.zeros(posts)
        self.help_effort = np.zeros(posts)
        self.indicator_effort = np.zeros(posts)
        self.reflection = np.zeros(posts)
        self.accountability_time = np.zeros(posts)
        self.gaming_time = np.zeros(posts)
        self.creams = np.zeros(posts, dtype=bool)
        self.misreports = np.zeros(posts, dtype=bool)
        # This review period's tallies
        self.measured_sum = np.zeros(posts)
        self.true_sum = np.zeros(posts)
        self.invented = np.zeros(posts)
        self.recorded = np.zeros(posts)
        self.caught = np.zeros(posts)
        self.weeks = np.zeros(posts)
        self.reward = np.zeros(posts)
        self.used = np.zeros((posts, len(TACTICS)))
        self.joined = np.zeros(posts, dtype=bool)
        self.quits = 0
        self.dismissals = 0
        self.hire(np.arange(posts), rng, novice=False)

    def holder(self, post: int) -> Worker:
        """The Mesa agent in ``post`` (every post is filled from the start)."""
        agent = self.agent[post]
        if agent is None:
            raise LookupError(f"worker post {post} is empty")
        return agent

    def settle_caseloads(self) -> None:
        """Read the caseloads once they are final (they never change during a run)."""
        citizens = self.model.citizens
        self.caseload = np.bincount(citizens.worker, minlength=len(self.skill))
        self.capacity = np.ceil(self.caseload * VISIT_SHARE).astype(np.int64)

    def hire(self, rows: np.ndarray, rng: np.random.Generator, novice: bool = True) -> None:
        """Fill worker posts with new people (at the start, or after a quit or dismissal)."""
        from sim.agents import Worker  # the Mesa view of a post; agents imports this module

        model, params, count = self.model, self.model.params, len(rows)
        if novice:
            self.skill[rows] = rng.beta(3, 6, count)
            self.knowledge[rows] = rng.beta(3, 6, count)
        else:
            self.skill[rows] = rng.beta(5, 4, count)
            self.knowledge[rows] = rng.beta(5, 4, count)
        drawn = params.intrinsic_motivation + params.motivation_sd * rng.normal(0, 1, count)
        self.motivation[rows] = self.baseline_motivation[rows] = np.clip(drawn, 0, 1)
        self.stress[rows] = 0.0
        self.misses[rows] = 0.0
        self.honesty[rows] = 1.0
        for tally in (
            self.measured_sum,
            self.true_sum,
            self.weeks,
            self.caught,
            self.reward,
            self.invented,
            self.recorded,
        ):
            tally[rows] = 0.0
        self.used[rows] = 0.0
        self.last_measured[rows] = np.nan
        self.belief[rows, 0] = 1.0  # the measure pays what it says: a correct prior
        # Few arrive believing that bending the rules pays; peers and rewards teach the rest.
        self.belief[rows, 1] = rng.uniform(0.2, 1.0, count)
        self.belief[rows, 2] = rng.uniform(0.0, 0.8, count)
        # A newcomer to a running team takes its targets; a whole new staff (the first, or a
        # re-tendered provider's, whose teams are not laid out yet) starts from the first target.
        if novice and model.week and model.levers.has_target:
            members = model.teams.posts.members
            self.target[rows] = [np.mean(self.target[members(t)]) for t in self.team[rows]]
        else:
            self.target[rows] = params.initial_target
        for row in rows:
            old = self.agent[row]
            if old is not None:
                old.remove()
                old.row = None
            self.agent[row] = Worker(model, int(row))
        if novice:  # citizens lose the relationship they had with the worker who left
            citizens = model.citizens
            held = citizens.caseloads.table[rows]  # the caseloads of these posts, padded
            leaving = held[held >= 0]
            citizens.trust[leaving] *= NOVICE_TRUST
            citizens.understood[leaving] = 0.0
            self.joined[rows] = True

    def plan_week(self, rng: np.random.Generator) -> None:
        """Weigh what the figures are worth against concern for citizens; plan the week."""
        params, levers, measure = self.model.params, self.model.levers, self.model.measure
        teams = self.model.teams
        posts = len(self.skill)
        commitment, candour = teams.commitment[self.team], teams.candour[self.team]
        target_stake = levers.incentive * (1 + levers.sanctions * self.pressure())
        from_above = self.model.funding_stake * (1 - levers.shielding * commitment)
        shown = levers.ranking + levers.peer_review * commitment * (1 - candour)
        looking_good = params.status_concern * shown
        self.stake = target_stake + from_above + looking_good
        self.figure_stake = levers.incentive * (1 - levers.ratchet) + from_above + looking_good
        self.autonomy = params.base_autonomy + (levers.autonomy - params.base_autonomy) * commitment
        reviewed = levers.case_review_rate * commitment
        self.oversight = np.minimum(
            1.0, reviewed + levers.figure_use * self.honesty * measure.alignment
        )
        overhead = self.accountability_share(commitment)
        self.accountability_time = params.time_budget * overhead
        motivation = self.motivation
        alignment = measure.alignment * measure.fit(VALUES_BEFORE)  # the measure as designed
        steer = self.stake * self.belief[:, 0]
        returns = np.column_stack(
            [
                (steer * alignment + motivation) * self.skill**SKILL_USE,  # help where needed
                steer * measure.focus,  # work on what the indicator counts and nothing else
                motivation * self.autonomy * (2 - self.skill - self.knowledge) / 2,  # reflection
            ]
        ) + params.perception_noise * rng.normal(0, 1, (posts, 3))
        budget = params.time_budget * (1 - overhead)
        effort = waterfill(returns, params.effort_cost, budget)
        self.help_effort, self.indicator_effort, self.reflection = effort.T
        uniform = rng.random(posts)
        utility = self.stake * self.belief[:, 1] - motivation * HARM["cream"] - HURDLE
        self.creams = choose(utility, params.choice_noise, uniform)
        if self.model.learner is not None:  # a learner plans their own post's week
            self.model.learner.plan(self, budget)
        worked = self.help_effort + self.indicator_effort
        self.used[:, 0] += self.indicator_effort / np.maximum(worked, 1e-12)
        self.used[:, 1] += self.creams

    def accountability_share(self, commitment: np.ndarray) -> np.ndarray:
        """Share of each worker's week that holding to account takes, whatever the regime.

        Reporting to the performance system, learning sessions, reviewing cases in depth and
        asking citizens how it went; at most the whole week.
        """
        params, levers = self.model.params, self.model.levers
        reviewed = levers.case_review_rate * commitment * self.caseload
        share = (
            levers.reporting_overhead
            + levers.learning_time * commitment
            + reviewed * CASE_REVIEW_TIME / params.review_period
            + VOICE_TIME * levers.citizen_voice * commitment
        )
        return np.minimum(share, 1.0)

    def pressure(self) -> np.ndarray:
        """Perceived risk of missing the target, from the last measured performance."""
        if not self.model.levers.has_target:
            return np.zeros(len(self.skill))
        last = np.where(
            self.weeks > 0, self.measured_sum / np.maximum(self.weeks, 1), self.last_measured
        )
        last = np.where(np.isnan(last), self.target - 0.05, last)  # a new hire: just short
        return sigmoid((self.target - last) / 0.05)

    def work_week(self, rng: np.random.Generator) -> None:
        """See the citizens chosen this week and help them; reflect with the time left."""
        model, params, levers = self.model, self.model.params, self.model.levers
        citizens, measure = model.citizens, model.measure
        count, caseworker = len(citizens.trust), citizens.worker
        # A worker short of time sees fewer people: a full round of visits takes FULL_ROUND.
        worked = self.help_effort + self.indicator_effort
        capacity = np.ceil(self.capacity * np.minimum(worked / FULL_ROUND, 1.0)).astype(np.int64)
        need = 1 - citizens.wellbeing
        gap = params.outcome_threshold - citizens.indicator
        # What a visit does for the figures: most for cases just short of the threshold, some for
        # cases just over it that could slip back, nothing for cases far from it either way.
        width = np.where(gap > 0, NEAR_WIDTH, NEAR_WIDTH / 2 + params.outcome_noise)
        near = np.exp(-0.5 * (gap / width) ** 2) / (1 + citizens.complexity)
        priority = self.motivation[caseworker] * need
        priority += self.creams[caseworker] * self.stake[caseworker] * near
        priority += PRIORITY_NOISE * rng.gumbel(0, 1, count)
        if model.learner is not None:  # a learner chooses whom they see first
            model.learner.priority(priority, caseworker, need, near)
        present = citizens.engaged & citizens.open
        priority[~present] = -np.inf
        rank = citizens.caseloads.rank(priority)
        seen = present & (rank < capacity[caseworker]) & (capacity[caseworker] > 0)
        rows, who = np.flatnonzero(seen), caseworker[seen]
        visits = np.maximum(capacity[who], 1)
        help_given = self.help_effort[who] / visits * self.skill[who] ** SKILL_USE
        # Bespoke help aims at the domain that matters most to the worker: what matters to the
        # citizen now (by concern) and what the indicator scores (by stake). It lands there if
        # the worker knows what works and is free to act on it; otherwise in a domain at random.
        best = np.argmax(citizens.needs[rows] * model.values, axis=1)
        pull = self.stake[who] * self.belief[who, 0] * measure.alignment * (not measure.reported)
        aim = self.motivation[who, None] * model.values + pull[:, None] * measure.weights
        aim = np.argmax(citizens.needs[rows] * aim, axis=1)
        aim = np.where(pull + self.motivation[who] > 0, aim, best)
        luck, guess = rng.random(count)[rows], rng.integers(0, len(DOMAINS), count)[rows]
        knows = luck < self.knowledge[who] * (0.5 + 0.5 * self.autonomy[who])
        domain = np.where(knows, aim, guess)
        specialism = self.domain[who]
        referred = (specialism >= 0) & (specialism != domain)
        # What kind of help: the standard process, or what this person needs, where the worker
        # has found it out and is free to depart from the process.
        understood = citizens.understood[rows] * ~referred
        bespoke = rng.random(count)[rows] < self.autonomy[who] * understood
        fits = np.where(bespoke, citizens.approach[rows], 0) == citizens.approach[rows]
        # Freedom to depart from the process is spent first on finding out what would help.
        exploring = EXPLORATION * self.autonomy[who] * (1 - understood)
        depth = (1 - exploring) * np.where(specialism >= 0, SPECIALIST_DEPTH, 1.0)
        depth *= np.where(referred, REFERRAL_EFFICIENCY, 1.0)
        handed = self.hand_off(who, domain)
        if handed is not None:  # the need is another service's: help here, or pass them on
            depth *= np.where(handed, 0.0, np.where(model.scope[domain], 1.0, OUT_OF_SCOPE_DEPTH))
        sought = HELP_EFFECT * help_given * depth * np.where(fits, 1.0, MISMATCH_EFFECT)
        sought /= 1 + citizens.complexity[rows]
        if model.helps != 1:  # a counterfactual run: this service's contacts change nothing
            sought *= model.helps
        relief = np.minimum(sought, citizens.needs[rows, domain])
        citizens.help_delivered = float(help_given.sum())
        citizens.value_delivered = float(sought.sum())
        citizens.needs[rows, domain] -= relief
        lasting = np.maximum(citizens.baseline[rows, domain] - LASTING_SHARE * relief, 0)
        citizens.baseline[rows, domain] = lasting
        learned = UNDERSTANDING_RATE * (0.5 + self.knowledge[who]) * (1 - citizens.understood[rows])
        citizens.understood[rows] += learned * ~referred
        work = self.indicator_effort[who] / visits
        progress = MILESTONE_EFFECT * work / (1 + citizens.complexity[rows])
        if model.helps != 1:
            progress *= model.helps
        citizens.milestones[rows] += np.minimum(progress, 1) * (1 - citizens.milestones[rows])
        hit = domain == best
        # Failure demand: a contact about the need the citizen presented last time, unmet then.
        passed_on = referred if handed is None else referred | handed
        model.contacts_now = len(rows)
        model.repeat_contacts = int((citizens.unmet[rows] == best).sum())
        citizens.unmet[rows] = np.where(hit & fits & ~passed_on, -1, best)
        handed_on = np.zeros(0, dtype=bool) if handed is None else handed & (model.helps > 0)
        model.referral_rows, model.referral_domains = rows[handed_on], domain[handed_on]
        model.referral_warmth = model.joint_review()[self.team[who[handed_on]]]
        worked = self.help_effort[who] + self.indicator_effort[who]
        share = self.help_effort[who] / np.maximum(worked, 1e-12)
        quality = share * np.where(hit, 1.0, 0.4) * np.where(fits, 1.0, 0.7) + 0.2 * (1 - share)
        quality *= sought / (sought + FELT_HALF)  # a visit that changes little earns little
        voice = levers.citizen_voice * model.teams.commitment[self.team[who]]
        quality *= 1 + VOICE_TRUST * voice
        citizens.trust[rows] += TRUST_GAIN * quality * (1 - citizens.trust[rows])
        citizens.trust[rows] -= REFERRAL_TRUST_LOSS * referred * citizens.trust[rows]
        citizens.contacts = np.roll(citizens.contacts, 1, axis=0)
        citizens.contacts[0] = seen
        citizens.contact_weeks += seen
        neglected = citizens.engaged & ~seen & (citizens.contacts[:4].sum(axis=0) == 0)
        citizens.trust[neglected] -= TRUST_NEGLECT * citizens.trust[neglected]
        np.clip(citizens.trust, 0, 1, out=citizens.trust)
        self.skill += SKILL_RATE * self.reflection * (1 - self.skill)
        self.knowledge += KNOWLEDGE_RATE * self.reflection * (1 - self.knowledge)
        np.clip(self.skill, 0, 1, out=self.skill)  # huge time budgets must not overshoot
        np.clip(self.knowledge, 0, 1, out=self.knowledge)

    def hand_off(self, who: IntArray, domain: IntArray) -> BoolArray | None:
        """Which of this week's contacts, whose help would go to another service's domain, to refer.

        A worker weighs what a referral is worth to the citizen against helping here, outside
        the service's own expertise, by their concern; and, by what the figures are worth to
        them, the time a referral frees against what helping here adds to the figures (nothing
        where the contract's indicator does not score that domain). Draws from the service's
        referrals stream only where some help would go outside the service's domains.

        Args:
            who: The worker post of each contact.
            domain: The domain each contact's help would go to.

        Returns:
            One flag per contact (True: referred), or None if every contact is in scope.
        """
        model, params = self.model, self.model.params
        elsewhere = ~model.scope[domain]
        if not elsewhere.any():
            return None
        weights = model.measure.weights
        counted = weights[domain] / weights.max()
        steer = self.stake[who] * self.belief[who, 0]
        utility = self.motivation[who] * (REFERRAL_VALUE - OUT_OF_SCOPE_DEPTH)
        utility += steer * (TIME_FREED - counted)
        uniform = model.streams.referrals.random(len(who))
        return elsewhere & choose(utility, params.choice_noise, uniform)

    def record(self, rng: np.random.Generator) -> None:
        """Report outcomes upward, inventing as many as seems worth it (often none).

        A worker weighs each possible false record, most believable first (cases closest to the
        threshold). One record is worth ``figure_stake`` per 0.1 of the counted caseload over
        the review period, times how far the worker believes misreporting pays. It costs a
        reluctance, a conscience, the chance of being found out by an audit or a case review
        (larger the less believable the record) times what that costs, and, where the figures
        are read to learn, the lesson the false record hides. With a target, reaching it
        averts a miss: the worker invents up to the target where averting the miss is worth the
        records it takes. Nothing is invented where no one's figures are worth anything.
        """
        model, citizens, levers = self.model, self.model.citizens, self.model.levers
        params, measure = model.params, model.measure
        caseworker, posts = citizens.worker, len(self.skill)
        period = params.review_period
        counted = np.bincount(caseworker, weights=citizens.responded, minlength=posts)
        honest_yes = citizens.said_yes & citizens.responded
        said_yes = np.bincount(caseworker, weights=honest_yes, minlength=posts)
        per_record = 1 / (RECORD_UNIT * np.maximum(counted, 1) * period)
        believed = self.belief[:, 2]
        # Misjudged, not invented: noise blurs a stake that is there and conjures none.
        blur = np.maximum(1 + params.choice_noise * rng.normal(0, 1, posts), 0)
        # Below the target the ratchet does not bite; beyond it, each record raises the next one.
        gain_beyond = per_record * self.figure_stake * believed * blur
        gain_below = gain_beyond + per_record * levers.incentive * levers.ratchet * believed * blur
        reviewed = levers.case_review_rate * model.teams.commitment[self.team] / period
        candidate = ~honest_yes & citizens.open  # records are kept for the caseload alone
        shortfall = np.maximum(params.outcome_threshold - citizens.indicator, 0)
        # A record just short of the line is hard to disprove; one far below it is not.
        found = measure.audit_reach * (levers.audit_rate + reviewed[caseworker])
        found = np.minimum(found * (PLAUSIBLE_FIND + shortfall / DOUBT_WIDTH), 1.0)
        conscience = self.motivation * (
            HARM["misreport"] * CONSCIENCE + HIDDEN_LESSON * levers.figure_use
        )
        # The further from the truth, the bigger the lie, to oneself as to others.
        cost = (RECORD_HURDLE + conscience[caseworker]) * (1 + shortfall / DOUBT_WIDTH)
        cost += found * (levers.sanctions + DETECTION_WEIGHT)
        plausible = np.where(candidate, citizens.indicator, -np.inf)
        order = citizens.caseloads.order(plausible)
        usable = (order >= 0) & candidate[np.maximum(order, 0)]
        cost_in_order = np.where(usable, cost[np.maximum(order, 0)], np.inf)
        # Costs rise down the order, so the records worth writing are a prefix of it.
        worth_beyond = cost_in_order < gain_beyond[:, None]
        invented = worth_beyond.sum(axis=1)
        if levers.has_target:
            margin = rng.uniform(0, 0.1, posts)  # safely over the line, not exactly on it
            needed = np.ceil((self.target + margin) * counted) - said_yes
            reachable = (needed > 0) & (needed <= usable.sum(axis=1))
            needed = np.clip(needed, 0, usable.sum(axis=1)).astype(np.int64)
            surplus = np.where(usable, gain_below[:, None] - cost_in_order, 0.0)
            running = np.column_stack([np.zeros(posts), np.cumsum(surplus, axis=1)])
            short = np.minimum((surplus > 0).sum(axis=1), needed)  # the best place to stop short
            miss = levers.sanctions * (1 + self.misses / params.dismiss_after)
            miss = MISS_WEIGHT * believed * (miss + levers.incentive) / period
            every = np.arange(posts)
            reach = reachable & (running[every, needed] + miss > running[every, short])
            past = (worth_beyond & (np.arange(order.shape[1])[None, :] >= needed[:, None])).sum(1)
            invented = np.where(needed > 0, np.where(reach, needed + past, short), invented)
        if model.learner is not None:  # a learner writes their own number of false records
            invented = model.learner.records(invented, usable.sum(axis=1))
        self.misreports = invented > 0
        self.used[:, 2] += self.misreports
        position = citizens.caseloads.positions(order)
        false_record = candidate & (position < invented[caseworker])
        caught = false_record & (rng.random(len(citizens.trust)) < found)
        false_record &= ~caught  # what is found is corrected
        citizens.false_record = false_record
        citizens.recorded = honest_yes | false_record
        counted_now = citizens.responded | false_record  # a coached citizen answers
        counted = np.bincount(caseworker, weights=counted_now, minlength=posts)
        recorded = np.bincount(caseworker, weights=citizens.recorded, minlength=posts)
        invented_now = np.bincount(caseworker, weights=false_record, minlength=posts)
        achieved = np.bincount(caseworker, weights=citizens.achieved, minlength=posts)
        self.caught += np.bincount(caseworker, weights=caught, minlength=posts)
        self.measured_sum += recorded / np.maximum(counted, 1)
        self.true_sum += achieved / self.caseload
        self.invented += invented_now
        self.recorded += recorded
        self.gaming_time = self.indicator_effort + 0.01 * invented_now
        self.weeks += 1

    def live_week(self, rng: np.random.Generator) -> np.ndarray:
        """Stress, motivation and whether to stay: returns the rows of workers who quit."""
        params, levers = self.model.params, self.model.levers
        commitment = self.model.teams.commitment[self.team]
        pressure = self.pressure()
        load = (self.help_effort + self.indicator_effort + self.reflection) / params.time_budget
        self.stress += STRESS_PRESSURE * self.stake * pressure + STRESS_WORKLOAD * load
        self.stress -= STRESS_RECOVERY * self.stress
        np.clip(self.stress, 0, 1, out=self.stress)
        spread = params.motivation_sd
        level = self.baseline_motivation - CROWDING_D * spread * np.minimum(self.stake, 1)
        support = levers.support * (1 - self.model.stewardship)  # less what meetings take
        level += PRAISE_D * spread * support * commitment
        # Left alone with no look at what happens, the less motivated drift.
        less_motivated = self.baseline_motivation < params.intrinsic_motivation
        level -= DRIFT_D * spread * self.autonomy * (1 - self.oversight) * less_motivated
        self.motivation += MOTIVATION_RATE * (np.clip(level, 0, 1) - self.motivation)
        quits = rng.random(len(self.skill)) < QUIT_BASE + QUIT_STRESS * self.stress**2
        return np.flatnonzero(quits)

    def adapt(self, rng: np.random.Generator) -> None:
        """After a review: reinforce tactics that paid off relative to peers, copy the best."""
        params = self.model.params
        reinforcement, imitation = params.reinforcement, params.imitation
        used = self.used / np.maximum(self.weeks, 1)[:, None]
        # One uniform per worker, team after team, as a loop over the teams would draw them.
        teams = self.model.teams.posts
        chance = np.empty(len(self.skill))
        chance[teams.order] = rng.random(len(self.skill))
        for block in teams.blocks:  # every team of one size at once (sim.kernels.Blocks)
            mates = block.items
            reward = self.reward[mates]
            deviation = used[mates] - used[mates].mean(axis=1, keepdims=True)
            spread = reward - reward.mean(axis=1, keepdims=True)
            self.belief[mates] += reinforcement * deviation * spread[:, :, None]
            best = mates[np.arange(len(mates)), np.argmax(reward, axis=1)]
            copy = chance[mates] < imitation
            copy &= (reward.max(axis=1) > reward.min(axis=1))[:, None]
            copier = mates[copy]
            example = np.broadcast_to(best[:, None], mates.shape)[copy]
            self.belief[copier] += 0.5 * (self.belief[example] - self.belief[copier])
        guilt = np.array([HARM[t] for t in TACTICS])
        self.belief -= 0.1 * reinforcement * self.motivation[:, None] * guilt * used
        self.belief[:, 2] -= CAUGHT_LEARNING * self.caught
        np.clip(self.belief, 0, 3, out=self.belief)

    def reset_period(self) -> None:
        """Start a new review period's tallies."""
        ended = self.weeks > 0
        self.last_measured[ended] = self.measured_sum[ended] / self.weeks[ended]
        self.honesty[ended] = 1 - self.invented[ended] / np.maximum(self.recorded[ended], 1)
        for tally in (
            self.measured_sum,
            self.true_sum,
            self.weeks,
            self.caught,
            self.reward,
            self.invented,
            self.recorded,
        ):
            tally[:] = 0
        self.used[:] = 0
        self.joined[:] = False
