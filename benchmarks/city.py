"""City scale: ``python -m benchmarks.city`` (or ``python -m benchmarks --city``).

Runs a city of 1,000,000 citizens for 104 weeks with one service and with three, each in a fresh
process, at the default caseload (20 citizens a worker) and team size (ten workers a manager):
50,000 workers and 5,000 managers a service. For each run it reports the time to build the model,
the time to step it and return its weekly frame (wall and CPU), the peak resident memory, and the
resident memory week by week, to show whether memory stays flat over the weeks. The machine's
load average is printed beside each figure: on a shared machine wall time follows the load, CPU
time much less. Nothing here is a timed test.

With ``--payment-by-results X`` (a share above 0) each run also steps its counterfactual runs for
attribution, one whole model more per service (so 1 + n_services models), as ``sim run`` would.

Targets: one service in 60 s or less, three services in 180 s or less, peak memory 6 GiB or less,
memory flat over the weeks.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from sim.params import DEFAULT_STEPS, ParamError, coerce, models_stepped

CITIZENS = 1_000_000
CASES = (("one service", 1, 60.0), ("three services", 3, 180.0))
PEAK_TARGET_MIB = 6 * 1024
# Memory counts as flat when it grows by less than this between the first weeks and the last.
FLAT_MIB = 64
SETTLED_WEEK = 8  # weeks before the first review periods' tallies and arrays are all in use


def _share(text: str) -> float:
    """``--payment-by-results``: a share the model accepts, or argparse's one-line error."""
    try:
        share: float = coerce("payment_by_results", text)
    except ParamError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return share


def _rss_mib() -> float:
    """This process's resident memory now, in MiB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024**2


def measure(
    n_services: int, citizens: int, steps: int, seed: int = 0, payment_by_results: float = 0.0
) -> dict[str, Any]:
    """One run in this process: build, step with the memory each week, return the frame."""
    from sim.model import AccountabilityModel

    load = [os.getloadavg()[0]]
    wall, cpu = time.perf_counter(), time.process_time()
    model = AccountabilityModel(
        rng=seed,
        n_citizens=citizens,
        n_workers=citizens // 20,
        n_managers=max(1, citizens // 200),
        n_services=n_services,
        payment_by_results=payment_by_results,
    )
    build_wall, build_cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss = []
    for week in range(steps):
        model.step()
        rss.append(_rss_mib())
        if week % 26 == 25:
            load.append(os.getloadavg()[0])
    frame = model.frame()
    return {
        "n_services": n_services,
        "citizens": citizens,
        "payment_by_results": payment_by_results,
        "models": models_stepped(model.params),
        "weeks": len(frame),
        "build_wall_s": build_wall,
        "build_cpu_s": build_cpu,
        "wall_s": time.perf_counter() - wall,
        "cpu_s": time.process_time() - cpu,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_mib": rss,
        "load": [*load, os.getloadavg()[0]],
    }


def in_fresh_process(
    n_services: int, citizens: int, steps: int, payment_by_results: float = 0.0
) -> dict[str, Any]:
    """``measure`` in a new Python process, so that its peak memory is its own."""
    args = ["--one", str(n_services), "--citizens", str(citizens), "--steps", str(steps)]
    args += ["--payment-by-results", repr(payment_by_results)]
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.city", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    return result


def report(name: str, figures: dict[str, Any], target_s: float) -> list[str]:
    """Markdown lines for one run, each target with whether it was met."""
    rss = figures["rss_mib"]
    settled = rss[min(SETTLED_WEEK, len(rss)) - 1]
    growth = rss[-1] - settled
    load = figures["load"]
    loads = f"load {min(load):.1f}–{max(load):.1f}"
    wall_met = "met" if figures["wall_s"] <= target_s else "not met"
    cpu_met = "within" if figures["cpu_s"] <= target_s else "over"
    weeks = (SETTLED_WEEK, 26, 52, 78, len(rss))
    by_results = figures.get("payment_by_results", 0.0)
    attribution = (
        f", payment by results {by_results} ({figures['models']} models stepped)"
        if by_results
        else ""
    )
    return [
        f"### {name}: {figures['citizens']:,} citizens, {figures['weeks']} weeks{attribution}\n",
        f"- total (build, step, frame): wall {figures['wall_s']:.1f} s, CPU "
        f"{figures['cpu_s']:.1f} s ({loads}); target {target_s:.0f} s: {wall_met} in wall "
        f"time, CPU time {cpu_met} it",
        f"- building the model: wall {figures['build_wall_s']:.1f} s, CPU "
        f"{figures['build_cpu_s']:.1f} s",
        f"- peak RSS {figures['peak_rss_mib']:.0f} MiB; target {PEAK_TARGET_MIB} MiB: "
        f"{'met' if figures['peak_rss_mib'] <= PEAK_TARGET_MIB else 'not met'}",
        f"- RSS at weeks {', '.join(str(w) for w in weeks if w <= len(rss))}: "
        + ", ".join(f"{rss[w - 1]:.0f}" for w in weeks if w <= len(rss))
        + f" MiB; growth after week {SETTLED_WEEK} {growth:+.0f} MiB "
        f"({'flat' if abs(growth) < FLAT_MIB else 'not flat'}, within ±{FLAT_MIB} MiB)",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run each case in a fresh process and print a Markdown report (and JSON with --json)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.city", description=__doc__)
    parser.add_argument("--citizens", type=int, default=CITIZENS)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument(
        "--payment-by-results",
        type=_share,
        default=0.0,
        help="share of each contract paid by results (above 0: counterfactual runs too)",
    )
    parser.add_argument(
        "--services",
        type=int,
        nargs="+",
        choices=[n for _, n, _ in CASES],
        default=[n for _, n, _ in CASES],
        help="which cases to run, by their number of services (default: all)",
    )
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child's own run
    args = parser.parse_args(argv)
    if args.one:
        print(
            json.dumps(
                measure(
                    args.one, args.citizens, args.steps, payment_by_results=args.payment_by_results
                )
            )
        )
        return 0
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"## City scale (`python -m benchmarks.city`), {started}\n")
    figures = {}
    for name, n_services, target_s in CASES:
        if n_services not in args.services:
            continue
        figures[name] = in_fresh_process(
            n_services, args.citizens, args.steps, args.payment_by_results
        )
        print("\n".join(report(name, figures[name], target_s)), flush=True)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(figures, out, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
