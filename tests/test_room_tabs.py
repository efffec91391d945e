"""The tabs a trainer uses beside Compare and Story: Red beads, Give up and Replace and the ODD.

Rendered headless (no browser): the red bead lesson says what the run showed, the room can draw
the beads, every input refuses a bad value in one line and keeps what is on screen, Give up and
Replace judges every measure by what citizens gained with its units kept apart, the ODD's
formulas are drawn on the server, and every statistic on these tabs has plain-words help.
"""

import re
from unittest import mock

import ipyvuetify as v
import ipywidgets as w
import pytest
import solara
from matplotlib.text import Text

from dashboards import odd, redbead, replace
from dashboards.glossary import lookup
from dashboards.presenter import CHART_FONT_PT
from sim.params import MAX_SEED
from sim.redbead import RedBeadModel

BAD_SEEDS = ["-5", str(10**30)]


def _walk(widget):
    todo, seen = [widget], set()
    while todo:
        x = todo.pop()
        if id(x) not in seen:
            seen.add(id(x))
            yield x
            todo += [c for c in getattr(x, "children", None) or [] if isinstance(c, w.Widget)]


def _text(box) -> str:
    return " ".join(
        value
        for x in _walk(box)
        for key in x.keys
        if isinstance(value := getattr(x, key, None), str)
    )


def _warnings(rc) -> list[str]:
    return [" ".join(c for c in a.children if isinstance(c, str)) for a in rc.find(v.Alert).widgets]


def _field(rc, label: str):
    return next(t for t in rc.find(v.TextField).widgets if t.label == label)


def _type(field, text: str) -> None:
    field.v_model = text
    if "keyup.enter" in "".join(field._event_handlers_map):  # a box that applies on Enter
        field.fire_event("keyup.enter", {})


def _click(rc, label: str) -> None:
    next(b for b in rc.find(v.Btn).widgets if label in b.children).fire_event("click", {})


def _images(box) -> list[bytes]:
    return [bytes(x.value) for x in _walk(box) if isinstance(x, w.Image)]


def _finished(**counts_by_day) -> RedBeadModel:
    model = RedBeadModel(rng=1)
    for day in range(1, model.days + 1):
        hand = counts_by_day.get(f"day{day}")
        if hand is None:
            model.step()
        else:
            model.step_by_hand({w.name: hand.get(w.name, 10) for w in model.active})
    return model


# --- Red beads -----------------------------------------------------------------------------


def test_the_lesson_says_every_count_is_inside_the_limits_when_it_is():
    model = _finished()
    low, _, high = model.limits()
    counts = [n for w in model.workers for n in w.counts]
    assert all(low <= n <= high for n in counts)
    first, second = redbead.lesson(model)
    assert first.startswith(f"All {len(counts)} counts lie inside the control limits")
    assert "not the people" in first and "outside" not in first
    assert "the system, not the people" in second


def test_the_lesson_names_each_count_outside_the_limits():
    model = _finished(day2={"Alex": 20, "Bea": 0})
    first, _ = redbead.lesson(model)
    assert "Alex's 20 on day 2 and Bea's 0 on day 2 lie outside" in first
    assert "All " not in first
    low, _, high = model.limits()
    inside = sum(low <= n <= high for w in model.workers for n in w.counts)
    assert first.startswith(f"{inside} of the")


def test_a_hand_drawn_day_is_judged_like_a_drawn_one_and_impossible_counts_are_refused():
    model = RedBeadModel(rng=1)
    model.step_by_hand({"Alex": 3, "Bea": 12, "Cam": 9, "Dee": 9, "Eli": 9, "Fay": 9})
    assert [w.counts for w in model.workers][:2] == [[3], [12]] and model.day == 1
    assert "Day 1: merit award for Alex (3 red)" in model.log
    with pytest.raises(ValueError, match="one count for each worker"):
        model.step_by_hand({"Alex": 3})
    with pytest.raises(ValueError, match="0 to 50"):
        model.step_by_hand({w.name: 51 for w in model.active})
    assert model.day == 1  # a refused day is not a day


def test_the_np_chart_has_no_text_smaller_than_presenter_mode_reads():
    fig = redbead.np_figure(_finished())
    fig.canvas.draw()  # tick labels exist once drawn
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    assert len(sizes) > 30 and min(sizes) >= CHART_FONT_PT


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("", "no count for Bea yet"),
        ("-3", "Bea's count '-3' is not allowed"),
        ("51", "Bea's count '51' is not allowed"),
        ("ten", "Bea's count 'ten' is not allowed"),
        ("1" * 40, "Bea's count '111111111111...' is not allowed"),
    ],
)
def test_a_bad_count_from_the_room_is_one_line_and_records_nothing(typed, named):
    box, rc = solara.render(redbead.RedBeads(), handle_error=False)
    next(s for s in rc.find(v.Switch).widgets if "room draws" in s.label).v_model = True
    for worker in ("Alex", "Cam", "Dee", "Eli", "Fay"):
        _type(_field(rc, f"{worker}'s red beads"), "9")
    _type(_field(rc, "Bea's red beads"), typed)
    _click(rc, "Record day 1")
    (warning,) = _warnings(rc)
    assert warning.startswith("Not recorded, day 1 is still open: ") and named in warning
    assert "from 0 to 50" in warning and "\n" not in warning and "Traceback" not in warning
    assert "<h3>Day 1</h3>" not in _text(box)
    _type(_field(rc, "Bea's red beads"), "12")
    _click(rc, "Record day 1")
    assert not _warnings(rc) and "<h3>Day 1</h3>" in _text(box)
    assert any("Record day 2" in b.children for b in rc.find(v.Btn).widgets)


def test_the_room_can_draw_one_worker_at_a_time_and_ends_with_the_lesson():
    box, rc = solara.render(redbead.RedBeads(), handle_error=False)
    next(s for s in rc.find(v.Switch).widgets if "room draws" in s.label).v_model = True
    for day in range(1, 5):
        names = [
            b.children[0][len("Draw for ") :]
            for b in rc.find(v.Btn).widgets
            if b.children and str(b.children[0]).startswith("Draw for ")
        ]
        assert names, day
        for name in names:
            _click(rc, f"Draw for {name}")
            assert _field(rc, f"{name}'s red beads").v_model.isdigit()
        _click(rc, f"Record day {day}")
    text = _text(box)
    assert "What the run shows" in text and "control limits" in text
    assert "Record day" not in text  # four days, then it is over


@pytest.mark.parametrize("typed", BAD_SEEDS)
def test_a_bad_seed_in_red_beads_is_one_line_and_keeps_the_experiment(typed):
    box, rc = solara.render(redbead.RedBeads(), handle_error=False)
    _click(rc, "Next day")
    shown = _images(box)
    _type(_field(rc, "Experiment (seed)"), typed)
    (warning,) = _warnings(rc)
    assert f"seed={typed} is out of range: use a whole number from 0 to {MAX_SEED}" in warning
    assert warning.startswith("Not applied") and "\n" not in warning
    assert _images(box) == shown and "<h3>Day 1</h3>" in _text(box)  # nothing restarted
    _type(_field(rc, "Experiment (seed)"), "7")
    assert not _warnings(rc) and "<h3>Day 0</h3>" in _text(box)


# --- Give up and Replace -------------------------------------------------------------------


@pytest.fixture(scope="module")
def frames():
    return replace.runs("Citizens report their own wellbeing", 1, weeks=20)


def test_replace_judges_every_measure_by_what_citizens_gained(frames):
    verdict = replace.verdict(frames, "Citizens report their own wellbeing")
    means = replace.table(frames).loc[replace.FIGURES[replace.YARDSTICK]]
    assert verdict.startswith("Judged by what citizens gained (true wellbeing")
    assert f"{means['before']:.2f} with the designed measure" in verdict
    assert f"{means['after']:.2f} with “Citizens report" in verdict
    # Each measure's "real outcomes" count different things: never set side by side.
    assert "true_performance" not in replace.FIGURES
    html = replace.tables_html(frames)
    assert html.index("What citizens gained") < html.index("Gaming")


def test_replace_keeps_units_apart_and_names_them_in_every_header(frames):
    html = replace.tables_html(frames)
    tables = re.findall(r"<table.*?</table>", html, flags=re.DOTALL)
    assert len(tables) == len(replace.GROUPS) == 3
    for table, (_, unit, _, _, figures) in zip(tables, replace.GROUPS, strict=True):
        head = re.search(r"<thead>.*?</thead>", table, flags=re.DOTALL).group(0)
        headers = [h for h in re.findall(r"<th>([^<]*)</th>", head) if h]
        assert len(headers) == 3
        assert all(f"({unit}" in h or "percentage points" in h for h in headers), headers
        rows = re.findall(r"<tr>\s*<th>(.*?)</th>(.*?)</tr>", table, flags=re.DOTALL)
        assert len(rows) == len(figures)
        for _, cells in rows:
            values = re.findall(r"<td>([^<]*)</td>", cells)
            if unit == "%":  # whole percentages, never a 0-1 share beside a ratio
                assert all(re.fullmatch(r"-?\d+", x) for x in values), values
            else:
                assert all(re.fullmatch(r"-?\d+\.\d\d", x) for x in values), values
    share = replace.table(frames).loc["citizens parked", "after"]
    assert f"<td>{share * 100:.0f}</td>" in html


@pytest.mark.parametrize("typed", BAD_SEEDS)
def test_a_bad_seed_in_replace_keeps_the_runs(typed):
    real_runs, seeds_run = replace.runs, []

    def short_runs(option, seed=1):
        seeds_run.append(seed)
        return real_runs(option, seed, weeks=8)

    with mock.patch.object(replace, "runs", short_runs):
        box, rc = solara.render(replace.GiveUpAndReplace(active=True), handle_error=False)
        shown = _images(box)
        _type(_field(rc, "Seed"), typed)
        (warning,) = _warnings(rc)
        assert f"seed={typed} is out of range" in warning and "\n" not in warning
        assert seeds_run == [1] and _images(box) == shown


# --- Plain-words help ----------------------------------------------------------------------


def _chart_words(fig) -> list[str]:
    words = []
    for ax in fig.axes:
        words += [ax.get_title(), ax.get_ylabel()]
        if ax.get_legend() is not None:
            words += [t.get_text() for t in ax.get_legend().get_texts()]
    return [x for x in words if x.strip()]


def test_every_statistic_on_red_beads_and_replace_has_plain_words_help(frames):
    option = "Citizens report their own wellbeing"
    sides = ("designed measure: ", f"{option}: ")
    shown = list(replace.FIGURES.values()) + replace.LABELS + redbead.LABELS
    for label in _chart_words(replace.figure(frames, option)):
        shown.append(next((label[len(s) :] for s in sides if label.startswith(s)), label))
    shown += [
        x
        for x in _chart_words(redbead.np_figure(_finished()))
        if x not in ("designed measure", option)
    ]
    units = ("designed measure", option, "week", "share of caseloads")  # names and units
    shown = [x for x in shown if x not in units]
    assert len(shown) > 20
    assert sorted({x for x in shown if lookup(x) is None}) == []


def test_the_lesson_and_the_tables_carry_their_meaning_as_tooltips(frames):
    box, rc = solara.render(redbead.RedBeads(), handle_error=False)
    for _ in range(4):
        _click(rc, "Next day")
    text = _text(box)
    assert "<span class='term' title='Three standard deviations" in text
    assert "<details class='glossary'>" in text
    html = replace.tables_html(frames)
    assert "<span class='term' title='How well citizens&#x27; lives" in html


# --- ODD -------------------------------------------------------------------------------------


def test_the_odd_draws_every_formula_and_leaves_out_the_developers_notes():
    source = odd.ODD.read_text()
    html = odd.odd_html()
    assert "Notes for the developers" in source
    assert "Notes for the developers" not in html and "## " not in html
    assert "<h2>10. References</h2>" in html  # the ODD itself is all there
    assert "Deming" in html  # and so is the appendix after the notes
    text = re.sub(r"<svg.*?</svg>|<[^>]+>", " ", html, flags=re.DOTALL)
    assert "$" not in text and "\\frac" not in text and "\\mathcal" not in text
    assert "math-source" not in html  # mathtext drew every one
    prose = re.sub(r"`[^`]*`", "", odd.without_developers_notes(source))
    inline = len(re.findall(r"(?<!\$)\$(?!\$)", re.sub(r"\$\$.+?\$\$", "", prose, flags=re.S)))
    displayed = prose.count("$$") // 2
    assert html.count("<svg class='math'") == inline // 2 + displayed > 450


def test_a_dollar_in_code_is_left_alone_and_every_glyph_is_defined_once():
    html = odd.render("Cost `$5` and $x_j \\ge 1$ and $x_j$.\n\n$$\\frac{a}{b}$$\n")
    assert "<code>$5</code>" in html
    assert html.count("<svg class='math'") == 3 and "math-display" in html
    uses = set(re.findall(r"<use href='#([^']+)'", html))
    defined = re.findall(r"<path id='([^']+)'", html)
    assert uses and uses <= set(defined) and len(defined) == len(set(defined))


@pytest.mark.parametrize(
    ("latex", "drawn"),
    [
        (r"a \ge b \le c", r"a \geq b \leq c"),
        (r"\texttt{NEAR\_WIDTH} \tfrac12", r"\mathtt{NEAR\_WIDTH} \frac{1}{2}"),
        (r"\big(x\Big)", "(x)"),
        (r"\underbrace{A+B}_{\text{own}}", r"\underset{\text{own}}{A+B}"),
        (
            r"\begin{cases}0 & E\\ 1 & \text{no}\end{cases}",
            r"\left\{\ 0\quad E;\qquad 1\quad \text{no}\right.",
        ),
    ],
)
def test_latex_the_odd_uses_is_rewritten_into_what_mathtext_draws(latex, drawn):
    assert odd.mathtext_source(latex) == drawn
