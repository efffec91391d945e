"""Citizens, workers and managers as Mesa agents.

Citizens and workers are Mesa agents whose state lives in NumPy population tables (one row per
agent: sim.citizens.Citizens, sim.workers.Workers), so a week of 100,000 citizens is a handful of
vectorised operations, written once for the whole population as a description of what every
person of that kind does. The agent objects here read and write their own rows, for inspection,
dashboards and Mesa's tools. Managers are Mesa agents too (sim.managers.Manager), each reading
its team's row of the teams table (sim.managers.Teams), where what managers do is written once for
every team.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import mesa
import numpy as np

from sim.arrays import FloatArray, IntArray
from sim.managers import Manager
from sim.workers import TACTICS

if TYPE_CHECKING:
    from sim.model import AccountabilityModel
    from sim.services import Service

# A citizen belongs to the model; a worker to the service whose post they hold.
type Holder = AccountabilityModel | Service

__all__ = ["Citizen", "Manager", "Worker"]


class _TableAgent(Protocol):
    """An agent whose state is one row of a population table."""

    @property
    def model(self) -> Holder: ...

    @property
    def row(self) -> int | None: ...

    @property
    def unique_id(self) -> int: ...


class _Column:
    """Descriptor exposing one column of a population table as an agent attribute.

    ``column`` finds the column's current array in the model (a table replaces some arrays
    every week), so the type checker sees every column an agent reads.
    """

    def __init__(self, column: Callable[[Holder], np.ndarray[Any, Any]]) -> None:
        self.column = column

    def __get__(self, agent: _TableAgent | None, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return self.column(agent.model)[_live_row(agent)]

    def __set__(self, agent: _TableAgent, value: Any) -> None:
        self.column(agent.model)[_live_row(agent)] = value


def _live_row(agent: _TableAgent) -> int:
    if agent.row is None:  # a worker who has left: their post's row now belongs to a successor
        raise AttributeError(f"agent {agent.unique_id} has left the service")
    return agent.row


class Citizen(mesa.Agent):
    """A person with needs in several life domains, whose trust decides whether they engage."""

    model: AccountabilityModel
    complexity = _Column(lambda model: model.citizens.complexity)
    wellbeing = _Column(lambda model: model.citizens.wellbeing)
    trust = _Column(lambda model: model.citizens.trust)
    engaged = _Column(lambda model: model.citizens.engaged)
    milestones = _Column(lambda model: model.citizens.milestones)
    understood = _Column(lambda model: model.citizens.understood)
    worker_row = _Column(lambda model: model.citizens.worker)

    def __init__(self, model: AccountabilityModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def needs(self) -> FloatArray:
        """Current need in each domain (0 none, 1 severe)."""
        return self.model.citizens.needs[self.row, :]

    @property
    def worker(self) -> Worker:
        """The worker whose caseload holds this citizen."""
        return self.model.workers.holder(int(self.worker_row))

    @property
    def parked(self) -> bool:
        """No real contact in the last eight weeks."""
        return bool(self.model.citizens.contacts[:, self.row].sum() == 0)


class Worker(mesa.Agent):
    """A frontline worker with a caseload, a week of time, skill, know-how and motives.

    The worker's ``model`` is the service whose post they hold (sim.services.Service).
    """

    model: Service
    skill = _Column(lambda model: model.workers.skill)
    knowledge = _Column(lambda model: model.workers.knowledge)
    motivation = _Column(lambda model: model.workers.motivation)
    stress = _Column(lambda model: model.workers.stress)
    target = _Column(lambda model: model.workers.target)
    team = _Column(lambda model: model.workers.team)
    stake = _Column(lambda model: model.workers.stake)

    def __init__(self, model: Service, row: int) -> None:
        super().__init__(model)
        # None once the person has left: the post's row then belongs to their successor.
        self.row: int | None = row

    @property
    def caseload(self) -> IntArray:
        """Rows of the citizens on this worker's caseload."""
        return np.flatnonzero(self.model.citizens.worker == self.row)

    @property
    def propensities(self) -> dict[str, float]:
        """Learned belief in how much each gaming tactic pays."""
        return dict(zip(TACTICS, self.model.workers.belief[self.row], strict=True))
