"""Benchmarks for sweeps: ``python -m experiments.bench``.

Measures, in one run on one machine: throughput (runs per minute) of fresh sweeps of default-size
runs with 1 and 2 worker processes and with a Dask LocalCluster of 2 workers; and the peak memory
(ru_maxrss) of a sweep's main process and of its largest worker as the number of runs grows (it
should stay flat: results stream to disk in batches). Prints Markdown tables, with the 2-process
target (at least 1.8 times one process) beside its ratio; nothing is asserted here or in timed
tests: measurements are written down in docs/performance.md and docs/experiments.md.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = """
name = "bench"
description = "default-size runs for benchmarking"
regimes = ["outcomes", "learning"]
replications = {reps}
steps = 104
seed = 1
record = "final"
[vary]
incentive_strength = [0.3, 0.6, 0.9, 1.2, 1.5]
"""


def _experiment(runs: int, folder: Path) -> Path:
    path = folder / f"bench_{runs}.toml"
    path.write_text(BENCH.format(reps=max(1, runs // 10)))
    return path


def throughput(runs: int, kind: str, workers: int, folder: Path) -> float:
    """Runs per minute for a fresh sweep of about ``runs`` default-size runs."""
    from experiments.design import plan
    from experiments.spec import load
    from experiments.sweep import sweep

    exp = load(str(_experiment(runs, folder)))
    out = folder / f"{kind}_{workers}_{runs}"
    start = time.perf_counter()
    counts = sweep(exp, str(out), kind, workers)
    elapsed = time.perf_counter() - start
    assert counts["done"] == len(plan(exp))
    return 60 * counts["done"] / elapsed


def peak_memory(runs: int, folder: Path) -> tuple[float, float]:
    """Peak RSS (MiB) of the sweep's main process and of its largest worker, in a fresh process."""
    exp = _experiment(runs, folder)
    out = folder / f"memory_{runs}"
    code = (
        "import resource, sys; from experiments.cli import main; "
        f"status = main(['run', {str(exp)!r}, '--out', {str(out)!r}, '--workers', '2']); "
        "assert status == 0, f'the sweep exited with status {status}'; "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    main_kb, child_kb = map(int, done.stdout.split()[-2:])
    return main_kb / 1024, child_kb / 1024


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the table."""
    parser = argparse.ArgumentParser(prog="python -m experiments.bench", description=__doc__)
    parser.add_argument("--runs", type=int, default=200, help="runs per throughput measurement")
    parser.add_argument("--memory-runs", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one = throughput(args.runs, "processes", 1, folder)
        two = throughput(args.runs, "processes", 2, folder)
        dask = throughput(args.runs, "dask-local", 2, folder)
        print("| executor | runs/min | ratio |")
        print("|---|---|---|")
        print(f"| 1 process | {one:.0f} | 1.00 |")
        print(f"| 2 processes | {two:.0f} | {two / one:.2f} (target >= 1.8) |")
        print(f"| Dask LocalCluster, 2 workers | {dask:.0f} | {dask / two:.2f} of 2 processes |")
        print()
        print("| runs in sweep | peak RSS, main process (MiB) | peak RSS, largest worker (MiB) |")
        print("|---|---|---|")
        for n in args.memory_runs:
            main_mb, child_mb = peak_memory(n, folder)
            print(f"| {n} | {main_mb:.0f} | {child_mb:.0f} |")
    print(f"\n(ru_maxrss; {resource.getpagesize()}-byte pages; Python {sys.version.split()[0]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
