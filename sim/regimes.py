"""Accountability regimes: the one place where outcome- and learning-based accountability differ.

A regime is two continuous weights, ``targets`` and ``learning``, each in [0, 1]. From them and
the model's parameters it derives the *levers* that managers pull and that shape what workers
face. Agents never ask which regime is running; they read the levers. Every lever has a cost in
someone's time, and none switches a behaviour on or off: a stake on the figures, a session, a
case review or a grant of autonomy changes what people choose, and what they choose decides
whether it works. Hybrids (both weights above zero) and sweeps over the weights need no special
code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.params import ModelParams


@dataclass(frozen=True)
class Levers:
    """What the regime does, in the units the agents use (fixed until the regime switches).

    Attributes:
        has_target: Managers set each worker a target for measured performance.
        incentive: Extrinsic stake per unit of a worker's own measured performance (payment by
            results, standing, security).
        ratchet: How far the next target moves towards the last achievement.
        ranking: Weight of the league table at reviews: a bonus for the top group and a
            penalty for the bottom group (each max(1, team size // 5) workers; no league in a team
            of one).
        sanctions: Severity of punishment for misses, bottom ranks and caught misreporting.
        audit_rate: Chance that a recorded outcome is checked.
        reporting_overhead: Share of the week spent feeding the performance system.
        nonengagement_sanction: Severity with which citizens who stop engaging are sanctioned.
        learning_time: Share of the week in learning sessions.
        case_review_rate: Share of each caseload looked at in depth each review period.
        figure_use: How much managers and workers read the service's own figures to learn
            what works (performance management and learning both read them).
        peer_review: Weight of sessions where colleagues see each other's work.
        autonomy: Freedom to respond to need instead of following a prescribed process.
        support: Managers' help for stressed workers.
        citizen_voice: Weight of citizens' own feedback (360-degree accountability).
        shielding: Share of the pressure from above that managers absorb.
    """

    has_target: bool
    incentive: float
    ratchet: float
    ranking: float
    sanctions: float
    audit_rate: float
    reporting_overhead: float
    nonengagement_sanction: float
    learning_time: float
    case_review_rate: float
    figure_use: float
    peer_review: float
    autonomy: float
    support: float
    citizen_voice: float
    shielding: float


@dataclass(frozen=True)
class Regime:
    """An accountability regime as a point between targets and learning.

    Attributes:
        name: Preset name, shown in outputs.
        targets: Weight of outcome-based accountability (targets, rewards, sanctions, audits).
        learning: Weight of learning-based accountability (sessions, case reviews, autonomy,
            support, shielding).
    """

    name: str
    targets: float
    learning: float

    def levers(self, params: ModelParams) -> Levers:
        """Turn the regime's weights and the model parameters into the levers."""
        targets, learning = self.targets, self.learning
        return Levers(
            has_target=targets > 0,
            incentive=targets * params.incentive_strength,
            ratchet=targets * params.ratchet,
            ranking=targets,
            sanctions=targets * params.sanction_severity,
            audit_rate=targets * params.audit_rate,
            reporting_overhead=targets * params.reporting_overhead,
            nonengagement_sanction=targets * params.sanction_severity,
            learning_time=learning * params.learning_time,
            case_review_rate=learning * params.case_review_rate,
            figure_use=min(1.0, targets + learning),
            peer_review=learning,
            autonomy=params.base_autonomy + learning * (params.autonomy - params.base_autonomy),
            support=learning,
            citizen_voice=learning,
            shielding=learning * params.shielding,
        )


PRESETS: dict[str, Regime] = {
    "outcomes": Regime("outcomes", targets=1.0, learning=0.0),
    "learning": Regime("learning", targets=0.0, learning=1.0),
    "none": Regime("none", targets=0.0, learning=0.0),
    "hybrid": Regime("hybrid", targets=0.5, learning=0.5),
}
# The comparison the model exists for, and what is compared when nothing else is asked.
COMPARED: tuple[str, str] = ("outcomes", "learning")
