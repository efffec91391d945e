"""Deming's red bead experiment, as a Mesa model: bad systems, not bad people.

A foreman runs a "quality programme": six willing workers each draw a paddle of 50 beads a day
from a bowl of 4,000 beads, 800 of them red (defects). The foreman ranks the workers, rewards the
best, warns the worst, puts repeat offenders on probation and fires the worst at the end of day 3.
Yet every worker's count is pure chance from the same system: the number of red beads in a draw of
50 without replacement is hypergeometric, close to binomial with p = 0.2, mean 10 and limits
np ± 3 sqrt(np(1 - p)) of about 1.5 to 18.5. Deming (1986, 2000) also reports that mechanical
sampling is biased: his paddles gave long-run averages of 9.4 and 11.3, not 10 (``paddle_bias``).
"""

from __future__ import annotations

import math

import mesa
import numpy as np
import pandas as pd


class Willing(mesa.Agent):
    """A willing worker: comes in, dips the paddle, is judged on the count of red beads."""

    def __init__(self, model: RedBeadModel, name: str) -> None:
        super().__init__(model)
        self.name = name
        self.counts: list[int] = []
        self.status = "employed"  # employed, warned, probation, fired
        self.merit = 0

    def work(self, count: int | None = None) -> None:
        """One day's production: one paddle of beads from the stirred bowl.

        Args:
            count: Red beads in a paddle drawn by hand from a real bowl; None draws from the
                model's bowl.
        """
        self.counts.append(self.model.draw() if count is None else count)


class RedBeadModel(mesa.Model):
    """The experiment: a bowl, a paddle, willing workers and a foreman with a programme.

    Args:
        n_beads: Beads in the bowl.
        n_red: Red beads (defects) among them.
        paddle: Holes in the paddle (beads per draw).
        n_workers: Willing workers.
        days: Days of production.
        paddle_bias: Extra chance that a red bead is caught by the paddle (Deming's mechanical
            sampling; 0 draws fairly). Positive values raise the mean count, negative lower it.
        fire_after: The day after which the foreman fires the worst performers.
        rng: Seed.
    """

    def __init__(
        self,
        *,
        n_beads: int = 4000,
        n_red: int = 800,
        paddle: int = 50,
        n_workers: int = 6,
        days: int = 4,
        paddle_bias: float = 0.0,
        fire_after: int = 3,
        rng: int | None = None,
    ) -> None:
        if not 0 < n_red < n_beads or not 0 < paddle <= n_beads:
            raise ValueError("need 0 < n_red < n_beads and 0 < paddle <= n_beads")
        if not -0.9 < paddle_bias < 5:
            raise ValueError("paddle_bias must be above -0.9 and below 5")
        super().__init__(rng=rng)
        # Our own clock: Mesa 4 removes ``Model.steps``.
        self.day: int = 0
        # The bowl is an array of colours: 4,000 bead agents would add cost and nothing else.
        self.bowl = np.zeros(n_beads, dtype=bool)
        self.bowl[:n_red] = True
        self.paddle, self.days, self.bias, self.fire_after = paddle, days, paddle_bias, fire_after
        self.red_share = n_red / n_beads
        self.most_red = min(paddle, n_red)  # the most red beads one paddle can hold
        self.hand_counts: dict[str, int] | None = None  # today's counts drawn by a room
        names = ["Alex", "Bea", "Cam", "Dee", "Eli", "Fay"]
        for i in range(n_workers):
            Willing(self, names[i] if i < len(names) else f"Worker {i + 1}")
        self.log: list[str] = []

    @property
    def workers(self) -> list[Willing]:
        """The willing workers, in hiring order."""
        return list(self.agents_by_type[Willing])

    def draw(self) -> int:
        """Red beads in one paddle: without replacement, red beads weighted by the paddle's bias."""
        weights = np.where(self.bowl, 1.0 + self.bias, 1.0)
        drawn = self.rng.choice(
            len(self.bowl), size=self.paddle, replace=False, p=weights / weights.sum()
        )
        return int(self.bowl[drawn].sum())

    def limits(self) -> tuple[float, float, float]:
        """Np chart centre line and 3-sigma limits: np ± 3 sqrt(np(1 - p))."""
        centre = self.paddle * self.red_share
        spread = 3 * math.sqrt(centre * (1 - self.red_share))
        return max(0.0, centre - spread), centre, centre + spread

    @property
    def active(self) -> list[Willing]:
        """The workers still employed (warned and on probation included), in hiring order."""
        return [w for w in self.workers if w.status != "fired"]

    def step_by_hand(self, counts: dict[str, int]) -> None:
        """A day whose paddles a room drew by hand from a real bowl: ``step`` with their counts.

        Args:
            counts: Red beads each worker still employed drew, by name.

        Raises:
            ValueError: ``counts`` misses a worker still employed or holds an impossible count.
        """
        if set(counts) != {w.name for w in self.active}:
            raise ValueError("need one count for each worker still employed")
        for name, count in counts.items():
            if isinstance(count, bool) or not 0 <= count <= self.most_red:
                raise ValueError(f"{name}: a paddle holds 0 to {self.most_red} red beads")
        self.hand_counts = counts
        try:
            self.step()
        finally:
            self.hand_counts = None

    def step(self) -> None:
        """A day: everyone works (``hand_counts`` if a room drew), then the foreman judges."""
        active = self.active
        counts = self.hand_counts
        self.day += 1
        for worker in active:
            worker.work(None if counts is None else counts[worker.name])
        today = {worker.name: worker.counts[-1] for worker in active}
        best, worst = min(today.values()), max(today.values())
        for worker in active:
            if today[worker.name] == best:
                worker.merit += 1
                self.log.append(f"Day {self.day}: merit award for {worker.name} ({best} red)")
            if today[worker.name] == worst:
                worker.status = "probation" if worker.status == "warned" else "warned"
                self.log.append(f"Day {self.day}: {worker.name} {worker.status} ({worst} red)")
        if self.day == self.fire_after:
            for worker in active:
                if worker.status == "probation":
                    worker.status = "fired"
                    self.log.append(f"Day {self.day}: {worker.name} fired")

    def table(self) -> pd.DataFrame:
        """Red beads by worker and day (fired workers have no count after firing)."""
        return pd.DataFrame(
            {
                worker.name: pd.Series(worker.counts, index=range(1, len(worker.counts) + 1))
                for worker in self.workers
            }
        ).rename_axis("day")


def long_run(days: int, paddle_bias: float = 0.0, seed: int = 0, **bowl: int) -> np.ndarray:
    """Counts of red beads in ``days`` draws by one worker who is never fired.

    ``bowl`` takes the sizes ``n_beads``, ``n_red`` and ``paddle`` (RedBeadModel's defaults
    elsewhere).
    """
    model = RedBeadModel(rng=seed, paddle_bias=paddle_bias, n_workers=1, **bowl)
    return np.array([model.draw() for _ in range(days)])
