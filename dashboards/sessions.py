"""The server's playing sessions: who plays, whose browser has gone, turns, and a prompt exit.

A room of thirty learners shares one server process. This module keeps that process in hand:

- every Play loop registers here (``playing``) and stops at once when its page has no open
  connection left (the browser closed, the laptop slept) or the server is stopping;
- a session whose browser has gone is released (its kernel closed) after ``RELEASE_AFTER``
  unless it reconnects, rather than after Solara's default of a day;
- when sessions close, unreachable objects are collected and glibc's free memory is returned
  to the system (``malloc_trim``), so the server's memory goes back down after a room leaves;
- Play loops take ``TURNS`` one at a time, first come first served, so thirty loops never draw
  at once and a learner's own Step (which takes no turn) waits for at most one of them;
- on SIGTERM every loop stops and the process exits within ``EXIT_GRACE`` seconds whatever is
  playing (``install_exit``).

``Status`` is a small page (``/sessions``) with the counts, for the trainer and for tests.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import itertools
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import solara
import solara.lab
import solara.lifecycle
import solara.server.settings
from solara.server import kernel_context

logger = logging.getLogger(__name__)

RELEASE_AFTER = "2m"  # a session with no open page is closed this long after its browser went
CULL_ENV = "SOLARA_KERNEL_CULL_TIMEOUT"  # Solara's own setting; when set, it wins
EXIT_GRACE = 2  # whole seconds from SIGTERM to exit at the latest (the target is 5)
TRIM_DELAY = 2.0  # seconds after the last close before memory is trimmed (closes come in waves)
WAIT_POLL = 0.2  # seconds between checks that a loop waiting for its turn is still wanted
STATUS_REFRESH = 0.5  # seconds between two looks of the status page

STOPPING = threading.Event()  # set on SIGTERM: every loop stops, no loop starts


class Turns:
    """A lock handed over first come, first served (``threading.Lock`` may favour the releaser).

    A loop that releases and asks again at once would otherwise often win again and starve the
    others; here it queues behind every loop that asked before it.
    """

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._held = False
        self._queue: deque[threading.Event] = deque()
        self.turns = 0  # turns granted so far

    def _release(self) -> None:
        with self._guard:
            if self._queue:
                self._queue.popleft().set()  # handed over: it stays held
            else:
                self._held = False

    @contextmanager
    def turn(self, wanted: Callable[[], bool]) -> Iterator[bool]:
        """Wait for this caller's turn while ``wanted()``; yield whether the turn was had.

        Args:
            wanted: Checked every ``WAIT_POLL`` seconds while waiting; when it turns False the
                caller leaves the queue and gets False.
        """
        with self._guard:
            if not self._held:
                self._held, mine = True, None
            else:
                mine = threading.Event()
                self._queue.append(mine)
        if mine is not None:
            while not mine.wait(WAIT_POLL):
                if wanted() and not STOPPING.is_set():
                    continue
                with self._guard:
                    if mine in self._queue:  # not handed over yet: just leave the queue
                        self._queue.remove(mine)
                        mine = None
                if mine is not None:  # handed over meanwhile: pass it on
                    self._release()
                yield False
                return
        self.turns += 1
        try:
            yield True
        finally:
            self._release()


TURNS = Turns()


@dataclass
class Loop:
    """One session's Play loop, registered while it runs.

    Attributes:
        kernel: Id of the session's Solara kernel.
        context: The session's kernel context (its pages and whether it is closed); None
            outside a server (a page rendered in tests), which has no browser to lose.
        number: Order of registration, unique in the process.
        started: ``time.monotonic()`` when the loop began.
    """

    kernel: str
    context: kernel_context.VirtualKernelContext | None = field(repr=False)
    number: int
    started: float

    def browser_gone(self) -> bool:
        """Whether the session is open, had a page, and none is connected (the browser went).

        A session that never had a page (rendered on the server alone, as in tests) is not one
        whose browser went.
        """
        if self.context is None or self.context.closed_event.is_set():
            return False
        pages = list(self.context.page_status.values())
        return bool(pages) and kernel_context.PageStatus.CONNECTED not in pages

    def attended(self) -> bool:
        """Whether a browser still shows this session and the server is not stopping."""
        closed = self.context is not None and self.context.closed_event.is_set()
        return not (STOPPING.is_set() or closed or self.browser_gone())


_numbers = itertools.count(1)
_loops: dict[int, Loop] = {}
_loops_guard = threading.Lock()
closed_sessions = 0  # sessions whose kernel has closed since the server started


@contextmanager
def playing() -> Iterator[Loop]:
    """Register the calling Play loop for as long as it runs (call it in the loop's thread).

    Yields:
        The loop's entry; ``attended()`` tells it when to stop.
    """
    context = kernel_context.get_current_context() if kernel_context.has_current_context() else None
    loop = Loop(context.id if context else "", context, next(_numbers), time.monotonic())
    with _loops_guard:
        _loops[loop.number] = loop
    try:
        yield loop
    finally:
        with _loops_guard:
            _loops.pop(loop.number, None)


def counts() -> dict[str, int]:
    """Sessions open, loops playing, loops whose browser has gone, sessions closed so far."""
    with _loops_guard:
        loops = list(_loops.values())
    return {
        "open": len(kernel_context.contexts),
        "playing": len(loops),
        "unattended": sum(not loop.attended() for loop in loops),
        "closed": closed_sessions,
    }


def _libc_trim() -> Callable[[], None]:
    # glibc keeps freed memory in its arenas; malloc_trim hands it back. Elsewhere: nothing.
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    return (lambda: trim(0)) if trim is not None else (lambda: None)


_malloc_trim = _libc_trim()
_trim_timer: threading.Timer | None = None
_trim_guard = threading.Lock()


def trim_memory() -> None:
    """Collect unreachable objects and return free memory to the system."""
    gc.collect()
    _malloc_trim()


def _session_closed() -> None:
    # Closes come in waves (a room leaving): one trim, shortly after the last of them.
    global _trim_timer, closed_sessions
    with _trim_guard:
        closed_sessions += 1
        if _trim_timer is not None:
            _trim_timer.cancel()
        _trim_timer = threading.Timer(TRIM_DELAY, trim_memory)
        _trim_timer.daemon = True
        _trim_timer.start()


def _on_kernel_start() -> Callable[[], None]:
    return _session_closed  # Solara calls it when the session's kernel closes


def _say(line: str) -> None:
    # Straight to the server's stderr with the wall-clock time: logging may be set to errors only.
    now = time.time()
    stamp = f"{time.strftime('%H:%M:%S', time.localtime(now))}.{int(now * 1000) % 1000:03d}"
    os.write(2, f"{stamp} {line}\n".encode())


def install_exit() -> bool:
    """On SIGTERM: stop every loop, let the server shut down, and exit within ``EXIT_GRACE``.

    The handler the server installed (uvicorn's graceful shutdown) still runs; an alarm ends the
    process (killed by SIGALRM) if that shutdown waits on sessions, connections or threads for
    longer.

    Returns:
        Whether the handler was installed (signals can only be set from the main thread).
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    before = signal.getsignal(signal.SIGTERM)
    if getattr(before, "stops_sessions", False):
        return True

    def on_sigterm(signum, frame) -> None:
        # The deadline is the kernel's: SIGALRM's default action ends the process without any
        # Python running, so a shutdown holding the interpreter (closing thirty sessions, a
        # long garbage collection) cannot push it back, as it pushed back a timer thread.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(EXIT_GRACE)
        STOPPING.set()
        _say(
            f"dashboards.sessions: SIGTERM, stopping {counts()['playing']} Play loops; "
            f"the process ends within {EXIT_GRACE} s"
        )
        if callable(before):
            before(signum, frame)
        else:  # no server handler: the default action, ending the process
            os._exit(128 + signum)

    on_sigterm.stops_sessions = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, on_sigterm)
    return True


def setup() -> None:
    """Install all of the above in this server process (idempotent; called by dashboards.app)."""
    global _setup_done
    if _setup_done:
        return
    _setup_done = True
    if not os.environ.get(CULL_ENV):
        solara.server.settings.kernel.cull_timeout = RELEASE_AFTER
    solara.lifecycle.on_kernel_start(_on_kernel_start)
    if not install_exit():
        logger.warning("SIGTERM handler not installed (not the main thread)")


_setup_done = False


@solara.component
def Status():
    """Counts of the server's sessions, refreshed every ``STATUS_REFRESH`` seconds."""
    now = solara.use_reactive(counts())

    def watch():
        while task.is_current() and not STOPPING.is_set():
            latest = counts()
            if latest != now.value:
                now.value = latest
            time.sleep(STATUS_REFRESH)

    task = solara.lab.use_task(watch, dependencies=[], prefer_threaded=True)
    solara.Title("Accountability Lab: sessions")
    figures = " · ".join(f"{what} <span class='{what}'>{n}</span>" for what, n in now.value.items())
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"<p>Sessions (this page included): {figures}</p>",
        classes=["session-counts"],
    )
