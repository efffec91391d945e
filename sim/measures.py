"""What the service measures: the one place where the choice of measure changes the model.

The outcome indicator scores citizens' needs in the *measured* life domains, mixed with
milestones that only the indicator counts (``measure_alignment`` sets the mix, Baker 2002), and
workers record it. The room in a masterclass can "give up and replace" the measure: score other
domains, or let citizens report their own wellbeing, which workers can neither steer by
milestone work nor write up themselves; but citizens' reports have their own faults: not
everyone answers (those who trust least and the most complex least), people are polite about a
worker they trust, and a worker whose figures pay can coach an answer. Agents read the resulting
``Measure``; no rule says how they respond to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.arrays import FloatArray

if TYPE_CHECKING:
    from sim.params import ModelParams

DOMAIN_SETS = {
    "all": (0, 1, 2, 3),
    "income": (0,),
    "income+housing": (0, 1),
    "health+relationships": (2, 3),
}
COACHING_AUDIT_REACH = 0.3  # re-asking a sample of citizens finds some coached answers


@dataclass(frozen=True)
class Measure:
    """The measure in the units the agents use.

    Attributes:
        weights: Weight of each life domain in the indicator's wellbeing part (sums to 1).
        alignment: Weight of wellbeing in the measured domains (``a``, the cosine with value).
        focus: Weight of milestones that only the indicator counts (``b = sqrt(1 - a**2)``).
        reported: Citizens report their own wellbeing, in every domain as they value it now.
        audit_reach: How much of a false figure an audit can find: a record in a file can be
            checked against the case; a coached answer from a citizen mostly cannot.
    """

    weights: FloatArray
    alignment: float
    focus: float
    reported: bool
    audit_reach: float

    def fit(self, values: FloatArray) -> float:
        """How much of bespoke help's value the indicator sees: cosine of weights and values."""
        if self.reported or np.array_equal(self.weights, values):
            return 1.0
        return float(self.weights @ values / np.linalg.norm(self.weights) / np.linalg.norm(values))


def measure(params: ModelParams, design: FloatArray) -> Measure:
    """The measure set by the parameters, for a service designed around ``design`` values."""
    if params.measure == "citizen_reported":
        return Measure(
            weights=design,
            alignment=1.0,
            focus=0.0,
            reported=True,
            audit_reach=COACHING_AUDIT_REACH,
        )
    keep = np.zeros(len(design), dtype=bool)
    keep[list(DOMAIN_SETS[params.measured_domains])] = True
    weights = design if keep.all() else np.where(keep, design, 0) / design[keep].sum()
    alignment = params.measure_alignment
    return Measure(
        weights=weights,
        alignment=alignment,
        focus=float(np.sqrt(1 - alignment * alignment)),
        reported=False,
        audit_reach=1.0,
    )
