"""A room of thirty on one server: ``python -m dashboards.bench_room``.

Every learner is a real browser context (chromium, offline) against one dashboard server on
this machine. Measured, each with the load average when it was taken:

1. Memory: the server's resident memory before anyone came, then after each of three rounds of
   thirty sessions opened, played for a while and closed (target: after three rounds within
   20 % of after one).
2. Compare with 29 sessions playing at normal speed: an idle learner's Step, from the click to
   the next week on their screen, timed in their browser, for about a minute in which the
   others' week axes grow (weeks 52 → 53, 104 → 105) (target: p95 under 1 s, never over 2 s);
   a session whose browser goes (no close signal sent) stops playing; the server stops after
   SIGTERM with everything playing (target: within 5 s).
3. Play a worker, at /play (``--play-at route``, the address a trainer gives the room) or in the
   dashboard's tab (``--play-at tab``), with thirty learners who all press "Work this week" at
   one instant, round after round (the worst case), then at instants spread uniformly over 5 s
   (a room of people): each
   learner's response time in their browser (target: under 1 s), split into the server's part
   (click to the first websocket message carrying the answer) and the page's (that message to
   the new text), with the bytes received; and how long after the last learner's week the
   trainer's /room page shows it (target: within 2 s).

Medians carry a 95 % confidence interval (``median_ci``); ``--raw FILE`` keeps every Play
timing. Prints Markdown for docs/performance.md. Nothing here is a timed test. Runs take a few
minutes and load both cores: keep them few on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import signal
import statistics
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from dashboards import play
from dashboards.serve import CHROMIUM, CHROMIUM_ARGS, local_only, server, wait_for, week

ROOM = 30
PLAY_SECONDS = 8  # each memory round plays this long before closing
IDLE_SECONDS = 60  # an idle learner's Steps are timed this long while the others play
STEP_GAP = 0.5  # seconds between two of the idle learner's Steps
PLAY_ROUNDS = 4  # weeks each learner plays in Play a worker
SPREAD = 5.0  # seconds over which a realistic room's presses of one week are spread, uniformly
SPREAD_SEED = 13  # the draws of those instants
LEAD = 3.0  # seconds ahead a round's instant is set, so that every page has it in time
# Thirty windows, most of them behind others: without these, chromium delayed their timers (the
# spread presses) by up to a minute a few minutes into a run, and every press came too late.
AWAKE = [
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-features=IntensiveWakeUpThrottling",
]
LOOK = 60_000  # ms a browser-side timing waits before it gives up (recorded as a miss)
NO_BUTTON = -2  # a timing's result when the button to press was not on the page
Z95 = 1.959964  # the normal quantile of a two-sided 95 % interval
CI_MIN = 10  # fewer values than this get no interval of their median
PLAY_AT = {"route": "play", "tab": ""}  # where learners play: /play alone, or the dashboard's tab

# Clicks a button (by its text) and records, in the page, how long until ``selector``'s text
# contains ``expected`` and is visible, timed in the frame that paints it: the learner's own
# view of the response, free of the driver's polling. The click waits until ``at`` (wall-clock
# ms; pages given one instant press together). Each timing is its own object: the give-up timer
# of an earlier press once wrote into the global of a later one, which still waited, and marked
# it "never shown" (60 s after the earlier press, so in a run's later rounds and Steps).
TIMED_CLICK = """([name, selector, expected, limit, at]) => {
  const timing = {start: null, wall: null, ms: null, dom: null};
  window.__timing = timing;
  const press = () => {
    const button = [...document.querySelectorAll('button')]
      .find(b => b.textContent.trim() === name && !b.disabled);
    timing.start = performance.now();
    if (window.__wire) window.__wire.frames = [];
    if (button === undefined) {
      timing.ms = -2;
      return;
    }
    const shown = () => {
      const el = document.querySelector(selector);
      return el !== null && el.textContent.includes(expected) && el.checkVisibility();
    };
    let seen = false;
    const observer = new MutationObserver(() => {
      if (!seen && shown()) {
        seen = true;
        observer.disconnect();
        timing.dom = performance.now() - timing.start;
        requestAnimationFrame(() => {
          timing.ms = performance.now() - timing.start;
          timing.wall = Date.now();
        });
      }
    });
    observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    setTimeout(() => {
      observer.disconnect();
      if (timing.ms === null) timing.ms = -1;
    }, limit);
    button.click();
  };
  setTimeout(press, Math.max(0, at - Date.now()));
}"""

# Records, in a learner's page, when each websocket message from the server arrived, its size
# and whether it only said the server was busy or idle, so that a week's time splits into the
# server's part (click to the first message with the answer) and the page's (that message to the
# new text on screen). Installed before Solara opens its socket.
WIRE = """(() => {
  const Native = window.WebSocket;
  window.__wire = {frames: []};
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const data = event.data;
        const text = typeof data === 'string';
        const size = text ? data.length : (data.byteLength ?? data.size ?? 0);
        const status = text && data.includes('"msg_type": "status"');
        window.__wire.frames.push([performance.now(), size, status]);
      });
    }
  };
})()"""

# Records, in the room page, the wall-clock time at which it first showed each count of weeks.
WATCH_ROOM = """() => {
  window.__seen = {};
  const look = () => {
    const m = document.body.textContent.match(/(\\d+) weeks played/);
    if (m && !(m[1] in window.__seen)) window.__seen[m[1]] = Date.now();
  };
  const all = {subtree: true, childList: true, characterData: true};
  new MutationObserver(look).observe(document.body, all);
  look();
}"""


def load() -> str:
    """The machine's load averages (1, 5, 15 min) in words."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} / {fifteen:.1f}"


def rss_mib(pid: int) -> float:
    """A process's resident memory in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def median_ci(seconds: list[float]) -> tuple[float, float] | None:
    """A distribution-free 95 % confidence interval of the median (None below ``CI_MIN`` values).

    The order statistics whose ranks are n/2 ∓ 1.96·√n/2 (the binomial's normal approximation).
    It takes the values as independent; presses of one round share the server's moment, so the
    interval is narrower than the truth and the round medians are printed beside it.
    """
    ordered = sorted(seconds)
    n = len(ordered)
    if n < CI_MIN:
        return None
    half = Z95 * math.sqrt(n) / 2
    low = max(math.floor(n / 2 - half), 1)
    high = min(math.ceil(1 + n / 2 + half), n)
    return ordered[low - 1], ordered[high - 1]


def spread(seconds: list[float]) -> str:
    """Median (with its 95 % CI), p95 and max of some durations, in ms."""
    ordered = sorted(seconds)
    if not ordered:
        return "none (n = 0)"
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    ci = median_ci(ordered)
    within = f" (95 % CI {1000 * ci[0]:.0f}–{1000 * ci[1]:.0f})" if ci else ""
    return (
        f"median {1000 * statistics.median(ordered):.0f} ms{within}, p95 {1000 * p95:.0f} ms, "
        f"max {1000 * ordered[-1]:.0f} ms (n = {len(ordered)})"
    )


def open_sessions(
    browser, url: str, n: int, query: str = "", wired: bool = False, ready: str = ""
) -> list:
    """Open ``n`` dashboard sessions at once, each in its own offline context; wait for all.

    Wired pages record the websocket messages they receive (``WIRE``). A page is ready when
    ``ready`` (a selector) is on it; by default when the dashboard's Step is.
    """
    pages = []
    for _ in range(n):
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        local_only(context, [])
        if wired:
            context.add_init_script(WIRE)
        page = context.new_page()
        page.set_default_timeout(180_000)
        page.goto(url + query)
        pages.append(page)
    for page in pages:
        if ready:
            page.locator(ready).wait_for()
        else:
            page.get_by_role("button", name="Step").wait_for()
    return pages


def counts(status) -> dict[str, int]:
    """The server's session counts as its /sessions page shows them."""
    return {
        what: int(status.locator(f"span.{what}").inner_text())
        for what in ("open", "playing", "unattended", "closed")
    }


def timed(
    page, button: str, selector: str, expected: str, at: float = 0, limit: float = LOOK
) -> None:
    """Start a browser-side timing of ``button`` until ``selector`` shows ``expected``.

    The click waits until ``at`` (wall-clock seconds); at once by default. A timing not done
    ``limit`` ms after its click is a miss.
    """
    page.evaluate(TIMED_CLICK, [button, selector, expected, limit, at * 1000])


def timing(page) -> tuple[float, float] | None:
    """The last timing's (seconds, wall-clock ms) once done; None while waiting."""
    result = page.evaluate("() => window.__timing")
    if result["ms"] is None:
        return None
    return result["ms"] / 1000, result["wall"]


def wire(page) -> tuple[float, int]:
    """The last timing on a wired page: seconds to the server's answer, bytes until shown."""
    start, ms, frames = page.evaluate(
        "() => [window.__timing.start, window.__timing.ms, window.__wire.frames]"
    )
    during = [(at, size, status) for at, size, status in frames if at <= start + ms]
    answers = [at for at, _, status in during if not status]
    first = (answers[0] - start) / 1000 if answers else float("nan")
    return first, sum(size for _, size, _ in during)


def finished(page) -> tuple[float, float]:
    """Wait for the last timing on ``page`` (seconds; -1 if the page never changed)."""
    wait_for(lambda: timing(page) is not None, timeout=LOOK / 1000 + 10, what="a timing")
    return timing(page)


def memory_rounds(browser, url: str, pid: int, status, rounds: int, size: int = ROOM) -> list[str]:
    """Rounds of sessions opened, played and closed; the server's memory after each."""
    lines = [f"- server memory before anyone came: {rss_mib(pid):.0f} MiB ({load()})"]
    after = []
    for number in range(1, rounds + 1):
        pages = open_sessions(browser, url, size)
        opened = rss_mib(pid)
        for page in pages:
            page.get_by_role("button", name="Play").click()
        time.sleep(PLAY_SECONDS)
        reached = [week(page) for page in pages]
        for page in pages:
            # Leaving the page sends Solara's close signal, as closing a tab does. The offline
            # route lets it through only while the driver waits, so wait before closing.
            page.goto("about:blank")
        pages[0].wait_for_timeout(3000)
        for page in pages:
            page.context.close()
        wait_for(lambda: counts(status)["open"] == 1, timeout=120, what="sessions closed")
        time.sleep(5)  # the trim runs shortly after the last close
        after.append(rss_mib(pid))
        lines.append(
            f"- round {number}: {size} sessions opened ({opened:.0f} MiB), played to week "
            f"{min(reached)}–{max(reached)}, closed: {after[-1]:.0f} MiB ({load()})"
        )
    if after:
        ratio = after[-1] / after[0]
        lines.append(f"- after {rounds} rounds / after one: {ratio:.2f} (target ≤ 1.20)")
    return lines


def compare_room(browser, url: str, proc, status, size: int = ROOM) -> list[str]:
    """29 sessions playing, one idle learner's Steps timed; a browser gone; SIGTERM."""
    # One player sends no close signal when it goes, as when a laptop's lid shuts.
    gone = open_sessions(browser, url, 1, "?solara-no-close-beacon")[0]
    players = [gone, *open_sessions(browser, url, size - 2)]
    learner = open_sessions(browser, url, 1)[0]
    for page in players:
        page.get_by_role("button", name="Play").click()
    steps: list[float] = []
    misses: list[str] = []  # the weeks shown before and after a Step not seen in time
    start = time.monotonic()
    while time.monotonic() - start < IDLE_SECONDS:
        now = week(learner)
        timed(learner, "Step", "h2", f"Week {now + 1}")
        took, _ = finished(learner)
        if took < 0:
            misses.append(f"week {now} → {week(learner)}")
        else:
            steps.append(took)
        time.sleep(STEP_GAP)
    weeks = sorted(week(page) for page in players)
    lines = [
        f"- {size - 1} sessions playing at 'normal' speed for {IDLE_SECONDS} s (they reached "
        f"weeks {weeks[0]}–{weeks[-1]}, median {statistics.median(weeks):.0f}); an idle "
        f"learner's Step, click to next week on screen: {spread(steps)}"
        + (f", not shown within {LOOK / 1000:.0f} s: {'; '.join(misses)}" if misses else "")
        + f" ({load()})",
    ]
    before = counts(status)
    gone.context.close()
    closed_at = time.monotonic()
    wait_for(
        lambda: counts(status)["playing"] < before["playing"], timeout=60, what="the loop stopping"
    )
    lines.append(
        f"- a playing session's browser closed without a close signal: its loop stopped after "
        f"{time.monotonic() - closed_at:.1f} s (sessions still playing: "
        f"{counts(status)['playing']}); the session itself is released "
        f"after {os.environ.get('SOLARA_KERNEL_CULL_TIMEOUT', '2m')}"
    )
    memory = rss_mib(proc.pid)
    sent, sent_at = time.monotonic(), datetime.datetime.now()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    stopped = time.monotonic() - sent
    said = [line for line in proc.stdout.read().splitlines() if "dashboards.sessions" in line]
    for page in [*players, learner]:  # or they keep trying to reconnect to the stopped server
        page.context.close()
    lines.append(f"- SIGTERM sent at {sent_at:%H:%M:%S.%f}; the server said: {' / '.join(said)}")
    lines.append(
        f"- SIGTERM with {before['playing']} sessions playing ({memory:.0f} MiB): the server "
        f"exited after {stopped:.1f} s, exit code {proc.returncode} (target < 5 s) ({load()})"
    )
    return lines


def play_in_process(size: int = ROOM, rounds: int = PLAY_ROUNDS) -> list[float]:
    """The server's own share: ``size`` learners' weeks played in threads at once, no browser."""
    with tempfile.TemporaryDirectory() as folder:
        games = [play.PlayGame(db=Path(folder) / "play.sqlite") for _ in range(size)]
        seconds: list[float] = []

        def week(game: play.PlayGame) -> None:
            start = time.perf_counter()
            game.work(*play.DEFAULT_SPLIT, "neediest", 0)
            seconds.append(time.perf_counter() - start)

        for _ in range(rounds):
            threads = [threading.Thread(target=week, args=(game,)) for game in games]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    return seconds


def play_round(pages: list, expected: str, within: float, chance: random.Random) -> list[tuple]:
    """Every page presses "Work this week" once, at one instant or spread uniformly ``within`` s.

    Returns, per page that showed its week: (seconds on screen, wall-clock ms when shown,
    seconds to the first message back, bytes received until shown); misses have seconds -1.
    """
    at = time.time() + LEAD  # every page has its instant before it comes
    for page in pages:
        timed(page, "Work this week", "h3.play-week", expected, at + chance.uniform(0, within))
    late = time.time() - at
    if late > 0:
        print(f"  (the driver set the round's instant {late:.1f} s late)", flush=True)
    results = []
    for page in pages:
        took, wall = finished(page)
        if took == NO_BUTTON / 1000:
            print(f"  (no button to press when {expected!r} was expected)", flush=True)
        elif took < 0:  # what the page showed instead, a minute after the click
            shown = page.locator("h3.play-week").inner_text()
            print(f"  (expected {expected!r}, the page showed {shown!r})", flush=True)
        results.append((took, wall, *wire(page)) if took >= 0 else (took, wall, 0.0, 0))
    return results


def split_lines(rounds: list[list[tuple]], how: str, size: int, where: str) -> list[str]:
    """A kind of round's figures: the week on screen, and its server and page parts."""
    results = [result for played in rounds for result in played]
    shown = [result for result in results if result[0] >= 0]
    misses = len(results) - len(shown)
    first = [first for _, _, first, _ in shown]
    sizes = sorted(size for *_, size in shown) or [0]
    medians = ", ".join(
        f"{1000 * statistics.median(took for took, *_ in played if took >= 0):.0f}"
        for played in rounds
        if any(took >= 0 for took, *_ in played)
    )
    return [
        f"- {size} learners in Play a worker ({where}) pressing 'Work this week' {how}, "
        f"{len(rounds)} rounds: each learner's week on screen after "
        f"{spread([took for took, *_ in shown])}; {misses} never shown; round medians "
        f"{medians} ms (target < 1 s) ({load()})",
        f"  - of which click to the server's first message with the answer (the server's part, "
        f"the send included): {spread(first)}; that message to the new text on screen (the "
        f"page's part): "
        f"{spread([took - first for took, _, first, _ in shown])}; received per week: median "
        f"{sizes[len(sizes) // 2] / 1000:.1f} kB, max {sizes[-1] / 1000:.1f} kB",
    ]


def play_room(
    browser, url: str, size: int = ROOM, play_at: str = "route", raw: dict | None = None
) -> list[str]:
    """Thirty learners in Play a worker pressing "Work this week"; the room watching.

    First they press at one instant (the worst case), then at times spread over ``SPREAD``
    seconds, as people in a room press.

    Args:
        browser: The chromium every learner's context opens in.
        url: The server's address.
        size: Learners.
        play_at: ``route`` (the game alone at /play) or ``tab`` (the dashboard's tab).
        raw: When given, every timing in seconds is added to it, by kind (for the record).
    """
    room = browser.new_context()
    local_only(room, [])
    watcher = room.new_page()
    watcher.goto(url + "room")
    watcher.get_by_text("weeks played").wait_for(timeout=180_000)
    watcher.evaluate(WATCH_ROOM)
    if play_at == "route":
        learners = open_sessions(
            browser, url, size, PLAY_AT[play_at], wired=True, ready="h3.play-week"
        )
    else:
        learners = open_sessions(browser, url, size, PLAY_AT[play_at], wired=True)
        for page in learners:
            page.get_by_role("tab", name="Play a worker").click()
        for page in learners:
            page.locator("h3.play-week").wait_for()
    where = {"route": "/play", "tab": "the dashboard's tab"}[play_at]
    chance = random.Random(SPREAD_SEED)
    alone = []  # one learner at a time, the others waiting: the cost of a week without a crowd
    for page in learners[:PLAY_ROUNDS]:
        alone.append(play_round([page], f"Week 2 of {play.WEEKS_PER_REGIME}", 0, chance)[0][0])
    together: list[list[tuple]] = []  # one list a round
    spread_out: list[list[tuple]] = []
    lags = []
    for number in range(1, 2 * PLAY_ROUNDS + 1):
        expected = f"Week {number + 1} of {play.WEEKS_PER_REGIME}"
        # the first few played their first week alone, above
        pending = learners[PLAY_ROUNDS:] if number == 1 else learners
        within = 0.0 if number <= PLAY_ROUNDS else SPREAD
        results = play_round(pending, expected, within, chance)
        (together if number <= PLAY_ROUNDS else spread_out).append(results)
        shown = [wall for took, wall, *_ in results if took >= 0]
        if not shown:
            continue
        last = max(shown)
        total = str(number * size)
        wait_for(
            lambda total=total: total in watcher.evaluate("() => window.__seen"),
            timeout=60,
            what="the room showing every week",
        )
        lags.append((watcher.evaluate("() => window.__seen")[total] - last) / 1000)
    for page in [*learners, watcher]:
        page.context.close()
    in_process = play_in_process(size)
    if raw is not None:
        raw |= {
            "play_at": play_at,
            "alone": alone,
            "at_one_instant": [[took for took, *_ in played] for played in together],
            "spread": [[took for took, *_ in played] for played in spread_out],
            "room_lag": lags,
            "in_process": in_process,
        }
    return [
        f"- one learner in Play a worker ({where}) at a time ({size - 1} others waiting): week "
        f"on screen after {spread(alone)} ({load()})",
        *split_lines(together, "at one instant", size, where),
        *split_lines(
            spread_out,
            f"at times spread uniformly over {SPREAD:g} s (seed {SPREAD_SEED})",
            size,
            where,
        ),
        f"- the room page showed each round's last week {spread(lags)} after it reached its "
        f"learner (target < 2 s; the page looks at the log every second)",
        f"- the server's own share, {size} learners' weeks played in threads at once (no "
        f"browser, no page): {spread(in_process)} ({load()})",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the room's benchmarks and print the figures as Markdown."""
    parser = argparse.ArgumentParser(prog="python -m dashboards.bench_room", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="memory rounds (default 3)")
    parser.add_argument("--room", type=int, default=ROOM, help=f"sessions (default {ROOM})")
    parser.add_argument(
        "--parts",
        default="memory,compare,play",
        help="which of memory, compare, play to run, comma-separated (default all)",
    )
    parser.add_argument(
        "--play-at",
        choices=list(PLAY_AT),
        default="route",
        help="where learners play: the game alone at /play (route, default) or the tab",
    )
    parser.add_argument("--raw", help="write every Play timing, in seconds, to this JSON file")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    if not parts <= {"memory", "compare", "play"}:
        parser.error(f"--parts: {args.parts!r}; allowed: memory, compare, play")
    raw: dict = {}
    print(f"### {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {load()}\n")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as driver:
        os.environ[play.DB_ENV] = str(Path(folder) / "play.sqlite")  # the servers inherit it
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + AWAKE)
        if parts & {"memory", "compare"}:
            with server() as (url, proc):
                status = browser.new_context().new_page()
                status.goto(url + "sessions")
                status.locator("span.open").wait_for(timeout=180_000)
                if "memory" in parts:
                    for line in memory_rounds(
                        browser, url, proc.pid, status, args.rounds, args.room
                    ):
                        print(line, flush=True)
                if "compare" in parts:
                    for line in compare_room(browser, url, proc, status, args.room):
                        print(line, flush=True)
                status.context.close()
        if "play" in parts:
            with server() as (url, _):
                for line in play_room(browser, url, args.room, args.play_at, raw):
                    print(line, flush=True)
        browser.close()
    if args.raw and raw:
        Path(args.raw).write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
