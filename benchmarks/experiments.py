"""Experiment-runner benchmark: ``python -m benchmarks.experiments [--quick]``.

1. Throughput: runs per minute of the Mandiri Jaya scenario (120 months, its own metric
   intervals) on a local process pool and on a Dask LocalCluster, both with 2 workers.
2. Memory: peak resident memory of the sweep's main process and of its workers for a
   sweep of 1,000 and of 10,000 runs (a small 30-household scenario, 12 months), to show
   that memory does not grow with the number of runs.

Each measurement runs in a fresh subprocess; figures are printed and written to
``benchmarks/results/experiments.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TINY = """
[scenario]
name = "tiny"
[parameters.population]
households_per_village = 30
members_per_cooperative = 20
[parameters.metrics]
network_every = 0
centrality_every = 0
"""

EXPERIMENT = """
[experiment]
name = "memory"
scenarios = ["tiny.toml"]
replications = {runs}
steps = 12
seed = 1
outcomes = ["members", "trust_institution_mean", "participation_capital"]
"""


def _throughput(backend: str, runs: int, workers: int) -> dict[str, float]:
    from kopsim.experiments.runner import run_experiment
    from kopsim.experiments.spec import compare_experiment

    exp = compare_experiment(["mandiri_jaya"], runs, 120, 1, None)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        kwargs = {"dask": "local"} if backend == "dask" else {"executor": "process"}
        result = run_experiment(exp, Path(tmp) / "out", workers=workers, quiet=True, **kwargs)
        wall = time.perf_counter() - t0
    assert result.ok == runs, result
    return {"runs": runs, "seconds": wall, "runs_per_minute": 60.0 * runs / wall}


def _memory(runs: int, workers: int) -> dict[str, float]:
    from kopsim.experiments.runner import run_experiment
    from kopsim.experiments.spec import load_experiment

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "tiny.toml").write_text(TINY, encoding="utf-8")
        (d / "exp.toml").write_text(EXPERIMENT.format(runs=runs), encoding="utf-8")
        t0 = time.perf_counter()
        result = run_experiment(load_experiment(d / "exp.toml"), d / "out", workers=workers, quiet=True)
        wall = time.perf_counter() - t0
        files = len(list((d / "out" / "steps").glob("*.parquet")))
    assert result.ok == runs == files, (result, files)
    return {
        "runs": runs,
        "seconds": wall,
        "main_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _child(kind: str, arg: int, workers: int) -> dict[str, float]:
    code = (
        "import json,sys; from benchmarks.experiments import _throughput, _memory; "
        f"print(json.dumps(_{'throughput' if kind != 'memory' else 'memory'}("
        + (f"'{kind}', {arg}, {workers}" if kind != "memory" else f"{arg}, {workers}")
        + ")))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.experiments", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs (about a minute)")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    n_tp = 12 if args.quick else 40
    sizes = (200, 1000) if args.quick else (1000, 10_000)
    results: dict[str, object] = {"workers": args.workers, "cpus": os.cpu_count()}
    print(f"kopsim experiment-runner benchmark: {args.workers} workers, {os.cpu_count()} CPUs")
    print(f"\nThroughput: Mandiri Jaya scenario, 120 months, {n_tp} runs each")
    print(f"  {'backend':<18}{'runs':>6}{'seconds':>10}{'runs/min':>10}")
    for backend in ("process", "dask"):
        r = _child(backend, n_tp, args.workers)
        results[f"throughput_{backend}"] = r
        print(
            f"  {backend + (' pool' if backend == 'process' else ' LocalCluster'):<18}{r['runs']:>6}"
            f"{r['seconds']:>10.1f}{r['runs_per_minute']:>10.0f}"
        )
    print("\nMemory: sweeps of a 30-household scenario, 12 months, process pool")
    print(f"  {'runs':>7}{'seconds':>10}{'main peak MiB':>15}{'worker peak MiB':>17}")
    for runs in sizes:
        r = _child("memory", runs, args.workers)
        results[f"memory_{runs}"] = r
        print(f"  {runs:>7}{r['seconds']:>10.1f}{r['main_peak_mib']:>15.0f}{r['worker_peak_mib']:>17.0f}")
    small, large = (results[f"memory_{n}"] for n in sizes)
    ratio = large["main_peak_mib"] / small["main_peak_mib"]  # type: ignore[index]
    print(f"  main-process peak grows x{ratio:.2f} for x{sizes[1] // sizes[0]} runs (bounded if ~1)")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "experiments.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {out / 'experiments.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
