"""Experiment-runner benchmark: ``python -m benchmarks.experiments [--quick]``.

1. Throughput: runs per minute of the Mandiri Jaya scenario (120 months, its own metric
   intervals) on a local process pool and on a Dask LocalCluster, both with 2 workers.
2. Memory: peak resident memory of the sweep's main process and of its workers for a
   sweep of 1,000 and of 10,000 runs (a small 30-household scenario, 12 months), to show
   that memory does not grow with the number of runs.
3. Finished results: ``kopsim compare baseline mandiri_jaya --replications 30`` (60 runs, the
   default 120 months and outcomes) is run once, then the same command again with every run
   stored (target: at most 2 s wall) and ``kopsim report`` on its directory (target: at most
   5 s wall), each as a user runs it (the installed ``kopsim`` script), median of 3 after one.

4. Batches of worlds: ``kopsim compare mandiri_jaya mandiri_jaya_calibrated --replications 30
   --steps 108`` (60 runs) with its runs as batches of worlds (the default) and one model per run
   (``--no-batch``), alternating in fresh processes (the same results; wall and CPU time, and the
   ratio one by one ÷ batched).

Each measurement runs in a fresh subprocess; figures are printed (with measured ÷ target where
there is a target) and written to ``benchmarks/results/experiments.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


TARGET_RERUN_S = 2.0  # issue #12: a finished compare re-run (everything cached)
TARGET_REPORT_S = 5.0  # issue #12: kopsim report on 60 runs
COMPARE = ["compare", "baseline", "mandiri_jaya"]


def _kopsim(argv: list[str], repeats: int) -> dict[str, Any]:
    """Wall and CPU time (children) of ``kopsim ARGV``, each a fresh process as a user runs it; the median of
    ``repeats`` after one uncounted run (it warms the file cache), or the one run if ``repeats`` is 0."""
    script = Path(sys.executable).with_name("kopsim")
    found = str(script) if script.exists() else shutil.which("kopsim")
    exe = [found] if found else [sys.executable, "-m", "kopsim.experiments.cli"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    walls, cpus = [], []
    for _ in range(repeats + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([*exe, *argv], capture_output=True, text=True, env=env, check=False)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode:
            raise RuntimeError(f"kopsim {' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]}")
    counted = slice(1, None) if repeats else slice(None)
    return {
        "command": "kopsim " + " ".join(argv),
        "repeats": max(repeats, 1),
        "wall_s_median": statistics.median(walls[counted]),
        "wall_s_max": max(walls[counted]),
        "cpu_s_median": statistics.median(cpus[counted]),
    }


def _finished_results(replications: int, workers: int, repeats: int) -> dict[str, dict[str, Any]]:
    """A compare run once, then again with every run stored, then reported (fresh processes)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "cmp")
        # as a user types it (no --quiet: the re-run also prints the key findings, reading the results)
        args = [*COMPARE, "--replications", str(replications), "--out", out, "--workers", str(workers)]
        first = _kopsim(args, 0)
        rerun = _kopsim(args, repeats)
        report = _kopsim(["report", out], repeats)
        runs = len(list((Path(out) / "runs").glob("*.json")))
    first["runs"] = rerun["runs"] = report["runs"] = runs
    rerun.update(target_s=TARGET_RERUN_S, ratio=rerun["wall_s_median"] / TARGET_RERUN_S)
    report.update(target_s=TARGET_REPORT_S, ratio=report["wall_s_median"] / TARGET_REPORT_S)
    return {"compare_first": first, "compare_rerun": rerun, "report": report}


BATCH_COMPARE = ["compare", "mandiri_jaya", "mandiri_jaya_calibrated", "--steps", "108", "--quiet"]


def _batched(replications: int, workers: int, repeats: int) -> dict[str, dict[str, Any]]:
    """The compare with runs as batches of worlds and with --no-batch, alternating, each into a new
    directory (medians of ``repeats`` pairs)."""
    args = [*BATCH_COMPARE, "--replications", str(replications), "--workers", str(workers)]
    got: dict[str, list[dict[str, Any]]] = {"batched": [], "one_by_one": []}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(repeats):
            for name, extra in (("one_by_one", ["--no-batch"]), ("batched", [])):
                got[name].append(_kopsim([*args, "--out", str(Path(tmp) / f"{name}{k}"), *extra], 0))
    out: dict[str, dict[str, Any]] = {
        name: {
            "command": "kopsim " + " ".join(args) + ("" if name == "batched" else " --no-batch"),
            "runs": 2 * replications,
            "repeats": repeats,
            "wall_s_median": statistics.median(r["wall_s_median"] for r in runs),
            "cpu_s_median": statistics.median(r["cpu_s_median"] for r in runs),
        }
        for name, runs in got.items()
    }
    out["batched"]["speedup_wall"] = out["one_by_one"]["wall_s_median"] / out["batched"]["wall_s_median"]
    out["batched"]["speedup_cpu"] = out["one_by_one"]["cpu_s_median"] / out["batched"]["cpu_s_median"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.experiments", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer runs and repeats (about two minutes)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--sections",
        default="throughput,memory,finished,batched",
        help="comma-separated sections to run: throughput, memory, finished, batched (default: all)",
    )
    args = ap.parse_args(argv)
    sections = {s.strip() for s in args.sections.split(",") if s.strip()}
    n_tp = 12 if args.quick else 40
    sizes = (200, 1000) if args.quick else (1000, 10_000)
    results: dict[str, object] = {
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "load_average_start": os.getloadavg()[0],
    }
    print(
        f"kopsim experiment-runner benchmark: {args.workers} workers, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if "throughput" in sections:
        print(f"\nThroughput: Mandiri Jaya scenario, 120 months, {n_tp} runs each")
        print(f"  {'backend':<18}{'runs':>6}{'seconds':>10}{'runs/min':>10}")
        for backend in ("process", "dask"):
            r = _child(backend, n_tp, args.workers)
            results[f"throughput_{backend}"] = r
            print(
                f"  {backend + (' pool' if backend == 'process' else ' LocalCluster'):<18}{r['runs']:>6}"
                f"{r['seconds']:>10.1f}{r['runs_per_minute']:>10.0f}"
            )
    if "memory" in sections:
        print("\nMemory: sweeps of a 30-household scenario, 12 months, process pool")
        print(f"  {'runs':>7}{'seconds':>10}{'main peak MiB':>15}{'worker peak MiB':>17}")
        for runs in sizes:
            r = _child("memory", runs, args.workers)
            results[f"memory_{runs}"] = r
            print(f"  {runs:>7}{r['seconds']:>10.1f}{r['main_peak_mib']:>15.0f}{r['worker_peak_mib']:>17.0f}")
        small, large = (results[f"memory_{n}"] for n in sizes)
        ratio = large["main_peak_mib"] / small["main_peak_mib"]  # type: ignore[index]
        print(f"  main-process peak grows x{ratio:.2f} for x{sizes[1] // sizes[0]} runs (bounded if ~1)")
    if "finished" in sections:
        reps, repeats = (10, 1) if args.quick else (30, 3)
        print(
            f"\nFinished results: kopsim compare baseline mandiri_jaya --replications {reps} ({2 * reps} runs, "
            f"120 months), then again and kopsim report; median of {repeats} "
            f"fresh process{'es' if repeats != 1 else ''}"
            + (" (--quick: 20 runs; the targets are for 60)" if args.quick else "")
        )
        fin = _finished_results(reps, args.workers, repeats)
        results.update(fin)
        print(f"  {'':<22}{'runs':>6}{'wall s':>9}{'CPU s':>8}{'target s':>10}{'measured/target':>17}")
        for key, name in (("compare_first", "compare (first run)"), ("compare_rerun", "compare (all stored)")):
            r = fin[key]
            target = f"{r['target_s']:>10.1f}{r['ratio']:>17.2f}" if "target_s" in r else ""
            print(f"  {name:<22}{r['runs']:>6}{r['wall_s_median']:>9.2f}{r['cpu_s_median']:>8.2f}{target}")
        r = fin["report"]
        print(
            f"  {'report':<22}{r['runs']:>6}{r['wall_s_median']:>9.2f}{r['cpu_s_median']:>8.2f}"
            f"{r['target_s']:>10.1f}{r['ratio']:>17.2f}"
        )
    if "batched" in sections:
        reps, repeats = (10, 1) if args.quick else (30, 3)
        print(
            f"\nBatches of worlds: kopsim compare mandiri_jaya mandiri_jaya_calibrated --replications {reps} "
            f"--steps 108 ({2 * reps} runs), batched and --no-batch alternating; median of {repeats}"
        )
        bat = _batched(reps, args.workers, repeats)
        results["batched"] = bat
        print(f"  {'':<22}{'runs':>6}{'wall s':>9}{'CPU s':>8}")
        for key in ("one_by_one", "batched"):
            r = bat[key]
            print(f"  {key.replace('_', ' '):<22}{r['runs']:>6}{r['wall_s_median']:>9.2f}{r['cpu_s_median']:>8.2f}")
        b = bat["batched"]
        print(f"  one by one / batched: wall x{b['speedup_wall']:.2f}, CPU x{b['speedup_cpu']:.2f}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "experiments.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {out / 'experiments.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
