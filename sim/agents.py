"""Citizens, workers and managers as Mesa agents.

Citizens and workers are Mesa agents whose state lives in NumPy population tables (one row per
agent: sim.citizens.Citizens, sim.workers.Workers), so a week of 100,000 citizens is a handful of
vectorised operations, written once for the whole population as a description of what every
person of that kind does. The agent objects here read and write their own rows, for inspection,
dashboards and Mesa's tools. Managers are few and act team by team (sim.managers.Manager).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from sim.managers import Manager
from sim.workers import TACTICS

if TYPE_CHECKING:
    from sim.model import AccountabilityModel

__all__ = ["Citizen", "Manager", "Worker"]


class _Row:
    """Descriptor exposing one column of a population table as an agent attribute."""

    def __init__(self, table: str, column: str) -> None:
        self.table, self.column = table, column

    def __get__(self, agent: Any, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return getattr(getattr(agent.model, self.table), self.column)[_live_row(agent)]

    def __set__(self, agent: Any, value: Any) -> None:
        getattr(getattr(agent.model, self.table), self.column)[_live_row(agent)] = value


def _live_row(agent: Any) -> int:
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
    understood = _Row("citizens", "understood")
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
    stake = _Row("workers", "stake")

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
