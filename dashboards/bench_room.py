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
3. Play a worker with thirty learners who all press "Work this week" at once, round after round:
   each learner's response time in their browser (target: under 1 s), and how long after the last
   learner's week the trainer's /room page shows it (target: within 2 s).

Prints Markdown for docs/performance.md. Nothing here is a timed test. Runs take a few minutes
and load both cores: keep them few on a shared machine.
"""

from __future__ import annotations

import argparse
import datetime
import os
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
LOOK = 60_000  # ms a browser-side timing waits before it gives up (recorded as a miss)

# Clicks a button (by its text) and records, in the page, how long until ``selector``'s text
# contains ``expected``: the learner's own view of the response, free of the driver's polling.
TIMED_CLICK = """([name, selector, expected, limit]) => {
  const button = [...document.querySelectorAll('button')]
    .find(b => b.textContent.trim() === name && !b.disabled);
  window.__timing = {start: performance.now(), wall: null, ms: null};
  const done = () => {
    const el = document.querySelector(selector);
    return el !== null && el.textContent.includes(expected);
  };
  const observer = new MutationObserver(() => {
    if (done()) {
      observer.disconnect();
      window.__timing.ms = performance.now() - window.__timing.start;
      window.__timing.wall = Date.now();
    }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  setTimeout(() => {
    observer.disconnect();
    if (window.__timing.ms === null) window.__timing.ms = -1;
  }, limit);
  button.click();
}"""

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


def spread(seconds: list[float]) -> str:
    """Median, p95 and max of some durations, in ms."""
    ordered = sorted(seconds)
    p95 = ordered[round(0.95 * (len(ordered) - 1))]
    return (
        f"median {1000 * statistics.median(ordered):.0f} ms, p95 {1000 * p95:.0f} ms, "
        f"max {1000 * ordered[-1]:.0f} ms (n = {len(ordered)})"
    )


def open_sessions(browser, url: str, n: int, query: str = "") -> list:
    """Open ``n`` dashboard sessions at once, each in its own offline context; wait for all."""
    pages = []
    for _ in range(n):
        context = browser.new_context(viewport={"width": 1500, "height": 1100})
        local_only(context, [])
        page = context.new_page()
        page.set_default_timeout(180_000)
        page.goto(url + query)
        pages.append(page)
    for page in pages:
        page.get_by_role("button", name="Step").wait_for()
    return pages


def counts(status) -> dict[str, int]:
    """The server's session counts as its /sessions page shows them."""
    return {
        what: int(status.locator(f"span.{what}").inner_text())
        for what in ("open", "playing", "unattended", "closed")
    }


def timed(page, button: str, selector: str, expected: str) -> None:
    """Start a browser-side timing of ``button`` until ``selector`` shows ``expected``."""
    page.evaluate(TIMED_CLICK, [button, selector, expected, LOOK])


def timing(page) -> tuple[float, float] | None:
    """The last timing's (seconds, wall-clock ms) once done; None while waiting."""
    result = page.evaluate("() => window.__timing")
    if result["ms"] is None:
        return None
    return result["ms"] / 1000, result["wall"]


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


def play_room(browser, url: str, size: int = ROOM) -> list[str]:
    """Thirty learners in Play a worker pressing "Work this week" together; the room watching."""
    room = browser.new_context()
    local_only(room, [])
    watcher = room.new_page()
    watcher.goto(url + "room")
    watcher.get_by_text("weeks played").wait_for(timeout=180_000)
    watcher.evaluate(WATCH_ROOM)
    learners = open_sessions(browser, url, size)
    for page in learners:
        page.get_by_role("tab", name="Play a worker").click()
    for page in learners:
        page.locator("h3.play-week").wait_for()
    responses, lags, misses = [], [], 0
    alone = []  # one learner at a time, the others waiting: the cost of a week without a crowd
    for page in learners[:PLAY_ROUNDS]:
        timed(page, "Work this week", "h3.play-week", f"Week 2 of {play.WEEKS_PER_REGIME}")
        alone.append(finished(page)[0])
    for number in range(1, PLAY_ROUNDS + 1):
        expected = f"Week {number + 1} of {play.WEEKS_PER_REGIME}"
        # the first few played their first week alone, above
        pending = learners[PLAY_ROUNDS:] if number == 1 else learners
        for page in pending:
            timed(page, "Work this week", "h3.play-week", expected)
        results = [finished(page) for page in pending]
        misses += sum(took < 0 for took, _ in results)
        responses += [took for took, _ in results if took >= 0]
        last = max(wall for took, wall in results if took >= 0)
        total = str(number * size)
        wait_for(
            lambda total=total: total in watcher.evaluate("() => window.__seen"),
            timeout=60,
            what="the room showing every week",
        )
        lags.append((watcher.evaluate("() => window.__seen")[total] - last) / 1000)
    for page in [*learners, watcher]:
        page.context.close()
    return [
        f"- one learner in Play a worker at a time ({size - 1} others waiting): week on screen "
        f"after {spread(alone)} ({load()})",
        f"- {size} learners in Play a worker pressing 'Work this week' together, {PLAY_ROUNDS} "
        f"rounds: each learner's week on screen after {spread(responses)}"
        + (f", {misses} never shown" if misses else "")
        + f" (target < 1 s) ({load()})",
        f"- the room page showed each round's last week {spread(lags)} after it reached its "
        f"learner (target < 2 s; the page looks at the log every second)",
        f"- the server's own share, {size} learners' weeks played in threads at once (no "
        f"browser, no page): {spread(play_in_process(size))} ({load()})",
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
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    if not parts <= {"memory", "compare", "play"}:
        parser.error(f"--parts: {args.parts!r}; allowed: memory, compare, play")
    print(f"### {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, {load()}\n")
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as driver:
        os.environ[play.DB_ENV] = str(Path(folder) / "play.sqlite")  # the servers inherit it
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
                for line in play_room(browser, url, args.room):
                    print(line, flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
