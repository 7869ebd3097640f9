"""One benchmark measurement in a fresh process: ``python -m benchmarks.worker TASK 'JSON-ARGS'``.

Prints progress to stderr and, as its last stdout line, ``RESULT {json}``. The
orchestrator (:mod:`benchmarks.__main__`) starts one worker per measurement so that the
peak resident memory (``ru_maxrss``) of each belongs to that measurement alone.
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import pstats
import resource
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks import MANDIRI_JAYA, METRICS_OFF, population


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (``ru_maxrss`` is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _params(villages: int, metrics: str) -> dict[str, Any]:
    p: dict[str, Any] = population(villages)
    if metrics == "off":
        p["metrics"] = dict(METRICS_OFF)
    return p


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def task_full(villages: int, steps: int, seed: int, metrics: str = "off") -> dict[str, Any]:
    """Construction time, then the time of each of ``steps`` steps, and peak memory."""
    from kopsim.model import CooperativeModel

    rss_imports = peak_rss_mib()
    params = _params(villages, metrics)
    t0 = time.perf_counter()
    model = CooperativeModel(params, seed=seed)
    build_s = time.perf_counter() - t0
    ties_start = len(model.ties)
    rss_built = peak_rss_mib()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - t)
    run_s = sum(times)
    row = model.metrics_frame().iloc[-1]
    return {
        "villages": villages,
        "metrics": metrics,
        "steps": steps,
        "seed": seed,
        "agents": int(model.state.n),
        "households": int(model.state.n_households),
        "cooperatives": int(model.state.n_coops),
        "mesa_agents": len(model.agents),
        "ties_start": ties_start,
        "ties_end": len(model.ties),
        "build_s": build_s,
        "run_s": run_s,
        "total_s": build_s + run_s,
        "step_ms_mean": 1e3 * run_s / steps,
        "step_ms_median": 1e3 * statistics.median(times),
        "step_ms_min": 1e3 * min(times),
        "step_ms_max": 1e3 * max(times),
        "slowest_steps": [int(i) + 1 for i in sorted(range(steps), key=lambda i: -times[i])[:3]],
        "rss_after_imports_mib": rss_imports,
        "rss_after_build_mib": rss_built,
        "peak_rss_mib": peak_rss_mib(),
        "final": {
            "members": int(row["members"]),
            "trust_peer_mean": float(row["trust_peer_mean"]),
            "participation_organisation": float(row["participation_organisation"]),
        },
    }


def task_mandiri(steps: int, repeats: int, seed: int) -> dict[str, Any]:
    """The 133-member cooperative: ``repeats`` timed runs (after one warm-up), three settings.

    ``scenario_file`` is ``scenarios/mandiri_jaya.toml`` as shipped (its population and default
    metric intervals) run for ``steps`` months, seeds ``seed + r``: the target's conditions.
    """
    from kopsim.model import CooperativeModel
    from kopsim.scenario import load

    out: dict[str, Any] = {"steps": steps, "repeats": repeats, "seed": seed}
    settings: tuple[tuple[str, Any], ...] = (
        ("scenario_file", load("mandiri_jaya").params),
        ("default_metrics", MANDIRI_JAYA),
        ("metrics_off", {**MANDIRI_JAYA, "metrics": METRICS_OFF}),
    )
    for label, params in settings:
        runs, totals, cpus = [], [], []
        for r in range(repeats + 1):  # run 0 warms up lazy imports and caches, not counted
            gc.collect()
            t0 = time.perf_counter()
            model = CooperativeModel(params, seed=seed + r)
            t1, c1 = time.perf_counter(), time.process_time()
            ties_start = len(model.ties)
            model.run(steps)
            t2, c2 = time.perf_counter(), time.process_time()
            if r:
                runs.append(t2 - t1)
                totals.append(t2 - t0)
                cpus.append(c2 - c1)
        out[label] = {
            "run_ms_median": 1e3 * statistics.median(runs),
            "run_ms_min": 1e3 * min(runs),
            "run_ms_max": 1e3 * max(runs),
            "total_ms_median": 1e3 * statistics.median(totals),
            "run_cpu_ms_median": 1e3 * statistics.median(cpus),
            "step_ms_mean": 1e3 * statistics.median(runs) / steps,
            "agents": int(model.state.n),
            "ties_start": ties_start,
        }
        if label == "default_metrics":
            out["agents"] = int(model.state.n)
            out["members_start"] = int(MANDIRI_JAYA["population"]["members_per_cooperative"])
            out["ties_start"] = ties_start
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def _time_steps(model: Any, steps: int) -> float:
    t = time.perf_counter()
    for _ in range(steps):
        model.step()
    return time.perf_counter() - t


def _block(model: Any, steps: int, clock: dict[str, float]) -> None:
    """``steps`` steps of ``model``, adding their wall and CPU seconds to ``clock`` (gc outside the timing)."""
    gc.collect()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(steps):
        model.step()
    clock["wall"] += time.perf_counter() - t
    clock["cpu"] += time.process_time() - c
    clock["steps"] += steps


def task_idiomatic(
    n: int,
    steps_idiomatic: int,
    steps_vectorised: int,
    seed: int,
    villages: int = 0,
    steps_kopsim: int = 120,
    blocks: int = 12,
    steps_full: int = 0,
) -> dict[str, Any]:
    """Four formulations in one process: the reduced dynamics as idiomatic Mesa and vectorised (same
    Watts–Strogatz network), and kopsim's full month as idiomatic Mesa (the twin,
    :class:`benchmarks.idiomatic.IdiomaticFullModel`) and as kopsim itself.

    They alternate in ``blocks`` rounds (each round: a share of each one's steps), so a change of
    machine load or clock speed during the run hits all alike; each is timed in wall-clock and CPU
    (``time.process_time``) seconds. The ratios use CPU time. ``villages`` > 0 adds the full kopsim
    model (that population, network metrics off, ``steps_kopsim`` steps) and, with ``steps_full`` > 0,
    its idiomatic twin built from the same population (``steps_full`` steps: few, it is slow).
    """
    from benchmarks.idiomatic import IdiomaticFullModel, IdiomaticModel, VectorisedReduced, initial_state

    rss_imports = peak_rss_mib()
    state = initial_state(n, seed)
    out: dict[str, Any] = {
        "agents": n,
        "ties": int(state["a"].size),
        "seed": seed,
        "blocks": blocks,
        "rss_after_imports_mib": rss_imports,
        "clock": "process_time",
    }
    models: dict[str, Any] = {}
    plan_steps = {"vectorised": steps_vectorised, "idiomatic": steps_idiomatic}
    for name, cls in (("vectorised", VectorisedReduced), ("idiomatic", IdiomaticModel)):
        t0 = time.perf_counter()
        models[name] = cls(state, seed=seed + 1)
        out[name] = {"build_s": time.perf_counter() - t0, "steps": plan_steps[name]}
    if villages:
        from kopsim.model import CooperativeModel

        t0 = time.perf_counter()
        models["kopsim"] = CooperativeModel(_params(villages, "off"), seed=seed)
        out["kopsim"] = {
            "build_s": time.perf_counter() - t0,
            "steps": steps_kopsim,
            "agents": int(models["kopsim"].state.n),
            "ties": len(models["kopsim"].ties),
        }
        plan_steps["kopsim"] = steps_kopsim
        if steps_full:
            # the twin copies the population of the kopsim model above before either has stepped
            t0 = time.perf_counter()
            models["idiomatic_full"] = IdiomaticFullModel(source=models["kopsim"], seed=seed)
            out["idiomatic_full"] = {
                "build_s": time.perf_counter() - t0,
                "steps": steps_full,
                "agents": len(models["idiomatic_full"].actors),
                "ties": len(models["idiomatic_full"].tie_keys),
            }
            plan_steps["idiomatic_full"] = steps_full
    clocks = {name: {"wall": 0.0, "cpu": 0.0, "steps": 0} for name in models}
    for k in range(blocks):
        for name, model in models.items():
            total = plan_steps[name]
            todo = total * (k + 1) // blocks - total * k // blocks  # spread evenly over the rounds
            if todo:
                _block(model, todo, clocks[name])
    for name, model in models.items():
        c = clocks[name]
        out[name]["step_ms"] = 1e3 * c["cpu"] / c["steps"]
        out[name]["step_ms_wall"] = 1e3 * c["wall"] / c["steps"]
        if name in ("vectorised", "idiomatic"):
            out[name]["final"] = model.means()
    out["peak_rss_mib"] = peak_rss_mib()
    out["idiomatic"]["peak_rss_mib"] = out["peak_rss_mib"]
    # reduced dynamics: idiomatic Mesa ÷ vectorised, same equations
    out["ratio"] = out["idiomatic"]["step_ms"] / out["vectorised"]["step_ms"]
    out["ratio_wall"] = out["idiomatic"]["step_ms_wall"] / out["vectorised"]["step_ms_wall"]
    if villages:
        out["kopsim_step_ms"] = out["kopsim"]["step_ms"]
        # the old, not like-for-like figure: the reduced idiomatic subset ÷ the full kopsim month
        out["ratio_vs_kopsim"] = out["idiomatic"]["step_ms"] / out["kopsim"]["step_ms"]
        out["ratio_vs_kopsim_wall"] = out["idiomatic"]["step_ms_wall"] / out["kopsim"]["step_ms_wall"]
        if steps_full:
            # full step, like for like: the idiomatic twin of the full month ÷ kopsim's full month
            out["ratio_full"] = out["idiomatic_full"]["step_ms"] / out["kopsim"]["step_ms"]
            out["ratio_full_wall"] = out["idiomatic_full"]["step_ms_wall"] / out["kopsim"]["step_ms_wall"]
    # the final-state comparison is only like with like after equal step counts
    out["same_steps"] = steps_idiomatic == steps_vectorised
    return out


def task_agreement(n: int, steps: int, seeds: list[int]) -> dict[str, Any]:
    from benchmarks.idiomatic import agreement

    return agreement(n, steps, seeds)


def task_agreement_full(villages: int, steps: int, seeds: list[int]) -> dict[str, Any]:
    """kopsim's month and its idiomatic twin from the same populations (:func:`benchmarks.idiomatic.full_agreement`)."""
    from benchmarks.idiomatic import full_agreement

    return full_agreement(_params(villages, "off"), steps, seeds)


def task_profile(villages: int, steps: int, seed: int, top: int = 10, warmup: int = 1) -> dict[str, Any]:
    """cProfile of ``steps`` steps after ``warmup`` unprofiled ones.

    ``villages`` > 0: that population with network metrics off; 0: the 133-member
    cooperative with the default metric intervals (the conditions of its target).
    """
    from kopsim.model import CooperativeModel

    params = _params(villages, "off") if villages else MANDIRI_JAYA
    model = CooperativeModel(params, seed=seed)
    for _ in range(warmup):
        model.step()
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for _ in range(steps):
        model.step()
    prof.disable()
    wall = time.perf_counter() - t
    stats = pstats.Stats(prof, stream=io.StringIO())

    def rows(key: Callable[[tuple[Any, ...]], float], keep: Callable[[str], bool], limit: int) -> list[dict[str, Any]]:
        entries = []
        for (fname, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            if keep(fname):
                entries.append(
                    {
                        "function": func,
                        "where": f"{_short(fname)}:{line}",
                        "ncalls": ncalls,
                        "tottime_s": tottime,
                        "cumtime_s": cumtime,
                        "tottime_ms_per_step": 1e3 * tottime / steps,
                        "cumtime_ms_per_step": 1e3 * cumtime / steps,
                    }
                )
        entries.sort(key=key, reverse=True)
        return entries[:limit]

    return {
        "villages": villages,
        "agents": int(model.state.n),
        "ties": len(model.ties),
        "steps": steps,
        "wall_s_profiled": wall,
        "step_ms_profiled": 1e3 * wall / steps,
        "calls_per_step": stats.total_calls / steps,  # type: ignore[attr-defined]
        "top_tottime": rows(lambda e: e["tottime_s"], lambda f: True, top),
        "model_phases": rows(lambda e: e["cumtime_s"], lambda f: f.endswith(("model.py", "metrics.py")), 25),
    }


def _short(fname: str) -> str:
    for marker in ("site-packages/", "simulation/", "benchmarks/"):
        if marker in fname:
            return (marker if marker != "site-packages/" else "") + fname.split(marker, 1)[1]
    return fname


def task_cli(commands: list[list[str]], repeats: int) -> dict[str, Any]:
    """Wall and CPU time (this process's children) of each ``kopsim`` command, median of ``repeats``."""
    import os
    import shutil
    import subprocess
    from pathlib import Path

    script = Path(sys.executable).with_name("kopsim")
    found = str(script) if script.exists() else shutil.which("kopsim")
    exe = [found] if found else [sys.executable, "-m", "kopsim.experiments.cli"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # as a user runs it
    out: dict[str, Any] = {"executable": " ".join(exe), "repeats": repeats}
    for argv in commands:
        walls, cpus = [], []
        for _ in range(repeats + 1):  # the first run warms the file cache, not counted
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            proc = subprocess.run([*exe, *argv], capture_output=True, text=True, env=env, check=False)
            wall = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode:
                raise RuntimeError(f"kopsim {' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]}")
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        out[" ".join(argv)] = {
            "wall_s_median": statistics.median(walls[1:]),
            "wall_s_min": min(walls[1:]),
            "cpu_s_median": statistics.median(cpus[1:]),
        }
    return out


def task_metrics(villages: int, steps: int, seed: int, repeats: int, networkx: bool) -> dict[str, Any]:
    """CPU time of one evaluation of board betweenness and clustering (igraph, as shipped), and of
    the networkx formulation they replaced (same sources, same values), after ``steps`` months."""
    import numpy as np

    from kopsim import metrics
    from kopsim.model import CooperativeModel
    from kopsim.state import BOARD

    params = _params(villages, "off") if villages else MANDIRI_JAYA
    model = CooperativeModel(params, seed=seed)
    for _ in range(steps):
        model.step()
    s, ties = model.state, model.ties
    board = np.flatnonzero(s.office == BOARD)
    samples = model.p.metrics.betweenness_samples

    def timed(fn: Callable[[], float], reps: int) -> tuple[float, float]:
        value = fn()
        c = time.process_time()
        for _ in range(reps):
            fn()
        return 1e3 * (time.process_time() - c) / reps, value

    out: dict[str, Any] = {
        "villages": villages,
        "agents": int(s.n),
        "ties": len(ties),
        "samples": samples,
        "month": steps,
    }
    out["betweenness_ms"], out["betweenness"] = timed(
        lambda: metrics.board_betweenness(s.n, ties.a, ties.b, board, samples, model.metric_seed), repeats
    )
    out["clustering_ms"], out["clustering"] = timed(lambda: metrics.clustering(s.n, ties.a, ties.b), repeats)
    if networkx:
        import networkx as nx

        def nx_betweenness() -> float:
            g = nx.Graph()
            g.add_nodes_from(range(s.n))
            g.add_edges_from(zip(ties.a.tolist(), ties.b.tolist(), strict=True))
            k = samples if samples < s.n else None
            bc = nx.betweenness_centrality(g, k=k, normalized=True, seed=model.metric_seed)
            return float(np.mean([bc[int(i)] for i in board]))

        out["networkx_betweenness_ms"], out["networkx_betweenness"] = timed(nx_betweenness, 1 if s.n > 2000 else 3)
    return out


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "full": task_full,
    "mandiri": task_mandiri,
    "idiomatic": task_idiomatic,
    "agreement": task_agreement,
    "agreement_full": task_agreement_full,
    "profile": task_profile,
    "cli": task_cli,
    "metrics": task_metrics,
}


def main(argv: list[str]) -> int:
    task, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    _log(f"worker {task} {args}")
    result = TASKS[task](**args)
    result["peak_rss_mib_process"] = peak_rss_mib()
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
