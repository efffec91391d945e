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

from sim.arrays import FloatArray
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


class Teams:
    """The population table of teams: one row per manager's team."""

    candour: FloatArray  # whether people say what went wrong (0 never, 1 always)
    commitment: FloatArray  # how far the manager practises learning
    manager_time: FloatArray  # managers' time spent holding to account this week

    def __init__(self, count: int) -> None:
        self.candour = np.full(count, CANDOUR_START)
        self.commitment = np.ones(count)
        self.manager_time = np.zeros(count)


class Manager(mesa.Agent):
    """A team manager who holds workers to account in whatever way the regime asks."""

    def __init__(self, model: Service, team: int) -> None:
        super().__init__(model)
        self.team = team
        # Teams and caseloads never change (a leaver's post is refilled), so look them up once.
        self.members = np.flatnonzero(model.workers.team == team)
        self.caseload = np.flatnonzero(np.isin(model.citizens.worker, self.members))

    @property
    def candour(self) -> float:
        """Whether the team says what went wrong (0 never, 1 always)."""
        return float(self.model.teams.candour[self.team])

    @property
    def commitment(self) -> float:
        """How far this manager practises the regime's learning levers."""
        return float(self.model.teams.commitment[self.team])

    def account_time(self) -> None:
        """This week's managerial time on holding to account (reviews spread over the period)."""
        model, levers = self.model, self.model.levers
        audited = levers.audit_rate * model.citizens.recorded[self.caseload].sum()
        params, size = model.params, len(self.members)
        per_review = size * (
            REVIEW_TIME * levers.has_target + SUPPORT_TIME * self.support * self.commitment
        )
        session = levers.learning_time * self.commitment * params.time_budget
        meetings = model.stewardship * params.time_budget
        model.teams.manager_time[self.team] = (
            per_review / params.review_period + session + AUDIT_TIME * audited + meetings
        )

    @property
    def support(self) -> float:
        """The support the regime asks of the manager, less what the system's meetings take."""
        return float(self.model.levers.support * (1 - self.model.stewardship))

    def review(self, rng: np.random.Generator) -> list[int]:
        """The review at the end of a period; returns the rows of workers dismissed."""
        dismissed = self.hold_to_targets(rng) if self.model.levers.has_target else []
        self.learn_together(rng)
        self.learn_across()
        self.settle_culture()
        return dismissed

    def hold_to_targets(self, rng: np.random.Generator) -> list[int]:
        """Rank on measured performance, reward the top, sanction the bottom and the misses."""
        model, levers, workers = self.model, self.model.levers, self.model.workers
        rows = self.members
        measured = workers.measured_sum[rows] / np.maximum(workers.weeks[rows], 1)
        target = workers.target[rows]
        miss = measured < target
        order = np.argsort(np.argsort(-measured + 1e-9 * rng.random(len(rows))))
        fifth = max(1, len(rows) // 5) if len(rows) > 1 else 0  # no league of one
        top, bottom = order < fifth, order >= len(rows) - fifth
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
        worst = bottom & (order == len(rows) - 1)
        out = (workers.misses[rows] >= model.params.dismiss_after) & worst
        out &= rng.random(len(rows)) < levers.sanctions
        return list(rows[out])

    def learn_together(self, rng: np.random.Generator) -> None:
        """Sessions, case reviews, honest figures and support: each teaches as much as it can.

        A session copies what whoever looks best believes works, pulled towards the team's
        habits. With candour, people say what went wrong and the team sees who really does well;
        without it, the example is whoever has the best figures, and what is copied is misheard.
        """
        model, levers, workers = self.model, self.model.levers, self.model.workers
        params, rows = model.params, self.members
        candour, commitment = self.candour, self.commitment
        weeks = np.maximum(workers.weeks[rows], 1)
        session = levers.learning_time * commitment
        if session > 0:
            measured, true = workers.measured_sum[rows] / weeks, workers.true_sum[rows] / weeks
            looks = candour * true + (1 - candour) * measured
            example = rows[np.argmax(looks + 1e-9 * rng.random(len(rows)))]
            share = min(SESSION_RATE * session * params.review_period, 1.0)
            know_how = workers.knowledge
            copied = (1 - HABIT_PULL) * know_how[example] + HABIT_PULL * know_how[rows].mean()
            know_how[rows] += share * candour * (copied - know_how[rows])
            know_how[rows] += share * (1 - candour) * COPY_ERROR * rng.normal(0, 1, len(rows))
            # Time in a session is reflective practice, worth as much as what is said in it.
            weeks_in_sessions = session * params.time_budget * params.review_period
            workers.skill[rows] += (
                SKILL_RATE * weeks_in_sessions * candour * (1 - workers.skill[rows])
            )
        reviewed = levers.case_review_rate * commitment * workers.caseload[rows]
        noise = params.outcome_noise / 0.1
        clarity = reviewed / (reviewed + CLARITY_HALF * max(noise, 1e-9))
        # Asking citizens how it went teaches even where no case is reviewed in depth.
        voice = 0.5 * levers.citizen_voice * commitment
        gain = FEEDBACK_RATE * (clarity + voice)
        workers.knowledge[rows] += gain * (1 - workers.knowledge[rows])
        if levers.figure_use > 0:
            # Figures teach as much as they are honest and fit what matters.
            fit = model.measure.alignment * model.measure.fit(model.values)
            gain = FIGURE_RATE * levers.figure_use * workers.honesty[rows] * fit
            workers.knowledge[rows] += gain * (1 - workers.knowledge[rows])
        np.clip(workers.knowledge, 0, 1, out=workers.knowledge)
        np.clip(workers.skill, 0, 1, out=workers.skill)
        if levers.support > 0:
            workers.stress[rows] -= (
                SUPPORT_RELIEF * self.support * commitment * workers.stress[rows]
            )

    def learn_across(self) -> None:
        """What the system's meetings teach: the services' figures and hand-offs, read together.

        As far as the team's hand-offs were reviewed with candour (``Service.joint_review``),
        and the figures of the services under the contract are honest and fit what matters.
        """
        model, workers, rows = self.model, self.model.workers, self.members
        joint = float(model.joint_review()[self.team])
        if joint <= 0:
            return
        honesty = float(np.mean([peer.workers.honesty.mean() for peer in model.peers]))
        fit = model.measure.alignment * model.measure.fit(model.values)
        gain = SHARED_RATE * joint * honesty * fit
        workers.knowledge[rows] += gain * (1 - workers.knowledge[rows])

    def settle_culture(self) -> None:
        """Candour moves towards what trust and fear allow; a new manager learns the team's ways."""
        model, levers, workers = self.model, self.model.levers, self.model.workers
        teams, rows = model.teams, self.members
        trust = (1 - workers.stress[rows].mean()) * (
            CANDOUR_TRUST + CANDOUR_SUPPORT * self.support * self.commitment
        )
        fear = (
            CANDOUR_STAKE * workers.stake[rows].mean()
            + CANDOUR_SANCTION * levers.sanctions
            + CANDOUR_TURNOVER * workers.joined[rows].mean()
            + CANDOUR_HIERARCHY * model.params.hierarchy
        )
        level = float(np.clip(trust - fear, 0, 1))
        rate = CANDOUR_RISE if level > self.candour else CANDOUR_FALL
        teams.candour[self.team] += rate * (level - self.candour)
        teams.commitment[self.team] += ROOTING * self.candour * (1 - self.commitment)

    def take_over(self) -> None:
        """Arrive where a manager left: pass pressure down unless learning has taken root.

        Learning has taken root as far as the team says what went wrong (its candour).
        """
        teams = self.model.teams
        rooted = self.candour
        pressure = min(self.model.funding_stake, 1.0)
        teams.commitment[self.team] = rooted + (1 - rooted) * (1 - pressure)

    def chase_nonengagement(self) -> None:
        """Sanction citizens away for four weeks or more, where the regime does (trust falls)."""
        levers, citizens = self.model.levers, self.model.citizens
        if levers.nonengagement_sanction <= 0:
            return
        mine = self.caseload[citizens.weeks_away[self.caseload] >= 4]
        citizens.trust[mine] *= 1 - 0.3 * levers.nonengagement_sanction
        citizens.weeks_away[mine] = 0
