"""Two models in lockstep: the same service, citizens and luck under two regimes.

One ``Twin`` belongs to one browser session. It knows nothing of Solara, so it can be tested and
benchmarked on its own. The dashboard's Play loop steps it from a worker thread while buttons and
sliders act on it from the UI thread, so every method takes the twin's lock.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.model import AccountabilityModel
from sim.params import MAX_SEED as MAX_SEED  # the seed's bound, for the pages that show it
from sim.params import check_seed, validate
from sim.regimes import COMPARED

SIDES = ("left", "right")
DEFAULT_REGIMES = dict(zip(SIDES, COMPARED, strict=True))


@dataclass
class Twin:
    """Both sides of the comparison, built from one seed (common random numbers).

    Attributes:
        params: Model parameters shared by both sides (the regime aside).
        seed: Seed of both models.
        regimes: Regime each side starts in.
        models: The two Mesa models, by side.
        shown: Redraw counter of the last frame drawn, so Play never runs ahead of the screen.
        shifted: What counts as good has changed (once a run).
        generation: Bumped by every reset and every ``claim``; a Play loop holding an older one
            stops, so only one loop ever steps and never the models a reset rebuilt.
        events: (week, what happened) for each mid-run move since the last reset, for the
            charts' markers; the week is the last one simulated before the move.
        lock: Held by every method, so a step never interleaves with a reset or a move.
    """

    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 1
    regimes: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_REGIMES))
    models: dict[str, AccountabilityModel] = field(default_factory=dict)
    shown: int = 0  # the last frame the dashboard drew (see dashboards.app.Compare)
    shifted: bool = False
    generation: int = 0
    events: list[tuple[int, str]] = field(default_factory=list)
    lock: threading.RLock = field(
        default_factory=threading.RLock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.reset()

    def reset(self, params: dict[str, Any] | None = None, seed: Any = None) -> None:
        """Rebuild both sides from the same seed, optionally with new parameters.

        Everything is checked and both models are built before anything is replaced, so a
        rejected change leaves the running models, parameters and seed as they were.

        Args:
            params: New parameters for both sides (the regime aside); None keeps the current ones.
            seed: New seed for both sides; None keeps the current one.

        Raises:
            sim.params.ParamError: A parameter or the seed is not allowed (one line for the user).
        """
        with self.lock:
            new_params = self.params if params is None else dict(params)
            new_seed = self.seed if seed is None else check_seed(seed)
        validate(new_params)
        # Built outside the lock: a Play loop keeps stepping the old models meanwhile.
        models = {
            side: AccountabilityModel(rng=new_seed, **(new_params | {"regime": regime}))
            for side, regime in self.regimes.items()
        }
        with self.lock:
            self.params, self.seed, self.models = new_params, new_seed, models
            self.shifted = False
            self.events = []
            self.generation += 1

    def claim(self) -> int:
        """Make the caller the only Play loop allowed to step; return its generation."""
        with self.lock:
            self.generation += 1
            return self.generation

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        with self.lock:
            return self.models["left"].week

    def step(self, weeks: int = 1, generation: int | None = None) -> bool:
        """Advance both sides together.

        Args:
            weeks: Weeks to simulate.
            generation: What ``claim`` returned to a Play loop; if a reset or a newer loop has
                come since, nothing is stepped. None (a Step button) always steps.

        Returns:
            Whether the weeks were stepped.
        """
        with self.lock:
            if generation is not None and generation != self.generation:
                return False
            for _ in range(weeks):
                for model in self.models.values():
                    model.step()
            return True

    def switch(self, side: str, regime: str) -> None:
        """Change one side's regime from now on (rebuilding the ship whilst sailing)."""
        with self.lock:
            self.models[side].switch_regime(regime)
            self.events.append((self.week, f"{self.regimes[side]} side switches to {regime}"))

    def shift(self) -> None:
        """What counts as good changes, on both sides at once (once a run)."""
        with self.lock:
            self.shifted = True
            for model in self.models.values():
                model.shift_environment()
            self.events.append((self.week, "what counts as good changes"))

    def frames(self) -> dict[str, pd.DataFrame]:
        """Each side's weekly rows, labelled by the side's starting regime."""
        with self.lock:
            return {self.label(side): m.frame() for side, m in self.models.items()}

    def label(self, side: str) -> str:
        """A side's name in charts: its starting regime, and its current one if it switched."""
        with self.lock:
            start, now = self.regimes[side], self.models[side].regime.name
        return start if start == now else f"{start} → {now}"

    def csv(self) -> bytes:
        """Both sides' weekly rows as one CSV, for download."""
        with self.lock:
            rows = [
                df.assign(side=side, seed=self.seed)
                for side, df in zip(SIDES, (m.frame() for m in self.models.values()), strict=True)
            ]
        buf = io.StringIO()
        pd.concat(rows, ignore_index=True).to_csv(buf, index=False)
        return buf.getvalue().encode()
