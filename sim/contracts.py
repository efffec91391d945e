"""Contracts: the one place where siloed and alliance contracting differ.

The commissioner (sim.services.Commissioner) reads a contract's terms, never its name. A
contract either covers one service or pools every service under one budget, paid on the shared
indicator; and its services' managers either meet as a system (system stewardship: joint reviews
of the hand-offs between them and learning across services, at a cost in managers' time) or do
not. Under both, the figures are reported upward and payment_by_results decides how far they
move pay; how much of that reaches workers is for their managers to decide (shielding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.params import ModelParams


@dataclass(frozen=True)
class Contract:
    """The terms the commissioner holds the services to.

    Attributes:
        pooled: One contract covers every service: one budget, paid on the shared indicator.
        stewardship_time: Share of each manager's week spent meeting the other services'
            managers covered by the same contract (0: they do not meet as a system).
    """

    pooled: bool
    stewardship_time: float


def contract_terms(params: ModelParams) -> Contract:
    """The terms of the contracting the parameters name (the only place that reads the name)."""
    alliance = params.contracting == "alliance"
    return Contract(
        pooled=alliance,
        stewardship_time=params.stewardship_time if alliance else 0.0,
    )
