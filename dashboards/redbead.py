"""Deming's red bead experiment as a dashboard tab: the foreman's programme against chance."""

from __future__ import annotations

import io

import solara
from matplotlib.figure import Figure

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


def np_chart(model: RedBeadModel) -> bytes:
    """Red beads per worker and day on an np chart, with the centre line and 3-sigma limits."""
    fig = Figure(figsize=(8, 3.6), dpi=80, layout="constrained")
    ax = fig.subplots()
    low, centre, high = model.limits()
    # In time order, as the foreman saw them: day by day, each worker in turn.
    counts = [
        (f"{w.name[:3]}\nd{day + 1}", w.counts[day])
        for day in range(model.day)
        for w in model.workers
        if day < len(w.counts)
    ]
    x = range(1, len(counts) + 1)
    ax.plot(x, [c for _, c in counts], marker="o", color="#c0392b")
    for level, style in ((low, "--"), (centre, "-"), (high, "--")):
        ax.axhline(level, color="#34495e", ls=style, lw=1)
    ax.set_xticks(list(x), [label for label, _ in counts], fontsize=7)
    ax.set_ylim(0, max(22, high + 2))
    ax.set_ylabel("red beads in 50")
    ax.set_title(f"np chart: centre {centre:.0f}, limits {low:.1f} and {high:.1f}")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


@solara.component
def RedBeads():
    """One session's red bead experiment: run it day by day, as the foreman would."""
    seed = solara.use_reactive(1)
    paddle = solara.use_reactive(next(iter(PADDLES)))
    model = solara.use_memo(
        lambda: RedBeadModel(rng=seed.value, paddle_bias=PADDLES[paddle.value]),
        [seed.value, paddle.value],
    )
    day = solara.use_reactive(0)

    def next_day():
        if model.day < model.days:
            model.step()
            day.value = model.day

    def new_experiment():
        seed.value += 1
        day.value = 0

    solara.HTML(
        tag="div", unsafe_innerHTML=INTRO, style={"font-size": "1.1em", "max-width": "60em"}
    )
    with solara.Row():
        solara.Button(
            "Next day", on_click=next_day, disabled=day.value >= model.days, color="primary"
        )
        solara.Button("New experiment", on_click=new_experiment)
        solara.Select("Paddle", values=list(PADDLES), value=paddle)
        solara.Text(f"Experiment {seed.value} (its seed: the same number gives the same beads)")
    table = model.table()
    if len(table):
        solara.HTML(
            tag="div",
            unsafe_innerHTML=f"<h3>Day {day.value}</h3>{TABLE_STYLE}"
            + table.to_html(na_rep="fired", border=0, classes="beads"),
            style={"font-size": "1.2em"},
        )
        solara.Image(np_chart(model))
        solara.HTML(tag="div", unsafe_innerHTML="<br>".join(model.log))
    else:
        solara.HTML(tag="div", unsafe_innerHTML="<h3>Day 0</h3><p>Press Next day.</p>")
