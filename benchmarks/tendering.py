"""Re-tendering over contract rounds: ``python -m benchmarks.tendering`` (docs/performance.md).

Three services, siloed contracts, payment by results 0.5, one-year contracts, targets in every
service: for each seed and each measure alignment, one run of ``rounds`` contracts. Prints, per
round, the share of providers that gamed (sim.tendering.GAMING_LINE) and the mean provider gaming
gap, each as a mean over seeds with the half-width of a 95 % t interval, and the wall and CPU time
of a run. ``--choose true`` or ``--choose random`` replaces the provider with the worst true
results, or one at random, instead of the worst reported figures (the comparison the selection
pattern needs). ``--out`` keeps every round's record as JSON. Nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
from scipy import stats

SYSTEM = {
    "n_services": 3,
    "contracting": "siloed",
    "payment_by_results": 0.5,
    "contract_years": 1,
}


def _choose(rule: str) -> None:
    """Make the commissioner replace by ``rule`` in this process (reported is the model's)."""
    from sim.tendering import Tendering

    if rule == "true":

        def worst(self: Tendering) -> int:
            return int(np.argmin(self.achieved))

        Tendering.worst = worst  # type: ignore[method-assign]
    elif rule == "random":

        def anyone(self: Tendering) -> int:
            return int(np.random.default_rng(self.model.week).integers(len(self.reported)))

        Tendering.worst = anyone  # type: ignore[method-assign]


def one_run(job: tuple[int, float, int, str, dict[str, Any]]) -> dict[str, Any]:
    """The round records and timings of one run."""
    from sim.model import AccountabilityModel

    seed, alignment, rounds, rule, extra = job
    _choose(rule)
    start, start_cpu = time.perf_counter(), time.process_time()
    model = AccountabilityModel(rng=seed, measure_alignment=alignment, **SYSTEM, **extra)
    for _ in range(52 * rounds):
        model.step()
    return {
        "seed": seed,
        "alignment": alignment,
        "rule": rule,
        "rounds": model.tendering.rounds,
        "wall": time.perf_counter() - start,
        "cpu": time.process_time() - start_cpu,
    }


def interval(values: list[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95 % t interval."""
    data = np.asarray(values, dtype=float)
    if len(data) < 2:
        return float(data.mean()), float("nan")
    half = stats.t.ppf(0.975, len(data) - 1) * data.std(ddof=1) / np.sqrt(len(data))
    return float(data.mean()), float(half)


def main(argv: list[str] | None = None) -> int:
    """Run every seed at each alignment; print the rounds' shares, gaps and run times."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tendering")
    parser.add_argument("--seeds", type=int, default=8, help="seeds 0 to N-1")
    parser.add_argument("--rounds", type=int, default=8, help="one-year contract rounds")
    parser.add_argument("--alignments", default="0.3,0.9", help="measure_alignment values")
    parser.add_argument("--choose", default="reported", choices=("reported", "true", "random"))
    parser.add_argument("--regime", default="outcomes")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--out", default="", help="JSON file for every round's record")
    args = parser.parse_args(argv)
    alignments = [float(a) for a in args.alignments.split(",")]
    extra = {"regime": args.regime}
    jobs = [
        (seed, alignment, args.rounds, args.choose, extra)
        for alignment in alignments
        for seed in range(args.seeds)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(one_run, jobs))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            json.dump(results, file)
    print(f"selection on {args.choose} figures, regime {args.regime}, seeds 0-{args.seeds - 1}")
    for alignment in alignments:
        runs = [r for r in results if r["alignment"] == alignment]
        print(f"measure_alignment {alignment}")
        for index in range(args.rounds):
            share = interval([r["rounds"][index]["gaming_share"] for r in runs])
            gap = interval([float(np.mean(r["rounds"][index]["gaming_gap"])) for r in runs])
            print(
                f"  round {index + 1}: gaming providers {share[0]:.3f} ± {share[1]:.3f}"
                f"   mean gap {gap[0]:.3f} ± {gap[1]:.3f}"
            )
        wall = interval([r["wall"] for r in runs])
        cpu = interval([r["cpu"] for r in runs])
        print(f"  a run: wall {wall[0]:.1f} ± {wall[1]:.1f} s, cpu {cpu[0]:.1f} ± {cpu[1]:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
