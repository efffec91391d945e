"""The ODD tab: the model description, its mathematics drawn on the server, offline.

A browser in a training room often has no internet, and Solara's Markdown loads its maths renderer
from a CDN: the formulas would show as raw LaTeX. Here each formula is drawn by matplotlib's
mathtext into SVG, served inside the page (labelled with its LaTeX source for screen readers).
Mathtext reads a subset of LaTeX, so a few commands the ODD uses are first rewritten into ones it
knows. The developers' notes at the end of docs/ODD.md are left out of the tab: they are about the
code, not the model.
"""

from __future__ import annotations

import functools
import io
import re
from html import escape
from pathlib import Path

from markdown_it import MarkdownIt
from matplotlib import mathtext
from matplotlib.font_manager import FontProperties

HERE = Path(__file__).resolve().parent
# An installed wheel carries the ODD as dashboards/docs/ODD.md; a checkout has it in docs/.
ODD = next(
    (p for p in (HERE / "docs" / "ODD.md", HERE.parent / "docs" / "ODD.md") if p.is_file()),
    HERE.parent / "docs" / "ODD.md",
)
DEVELOPERS = "Notes for the developers"
MATH_PT = 12  # formulas are drawn at this size; the page scales them with its text (em)
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


GLYPH = re.compile(r"<path id=\"([^\"]+)\"[^>]*/>", flags=re.DOTALL)


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
    scale = 1.15 if display else 1.0
    try:
        prop = FontProperties(size=MATH_PT)
        _, height, depth, *_ = mathtext.MathTextParser("path").parse(source, dpi=72, prop=prop)
        buffer = io.BytesIO()
        mathtext.math_to_image(source, buffer, prop=prop, dpi=72, format="svg")
    except ValueError:
        return f"<code class='math-source'>{escape(latex)}</code>", {}
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg") :]
    glyphs = {m.group(1): " ".join(m.group(0).split()) for m in GLYPH.finditer(svg)}
    svg = GLYPH.sub("", svg)
    # No metadata, comments, background or empty defs: the glyphs' uses and placement are all.
    svg = re.sub(r"<metadata>.*?</metadata>|<!--.*?-->", "", svg, flags=re.DOTALL)
    svg = re.sub(r"<g id=\"patch_1\">.*?</g>", "", svg, count=1, flags=re.DOTALL)
    svg = re.sub(r"<defs>\s*</defs>", "", svg)
    svg = " ".join(svg.split())
    style = (
        f"height:{scale * height / MATH_PT:.3f}em;vertical-align:{-scale * depth / MATH_PT:.3f}em"
    )
    label = escape(latex, quote=True)
    svg = re.sub(
        r'<svg ([^>]*?)width="[^"]*" height="[^"]*"',
        lambda m: f"<svg class='math' role='img' aria-label='{label}' style='{style}' {m[1]}",
        svg,
        count=1,
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


@functools.cache
def odd_html() -> str:
    """The ODD tab's HTML, drawn once per server (the first time the tab is opened)."""
    if not ODD.exists():
        return "<p>docs/ODD.md is missing.</p>"
    return render(without_developers_notes(ODD.read_text()))


CSS = """
.lab-page p.math-display { text-align: center; margin: 0.8em 0; overflow-x: auto; }
.lab-page svg.math { overflow: visible; }
"""
