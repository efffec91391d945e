"""The ``accountability-lab`` command: one entry point for the model, the sweeps and the dashboard.

``accountability-lab run | compare | params | limit`` hand their arguments to ``python -m sim``,
``accountability-lab sweeps ...`` to ``python -m experiments`` and ``accountability-lab calibrate
...`` to ``python -m experiments calibrate``; ``accountability-lab serve`` starts the Solara
dashboard as ``make run`` does, from wherever the package is installed.

Why it lives here: ``sim`` must know nothing of the sweeps or the dashboard, and the layout allows
no new top-level package, so the dispatcher belongs to a package that may already depend on
``sim``. ``experiments`` is that package (researchers are the ones who install the command); it
never imports ``dashboards`` but only finds its ``app.py`` on disk, so ``serve`` costs nothing
until it is used and a core install without the ``[dashboard]`` extra runs every other command.

Each subcommand's module is imported only when chosen, so ``accountability-lab params`` does not
load pandas' Parquet stack or Dask. A bad subcommand or option stops with one line and status 2.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

PROG = "accountability-lab"
SIM_COMMANDS = {
    "run": "run one regime and write its weekly rows",
    "compare": "outcomes vs learning from one seed, figure and table",
    "params": "list every model parameter: default, range, unit, meaning",
    "limit": "the multitask principal-agent limiting case, as JSON",
}
OTHER_COMMANDS = {
    "sweeps": "parameter sweeps: list | run | status | analyse (see 'sweeps --help')",
    "calibrate": "fit a real case by ABC-SMC (same as 'sweeps calibrate')",
    "serve": "serve the dashboard on http://localhost:8765 (--host 0.0.0.0 for a room)",
}
DEFAULT_HOST = "localhost"
DEFAULT_PORT = 8765
# The dashboard's imports beyond the core install, and the extra that brings them.
DASHBOARD_MODULES = ("solara", "markdown_it", "ipyvuetify")
DASHBOARD_EXTRA = "pip install 'accountability-lab[dashboard]'"


class UsageError(Exception):
    """A bad command line; the message is one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line and exit 2, not argparse's usage block
        raise UsageError(message)


def usage() -> str:
    """The top-level help: every subcommand and what it does."""
    width = max(map(len, SIM_COMMANDS | OTHER_COMMANDS))
    lines = [
        f"usage: {PROG} COMMAND [ARGS ...]",
        "",
        "Accountability Lab: a public service held to account by outcome targets or by learning.",
        "",
        "commands:",
        *(f"  {name:<{width}}  {text}" for name, text in (SIM_COMMANDS | OTHER_COMMANDS).items()),
        "",
        f"'{PROG} COMMAND --help' describes a command's arguments.",
    ]
    return "\n".join(lines)


def dashboard_app() -> Path:
    """Where the installed dashboard's ``app.py`` is, found without importing the dashboard."""
    spec = importlib.util.find_spec("dashboards")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("the dashboard is not installed with this package")
    for folder in spec.submodule_search_locations:
        app = Path(folder) / "app.py"
        if app.is_file():
            return app
    raise UsageError("the dashboard's app.py is missing from this installation")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port: allowed are 1 to 65535")
    return port


def serve_parser() -> argparse.ArgumentParser:
    """Arguments of ``accountability-lab serve``."""
    serve = _Parser(
        prog=f"{PROG} serve",
        description="Serve the dashboard with Solara, offline and without telemetry.",
    )
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default {DEFAULT_HOST}; 0.0.0.0 serves the local network)",
    )
    serve.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}")
    return serve


def serve_command(host: str, port: int) -> list[str]:
    """The Solara command line ``make run`` uses, pointed at the installed dashboard.

    Solara would otherwise take its address from the ``HOST`` environment variable, which shells
    and users set for other reasons, so the host is always passed explicitly.
    """
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(dashboard_app()),
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]


def serve(argv: list[str]) -> int:
    """Start the dashboard; Ctrl-C stops it.

    On POSIX the server replaces this process, so Ctrl-C, SIGTERM and a supervisor's kill reach
    Solara itself and no server is left behind by a killed parent; elsewhere it runs as a child.
    """
    args = serve_parser().parse_args(argv)
    missing = [name for name in DASHBOARD_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"the dashboard needs {', '.join(missing)}: {DASHBOARD_EXTRA}")
    command = serve_command(args.host, args.port)
    if importlib.util.find_spec("solara_assets") is None:
        _say(f"note: without solara-assets, browsers fetch Solara from a CDN: {DASHBOARD_EXTRA}")
    # No outside requests: telemetry off (Solara's JavaScript comes from solara-assets).
    env = os.environ | {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    _say(f"serving http://{args.host}:{args.port} (Ctrl-C stops)")
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(sys.executable, command, env)
    process = subprocess.Popen(command, env=env)
    try:
        return process.wait()
    except KeyboardInterrupt:  # the server got the same Ctrl-C; let it finish shutting down
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return 130


def _sim(command: str) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        from sim.cli import main

        return main([command, *argv])

    return run


def _sweeps(argv: list[str]) -> int:
    from experiments.cli import main

    return main(argv)


def _calibrate(argv: list[str]) -> int:
    from experiments.cli import main

    return main(["calibrate", *argv])


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    **{name: _sim(name) for name in SIM_COMMANDS},
    "sweeps": _sweeps,
    "calibrate": _calibrate,
    "serve": serve,
}


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run ``accountability-lab``; return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        _say(f"error: a command is needed: {', '.join(COMMANDS)} ('{PROG} --help' says more)")
        return 2
    command, rest = argv[0], argv[1:]
    if command in ("-h", "--help", "help"):
        print(usage())
        return 0
    if command not in COMMANDS:
        close = difflib.get_close_matches(command, COMMANDS, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        _say(f"error: unknown command {command!r}: {hint}allowed are {', '.join(COMMANDS)}")
        return 2
    try:
        return COMMANDS[command](rest)
    except UsageError as err:
        _say(f"error: {err}")
        return 2
    except KeyboardInterrupt:  # Ctrl-C while a library loads: nothing has started yet
        _say("interrupted")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
