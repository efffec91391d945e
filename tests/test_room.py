"""A room that holds: charts that grow without a full redraw, fair turns, a prompt exit."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
import time
from types import SimpleNamespace

import numpy as np
import pytest
from solara.server.kernel_context import PageStatus

from dashboards import sessions
from dashboards.live import HORIZON, LiveCharts
from dashboards.twin import Twin


def _pixels(charts: LiveCharts) -> np.ndarray:
    return np.asarray(charts.blit.canvas.buffer_rgba()).copy()


def test_the_week_axis_grows_ahead_without_a_full_redraw():
    twin = Twin()
    charts = LiveCharts(list(twin.frames()))
    charts.render(twin.frames())
    for _ in range(2 * HORIZON + 10):  # across weeks 52 -> 53 and 104 -> 105
        twin.step()
        charts.render(twin.frames())
        # grown before the lines reach the end, on every panel
        assert all(ax.get_xlim()[1] > twin.week for ax in charts.axes)
    assert charts.horizon >= 3 * HORIZON
    assert charts.blit.full_draws == 1  # the first frame only
    assert charts.blit.panel_draws >= 2 * len(charts.axes)  # each panel redrawn alone, twice


def test_panels_redrawn_one_at_a_time_look_exactly_like_a_full_redraw():
    twin = Twin()
    charts = LiveCharts(list(twin.frames()))
    for _ in range(HORIZON + 20):
        twin.step()
        charts.render(twin.frames())
    fresh = LiveCharts(list(twin.frames()))
    for grown, new in zip(charts.axes, fresh.axes, strict=True):
        new.set_xlim(grown.get_xlim())
        new.set_ylim(grown.get_ylim())
    fresh.horizon, fresh.limits = charts.horizon, dict(charts.limits)
    fresh.render(twin.frames())
    assert fresh.blit.full_draws == 1 and fresh.blit.panel_draws == 0
    assert np.array_equal(_pixels(charts), _pixels(fresh))


def test_an_outgrown_y_range_redraws_its_panel_alone():
    twin = Twin()
    charts = LiveCharts(list(twin.frames()))
    twin.step(3)
    charts.render(twin.frames())
    frames = twin.frames()
    for df in frames.values():
        df["turnover"] = 100.0  # far above the panel's fixed range
    charts.render(frames)
    charts.render(frames)
    assert charts.limits["turnover"][1] >= 100
    assert charts.blit.full_draws == 1 and charts.blit.panel_draws == 1


def test_turns_are_taken_first_come_first_served():
    turns = sessions.Turns()
    order: list[int] = []
    queued = []

    def take(number: int) -> None:
        with turns.turn(lambda: True) as mine:
            assert mine
            order.append(number)

    with turns.turn(lambda: True) as first:
        assert first
        for number in range(5):
            thread = threading.Thread(target=take, args=(number,))
            thread.start()
            queued.append(thread)
            while len(turns._queue) < number + 1:  # queued in this order
                time.sleep(0.01)
    for thread in queued:
        thread.join()
    assert order == [0, 1, 2, 3, 4]
    assert turns.turns == 6


def test_a_loop_no_longer_wanted_leaves_the_queue_and_the_turn_goes_on():
    turns = sessions.Turns()
    wanted = threading.Event()
    wanted.set()
    results: list[bool] = []

    def wait_then_give_up() -> None:
        with turns.turn(wanted.is_set) as mine:
            results.append(mine)

    with turns.turn(lambda: True):
        thread = threading.Thread(target=wait_then_give_up)
        thread.start()
        while not turns._queue:
            time.sleep(0.01)
        wanted.clear()  # the browser went while it waited
        thread.join()
    assert results == [False]
    with turns.turn(lambda: True) as mine:  # nobody holds it: free at once
        assert mine


def _context(*statuses: PageStatus, closed: bool = False) -> SimpleNamespace:
    event = threading.Event()
    if closed:
        event.set()
    return SimpleNamespace(
        closed_event=event, page_status={str(i): s for i, s in enumerate(statuses)}
    )


@pytest.mark.parametrize(
    ("context", "gone", "attended"),
    [
        (_context(PageStatus.CONNECTED), False, True),
        (_context(PageStatus.DISCONNECTED), True, False),  # the browser went, no close sent
        (_context(PageStatus.DISCONNECTED, PageStatus.CONNECTED), False, True),  # reconnected
        (_context(PageStatus.CLOSED, closed=True), False, False),  # closed: released already
        (_context(), False, True),  # never had a page: rendered on the server alone
    ],
)
def test_a_loop_plays_only_while_a_page_of_its_session_is_connected(context, gone, attended):
    loop = sessions.Loop("kernel", context, 1, 0.0)
    assert loop.browser_gone() is gone
    assert loop.attended() is attended


def test_a_loop_outside_a_server_has_no_browser_to_lose():
    with sessions.playing() as loop:
        assert loop.context is None and loop.attended() and not loop.browser_gone()
        assert sessions.counts()["playing"] >= 1
    assert loop.number not in sessions._loops


def test_a_stopping_server_stops_every_loop():
    loop = sessions.Loop("kernel", _context(PageStatus.CONNECTED), 1, 0.0)
    sessions.STOPPING.set()
    try:
        assert not loop.attended()
    finally:
        sessions.STOPPING.clear()


def test_closing_sessions_counts_them_and_trims_memory_once_after_the_last(monkeypatch):
    trims: list[float] = []
    real_trim = sessions.trim_memory
    monkeypatch.setattr(sessions, "TRIM_DELAY", 0.2)
    monkeypatch.setattr(sessions, "trim_memory", lambda: trims.append(time.monotonic()))
    before = sessions.counts()["closed"]
    for _ in range(3):
        sessions._session_closed()
    assert sessions.counts()["closed"] == before + 3
    deadline = time.monotonic() + 30
    while not trims and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert len(trims) == 1
    real_trim()  # and the real one runs (gc and, on glibc, malloc_trim)


def test_sigterm_ends_the_process_even_when_the_server_would_wait_forever():
    # A stand-in for a server whose own SIGTERM handler starts a shutdown that never ends
    # and a Play loop in a non-daemon thread that stops only when told to.
    script = textwrap.dedent(
        """
        import signal, threading, time
        from dashboards import sessions
        signal.signal(signal.SIGTERM, lambda *_: None)  # the server's handler: waits forever
        assert sessions.install_exit()
        loop = threading.Thread(target=lambda: sessions.STOPPING.wait())
        loop.start()
        stuck = threading.Thread(target=lambda: time.sleep(3600))  # a thread nobody stops
        stuck.start()
        print("ready", flush=True)
        loop.join()
        print("loops stopped", flush=True)
        stuck.join()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=_root()
    )
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)  # generous: the process must end, EXIT_GRACE is the aim
    assert proc.stdout.read().strip() == "loops stopped"
    assert proc.returncode == -signal.SIGALRM  # the deadline, not the stuck shutdown, ended it


def _root() -> str:
    from dashboards.serve import ROOT

    return str(ROOT)
