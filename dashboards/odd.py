"""The ODD tab: the model description, its mathematics drawn on the server, offline.

A browser in a training room often has no internet, and Solara's Markdown loads its maths renderer
from a CDN: the formulas would show as raw LaTeX. Here matplotlib's mathtext lays each formula out
and its glyphs go into the page as SVG outlines (each glyph defined once per page), labelled with
the LaTeX source for screen readers; the tab is drawn once per server, in a thread. Mathtext reads
a subset of LaTeX, so a few commands the ODD uses are first rewritten into ones it knows. The
developers' notes at the end of docs/ODD.md are left out of the tab: they are about the code, not
the model.
"""

from __future__ import annotations

import functools
import re
import threading
from html import escape
from pathlib import Path

import solara
import solara.lab
from markdown_it import MarkdownIt
from matplotlib.font_manager import FontProperties
from matplotlib.path import Path as Outline
from matplotlib.textpath import TextToPath

HERE = Path(__file__).resolve().parent
# An installed wheel carries the ODD as dashboards/docs/ODD.md; a checkout has it in docs/.
ODD = next(
    (p for p in (HERE / "docs" / "ODD.md", HERE.parent / "docs" / "ODD.md") if p.is_file()),
    HERE.parent / "docs" / "ODD.md",
)
DEVELOPERS = "Notes for the developers"
# Code first, so a dollar sign inside code is never read as maths.
# An inline formula may run over one line break, not over a paragraph's end.
PIECES = re.compile(r"(```.*?```|`[^`\n]*`|\$\$.+?\$\$|\$(?:[^$\n]|\n(?!\n))+?\$)", flags=re.DOTALL)
PLACEHOLDER = re.compile(r"(<p>)?ODDMATH(\d+)([DI])X(</p>)?")
# LaTeX the ODD uses that mathtext does not know, and what mathtext draws the same way.
REWRITES = [
    (r"\\[bB]igg?(?![a-zA-Z])", ""),  # mathtext sizes brackets itself only with \left, \right
    (r"\\ge(?![a-zA-Z])", r"\\geq"),
    (r"\\le(?![a-zA-Z])", r"\\leq"),
    (r"\\lor(?![a-zA-Z])", r"\\vee"),
    (r"\\texttt", r"\\mathtt"),
    (r"\\tfrac", r"\\frac"),
    (r"\\frac(\d)(\d)", r"\\frac{\1}{\2}"),
    (r"\\bmod(?![a-zA-Z])", r"\\ \\mathrm{mod}\\ "),
    (r"\\mathrel\{\+\}=", "+="),
]


def _cases(match: re.Match) -> str:
    # Mathtext has no arrays: the cases go on one line after a brace, each value then its case.
    rows = [row.split("&") for row in re.split(r"\\\\", match.group(1)) if row.strip()]
    cells = [r"\quad ".join(cell.strip().rstrip(",;") for cell in row) for row in rows]
    return r"\left\{\ " + r";\qquad ".join(cells) + r"\right."


def _group(latex: str, start: int) -> int:
    """The index just past the brace group that opens at ``latex[start]``."""
    depth = 0
    for k in range(start, len(latex)):
        depth += {"{": 1, "}": -1}.get(latex[k], 0)
        if depth == 0:
            return k + 1
    raise ValueError(f"unbalanced braces in {latex!r}")


def _underbraces(latex: str) -> str:
    # \underbrace{A}_{B} is drawn as \underset{B}{A}: the label under its term, without the brace.
    opener = r"\underbrace"
    while (start := latex.find(opener + "{")) >= 0:
        body_end = _group(latex, start + len(opener))
        body = latex[start + len(opener) + 1 : body_end - 1]
        if latex[body_end : body_end + 2] != "_{":
            latex = latex[:start] + "{" + body + "}" + latex[body_end:]
            continue
        label_end = _group(latex, body_end + 1)
        label = latex[body_end + 2 : label_end - 1]
        latex = latex[:start] + r"\underset{" + label + "}{" + body + "}" + latex[label_end:]
    return latex


def mathtext_source(latex: str) -> str:
    """The ODD's LaTeX (without dollars) rewritten into what matplotlib's mathtext reads."""
    source = " ".join(latex.split())
    for pattern, replacement in REWRITES:
        source = re.sub(pattern, replacement, source)
    source = re.sub(r"\\begin\{cases\}(.*?)\\end\{cases\}", _cases, source)
    return _underbraces(source)


TO_PATHS = TextToPath()  # mathtext's glyphs as outlines: no figure, no fonts in the browser
SEGMENTS = {Outline.MOVETO: "M", Outline.LINETO: "L", Outline.CURVE3: "Q", Outline.CURVE4: "C"}
POINTS = {Outline.MOVETO: 1, Outline.LINETO: 1, Outline.CURVE3: 2, Outline.CURVE4: 3}


def _path_data(vertices, codes) -> str:
    """An outline as SVG path data (one decimal: a tenth of a pixel at 100 pt)."""
    parts, k = [], 0
    while k < len(codes):
        code = codes[k]
        if code == Outline.CLOSEPOLY:
            parts.append("Z")
        if code not in SEGMENTS:
            k += 1
            continue
        points = vertices[k : k + POINTS[code]]
        parts.append(SEGMENTS[code] + " ".join(f"{x:.1f} {y:.1f}" for x, y in points))
        k += POINTS[code]
    return "".join(parts)


@functools.cache
def formula_svg(latex: str, display: bool = False) -> tuple[str, dict[str, str]]:
    """One formula as inline SVG, sized in em so it follows the text around it.

    Args:
        latex: The formula as written in the ODD, without its dollar signs.
        display: A formula on its own line (drawn larger).

    Returns:
        The ``<svg class='math'>`` (labelled with the LaTeX) and the glyphs it uses, by id: a page
        defines each glyph once (``glyph_defs``), instead of once in every formula. The LaTeX
        itself in ``<code>``, and no glyphs, if mathtext cannot draw it (a command new to the ODD).
    """
    source = f"${mathtext_source(latex)}$"
    prop = FontProperties(size=TO_PATHS.FONT_SCALE)
    try:
        # Drawn at FONT_SCALE points (positions in points, y up from the baseline).
        width, height, depth = TO_PATHS.get_text_width_height_descent(source, prop, ismath=True)
        placed, outlines, rules = TO_PATHS.get_glyphs_mathtext(prop, source)
    except ValueError:
        return f"<code class='math-source'>{escape(latex)}</code>", {}
    glyphs = {
        f"m-{key}": f"<path id='m-{key}' d='{_path_data(*outline)}'/>"
        for key, outline in outlines.items()
    }
    uses = "".join(
        f"<use href='#m-{key}' transform='translate({x:.1f} {y:.1f}) scale({size:g})'/>"
        for key, x, y, size in placed
    )
    bars = "".join(f"<path d='{_path_data(v, c)}'/>" for v, c in rules)
    em = TO_PATHS.FONT_SCALE / (1.15 if display else 1.0)  # one em of the text around it
    label = escape(latex, quote=True)
    svg = (
        f"<svg class='math' role='img' aria-label='{label}' "
        f"viewBox='0 {-height + depth:.1f} {width:.1f} {height:.1f}' "
        f"style='height:{height / em:.3f}em;vertical-align:{-depth / em:.3f}em'>"
        f"<g transform='scale(1 -1)'>{uses}{bars}</g></svg>"
    )
    return svg, glyphs


def glyph_defs(glyphs: dict[str, str]) -> str:
    """An invisible SVG that defines every glyph the page's formulas use, once."""
    return (
        "<svg width='0' height='0' style='position:absolute' aria-hidden='true' "
        "xmlns='http://www.w3.org/2000/svg'><defs>" + "".join(glyphs.values()) + "</defs></svg>"
    )


def without_developers_notes(markdown: str) -> str:
    """The ODD without its section of notes for the developers, nor the sentence pointing to it."""
    markdown = re.sub(rf"\n## {DEVELOPERS}\n.*?(?=\n## |\Z)", "\n", markdown, flags=re.DOTALL)
    return re.sub(rf"[;,]?\s+and collected in \*{DEVELOPERS}\*[^.]*", "", markdown)


def render(markdown: str) -> str:
    """Markdown with dollar-sign maths to HTML whose formulas are SVG pictures."""
    formulas: list[tuple[str, bool]] = []

    def hold(match: re.Match) -> str:
        piece = match.group(0)
        if piece.startswith("`"):
            return piece
        display = piece.startswith("$$")
        formulas.append((piece[2:-2] if display else piece[1:-1], display))
        return f"ODDMATH{len(formulas) - 1}{'D' if display else 'I'}X"

    html = MarkdownIt("commonmark").enable("table").render(PIECES.sub(hold, markdown))

    glyphs: dict[str, str] = {}

    def draw(match: re.Match) -> str:
        latex, display = formulas[int(match.group(2))]
        picture, used = formula_svg(latex, display)
        glyphs.update(used)
        if display and match.group(1) and match.group(4):  # a formula alone in its paragraph
            return f"<p class='math-display'>{picture}</p>"
        return (match.group(1) or "") + picture + (match.group(4) or "")

    html = PLACEHOLDER.sub(draw, html)
    return glyph_defs(glyphs) + html


_drawing = threading.Lock()  # mathtext's fonts are shared: one drawing at a time
_drawn: list[str] = []


def odd_html() -> str:
    """The ODD tab's HTML, drawn once per server; a second caller waits for the first."""
    with _drawing:
        if not _drawn:
            _drawn.append(
                render(without_developers_notes(ODD.read_text()))
                if ODD.exists()
                else "<p>docs/ODD.md is missing.</p>"
            )
        return _drawn[0]


_warming = threading.Lock()


def warm() -> None:
    """Start drawing the tab in the background, once per server, so it is ready when opened."""
    if _warming.acquire(blocking=False):  # never released: one drawing per server is enough
        threading.Thread(target=odd_html, name="draw-odd", daemon=True).start()


@solara.component
def OddTab(style: dict):
    """The tab: the ODD, drawn in a thread the first time, so the page stays live meanwhile.

    Args:
        style: The page's style for long text.
    """
    drawing = solara.lab.use_task(odd_html, dependencies=[], prefer_threaded=True)
    if drawing.finished:
        solara.HTML(tag="div", unsafe_innerHTML=drawing.value, style=style, classes=["odd"])
    elif drawing.error:
        solara.Error(f"The model description could not be drawn: {drawing.exception}")
    else:
        solara.Text("Drawing the model's formulas (the first time takes a few seconds)…")
        solara.ProgressLinear(True)


CSS = """
.lab-page p.math-display { text-align: center; margin: 0.8em 0; overflow-x: auto; }
.lab-page svg.math { overflow: visible; }
"""
