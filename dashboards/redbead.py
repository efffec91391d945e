"""Deming's red bead experiment as a dashboard tab: the foreman's programme against chance.

The computer draws the paddles, or the room does: each worker's count typed in from a real
paddle and bowl, or drawn for one worker at a time at the press of a button. After the last day
the tab closes with the lesson the run itself shows: whether every count lies inside the control
limits (the system, not the people), and which do not if any fall outside.
"""

from __future__ import annotations

import io
from html import escape

import solara
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from dashboards.glossary import explain, glossary_html
from dashboards.presenter import CHART_DPI, CHART_FONT_PT
from sim.params import MAX_SEED, ParamError, check_seed
from sim.redbead import RedBeadModel

INTRO = (
    "<h2>The red bead experiment</h2><p>4,000 beads, 800 of them red. Six willing workers each "
    "dip a paddle of 50 beads a day. The foreman rewards the fewest red beads, warns the most, "
    "puts repeat offenders on probation and fires them after day 3. Every count comes from the "
    "same system: the differences between workers are chance.</p>"
)
TABLE_STYLE = "<style>.beads td, .beads th {padding: 0.1em 0.7em; text-align: right}</style>"
PADDLES = {
    "fair paddle": 0.0,
    "Deming's paddle No. 1 (≈9.4)": -0.07,
    "Deming's paddle No. 2 (≈11.3)": 0.17,
}
# Drawn at the size it is shown in presenter mode at 1280×720 (no wider than the page), so no
# text on it is under presenter.CHART_FONT_PX on the projector.
CHART_INCHES = (12.0, 4.4)
TYPED_SHOWN = 12  # characters of a rejected entry repeated in its one-line message
Y_LABEL = "red beads in 50"
# Every statistic the tab shows, as it names them (its table, chart and lesson).
LABELS = [Y_LABEL, "np chart", "centre line", "control limits", "merit award"]


def np_figure(model: RedBeadModel) -> Figure:
    """Red beads per worker and day on an np chart, with the centre line and 3-sigma limits."""
    fig = Figure(figsize=CHART_INCHES, dpi=CHART_DPI, layout="constrained")
    ax = fig.subplots()
    low, centre, high = model.limits()
    # In time order, as the foreman saw them: day by day, each worker in turn.
    counts = [
        (w.name, day, w.counts[day])
        for day in range(model.day)
        for w in model.workers
        if day < len(w.counts)
    ]
    x = list(range(1, len(counts) + 1))
    ys = [count for _, _, count in counts]
    ax.plot(x, ys, marker="o", color="#c0392b")
    outside = [(i, y) for i, y in zip(x, ys, strict=True) if not low <= y <= high]
    if outside:  # a signal: drawn so the room cannot miss it
        ax.plot(*zip(*outside, strict=True), ls="", marker="o", ms=14, mfc="none", color="k")
    for level, style, name in (
        (high, "--", f"upper control limit {high:.1f}"),
        (centre, "-", f"centre line {centre:.0f}"),
        (low, "--", f"lower control limit {low:.1f}"),
    ):
        ax.axhline(level, color="#34495e", ls=style, lw=1)
        ax.text(len(x) + 0.6, level, name, va="center", fontsize=CHART_FONT_PT)
    ax.set_xlim(0.5, max(len(x), 1) + 0.5)
    ax.set_xticks(x, [name for name, _, _ in counts])
    ax.tick_params(labelsize=CHART_FONT_PT)
    ax.tick_params(axis="x", labelrotation=90)
    for day in range(model.day):  # a day's draws sit together, named above them
        on_day = [i for i, (_, d, _) in zip(x, counts, strict=True) if d == day]
        ax.text(
            sum(on_day) / len(on_day),
            1.02,
            f"day {day + 1}",
            ha="center",
            transform=ax.get_xaxis_transform(),
            fontsize=CHART_FONT_PT,
        )
        if day:
            ax.axvline(on_day[0] - 0.5, color="#bbbbbb", lw=1)
    ax.set_ylim(0, max(22, high + 2, max(ys, default=0) + 2))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # beads come whole
    ax.set_ylabel(Y_LABEL, fontsize=CHART_FONT_PT)
    ax.set_title("np chart of every draw", fontsize=CHART_FONT_PT, pad=22)
    return fig


def np_chart(model: RedBeadModel) -> bytes:
    """The np chart as a PNG, at the size presenter mode shows it."""
    buf = io.BytesIO()
    np_figure(model).savefig(buf, format="png")
    return buf.getvalue()


def check_count(name: str, typed: str, most: int) -> int:
    """A count typed in from a real paddle, as a number of red beads.

    Args:
        name: The worker who drew it.
        typed: What was typed.
        most: The most red beads a paddle can hold.

    Raises:
        ValueError: One line naming the worker, what was typed and what is allowed.
    """
    text = typed.strip()
    allowed = f"type a whole number of red beads from 0 to {most}"
    if not text:
        raise ValueError(f"no count for {name} yet: {allowed}, or press Draw for {name}")
    shown = text if len(text) <= TYPED_SHOWN else text[:TYPED_SHOWN] + "..."
    if not text.isdigit() or int(text) > most:
        raise ValueError(f"{name}'s count {shown!r} is not allowed: {allowed}")
    return int(text)


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def lesson(model: RedBeadModel) -> list[str]:
    """The closing lesson, in the words of what this run showed (one paragraph a string)."""
    low, centre, high = model.limits()
    draws = [(w.name, day + 1, n) for w in model.workers for day, n in enumerate(w.counts)]
    outside = [(name, day, n) for name, day, n in draws if not low <= n <= high]
    fewest = min(draws, key=lambda d: d[2])
    most = max(draws, key=lambda d: d[2])
    fired = [w.name for w in model.workers if w.status == "fired"]
    awarded = sorted({w.name for w in model.workers if w.merit})
    mean = sum(n for *_, n in draws) / len(draws)
    acts = [f"the merit awards to {_names(awarded)}"]
    acts += ["the warnings"] if any("warned" in line for line in model.log) else []
    acts += [f"the firing of {_names(fired)}"] if fired else []
    judged = _names(acts)
    judged = judged[0].upper() + judged[1:]
    if not outside:
        first = (
            f"All {len(draws)} counts lie inside the control limits ({low:.1f} to {high:.1f}): "
            f"one system made every one of them. {fewest[0]}'s {fewest[2]} on day {fewest[1]} "
            f"and {most[0]}'s {most[2]} on day {most[1]} differ by chance alone. {judged} "
            "judged the bowl and the paddle, not the people."
        )
    else:
        named = [f"{name}'s {n} on day {day}" for name, day, n in outside]
        first = (
            f"{len(draws) - len(outside)} of the {len(draws)} counts lie inside the control "
            f"limits ({low:.1f} to {high:.1f}); {_names(named)} "
            f"{'lies' if len(outside) == 1 else 'lie'} outside. A count outside the limits is a "
            "signal that something other than the usual chance was at work: ask what changed "
            "in the system that day (the paddle, the bowl, the count) before judging the "
            f"person. The counts inside differ by chance alone, and {judged[0].lower()}"
            f"{judged[1:]} judged that chance."
        )
    return [
        first,
        f"The workers averaged {mean:.1f} red beads a paddle; the bowl's mix predicts "
        f"{centre:.0f}. Only a change to the system (the bowl, the paddle, the rules) moves "
        "that: the system, not the people. Changing it is management's job.",
    ]


@solara.component
def RoomDraw(model: RedBeadModel, day: int, on_day):
    """The room draws the beads: a count per worker, typed in or drawn here, then the day.

    Args:
        model: The session's experiment.
        day: The day being drawn (a new day redraws this part of the tab).
        on_day: Called once the day's counts are recorded.
    """
    typed = solara.use_reactive({})  # worker's name: what was typed or drawn for them
    problem = solara.use_reactive("")  # why the day was not recorded

    def set_count(name: str, value: str | None) -> None:
        typed.value = {**typed.value, name: value or ""}

    def record() -> None:
        try:
            counts = {
                w.name: check_count(w.name, typed.value.get(w.name, ""), model.most_red)
                for w in model.active
            }
        except ValueError as e:
            problem.value = f"Not recorded, day {day} is still open: {e}"
            return
        problem.value = ""
        typed.value = {}
        model.step_by_hand(counts)
        on_day()

    # Plain HTML: solara.Markdown would fetch its maths and diagram renderers from a CDN.
    solara.HTML(
        tag="p",
        unsafe_innerHTML=f"<b>Day {day}, drawn by the room.</b> Each worker dips a real paddle "
        "and the room counts the red beads; type each count, or press Draw to draw that "
        "worker's paddle here.",
    )
    for worker in model.active:
        with solara.Row(style={"align-items": "center"}):
            solara.InputText(
                f"{worker.name}'s red beads",
                value=typed.value.get(worker.name, ""),
                on_value=lambda v, name=worker.name: set_count(name, v),
                continuous_update=True,  # a click on Record follows the last key
            )
            solara.Button(
                f"Draw for {worker.name}",
                on_click=lambda name=worker.name: set_count(name, str(model.draw())),
                outlined=True,
            )
    solara.Button(f"Record day {day}", on_click=record, color="primary")
    if problem.value:
        solara.Warning(problem.value, dense=True, classes=["redbead-problem"])


@solara.component
def RedBeads():
    """One session's red bead experiment: run it day by day, as the foreman would."""
    seed = solara.use_reactive(1)
    paddle = solara.use_reactive(next(iter(PADDLES)))
    by_room = solara.use_reactive(False)
    problem = solara.use_reactive("")  # why the last seed typed was not used
    model = solara.use_memo(
        lambda: RedBeadModel(rng=seed.value, paddle_bias=PADDLES[paddle.value]),
        [seed.value, paddle.value],
    )
    day = solara.use_reactive(0)
    _ = day.value  # read, so a day recorded redraws the tab (the model holds the days)

    def next_day():
        if model.day < model.days:
            model.step()
            day.value = model.day

    def new_experiment():
        seed.value = (seed.value + 1) % (MAX_SEED + 1)
        problem.value = ""
        day.value = 0

    def set_seed(typed) -> None:
        # The main seed box's check: a rejected seed keeps the experiment on screen and says why.
        try:
            seed.value = check_seed(typed)
        except ParamError as e:
            problem.value = f"Not applied, the experiment below is unchanged: {e}"
            return
        problem.value = ""
        day.value = 0

    def choose_paddle(name: str) -> None:
        paddle.value = name
        day.value = 0

    solara.HTML(
        tag="div", unsafe_innerHTML=INTRO, style={"font-size": "1.1em", "max-width": "60em"}
    )
    with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
        if not by_room.value:
            solara.Button(
                "Next day", on_click=next_day, disabled=model.day >= model.days, color="primary"
            )
        solara.Button("New experiment", on_click=new_experiment)
        solara.Select("Paddle", values=list(PADDLES), value=paddle.value, on_value=choose_paddle)
        # A plain value, not the reactive: a rejected seed must not become the experiment's.
        solara.InputInt("Experiment (seed)", value=seed.value, on_value=set_seed)
    solara.Switch(label="The room draws the beads", value=by_room)
    solara.Text("The same experiment number gives the same beads.", style={"color": "#555"})
    if problem.value:
        solara.Warning(problem.value, dense=True, classes=["redbead-problem"])
    if by_room.value and model.day < model.days:
        RoomDraw(model, model.day + 1, on_day=lambda: day.set(model.day))
    table = model.table()
    if len(table):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"<h3>Day {model.day}</h3>{TABLE_STYLE}"
            + table.to_html(na_rep="fired", border=0, classes="beads")
            + f"<p>Each figure: {Y_LABEL} (the paddle's count of red beads).</p>",
            style={"font-size": "1.2em"},
        )
        solara.Image(np_chart(model), classes=["redbead-chart"])
        if model.day >= model.days:
            paragraphs = "".join(f"<p>{escape(p)}</p>" for p in lesson(model))
            solara.HTML(
                tag="div",
                unsafe_innerHTML=explain(f"<h3>What the run shows</h3>{paragraphs}"),
                classes=["redbead-lesson"],
                style={"font-size": "1.2em", "max-width": "60em"},
            )
        solara.HTML(tag="div", unsafe_innerHTML="<br>".join(model.log))
        solara.HTML(tag="div", unsafe_innerHTML=glossary_html(LABELS))
    elif not by_room.value:
        solara.HTML(tag="div", unsafe_innerHTML="<h3>Day 0</h3><p>Press Next day.</p>")
