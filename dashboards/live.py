"""Fast redraws for Play: one figure per session, static parts drawn once, data blitted.

Redrawing the Compare panels from scratch takes a tenth of a second or more; a live dashboard
needs a frame in a few milliseconds, and thirty sessions in one server must not all redraw at
once. The background (axes, ticks, titles, legends) is rendered once and each frame restores it,
draws only the lines, and encodes a JPEG (a tenth of the cost of a PNG; downloads stay PNG).
When an axis must grow (the week axis, a year at a time; a y range outgrown), only that panel's
part of the background is redrawn, one panel a frame, and the week axis grows ``GROW_AHEAD``
weeks before the data reach its end, so no frame ever redraws the whole figure for it. Only
the objects API is used (``Figure``, not pyplot), so sessions share no plotting state.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from dashboards.charts import (
    INDICATOR_LINES,
    INDICATOR_TITLE,
    PANELS,
    SIZE,
    WELLBEING,
    compare_axes,
    mark_events,
)
from dashboards.twin import Twin
from sim.kernels import rank_within
from sim.plots import STYLES, colour

HORIZON = 52  # the week axis grows a year at a time
# Weeks before its end that the week axis grows: more than the panels, which are redrawn one a
# frame, so every panel has its new axis before the lines reach the old end.
GROW_AHEAD = 13
PAD = 2  # pixels cleared around a panel's drawn extent when it is redrawn alone
# Fixed y ranges (grown when outgrown); the gaming panel leaves headroom for its legend.
LIMITS = {"complex_contact_ratio": (0, 4), "turnover": (0, 30), "misreport_rate": (0, 1.6)}


def _encode(canvas: FigureCanvasAgg) -> bytes:
    w, h = canvas.get_width_height()
    img = Image.frombuffer("RGBA", (w, h), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=90)
    return buf.getvalue()


class Blitter:
    """A figure whose background is cached and whose animated artists are redrawn per frame.

    Attributes:
        full_draws: Times the whole background was drawn (once, unless ``invalidate`` is called).
        panel_draws: Times one panel's part of the background was redrawn (``redraw_panel``).
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self.background = None
        self.stale: list[Axes] = []  # panels whose background is redrawn in coming frames
        self.full_draws = 0
        self.panel_draws = 0

    def invalidate(self) -> None:
        """The static parts changed (titles, markers on every panel): draw them all next frame."""
        self.background = None

    def redraw_panel(self, ax: Axes) -> None:
        """One panel's static parts changed (its limits): redraw that panel alone, soon."""
        if ax not in self.stale:
            self.stale.append(ax)

    def _redraw_stale_panel(self) -> None:
        # One panel a frame keeps every frame cheap; the panel's drawn extent (ticks, labels,
        # title) is painted over in the figure's colour and the panel drawn again on top.
        ax = self.stale.pop(0)
        renderer = self.canvas.get_renderer()
        extent = ax.get_tightbbox(renderer).padded(PAD)
        blank = Rectangle(
            (extent.x0, extent.y0),
            extent.width,
            extent.height,
            transform=None,  # display pixels, like the extent
            facecolor=self.fig.get_facecolor(),
            edgecolor="none",
        )
        blank.set_figure(self.fig)
        blank.draw(renderer)
        ax.draw(renderer)  # animated artists (the lines) are left out, as in a full draw
        self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        self.panel_draws += 1

    def frame(self, artists) -> bytes:
        """Draw the animated artists over the cached background and return a JPEG."""
        if self.background is None:
            for a in artists:
                a.set_visible(False)
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
            self.full_draws += 1
            self.stale.clear()  # just drawn whole
            for a in artists:
                a.set_visible(True)
        self.canvas.restore_region(self.background)
        if self.stale:
            self._redraw_stale_panel()
        renderer = self.canvas.get_renderer()
        for a in artists:
            a.draw(renderer)
        return _encode(self.canvas)


class LiveCharts:
    """The regimes' figures over time, both sides overlaid, redrawn fast every week.

    Laid out as dashboards.charts.compare_axes: what citizens gained first, then the indicator.
    """

    def __init__(self, names: list[str], min_font_pt: float = 0) -> None:
        """Lay out the charts for ``names``.

        Args:
            names: The sides, as ``Twin.frames`` names them.
            min_font_pt: No text smaller than this (presenter mode); 0 keeps every size.
        """
        self.min_font_pt = min_font_pt
        fig = Figure(figsize=SIZE, dpi=72)
        fig.subplots_adjust(left=0.05, right=0.99, top=0.96, bottom=0.04, hspace=0.45, wspace=0.2)
        wellbeing, self.indicator, panel_axes = compare_axes(fig)
        self.panels = [WELLBEING, *PANELS]
        self.panel_axes = [wellbeing, *panel_axes]
        self.axes = [wellbeing, self.indicator, *panel_axes]
        self.names = names
        self.blit = Blitter(fig)
        self.horizon = HORIZON
        self.limits = dict(LIMITS)
        self.lines: list = []
        self.gaps: list = []
        self.events: list[tuple[int, str]] = []
        self.markers: list = []
        self._build()

    def _build(self) -> None:
        self.indicator.set_title(INDICATOR_TITLE, fontsize=10)
        for name in self.names:
            for col, (ls, what) in INDICATOR_LINES.items():
                (line,) = self.indicator.plot(
                    [], [], color=colour(name), lw=2, ls=ls, animated=True, label=f"{name}: {what}"
                )
                self.lines.append((line, name, col))
        self.indicator.set_ylim(0, 1)
        self.indicator.legend(fontsize=7, loc="upper left")
        for ax, (title, cols, labels) in zip(self.panel_axes, self.panels, strict=True):
            ax.set_title(title, fontsize=10)
            for name in self.names:
                for col, label, ls in zip(cols, labels, STYLES, strict=False):
                    tag = f"{name}: {label}" if label else name
                    (line,) = ax.plot(
                        [], [], color=colour(name), lw=2, ls=ls, animated=True, label=tag
                    )
                    self.lines.append((line, name, col))
            ax.set_ylim(*self.limits.get(cols[0], (0, 1)))
            if ax is self.panel_axes[0]:  # wellbeing sits high on a 0-1 axis: room below
                ax.legend(fontsize=7, loc="lower left")
            elif len(cols) > 1:  # the gaming panel's limits leave headroom for its legend
                ax.legend(fontsize=6, loc="upper left")
        for ax in self.axes:
            ax.set_xlim(0, self.horizon)
            ax.grid(alpha=0.3)
        self._floor_fonts()

    def _floor_fonts(self) -> None:
        # Presenter mode: text read from the back of a room (ticks drawn later included).
        if not self.min_font_pt:
            return
        for ax in self.axes:
            ax.tick_params(labelsize=max(self.min_font_pt, 10))
        for text in self.blit.fig.findobj(Text):
            text.set_fontsize(max(text.get_fontsize(), self.min_font_pt))

    def _fit(self, frames: dict[str, pd.DataFrame]) -> None:
        week = max((len(df) for df in frames.values()), default=0)
        if week + GROW_AHEAD > self.horizon:
            self.horizon = HORIZON * ((week + GROW_AHEAD) // HORIZON + 1)
            for ax in self.axes:
                ax.set_xlim(0, self.horizon)
                self.blit.redraw_panel(ax)
        for ax, (_title, cols, _labels) in zip(self.panel_axes, self.panels, strict=True):
            if cols[0] in self.limits:
                top = max(
                    (float(df[cols[0]].max()) for df in frames.values() if len(df)), default=0
                )
                if np.isfinite(top) and top > self.limits[cols[0]][1]:
                    self.limits[cols[0]] = (0, 1.5 * top)
                    ax.set_ylim(*self.limits[cols[0]])
                    self.blit.redraw_panel(ax)

    def _mark(self, events: list[tuple[int, str]]) -> None:
        # Moves are rare: their markers join the cached background, redrawn only when they change.
        if events == self.events:
            return
        for artist in self.markers:
            artist.remove()
        self.events = list(events)
        self.markers = mark_events(self.axes, self.events)
        self._floor_fonts()
        self.blit.invalidate()

    def render(self, frames: dict[str, pd.DataFrame], events: list[tuple[int, str]] = ()) -> bytes:
        """This week's charts as a JPEG, a marker at each move's week (``Twin.events``)."""
        if list(frames) != self.names:  # a side switched regime: new labels and legend
            self.__init__(list(frames), self.min_font_pt)
        self._fit(frames)
        self._mark(list(events))
        for line, name, col in self.lines:
            df = frames[name]
            line.set_data(df.step.to_numpy(), df[col].to_numpy())
        for poly in self.gaps:
            poly.remove()
        self.gaps = []
        for name, df in frames.items():
            self.gaps.append(
                self.indicator.fill_between(
                    df.step,
                    df.true_performance,
                    df.measured_performance,
                    color=colour(name),
                    alpha=0.2,
                    animated=True,
                )
            )
        return self.blit.frame([line for line, *_ in self.lines] + self.gaps)


class LivePicture:
    """The picture of the agents, redrawn fast: only the dots move."""

    def __init__(self, twin: Twin) -> None:
        fig = Figure(figsize=(11, 4), dpi=72)
        fig.subplots_adjust(left=0.01, right=0.99, top=0.86, bottom=0.02, wspace=0.05)
        self.axes = fig.subplots(1, 2)
        fig.suptitle(
            "Citizens (dots; ✕ parked) above their worker (▲, colour = morale), "
            "teams under their manager (■)",
            fontsize=10,
        )
        self.blit = Blitter(fig)
        self.key = None
        self.artists: dict[str, tuple] = {}
        self.twin = twin

    def _build(self) -> None:
        for ax in self.axes:
            ax.clear()
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        for ax, (side, model) in zip(self.axes, self.twin.models.items(), strict=True):
            c, w = model.citizens, model.workers
            order = np.lexsort((np.arange(len(w.team)), w.team))
            column = np.empty(len(order))
            column[order] = np.arange(len(order)) + w.team[order] * 1.5
            x = column[c.worker]
            y = rank_within(c.worker, c.complexity).astype(float)
            y = y.max() - y
            top = y.max() + 2.5
            for team in np.unique(w.team):
                xs = column[w.team == team]
                ax.plot([xs.min(), xs.max()], [top - 1, top - 1], color="black", lw=1)
                ax.scatter([xs.mean()], [top], marker="s", s=90, color="#34495e")
            ax.set_xlim(column.min() - 1, column.max() + 1)
            ax.set_ylim(-3.5, top + 1.5)
            size = 8 + 12 * np.minimum(c.complexity, 3)
            dots = ax.scatter(
                x,
                y,
                c=c.wellbeing,
                cmap="RdYlGn",
                vmin=0.3,
                vmax=1,
                s=size,
                edgecolors="none",
                animated=True,
            )
            crosses = ax.scatter(x, y, marker="x", color="#555555", s=size, lw=1, animated=True)
            staff = ax.scatter(
                column,
                np.full(len(column), -2.0),
                marker="^",
                s=60,
                c=1 - w.stress,
                cmap="RdYlGn",
                vmin=0,
                vmax=1,
                edgecolors="black",
                lw=0.5,
                animated=True,
            )
            label = ax.text(
                0.5,
                1.0,
                "",
                transform=ax.transAxes,
                ha="center",
                va="bottom",
                fontsize=11,
                animated=True,
            )
            self.artists[side] = (dots, crosses, staff, label, np.column_stack([x, y]), size)
        self.blit.invalidate()

    def render(self) -> bytes:
        """This week's picture as a JPEG."""
        key = tuple(id(m) for m in self.twin.models.values())
        if key != self.key:  # new models (reset): new layout
            self.key = key
            self._build()
        animated = []
        for side, model in self.twin.models.items():
            dots, crosses, staff, label, xy, size = self.artists[side]
            c, w = model.citizens, model.workers
            parked = c.contacts.sum(axis=0) == 0
            dots.set_offsets(xy[~parked])
            dots.set_array(c.wellbeing[~parked])
            dots.set_sizes(size[~parked])
            crosses.set_offsets(xy[parked])
            crosses.set_sizes(size[parked])
            staff.set_array(1 - w.stress)
            label.set_text(f"{self.twin.label(side)}: {parked.mean():.0%} parked")
            animated += [dots, crosses, staff, label]
        return self.blit.frame(animated)
