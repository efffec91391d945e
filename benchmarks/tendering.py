"""Re-tendering over contract rounds: ``python -m benchmarks.tendering`` (docs/performance.md).

Three services, siloed contracts, payment by results 0.5, one-year contracts: for each seed, each
measure alignment and each selection rule, one run of ``rounds`` contracts. Prints, per round, the
share of providers that gamed (sim.tendering.GAMING_LINE) and the mean provider gaming gap, each
as a mean over seeds with the half-width of a 95 % t interval, and the wall and CPU time of a run.
``--choose`` names the rules, comma separated: ``reported`` (the commissioner judges on reported
figures, ``tender_evaluation`` 0), ``true`` (on what citizens really achieved, 1) and ``random``
(a provider at random); with several, the differences of the first rule from the others are
printed paired by seed, for the last round and for the mean of the last four. ``--small`` runs the
selection pattern's services (tests/test_systems.py: 150 citizens' worth, 9 workers, 3 teams) and
``--no-attribution`` drops the counterfactual runs, as the pattern does. ``--out`` keeps every
round's record as JSON. Nothing here is a timed test.
"""

from __future__ import annotations

import argparse
import json
import sys
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


SMALL = {"n_citizens": 150, "n_workers": 9, "n_managers": 3}
# The rules' tender_evaluation; random keeps the model's rule and replaces Tendering.worst.
EVALUATION = {"reported": 0.0, "true": 1.0, "random": 0.0}


def _choose(rule: str) -> None:
    """Make the commissioner replace a provider at random in this process, or undo it."""
    from sim.tendering import Tendering

    own = Tendering.__dict__.get("judged", Tendering.worst)
    Tendering.judged = own  # type: ignore[attr-defined]
    Tendering.worst = own  # type: ignore[method-assign]  # a pool's process runs several rules
    if rule == "random":

        def anyone(self: Tendering) -> int:
            return int(np.random.default_rng(self.model.week).integers(len(self.reported)))

        Tendering.worst = anyone  # type: ignore[method-assign]


def one_run(job: tuple[int, float, int, str, dict[str, Any], bool]) -> dict[str, Any]:
    """The round records and timings of one run."""
    from sim.model import AccountabilityModel

    seed, alignment, rounds, rule, extra, attribution = job
    _choose(rule)
    start, start_cpu = time.perf_counter(), time.process_time()
    model = AccountabilityModel(
        rng=seed,
        measure_alignment=alignment,
        tender_evaluation=EVALUATION[rule],
        **SYSTEM,
        **extra,
    )
    if not attribution:
        model.shadows = []
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


def _shares(runs: list[dict[str, Any]]) -> np.ndarray:
    """Each run's share of gaming providers per round, rows in seed order."""
    ordered = sorted(runs, key=lambda run: run["seed"])
    return np.array([[record["gaming_share"] for record in run["rounds"]] for run in ordered])


def _gaps(runs: list[dict[str, Any]]) -> np.ndarray:
    """Each run's mean provider gaming gap per round, rows in seed order."""
    ordered = sorted(runs, key=lambda run: run["seed"])
    return np.array(
        [[np.mean(record["gaming_gap"]) for record in run["rounds"]] for run in ordered]
    )


def main(argv: list[str] | None = None) -> int:
    """Run every seed at each alignment and rule; print the rounds' shares, gaps and run times."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.tendering")
    parser.add_argument("--seeds", type=int, default=8, help="seeds 0 to N-1")
    parser.add_argument("--rounds", type=int, default=8, help="one-year contract rounds")
    parser.add_argument("--alignments", default="0.3,0.9", help="measure_alignment values")
    parser.add_argument("--choose", default="reported", help="reported, true, random, comma list")
    parser.add_argument("--regime", default="outcomes")
    parser.add_argument("--small", action="store_true", help="the selection pattern's services")
    parser.add_argument("--no-attribution", action="store_true", help="no counterfactual runs")
    parser.add_argument("--workers", type=int, default=2, help="processes")
    parser.add_argument("--out", default="", help="JSON file for every round's record")
    args = parser.parse_args(argv)
    alignments = [float(a) for a in args.alignments.split(",")]
    rules = args.choose.split(",")
    unknown = [rule for rule in rules if rule not in EVALUATION]
    if unknown:
        print(
            f"--choose {unknown[0]!r} is not allowed: use reported, true or random (comma list)",
            file=sys.stderr,
        )
        return 2
    extra = {"regime": args.regime, **(SMALL if args.small else {})}
    jobs = [
        (seed, alignment, args.rounds, rule, extra, not args.no_attribution)
        for alignment in alignments
        for rule in rules
        for seed in range(args.seeds)
    ]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(one_run, jobs))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            json.dump(results, file)
    size = "small services" if args.small else "default sizes"
    print(f"regime {args.regime}, {size}, seeds 0-{args.seeds - 1}, {args.rounds} rounds")
    for alignment in alignments:
        for rule in rules:
            runs = [r for r in results if r["alignment"] == alignment and r["rule"] == rule]
            print(f"measure_alignment {alignment}, selection on {rule} figures")
            shares, gaps = _shares(runs), _gaps(runs)
            for index in range(args.rounds):
                share, gap = interval(shares[:, index]), interval(gaps[:, index])
                print(
                    f"  round {index + 1}: gaming providers {share[0]:.3f} ± {share[1]:.3f}"
                    f"   mean gap {gap[0]:.3f} ± {gap[1]:.3f}"
                )
            wall = interval([r["wall"] for r in runs])
            cpu = interval([r["cpu"] for r in runs])
            print(
                f"  a run: wall {wall[0]:.1f} ± {wall[1]:.1f} s, cpu {cpu[0]:.1f} ± {cpu[1]:.1f} s"
            )
        first = [r for r in results if r["alignment"] == alignment and r["rule"] == rules[0]]
        for rule in rules[1:]:
            other = [r for r in results if r["alignment"] == alignment and r["rule"] == rule]
            for name, table in (("gaming providers", _shares), ("mean gap", _gaps)):
                difference = table(first) - table(other)
                last, late = interval(difference[:, -1]), interval(difference[:, -4:].mean(axis=1))
                print(
                    f"  {rules[0]} - {rule}, {name} (paired): last round {last[0]:+.3f} ± "
                    f"{last[1]:.3f}, mean of the last four {late[0]:+.3f} ± {late[1]:.3f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
