"""Accountability Lab dashboard: one public service, two ways of holding it to account.

Run with ``solara run dashboards/app.py`` (http://localhost:8765). Every browser session owns two
models built from one seed, so both sides meet the same citizens and the same bad luck; one
learner's Step never moves another's simulation.

Play steps the session's ``Twin`` from a worker thread while buttons and sliders act on it from
the UI thread; the twin's lock and generation keep them apart (see dashboards.twin).
"""

from __future__ import annotations

import gc
import time
from html import escape
from pathlib import Path

import solara
import solara.lab
import solara.server.settings
from markdown_it import MarkdownIt

from dashboards import odd, presenter, room, sessions
from dashboards.charts import (
    GAINED,
    INDICATOR_REALLY,
    PANELS,
    REPORTED,
    WELLBEING,
    charts_figure,
)
from dashboards.glossary import explain, glossary_html
from dashboards.live import LiveCharts, LivePicture
from dashboards.odd import ODD  # noqa: F401  (where the ODD tab reads from; tests ask)
from dashboards.play import PlayPage, PlayWorker
from dashboards.redbead import RedBeads
from dashboards.replace import GiveUpAndReplace
from dashboards.scenarios import SCENARIOS
from dashboards.settings import (
    CONTROLS,
    DASHBOARD_MAX,
    Settings,
    csv_with_settings,
    from_query,
    png_with_settings,
    scenario_sliders,
)
from dashboards.story import StoryMode
from dashboards.system_view import SystemView
from dashboards.twin import Twin
from sim.params import PARAMS, ParamError

HERE = Path(__file__).resolve().parent
SPEEDS = {"slow": 1.0, "normal": 0.3, "fast": 0.05}  # seconds between weeks
CATCH_UP = 8  # most weeks stepped between two frames when the server is busy
FRAME_WAIT = 10.0  # seconds a playing session waits for its last frame before going on
TURN_WAIT = 1.0  # most seconds a loop keeps its turn waiting for its frame (others queue)
PAUSE_POLL = 0.05  # most seconds Play sleeps between checks that it is still wanted
UNDO_DEPTH = 20  # changes a session can undo, one at a time
REPLACE_TAB = 3  # position of "Give up and Replace": its runs wait until it is opened
ODD_TAB = 6  # position of the ODD: its formulas are drawn the first time it is opened
SYSTEM_TAB = 7  # position of "Whole system": its run waits until it is opened
# The garbage collector's thresholds for the server (young allocations, then collections of the
# generation below): Python's defaults are (700, 10, 10). Why these: at the end of this file.
COLLECTION_THRESHOLDS = (10_000, 10, 100)
STYLE = {"font-size": "1.05em", "line-height": "1.5", "max-width": "60em", "padding": "1em"}
BOLD = {"font-weight": "bold", "display": "block", "margin": "0.8em 0 0.3em"}


def html(markdown: str) -> str:
    """Markdown to HTML on the server (solara.Markdown would fetch KaTeX from a CDN)."""
    return MarkdownIt("commonmark").enable("table").render(markdown)


# Solara's "This website runs on Solara" badge covers the bottom right of charts and text; the
# page's CSS hides it too (dashboards.presenter), should a server start without this setting.
solara.server.settings.theme.show_banner = False
ABOUT = explain(html((HERE / "about.md").read_text()))  # its statistics explain themselves


@solara.component
def Control(name: str, value, on_value):
    """A control generated from the parameter's declaration, with its meaning as help text."""
    p = PARAMS[name]
    if p.kind is int:
        top = int(min(p.high, DASHBOARD_MAX.get(name, p.high)))
        solara.SliderInt(p.label, value=value, min=int(p.low), max=top, on_value=on_value)
    else:
        step = round((p.high - p.low) / 100, 4)
        solara.SliderFloat(
            p.label, value=value, min=p.low, max=p.high, step=step, on_value=on_value
        )
    solara.Text(
        f"Now {value:g} (default {p.default:g}). {p.meaning}",
        style={
            "font-size": "0.8em",
            "color": "#555",
            "display": "block",
            "margin": "-1.2em 0 0.6em",
        },
    )


def headlines(frames: dict) -> list[str]:
    """Each side's latest figures in words, one HTML line a side, what citizens gained first.

    The indicator's true value counts outcomes by the indicator's own definition; a side can lead
    on it and trail on what citizens gained, so the two are never called by the same word.
    """
    rows = []
    for label, df in frames.items():
        if len(df):
            last = df.iloc[-1]
            rows.append(
                f"<b>{label}</b>: {GAINED} (true wellbeing) <b>{last.mean_wellbeing:.2f}</b>"
                f" · {REPORTED} {last.measured_performance:.0%},"
                f" {INDICATOR_REALLY} {last.true_performance:.0%}"
                f" · parked {last.parked_share:.0%} · trust {last.citizen_trust:.2f}"
            )
    return rows


HEADLINE_NOTE = (
    "<div style='font-size:0.8em;color:#555;margin-top:0.3em'>Only true wellbeing says "
    f"{GAINED}. “{REPORTED.capitalize()}” is what the indicator shows; “{INDICATOR_REALLY}” "
    "leaves out invented records: citizens who really reached the outcome the indicator counts, "
    "by its own definition, not what they gained.</div>"
)


# Every statistic the Compare tab names (charts' titles and lines, the headline's words).
COMPARE_LABELS = [
    WELLBEING[0],
    REPORTED,
    INDICATOR_REALLY,
    *(title for title, _, _ in PANELS),
    *(label for _, _, labels in PANELS for label in labels if label),
    "parked",
    "trust",
]
COMPARE_GLOSSARY = glossary_html(COMPARE_LABELS)


@solara.component
def Counters(week: int, rows: list[str]):
    """The week and each side's headline figures, in words."""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<h2>Week {week}</h2>" + explain("<br>".join(rows) + HEADLINE_NOTE),
        style={"font-size": "1.15em", "padding": "0 1em"},
    )


@solara.component
def Compare(twin: Twin, tick: solara.Reactive[int], presenting: bool = False):
    """Charts for both sides, overlaid, and the picture of the agents.

    Only this component (and Moves) reads ``tick``, so a new frame redraws the figures, not the
    whole page with its controls. Presenting, no chart text is under presenter.COMPARE_FONT_PT.
    """
    charts = solara.use_memo(
        lambda: LiveCharts(list(twin.frames()), presenter.COMPARE_FONT_PT if presenting else 0),
        [presenting],
    )
    picture = solara.use_memo(lambda: LivePicture(twin), [])
    shown = tick.value
    # One consistent week: the picture reads the models' live arrays, which Play would otherwise
    # change halfway through a frame.
    with twin.lock:
        week, frames, agents, events = twin.week, twin.frames(), picture.render(), twin.events
    Counters(week, headlines(frames))
    solara.Image(charts.render(frames, events), format="jpeg", classes=["compare-chart"])
    solara.Image(agents, format="jpeg", classes=["compare-chart"])
    solara.HTML(tag="div", unsafe_innerHTML=COMPARE_GLOSSARY, style={"padding": "0 1em"})
    twin.shown = shown  # lets Play wait for this frame instead of queueing more


@solara.component
def Moves(twin: Twin, tick: solara.Reactive[int], redraw):
    """Mid-run moves: switch the targets side to learning, or shift what counts as good."""
    _ = tick.value  # redrawn with each frame: the switch is disabled once done

    def switch():
        twin.switch("left", "learning")
        redraw()

    def shift():
        twin.shift()
        redraw()

    solara.Button(
        "Switch targets side to learning",
        on_click=switch,
        outlined=True,
        disabled=twin.models["left"].regime.name == "learning",
    )
    solara.Button("Shift what counts as good", on_click=shift, outlined=True, disabled=twin.shifted)


@solara.component
def Page():
    """The whole dashboard; everything below belongs to this browser session."""
    router = solara.use_router()
    # The address may set the scenario, seed and sliders (dashboards.settings); what it got
    # wrong is said in one line each, and the defaults are used instead.
    asked, address_problems = solara.use_memo(lambda: from_query(router.search), [])

    def build_twin() -> Twin:
        built = Twin()
        if asked != Settings():  # from_query checked these: the reset cannot refuse them
            built.reset(asked.params | asked.extras(), asked.seed)
        return built

    twin = solara.use_memo(build_twin, [])
    # After the first page is up, the ODD tab's formulas are drawn in the background (seconds).
    solara.use_effect(odd.warm, [])
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive("normal")
    params = solara.use_reactive(asked.params)  # what the sliders show
    seed = solara.use_reactive(twin.seed)
    scenario = solara.use_reactive(asked.scenario)
    applied = solara.use_reactive(asked)  # what both sides run with
    history = solara.use_reactive([])  # the settings before each change, newest last
    tab = solara.use_reactive(0)
    problem = solara.use_reactive("")  # why the last change was not applied
    presenting = solara.use_reactive(presenter.requested(router.search))

    def redraw():
        tick.value += 1

    def apply(new: Settings, remember: bool = True) -> bool:
        # The twin checks everything before it replaces anything, so a rejected change leaves
        # the running models alone and the user sees why.
        try:
            twin.reset(new.params | new.extras(), new.seed)
        except ParamError as e:
            problem.value = f"Not applied, both sides run as before: {e}"
            return False
        # The rebuild retired any Play loop (new generation): show Play again, not Pause.
        playing.value = False
        problem.value = ""
        if remember:
            history.value = [*history.value, applied.value][-UNDO_DEPTH:]
        applied.value = Settings(new.scenario, dict(new.params), twin.seed)
        scenario.value, params.value, seed.value = new.scenario, dict(new.params), twin.seed
        redraw()
        return True

    def set_param(name):
        def on_value(value):
            params.value = {**params.value, name: value}  # the slider stays where it was put
            apply(Settings(scenario.value, params.value, applied.value.seed))

        return on_value

    def set_seed(value):
        apply(Settings(applied.value.scenario, applied.value.params, value))

    def choose(name):
        apply(Settings(name, scenario_sliders(name), applied.value.seed))

    def reset_to_defaults():
        apply(Settings(seed=applied.value.seed))

    def undo():
        # Same seed and parameters, same run: Play brings back the weeks the change discarded.
        if history.value and apply(history.value[-1], remember=False):
            history.value = history.value[:-1]

    def play_loop():
        # Weeks fall due at the chosen speed; a frame is requested only once the last one has
        # been drawn, and the weeks that fell due meanwhile are stepped together. Loops step and
        # draw in turns (dashboards.sessions), so on a busy server every session keeps its pace
        # with fewer frames, and a learner's own Step never queues behind thirty redraws.
        if not playing.value:
            return
        # Play toggled quickly can leave an older loop running; claiming makes it stop.
        generation = twin.claim()
        with sessions.playing() as loop:

            def wanted() -> bool:
                # is_current turns False when a newer run starts or the session closes;
                # attended when the browser has gone or the server stops: no loop outlives
                # its page.
                return (
                    playing.value
                    and twin.generation == generation
                    and task.is_current()
                    and loop.attended()
                )

            def drawn(wait: float) -> None:
                deadline = time.monotonic() + wait
                while twin.shown < tick.value and wanted() and time.monotonic() < deadline:
                    time.sleep(0.01)

            due, last = 0.0, time.perf_counter()
            while wanted():
                now = time.perf_counter()
                due += (now - last) / SPEEDS[speed.value]
                last = now
                if due < 1:
                    time.sleep(min(SPEEDS[speed.value] * (1 - due), PAUSE_POLL))
                    continue
                with sessions.TURNS.turn(wanted) as mine:
                    if not mine:
                        break
                    weeks = min(int(due), CATCH_UP)
                    due -= int(due)
                    if not twin.step(weeks, generation):
                        return
                    redraw()
                    drawn(TURN_WAIT)
                drawn(FRAME_WAIT)
            if task.is_current() and loop.browser_gone():
                # The browser has gone: a reconnecting page shows Play, not a Pause for a loop
                # that no longer runs.
                playing.value = False

    task = solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def step():
        twin.step()
        redraw()

    def reset():
        # Restarts the settings the models run with; a rejected change stays rejected.
        playing.value = False
        twin.reset()
        redraw()

    def run_buttons() -> None:
        with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
            solara.Button(
                "Play",
                on_click=lambda: playing.set(True),
                icon_name="mdi-play",
                disabled=playing.value,
                color="primary",
            )
            solara.Button(
                "Pause",
                on_click=lambda: playing.set(False),
                icon_name="mdi-pause",
                disabled=not playing.value,
            )
            solara.Button(
                "Step", on_click=step, icon_name="mdi-step-forward", disabled=playing.value
            )
            solara.Button("Reset", on_click=reset, icon_name="mdi-restore")

    def presenter_toggle() -> None:
        solara.Button(
            "Leave presenter mode" if presenting.value else "Presenter mode",
            on_click=lambda: presenting.set(not presenting.value),
            icon_name="mdi-projector-screen",
            outlined=True,
            classes=["presenter-toggle"] if presenting.value else [],
        )

    def sidebar() -> None:
        with solara.Card("Accountability Lab: targets or learning?", margin=0):
            run_buttons()
            presenter_toggle()
            solara.Select("Speed", values=list(SPEEDS), value=speed)
            solara.Select("Scenario", values=list(SCENARIOS), value=scenario.value, on_value=choose)
            # A plain value, not the reactive: a rejected seed must not become the session's seed.
            solara.InputInt(
                "Seed (same seed, same citizens and luck)", value=seed.value, on_value=set_seed
            )
            solara.Text("Mid-run moves", style=BOLD)
            Moves(twin, tick, redraw)
            solara.Text("Export", style=BOLD)
            solara.FileDownload(
                lambda: png_with_settings(charts_figure(twin), applied.value),
                filename="charts.png",
                label="Download charts (PNG)",
                mime_type="image/png",
            )
            solara.FileDownload(
                lambda: csv_with_settings(twin.csv(), applied.value),
                filename="accountability_lab.csv",
                label="Download data (CSV)",
                mime_type="text/csv",
            )
            solara.HTML(
                tag="div",
                unsafe_innerHTML=(
                    f"<a class='share-link' href='?{escape(applied.value.query())}'>"
                    "Link to these settings</a> (scenario, seed and parameters: "
                    "open it on every learner's screen)"
                ),
                style={"font-size": "0.85em", "margin": "0.4em 0"},
            )
            solara.Text("Parameters (a change restarts both sides, same seed)", style=BOLD)
            with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
                solara.Button(
                    "Reset to defaults",
                    on_click=reset_to_defaults,
                    icon_name="mdi-backup-restore",
                    outlined=True,
                    disabled=applied.value == Settings(seed=applied.value.seed),
                )
                solara.Button(
                    "Undo last change",
                    on_click=undo,
                    icon_name="mdi-undo",
                    outlined=True,
                    disabled=not history.value,
                )
            if problem.value:  # beside the sliders, where most rejected changes come from
                solara.Warning(problem.value, dense=True)
            for name in CONTROLS:
                Control(name, params.value[name], set_param(name))

    def tabs() -> None:
        with solara.lab.Tabs(value=tab):
            with solara.lab.Tab("Compare"):
                if presenting.value:  # no sidebar: the run's buttons sit above its charts
                    with solara.Row(style={"padding": "0.5em 1em 0", "align-items": "flex-start"}):
                        run_buttons()
                        Moves(twin, tick, redraw)
                Compare(twin, tick, presenting.value)
            with solara.lab.Tab("Story"):
                StoryMode(presenter=presenting.value)
            with solara.lab.Tab("Red beads"):
                RedBeads()
            with solara.lab.Tab("Give up and Replace"):
                GiveUpAndReplace(active=tab.value == REPLACE_TAB)
            with solara.lab.Tab("Play a worker"):
                PlayWorker()
            with solara.lab.Tab("About"):
                solara.HTML(tag="div", unsafe_innerHTML=ABOUT, style=STYLE)
            with solara.lab.Tab("Model description (ODD)"):
                if tab.value == ODD_TAB:
                    odd.OddTab(STYLE)
            with solara.lab.Tab("Whole system"):
                SystemView(active=tab.value == SYSTEM_TAB)

    solara.Title("Accountability Lab")
    solara.Style(presenter.CSS + odd.CSS)
    with solara.Div(classes=["lab-page"] + (["presenter"] if presenting.value else [])):
        for line in address_problems:
            solara.Warning(line, dense=True, classes=["address-problem"])
        if presenting.value:
            presenter_toggle()  # top right, beside the tabs
            tabs()
        else:
            with solara.Columns([1, 3], style={"align-items": "flex-start"}):
                sidebar()
                tabs()


# The trainer's page at /room (Solara reads ``routes`` by name); the root's layout hides route tabs.
# /play is Play a worker alone, for a room of learners; /sessions counts the server's sessions
# (dashboards.sessions).
routes = [
    solara.Route("/", component=Page, layout=room.Layout),
    solara.Route("room", component=room.Room),
    solara.Route("play", component=PlayPage),
    solara.Route("sessions", component=sessions.Status),
]
sessions.setup()
# What the server has imported by now (Solara, pandas, matplotlib, the model: about 190,000
# objects) lives as long as the server does. Frozen, the garbage collector no longer walks it on
# each full collection: such a collection, which stops every session at once, took 0.5 s with
# thirty learners at /play, and one came in the middle of a round of presses (2026-12-06 in
# docs/performance.md). Objects made later, the sessions' included, are collected at the
# thresholds below.
gc.freeze()
# Full collections stop every session at once, and with thirty learners at /play one still came
# in a round of presses (0.06-0.5 s each). Young collections 14 times rarer (Python's default is
# 700 allocations) let most of a week's objects die before they are looked at, so fewer reach the
# oldest generation; and a full collection waits for 100 of the middle one's, not 10. Memory is
# still given back after sessions close: dashboards.sessions collects everything then.
gc.set_threshold(*COLLECTION_THRESHOLDS)
