"""Accountability regimes: the one place where outcome- and learning-based accountability differ.

A regime is two continuous weights, ``targets`` and ``learning``, each in [0, 1]. From them and
the model's parameters it derives the *levers* that managers pull and that shape what workers
face. Agents never ask which regime is running; they read the levers. Hybrids (both weights
above zero) and sweeps over the weights therefore need no special code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Levers:
    """What the regime does, in the units the agents use (fixed until the regime switches).

    Attributes:
        has_target: Managers set each worker a target for measured performance.
        incentive: Extrinsic stake per unit of measured performance (payment by results,
            standing, security).
        ratchet: How far the next target moves towards the last achievement.
        ranking: Weight of the league table at reviews: a bonus for the top group and a
            penalty for the bottom group (each max(1, team size // 5) workers).
        sanctions: Severity of punishment for misses, bottom ranks and caught misreporting.
        audit_rate: Chance that a recorded outcome is checked.
        reporting_overhead: Share of the week spent feeding the performance system.
        nonengagement_sanction: Severity with which citizens who stop engaging are sanctioned.
        learning_time: Share of the week in learning sessions.
        feedback: Quality weight of feedback on true outcomes (conversations, inquiry).
        autonomy: Freedom to respond to need instead of following a prescribed process.
        support: Help for stressed workers.
        citizen_voice: Weight of citizens' own feedback (360-degree accountability).
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
    feedback: float
    autonomy: float
    support: float
    citizen_voice: float


@dataclass(frozen=True)
class Regime:
    """An accountability regime as a point between targets and learning.

    Attributes:
        name: Preset name, shown in outputs.
        targets: Weight of outcome-based accountability (targets, rewards, sanctions, audits).
        learning: Weight of learning-based accountability (sessions, feedback, autonomy, support).
    """

    name: str
    targets: float
    learning: float

    def levers(self, p: dict[str, Any]) -> Levers:
        """Turn the regime's weights and the model parameters into this week's levers."""
        t, lrn = self.targets, self.learning
        return Levers(
            has_target=t > 0,
            incentive=t * p["incentive_strength"],
            ratchet=t * p["ratchet"],
            ranking=t,
            sanctions=t * p["sanction_severity"],
            audit_rate=t * p["audit_rate"],
            reporting_overhead=t * p["reporting_overhead"],
            nonengagement_sanction=t * p["sanction_severity"],
            learning_time=lrn * p["learning_time"],
            feedback=lrn,
            autonomy=p["base_autonomy"] + lrn * (p["autonomy"] - p["base_autonomy"]),
            support=lrn,
            citizen_voice=lrn,
        )


PRESETS: dict[str, Regime] = {
    "outcomes": Regime("outcomes", targets=1.0, learning=0.0),
    "learning": Regime("learning", targets=0.0, learning=1.0),
    "none": Regime("none", targets=0.0, learning=0.0),
    "hybrid": Regime("hybrid", targets=0.5, learning=0.5),
}
