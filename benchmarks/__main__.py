"""One run, one machine: every speed and memory figure of docs/performance.md.

- one default run (600 citizens, 104 weeks, output frame included) under each regime;
- our model's cost per agent-step at 600, 6,000 and 60,000 citizens (workers and managers in
  proportion), against Mesa's bundled BoltzmannWealth example in the same process;
- peak memory of one run at each size (each in a fresh process);
- sweep throughput with 1 and 2 worker processes and a Dask LocalCluster;
- dashboard step + redraw at the default size, and the memory of one dashboard session;
- with ``--city``, a city of 1,000,000 citizens (benchmarks.city; several minutes).

Targets are checked here as ratios measured in this run, and printed; nothing is a timed test.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (600, 6_000, 60_000)


def _agents(n_citizens: int) -> int:
    return n_citizens + n_citizens // 20 + n_citizens // 200


def model_cost(n_citizens: int, steps: int = 52, seed: int = 0) -> float:
    """Microseconds per agent-step of our model (stepping only; building is reported apart)."""
    from sim.model import AccountabilityModel

    model = AccountabilityModel(
        rng=seed,
        n_citizens=n_citizens,
        n_workers=n_citizens // 20,
        n_managers=max(1, n_citizens // 200),
    )
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    return 1e6 * (time.perf_counter() - start) / (steps * _agents(n_citizens))


def boltzmann_cost(n_agents: int, steps: int = 52, seed: int = 0) -> float:
    """Microseconds per agent-step of Mesa's BoltzmannWealth at the same number of agents."""
    from mesa.examples.basic.boltzmann_wealth_model.model import (
        BoltzmannScenario,
        BoltzmannWealth,
    )

    side = max(10, round(n_agents**0.5))  # one agent per cell, as in the example
    model = BoltzmannWealth(BoltzmannScenario(n=n_agents, width=side, height=side, rng=seed))
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    return 1e6 * (time.perf_counter() - start) / (steps * n_agents)


def default_run_seconds(regime: str, repeats: int = 3) -> float:
    """Seconds for one default run with its weekly frame, best of ``repeats`` seeds."""
    import sim

    best = float("inf")
    for seed in range(repeats):
        start = time.perf_counter()
        sim.run(regime, seed=seed)
        best = min(best, time.perf_counter() - start)
    return best


def peak_memory(n_citizens: int, steps: int = 104) -> float:
    """Peak RSS (MiB) of one 104-week run in a fresh process."""
    code = (
        "import resource, sim; "
        f"sim.run('outcomes', steps={steps}, seed=0, n_citizens={n_citizens}, "
        f"n_workers={n_citizens // 20}, n_managers={max(1, n_citizens // 200)}); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def session_memory() -> float:
    """Extra MiB one dashboard session holds after 104 weeks: two models and their live charts."""
    code = (
        "import gc, matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot, pandas, mesa; "
        "from dashboards.twin import Twin; from dashboards.live import LiveCharts, LivePicture; "
        "rss = lambda: int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0]"
        ".split()[1]); "
        "warm = Twin(); LiveCharts(list(warm.frames())).render(warm.frames()); "
        "LivePicture(warm).render(); del warm; gc.collect(); base = rss(); "
        "t = Twin(); c = LiveCharts(list(t.frames())); p = LivePicture(t); t.step(104); "
        "c.render(t.frames()); p.render(); gc.collect(); print(rss() - base)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[-1]) / 1024


def main(argv: list[str] | None = None) -> int:
    """Measure everything and print a Markdown report (and JSON with --json)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--sweep-runs", type=int, default=600)
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--skip-sweeps", action="store_true")
    parser.add_argument(
        "--city",
        action="store_true",
        help="also run the city-scale benchmark (benchmarks.city: 1,000,000 citizens, minutes)",
    )
    args = parser.parse_args(argv)
    figures: dict = {"python": sys.version.split()[0]}

    from sim.regimes import PRESETS

    print("## One default run (600 citizens, 104 weeks), best of 3 seeds\n")
    print("| regime | seconds |\n|---|---|")
    for regime in PRESETS:
        figures[f"default_run_s_{regime}"] = default_run_seconds(regime)
        print(f"| {regime} | {figures[f'default_run_s_{regime}']:.3f} |")
    print("\nTarget: every regime under 0.3 s\n")

    print("## Model cost per agent-step (stepping only, 52 weeks)\n")
    print(
        "| citizens | agents | our model (µs) | BoltzmannWealth (µs) | ratio | peak RSS of a run |"
    )
    print("|---|---|---|---|---|---|")
    ours = {}
    for n in SIZES:
        ours[n] = min(model_cost(n, seed=s) for s in range(2))
        boltz = min(
            boltzmann_cost(_agents(n), steps=52 if n < 60_000 else 10, seed=s) for s in range(2)
        )
        rss = peak_memory(n)
        figures[f"model_us_{n}"], figures[f"boltzmann_us_{n}"] = ours[n], boltz
        figures[f"run_rss_mib_{n}"] = rss
        print(
            f"| {n:,} | {_agents(n):,} | {ours[n]:.2f} | {boltz:.2f} | {ours[n] / boltz:.2f} "
            f"| {rss:.0f} MiB |"
        )
    scale = ours[60_000] / ours[600]
    figures["scale_60000_over_600"] = scale
    ratio = ours[600] / figures["boltzmann_us_600"]
    print(
        f"\nTargets: ours / Boltzmann at 600 citizens = {ratio:.2f} (<= 0.5); "
        f"cost per agent-step at 60,000 / at 600 = {scale:.2f} (<= 1.5)\n"
    )

    if not args.skip_sweeps:
        from experiments.bench import throughput

        with tempfile.TemporaryDirectory() as tmp:
            one = throughput(args.sweep_runs, "processes", 1, Path(tmp))
            two = throughput(args.sweep_runs, "processes", 2, Path(tmp))
            dask = throughput(args.sweep_runs, "dask-local", 2, Path(tmp))
        figures.update(sweep_1=one, sweep_2=two, sweep_dask=dask)
        print("## Sweep throughput (default-size runs, 104 weeks)\n")
        print("| executor | runs/min | ratio |\n|---|---|---|")
        print(f"| 1 process | {one:.0f} | 1.00 |")
        print(f"| 2 processes | {two:.0f} | {two / one:.2f} (target >= 1.8) |")
        print(
            f"| Dask LocalCluster, 2 workers | {dask:.0f} | {dask / two:.2f} of the pool "
            "(target >= 0.85) |\n"
        )

    from dashboards.bench import step_redraw

    times = sorted(step_redraw())
    figures["dashboard_ms_median"] = 1000 * times[len(times) // 2]
    figures["dashboard_session_mib"] = session_memory()
    print("## Dashboard\n")
    print(
        f"- step of both models + redraw of charts and picture: median "
        f"{figures['dashboard_ms_median']:.0f} ms, p95 {1000 * times[int(0.95 * len(times))]:.0f}"
        f" ms (target <= 100 ms)"
    )
    print(f"- memory of one session after 104 weeks: {figures['dashboard_session_mib']:.0f} MiB")
    print(
        f"\n(this process's peak RSS: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)"
    )
    if args.city:
        from benchmarks import city

        print()
        city.main([])
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
