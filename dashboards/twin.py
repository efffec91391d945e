"""Two models in lockstep: the same service, citizens and luck under two regimes.

One ``Twin`` belongs to one browser session. It knows nothing of Solara, so it can be tested and
benchmarked on its own.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.model import AccountabilityModel
from sim.params import validate

SIDES = ("left", "right")
DEFAULT_REGIMES = {"left": "outcomes", "right": "learning"}


@dataclass
class Twin:
    """Both sides of the comparison, built from one seed (common random numbers).

    Attributes:
        params: Model parameters shared by both sides (the regime aside).
        seed: Seed of both models.
        regimes: Regime each side starts in.
        models: The two Mesa models, by side.
        shown: Redraw counter of the last frame drawn, so Play never runs ahead of the screen.
    """

    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 1
    regimes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_REGIMES))
    models: dict[str, AccountabilityModel] = field(default_factory=dict)
    shown: int = 0  # the last frame the dashboard drew (see dashboards.app.Compare)
    shifted: bool = False  # what counts as good has changed (once a run)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self, params: dict[str, Any] | None = None, seed: int | None = None) -> None:
        """Rebuild both sides from the same seed, optionally with new parameters."""
        if params is not None:
            validate(params)
            self.params = dict(params)
        if seed is not None:
            self.seed = int(seed)
        self.shifted = False
        self.models = {
            side: AccountabilityModel(rng=self.seed, **(self.params | {"regime": regime}))
            for side, regime in self.regimes.items()
        }

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.models["left"].steps

    def step(self, weeks: int = 1) -> None:
        """Advance both sides together."""
        for _ in range(weeks):
            for model in self.models.values():
                model.step()

    def switch(self, side: str, regime: str) -> None:
        """Change one side's regime from now on (rebuilding the ship whilst sailing)."""
        self.models[side].switch_regime(regime)

    def shift(self) -> None:
        """What counts as good changes, on both sides at once (once a run)."""
        self.shifted = True
        for model in self.models.values():
            model.shift_environment()

    def frames(self) -> dict[str, pd.DataFrame]:
        """Each side's weekly rows, labelled by the side's starting regime."""
        return {self.label(side): m.frame() for side, m in self.models.items()}

    def label(self, side: str) -> str:
        """A side's name in charts: its starting regime, and its current one if it switched."""
        start, now = self.regimes[side], self.models[side].regime.name
        return start if start == now else f"{start} → {now}"

    def csv(self) -> bytes:
        """Both sides' weekly rows as one CSV, for download."""
        rows = [
            df.assign(side=side, seed=self.seed)
            for side, df in zip(SIDES, (m.frame() for m in self.models.values()), strict=True)
        ]
        buf = io.StringIO()
        pd.concat(rows, ignore_index=True).to_csv(buf, index=False)
        return buf.getvalue().encode()
