"""Managers and their teams: how a team is held to account, and the culture it grows.

A manager runs one team. At each review the manager does what the regime's levers ask: rank,
reward and sanction on measured performance and ratchet targets; or run a learning session, look
at a sample of cases in depth and support stressed workers. What that achieves depends on the
team's state: ``candour`` (do people say what went wrong?) falls with stakes, sanctions, turnover
and hierarchy and grows slowly with trust; a session with little candour takes the time and
teaches little (learning theatre), and copies whoever looks best, which can spread bad practice.
``commitment`` is how far the manager practises the regime's learning levers: a manager who
leaves is replaced by one who, under pressure from above, passes it down unless learning has
taken root in the team. Where the services' managers meet as a system (sim.services), the
meetings take part of the manager's week, and of the support they could give, and teach what
the system's figures and hand-offs show, as far as the figures are honest and the team candid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.arrays import FloatArray, IntArray
from sim.kernels import Block, Blocks
from sim.workers import SKILL_RATE, STRESS_SANCTION

if TYPE_CHECKING:
    from sim.services import Service

# Sessions
SESSION_RATE = 0.5  # share of the gap to the example closed per period, per unit of learning_time
HABIT_PULL = 0.3  # how far what is copied is pulled towards the team's habits
COPY_ERROR = 0.1  # sd of what is misheard or misapplied in a session without candour
FEEDBACK_RATE = 0.05  # know-how gained per review from a clear look at true outcomes
CLARITY_HALF = 3.0  # cases reviewed for half-clear feedback, at outcome noise 0.1
FIGURE_RATE = 0.03  # know-how gained per review from honest figures that fit the purpose
SUPPORT_RELIEF = 0.3  # share of stress lifted by a manager's support at each review
SHARED_RATE = 0.05  # know-how gained per review from the system's meetings, fully reviewed

# Candour: where it settles, and how fast it gets there
CANDOUR_START = 0.5
CANDOUR_TRUST = 0.5  # candour with trust in the manager and no fear ...
CANDOUR_SUPPORT = 0.5  # ... plus this much with full support
CANDOUR_STAKE = 0.3  # fear per unit of stake on the figures
CANDOUR_SANCTION = 0.5  # fear per unit of sanction severity
CANDOUR_TURNOVER = 0.5  # fear per share of the team new this period
CANDOUR_HIERARCHY = 0.5  # fear per unit of hierarchy
CANDOUR_RISE, CANDOUR_FALL = 0.05, 0.2  # per review: trust is slow to build, quick to lose
ROOTING = 0.1  # per review: any manager's practice takes root as far as the team's candour shows it

# Managers' time, in weeks
REVIEW_TIME = 0.02  # per worker per review: ranking, target setting, one-to-ones on figures
AUDIT_TIME = 0.01  # per record audited
SUPPORT_TIME = 0.02  # per worker per review, at full support


def support(service: Service) -> float:
    """The support the regime asks of managers, less what the system's meetings take."""
    return float(service.levers.support * (1 - service.stewardship))


class Teams:
    """The population table of teams: one row per manager's team, and what managers do to them.

    Managers' state lives here, one row per team, as workers' state lives in sim.workers.Workers;
    each ``Manager`` agent reads its team's row. Every manager holds a team to account as the
    regime asks, so what managers do each week and at reviews is written once for every team:
    teams of one size form a matrix (sim.kernels.Blocks), and each step of a review is one
    operation over it, computed as a loop over the teams would compute it, to the bit.
    """

    candour: FloatArray  # whether people say what went wrong (0 never, 1 always)
    commitment: FloatArray  # how far the manager practises learning
    manager_time: FloatArray  # managers' time spent holding to account this week
    posts: Blocks  # each team's worker posts
    citizen_team: IntArray  # the team whose worker holds each citizen
    caseloads: IntArray  # citizens sorted by team, each team's in index order
    caseload_starts: IntArray  # where each team's citizens begin in ``caseloads``

    def __init__(self, count: int) -> None:
        self.candour = np.full(count, CANDOUR_START)
        self.commitment = np.ones(count)
        self.manager_time = np.zeros(count)

    def lay_out(self, worker_team: IntArray, caseworker: IntArray) -> None:
        """Read each team's workers and citizens once: teams and caseloads never change.

        Args:
            worker_team: The team of each worker post.
            caseworker: The worker post of each citizen.
        """
        count = len(self.candour)
        self.posts = Blocks(worker_team)
        self.citizen_team = worker_team[caseworker]
        self.caseloads = np.argsort(self.citizen_team, kind="stable")
        sizes = np.bincount(self.citizen_team, minlength=count)
        self.caseload_starts = np.r_[0, np.cumsum(sizes)]

    def caseload(self, team: int) -> IntArray:
        """The citizens on the caseloads of one team's workers, in index order."""
        out: IntArray = self.caseloads[self.caseload_starts[team] : self.caseload_starts[team + 1]]
        return out

    def account_time(self, service: Service) -> None:
        """This week's managerial time on holding to account (reviews spread over the period)."""
        levers, params = service.levers, service.params
        records = np.bincount(
            self.citizen_team, weights=service.citizens.recorded, minlength=len(self.candour)
        )
        audited = levers.audit_rate * records
        per_review = self.posts.sizes * (
            REVIEW_TIME * levers.has_target + SUPPORT_TIME * support(service) * self.commitment
        )
        session = levers.learning_time * self.commitment * params.time_budget
        meetings = service.stewardship * params.time_budget
        self.manager_time[:] = (
            per_review / params.review_period + session + AUDIT_TIME * audited + meetings
        )

    def review(self, service: Service, rng: np.random.Generator) -> list[int]:
        """Every manager's review at the end of a period; returns the rows of workers dismissed.

        Each manager holds the team to targets where the regime sets them, then the team learns
        together and its culture settles. ``rng`` is drawn as managers reviewing one after
        another draw it: for each team in turn, under targets a uniform per worker to break ties
        in the ranking and another for dismissal; in a session a uniform per worker to break
        ties in who looks best and a normal for what is misheard.
        """
        levers = service.levers
        # Each team's session, before any team's culture settles (a team settles only its own).
        in_session = levers.learning_time * self.commitment > 0
        posts = len(self.posts.order)
        ties = luck = looks_ties = mishearing = np.zeros(0)
        if in_session.any():
            ties, luck, looks_ties, mishearing = (np.zeros(posts) for _ in range(4))
            bounds = zip(self.posts.starts, self.posts.sizes, strict=True)
            for team, (start, size) in enumerate(bounds):
                here = slice(start, start + size)
                if levers.has_target:
                    ties[here], luck[here] = rng.random(size), rng.random(size)
                if in_session[team]:
                    looks_ties[here], mishearing[here] = rng.random(size), rng.normal(0, 1, size)
        elif levers.has_target:
            ties, luck = self.posts.paired_uniforms(rng)
        # What the system's meetings read: the contract's figures as they stood at the review.
        honesty = float(np.mean([peer.workers.honesty.mean() for peer in service.peers]))
        dismissed: list[int] = []
        for block in self.posts.blocks:
            if levers.has_target:
                dismissed += self.hold_to_targets(
                    service, block, ties[block.place], luck[block.place]
                )
            session = in_session[block.groups]
            if session.any():
                self.hold_sessions(
                    service,
                    Block(block.groups[session], block.items[session], block.place[session]),
                    looks_ties[block.place[session]],
                    mishearing[block.place[session]],
                )
            self.learn_from_cases(service, block)
            self.learn_across(service, block, honesty)
            self.settle_culture(service, block)
        return dismissed

    def hold_to_targets(
        self, service: Service, block: Block, ties: FloatArray, luck: FloatArray
    ) -> list[int]:
        """Rank on measured performance, reward the top, sanction the bottom and the misses.

        Args:
            service: The service whose teams these are.
            block: Teams of one size (one row of worker posts each).
            ties: A uniform draw per worker that breaks ties in the ranking.
            luck: A uniform draw per worker, against the sanctions, for dismissal.

        Returns:
            The rows of workers dismissed.
        """
        levers, workers = service.levers, service.workers
        rows = block.items
        size = rows.shape[1]
        measured = workers.measured_sum[rows] / np.maximum(workers.weeks[rows], 1)
        target = workers.target[rows]
        miss = measured < target
        order = np.argsort(np.argsort(-measured + 1e-9 * ties, axis=1), axis=1)
        fifth = max(1, size // 5) if size > 1 else 0  # no league of one
        top, bottom = order < fifth, order >= size - fifth
        reward = levers.incentive * (measured - target) / 0.1
        reward += levers.ranking * levers.incentive * 0.5 * (top.astype(float) - bottom)
        reward -= levers.sanctions * (miss | bottom) + levers.sanctions * workers.caught[rows]
        workers.reward[rows] = reward
        workers.stress[rows] += STRESS_SANCTION * levers.sanctions * (miss | bottom)
        workers.stress[rows] += 0.2 * levers.sanctions * (workers.caught[rows] > 0)
        np.clip(workers.stress, 0, 1, out=workers.stress)
        workers.misses[rows] = np.where(miss, workers.misses[rows] + 1, 0)
        workers.target[rows] = np.minimum(
            target + levers.ratchet * np.maximum(measured - target, 0), 0.95
        )
        worst = bottom & (order == size - 1)
        out = (workers.misses[rows] >= service.params.dismiss_after) & worst
        out &= luck < levers.sanctions
        return list(rows[out])

    def hold_sessions(
        self, service: Service, block: Block, looks_ties: FloatArray, mishearing: FloatArray
    ) -> None:
        """Learning sessions: the team copies what whoever looks best believes works.

        The example's know-how is pulled towards the team's habits. With candour, people say what
        went wrong and the team sees who really does well; without it, the example is whoever has
        the best figures, and what is copied is misheard.

        Args:
            service: The service whose teams these are.
            block: Teams of one size that hold sessions.
            looks_ties: A uniform draw per worker that breaks ties in who looks best.
            mishearing: A standard normal draw per worker: what is misheard.
        """
        levers, workers, params = service.levers, service.workers, service.params
        rows = block.items
        candour = self.candour[block.groups][:, None]
        session = levers.learning_time * self.commitment[block.groups][:, None]
        weeks = np.maximum(workers.weeks[rows], 1)
        measured, true = workers.measured_sum[rows] / weeks, workers.true_sum[rows] / weeks
        looks = candour * true + (1 - candour) * measured
        best = np.argmax(looks + 1e-9 * looks_ties, axis=1)
        example = rows[np.arange(len(rows)), best][:, None]
        share = np.minimum(SESSION_RATE * session * params.review_period, 1.0)
        know_how = workers.knowledge
        habits = know_how[rows].mean(axis=1, keepdims=True)
        copied = (1 - HABIT_PULL) * know_how[example] + HABIT_PULL * habits
        know_how[rows] += share * candour * (copied - know_how[rows])
        know_how[rows] += share * (1 - candour) * COPY_ERROR * mishearing
        # Time in a session is reflective practice, worth as much as what is said in it.
        weeks_in_sessions = session * params.time_budget * params.review_period
        workers.skill[rows] += SKILL_RATE * weeks_in_sessions * candour * (1 - workers.skill[rows])

    def learn_from_cases(self, service: Service, block: Block) -> None:
        """Case reviews, citizens' voice, honest figures and support: each teaches what it can."""
        levers, workers, params = service.levers, service.workers, service.params
        rows = block.items
        commitment = self.commitment[block.groups][:, None]
        reviewed = levers.case_review_rate * commitment * workers.caseload[rows]
        noise = params.outcome_noise / 0.1
        clarity = reviewed / (reviewed + CLARITY_HALF * max(noise, 1e-9))
        # Asking citizens how it went teaches even where no case is reviewed in depth.
        voice = 0.5 * levers.citizen_voice * commitment
        gain = FEEDBACK_RATE * (clarity + voice)
        workers.knowledge[rows] += gain * (1 - workers.knowledge[rows])
        if levers.figure_use > 0:
            # Figures teach as much as they are honest and fit what matters.
            fit = service.measure.alignment * service.measure.fit(service.values)
            gain = FIGURE_RATE * levers.figure_use * workers.honesty[rows] * fit
            workers.knowledge[rows] += gain * (1 - workers.knowledge[rows])
        np.clip(workers.knowledge, 0, 1, out=workers.knowledge)
        np.clip(workers.skill, 0, 1, out=workers.skill)
        if levers.support > 0:
            workers.stress[rows] -= (
                SUPPORT_RELIEF * support(service) * commitment * workers.stress[rows]
            )

    def learn_across(self, service: Service, block: Block, honesty: float) -> None:
        """What the system's meetings teach: the services' figures and hand-offs, read together.

        As far as each team's hand-offs were reviewed with candour (``Service.joint_review``),
        and the figures of the services under the contract are honest and fit what matters.

        Args:
            service: The service whose teams these are.
            block: Teams of one size.
            honesty: The mean honesty of the workers of every service under the contract.
        """
        joint = service.joint_review()[block.groups][:, None]
        if not (joint > 0).any():
            return
        workers, rows = service.workers, block.items
        fit = service.measure.alignment * service.measure.fit(service.values)
        gain = SHARED_RATE * joint * honesty * fit
        workers.knowledge[rows] += gain * (1 - workers.knowledge[rows])

    def settle_culture(self, service: Service, block: Block) -> None:
        """Candour moves towards what trust and fear allow; a new manager learns the team's ways."""
        levers, workers = service.levers, service.workers
        rows, teams = block.items, block.groups
        commitment = self.commitment[teams]
        trust = (1 - workers.stress[rows].mean(axis=1)) * (
            CANDOUR_TRUST + CANDOUR_SUPPORT * support(service) * commitment
        )
        fear = (
            CANDOUR_STAKE * workers.stake[rows].mean(axis=1)
            + CANDOUR_SANCTION * levers.sanctions
            + CANDOUR_TURNOVER * workers.joined[rows].mean(axis=1)
            + CANDOUR_HIERARCHY * service.params.hierarchy
        )
        level = np.clip(trust - fear, 0, 1)
        candour = self.candour[teams]
        rate = np.where(level > candour, CANDOUR_RISE, CANDOUR_FALL)
        self.candour[teams] = candour + rate * (level - candour)
        self.commitment[teams] = commitment + ROOTING * self.candour[teams] * (1 - commitment)

    def chase_nonengagement(self, service: Service) -> None:
        """Sanction citizens away for four weeks or more, where the regime does (trust falls)."""
        levers, citizens = service.levers, service.citizens
        if levers.nonengagement_sanction <= 0:
            return
        # Every citizen is on one team's caseload, so every manager's chase is one over all.
        away = citizens.weeks_away >= 4
        citizens.trust[away] *= 1 - 0.3 * levers.nonengagement_sanction
        citizens.weeks_away[away] = 0


class Manager(mesa.Agent):
    """A team manager who holds workers to account in whatever way the regime asks.

    What managers do is written for every team at once (``Teams``); the agent reads its row.
    """

    def __init__(self, model: Service, team: int) -> None:
        super().__init__(model)
        self.team = team
        # Teams and caseloads never change (a leaver's post is refilled): read once.
        self.members = model.teams.posts.members(team)
        self.caseload = model.teams.caseload(team)

    @property
    def candour(self) -> float:
        """Whether the team says what went wrong (0 never, 1 always)."""
        return float(self.model.teams.candour[self.team])

    @property
    def commitment(self) -> float:
        """How far this manager practises the regime's learning levers."""
        return float(self.model.teams.commitment[self.team])

    def take_over(self) -> None:
        """Arrive where a manager left: pass pressure down unless learning has taken root.

        Learning has taken root as far as the team says what went wrong (its candour).
        """
        teams = self.model.teams
        rooted = self.candour
        pressure = min(self.model.funding_stake, 1.0)
        teams.commitment[self.team] = rooted + (1 - rooted) * (1 - pressure)
