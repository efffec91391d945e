"""Start the dashboard server and a headless chromium, for tests, screenshots and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# How long a browser waits for anything on the page before failing. Generous: on a loaded
# 2-core machine a Solara round trip can take tens of seconds, and a wait that passes early costs
# nothing. Speed is measured by the benchmarks, never by these waits.
PAGE_WAIT_MS = 180_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    """A TCP port nobody is listening on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(port: int | None = None, timeout: float = 90) -> Iterator[tuple[str, subprocess.Popen]]:
    """``solara run dashboards/app.py`` on localhost; yields its URL and process."""
    port = port or free_port()
    solara = Path(sys.executable).parent / "solara"
    # This checkout's packages first: an editable install elsewhere (another worktree, the main
    # clone) would otherwise serve its own dashboards/ and sim/, not the code under test.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = os.environ | {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "PYTHONPATH": path}
    proc = subprocess.Popen(
        [
            str(solara),
            "run",
            "dashboards/app.py",
            "--port",
            str(port),
            "--host",
            "localhost",
            "--production",
            "--no-open",
            "--no-check-version",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://localhost:{port}/"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    out = proc.stdout.read()
                    raise RuntimeError(f"dashboard server did not start:\n{out}") from None
                time.sleep(0.5)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def local_only(context, blocked: list[str]) -> None:
    """Block every request that leaves localhost, recording it in ``blocked``."""

    def route(r):
        url = r.request.url
        host = url.split("/")[2].split(":")[0] if "://" in url else ""
        if host in ("localhost", "127.0.0.1") or url.startswith("data:"):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    context.route("**/*", route)


def open_page(
    browser, url: str, blocked: list[str] | None = None, width: int = 1500, height: int = 1100
):
    """A new browser context on the dashboard, offline, ready when Step is on screen."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    ctx.set_default_timeout(PAGE_WAIT_MS)
    local_only(ctx, blocked if blocked is not None else [])
    page = ctx.new_page()
    page.goto(url)
    page.get_by_role("button", name="Step").wait_for()
    return ctx, page


def week(page) -> int:
    """The week shown on a dashboard page."""
    return int(page.locator("h2").first.inner_text().split()[-1])


def wait_for(condition: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    """Poll ``condition`` until it holds.

    Args:
        condition: Checked every 50 ms.
        timeout: Seconds before giving up.
        what: Named in the error.

    Raises:
        TimeoutError: ``condition`` still did not hold after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not hold within {timeout} s")
        time.sleep(0.05)


def steady_week(page, quiet: float = 1.0, timeout: float = 20) -> int:
    """Wait until the page's week has not changed for ``quiet`` seconds; return it.

    Raises:
        TimeoutError: The week was still changing after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    shown, since = week(page), time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() > deadline:
            raise TimeoutError(f"week still changing after {timeout} s (now {shown})")
        time.sleep(0.05)
        if (now := week(page)) != shown:
            shown, since = now, time.monotonic()
    return shown


def wait_week(page, n: int, timeout: float = 20) -> float:
    """Wait until the page shows week ``n``; return the seconds it took."""
    start = time.monotonic()
    while week(page) != n:
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"still week {week(page)}, expected {n}")
        time.sleep(0.02)
    return time.monotonic() - start
