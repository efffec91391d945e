"""Speed of whole systems: ``python -m benchmarks.systems`` (figures for docs/performance.md).

Times one 104-week run of the default-size service alone and of three services of the default
size (each 600 citizens' worth of caseload, 30 workers, 3 managers, around the same 600
citizens), under each contract, without payment by results and with it (when each service's
counterfactual run for attribution steps alongside). Prints the median of a few repeats, in wall
time and in this process's CPU time (which other jobs on a shared machine disturb less); nothing
here is a timed test.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sim.params import DEFAULT_STEPS

CASES = (
    ("one service", {}),
    ("3 services, siloed", {"n_services": 3, "contracting": "siloed"}),
    ("3 services, alliance", {"n_services": 3, "contracting": "alliance"}),
    ("3 services, siloed, PbR 0.5", {"n_services": 3, "payment_by_results": 0.5}),
    (
        "3 services, alliance, PbR 0.5",
        {"n_services": 3, "contracting": "alliance", "payment_by_results": 0.5},
    ),
)


def seconds(params: dict[str, object], repeats: int) -> tuple[float, float]:
    """Median wall and CPU time of a default-length run (model built, stepped, frame returned)."""
    from sim.model import run

    wall, cpu = [], []
    for seed in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        run("outcomes", steps=DEFAULT_STEPS, seed=seed, **params)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main(argv: list[str] | None = None) -> int:
    """Print one line per case: its median wall and CPU time for a default-length run."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.systems")
    parser.add_argument("--repeats", type=int, default=3, help="runs per case (median shown)")
    args = parser.parse_args(argv)
    seconds({}, 1)  # imports and caches warmed before anything is timed
    for name, params in CASES:
        wall, cpu = seconds(params, args.repeats)
        print(f"{name:32s} wall {wall:6.2f} s   cpu {cpu:6.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
