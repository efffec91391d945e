"""Presenter mode: the dashboard on a projector, read from the back of a room.

Turned on by a toggle on the page or by ``?present=1`` in the address. The sidebar goes, text is
sized from the viewport's height, and each Story act is one slide: narration on the left, its
charts on the right, nothing below the fold at 1280×720. The CSS here also fixes what breaks in
every mode on a small screen: titles broken mid-word, button text spilling out of its button,
charts wider than their column, and Solara's "This website runs on Solara" badge over the content.
"""

from __future__ import annotations

from urllib.parse import parse_qs

FLAG = "present"  # ?present=1 opens the dashboard in presenter mode
ON = ("1", "true", "yes", "on")
OFF = ("0", "false", "no", "off", "")

# The Story act's charts in presenter mode: drawn at the size they are shown at 1280×720 (the
# right-hand column), so every text's size in pixels is its size on the projector's screen.
CHART_INCHES = (8.0, 5.9)
CHART_DPI = 100
CHART_FONT_PT = 11.0  # the smallest text on a presenter chart: 15 px at CHART_DPI
CHART_FONT_PX = CHART_FONT_PT * CHART_DPI / 72
MIN_CHART_FONT_PX = 14  # what a room reads from the back, at 1280×720
# Compare's charts (dashboards.live, drawn at 72 dpi: a point is a pixel) are shown about 1.5
# times their size at 1280×720 in presenter mode; no text on them is smaller than this.
COMPARE_FONT_PT = 10.0

CSS = """
/* Solara's badge sits over the bottom right of charts and text (the server turns it off too). */
div:has(> b > a[href="https://solara.dev"]) { display: none !important; }
/* Vuetify breaks card titles anywhere, even mid-word; break only between words. */
.v-card__title { word-break: normal !important; overflow-wrap: break-word; hyphens: none; }
/* A button's label wraps inside the button instead of spilling over its edge. */
.lab-page .v-btn:not(.v-btn--round):not(.v-btn--fab) {
  height: auto !important; min-height: 36px; max-width: 100%;
}
.lab-page .v-btn__content { white-space: normal; flex: 1 1 auto; line-height: 1.25; }
/* No chart wider than its column: it shrinks with the window instead of being clipped. */
.lab-page img.widget-image { max-width: 100%; height: auto; }

.presenter { font-size: clamp(15px, 2.5vh, 40px); }
.presenter .v-tab { font-size: clamp(13px, 1.9vh, 30px); }
/* A statistic with plain-words help: its meaning shows on hover (dashboards.glossary). */
.lab-page .term { border-bottom: 1px dotted #777; cursor: help; }
.lab-page details.glossary { font-size: 0.9rem; margin: 0.5em 0 1em; color: #333; }
.lab-page details.glossary dd { margin: 0 0 0.4em 1.2em; }

.presenter .story-slide {
  display: grid; grid-template-columns: minmax(0, 37fr) minmax(0, 63fr); gap: 0 1.2vw;
  align-items: start; box-sizing: border-box;
  padding: 0 1vw;
}
.presenter .story-slide.no-chart { grid-template-columns: minmax(0, 1fr); }
.presenter .story-text { font-size: clamp(14px, 2.6vh, 42px); line-height: 1.35; }
.presenter .story-text .story-clock, .presenter .story-text .story-where {
  font-size: 0.8em !important;
}
.presenter .story-text h1 {
  font-size: 1.6em !important; line-height: 1.15; margin: 0.15em 0 !important;
}
.presenter .story-text p { margin: 0 0 0.5em; }
.presenter .story-text .v-btn { font-size: 0.7em; }
.presenter img.story-chart {
  width: 100%; max-height: calc(100vh - 72px); object-fit: contain; object-position: top left;
}
.presenter img.compare-chart { width: 100%; margin-left: 0; margin-right: 0; }
.presenter ol.story-recap { font-size: 1em !important; }
.presenter-toggle { position: fixed; top: 6px; right: 8px; z-index: 5; }
"""


def requested(search: str | None) -> bool:
    """Whether the address asks for presenter mode (``?present=1``).

    Args:
        search: The query string without its ``?`` (``solara.use_router().search``), or None.
    """
    values = parse_qs(search or "").get(FLAG, [])
    return bool(values) and values[-1].strip().lower() in ON
