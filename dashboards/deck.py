"""The story as a slide deck and a one-page handout, built offline: ``python -m dashboards.deck``.

One PNG per act (``act-1.png`` ...), each a slide of the size asked for: the act's words on the
left, its charts on the right, as presenter mode shows them. The handout (``handout.pdf`` and
``handout.png``, one A4 page) lists every act with what it showed, in plain words, and the
question for the room. Same seed, same show: the deck says what the dashboard's Story tab says.

``make deck`` writes them to out/deck.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure, SubFigure

from dashboards.presenter import CHART_FONT_PT
from dashboards.story import ACTS, RECAP, SEED, TITLE, Story, slide_charts

SIZES = {"1280x720": (1280, 720), "1920x1080": (1920, 1080)}  # pixels; 16:9 both
INCHES = (12.8, 7.2)  # the slide's size; the dpi makes it 1280 or 1920 pixels wide
WORDS_SHARE = 0.37  # of the slide's width, as in presenter mode
HANDOUT_INCHES = (8.27, 11.69)  # A4 portrait
CHAR_EM = 0.58  # a character's mean width in DejaVu Sans, in ems: how many fit a line
HANDOUT_WRAP = 100


def _words(sub: Figure | SubFigure, story: Story, width: float) -> None:
    """The act's title, clock cue, narration and question, top to bottom.

    Args:
        sub: Where to write, as tall as the slide.
        story: The story, at the act to write.
        width: The words' share of the slide's width.
    """
    act = ACTS[story.act]
    y = 0.97
    for text, size, style in [
        (act.title, 24, {"weight": "bold"}),
        (story.clock(), CHART_FONT_PT, {"color": "#8a6d00" if act.clock else "#555555"}),
        (story.narration(), 13, {}),
        *([(f"{t}: {p}", CHART_FONT_PT + 1, {}) for t, p in story.recap()] if act is RECAP else []),
        (f"Ask the room: {act.ask}", 13, {"style": "italic", "color": "#444444"}),
        (f"Act {story.act + 1} of {len(ACTS)} · seed {story.seed}", CHART_FONT_PT, {}),
    ]:
        if not text:
            continue
        wrapped = textwrap.fill(text, int(width * INCHES[0] * 72 * 0.94 / (CHAR_EM * size)))
        sub.text(0.02, y, wrapped, fontsize=size, va="top", ha="left", linespacing=1.2, **style)
        lines = wrapped.count("\n") + 1
        # a line is about 1.17 ems high before linespacing; points to a share of the slide
        y -= (lines * size * 1.2 * 1.17 + 0.6 * size) / 72 / INCHES[1]


def slide(story: Story, size: tuple[int, int]) -> Figure:
    """The current act as one slide of ``size`` pixels (16:9)."""
    fig = Figure(figsize=INCHES, dpi=size[0] / INCHES[0])
    if not ACTS[story.act].panels:
        _words(fig, story, width=1.0)
        return fig
    fig.set_layout_engine("constrained")  # lays out the charts; the words' places are fixed
    words, charts = fig.subfigures(1, 2, width_ratios=[WORDS_SHARE, 1 - WORDS_SHARE])
    _words(words, story, width=WORDS_SHARE)
    slide_charts(charts, story)
    return fig


def handout(story: Story) -> Figure:
    """One A4 page: every act's title, what it showed, and the question for the room.

    Args:
        story: A story played to its last act (the recap's words need every act's figures).
    """
    fig = Figure(figsize=HANDOUT_INCHES, dpi=100)
    fig.text(0.06, 0.965, TITLE, fontsize=17, weight="bold", va="top")
    fig.text(
        0.06,
        0.935,
        textwrap.fill(
            "One public service, the same citizens and the same luck, held to account by "
            f"outcome targets (red) or by learning (blue). Seed {story.seed}; the dashboard's "
            "Story tab plays the same show (Accountability Lab, dashboards/story.py).",
            HANDOUT_WRAP,
        ),
        fontsize=9.5,
        va="top",
        color="#333333",
    )
    points = dict(story.recap())
    y = 0.89
    for act in ACTS:
        fig.text(0.06, y, act.title, fontsize=12.5, weight="bold", va="top")
        y -= 0.024
        body = points.get(act.title, "")
        for text, style in [(body, {}), (f"Ask the room: {act.ask}", {"style": "italic"})]:
            if text:
                wrapped = textwrap.fill(text, HANDOUT_WRAP)
                fig.text(0.08, y, wrapped, fontsize=9.5, va="top", **style)
                y -= 0.017 * (wrapped.count("\n") + 1)
        y -= 0.014
    return fig


def build(out: Path, size: tuple[int, int] = SIZES["1280x720"], seed: int = SEED) -> list[Path]:
    """Write the deck (one PNG per act) and the handout (PDF and PNG) into ``out``.

    Returns:
        The files written, slides first.
    """
    out.mkdir(parents=True, exist_ok=True)
    story = Story(seed)
    written = []
    while story.advance() is not None:
        path = out / f"act-{story.act + 1}.png"
        fig = slide(story, size)
        fig.savefig(path, dpi=fig.dpi, metadata={"Title": ACTS[story.act].title})
        written.append(path)
    page = handout(story)
    with PdfPages(out / "handout.pdf", metadata={"Title": TITLE}) as pdf:
        pdf.savefig(page)
    page.savefig(out / "handout.png", dpi=150)
    return [*written, out / "handout.pdf", out / "handout.png"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, not argparse's usage block
        self.exit(2, f"{self.prog}: {message}\n")


def main(argv: list[str] | None = None) -> int:
    """Build the deck; a bad argument is one line and exit code 2."""
    parser = _Parser(prog="python -m dashboards.deck", description=__doc__)
    parser.add_argument("--out", default="out/deck", help="folder to write into (made if need be)")
    parser.add_argument(
        "--size", default="1280x720", choices=list(SIZES), help="slide size in pixels"
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"--out {out} is a file: give a folder for the slides", file=sys.stderr)
        return 2
    try:
        written = build(out, SIZES[args.size])
    except OSError as e:  # a folder that cannot be made or written: one line, no traceback
        print(f"cannot write the deck into {out}: {e.strerror or e}", file=sys.stderr)
        return 2
    print(f"wrote {len(written) - 2} slides and the handout (PDF, PNG) in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
