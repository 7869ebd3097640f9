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
        "villages": villages, "metrics": metrics, "steps": steps, "seed": seed,
        "agents": int(model.state.n), "households": int(model.state.n_households),
        "cooperatives": int(model.state.n_coops), "mesa_agents": len(model.agents),
        "ties_start": ties_start, "ties_end": len(model.ties),
        "build_s": build_s, "run_s": run_s, "total_s": build_s + run_s,
        "step_ms_mean": 1e3 * run_s / steps, "step_ms_median": 1e3 * statistics.median(times),
        "step_ms_min": 1e3 * min(times), "step_ms_max": 1e3 * max(times),
        "slowest_steps": [int(i) + 1 for i in sorted(range(steps), key=lambda i: -times[i])[:3]],
        "rss_after_imports_mib": rss_imports, "rss_after_build_mib": rss_built, "peak_rss_mib": peak_rss_mib(),
        "final": {"members": int(row["members"]), "trust_peer_mean": float(row["trust_peer_mean"]),
                  "participation_organisation": float(row["participation_organisation"])},
    }


def task_mandiri(steps: int, repeats: int, seed: int) -> dict[str, Any]:
    """The 133-member cooperative: ``repeats`` timed runs (after one warm-up), two metric settings."""
    from kopsim.model import CooperativeModel

    out: dict[str, Any] = {"steps": steps, "repeats": repeats, "seed": seed}
    for label, params in (("default_metrics", MANDIRI_JAYA), ("metrics_off", {**MANDIRI_JAYA, "metrics": METRICS_OFF})):
        runs, totals = [], []
        for r in range(repeats + 1):  # run 0 warms up lazy imports and caches, not counted
            gc.collect()
            t0 = time.perf_counter()
            model = CooperativeModel(params, seed=seed + r)
            t1 = time.perf_counter()
            ties_start = len(model.ties)
            model.run(steps)
            t2 = time.perf_counter()
            if r:
                runs.append(t2 - t1)
                totals.append(t2 - t0)
        out[label] = {"run_ms_median": 1e3 * statistics.median(runs), "run_ms_min": 1e3 * min(runs),
                      "run_ms_max": 1e3 * max(runs), "total_ms_median": 1e3 * statistics.median(totals),
                      "step_ms_mean": 1e3 * statistics.median(runs) / steps}
        out["agents"] = int(model.state.n)
        out["members_start"] = int(params["population"]["members_per_cooperative"])
        out["ties_start"] = ties_start
    out["peak_rss_mib"] = peak_rss_mib()
    return out


def _time_steps(model: Any, steps: int) -> float:
    t = time.perf_counter()
    for _ in range(steps):
        model.step()
    return time.perf_counter() - t


def task_idiomatic(n: int, steps_idiomatic: int, steps_vectorised: int, seed: int) -> dict[str, Any]:
    """Idiomatic Mesa vs vectorised twin of the reduced dynamics on the same network."""
    from benchmarks.idiomatic import IdiomaticModel, VectorisedReduced, initial_state

    rss_imports = peak_rss_mib()
    state = initial_state(n, seed)
    out: dict[str, Any] = {"agents": n, "ties": int(state["a"].size), "seed": seed,
                           "rss_after_imports_mib": rss_imports}
    t0 = time.perf_counter()
    vec = VectorisedReduced(state, seed=seed + 1)
    out["vectorised"] = {"build_s": time.perf_counter() - t0, "steps": steps_vectorised}
    out["vectorised"]["step_ms"] = 1e3 * _time_steps(vec, steps_vectorised) / steps_vectorised
    out["vectorised"]["final"] = vec.means()
    out["vectorised"]["peak_rss_mib"] = peak_rss_mib()
    gc.collect()
    t0 = time.perf_counter()
    idi = IdiomaticModel(state, seed=seed + 1)
    out["idiomatic"] = {"build_s": time.perf_counter() - t0, "steps": steps_idiomatic}
    out["idiomatic"]["step_ms"] = 1e3 * _time_steps(idi, steps_idiomatic) / steps_idiomatic
    out["idiomatic"]["final"] = idi.means()
    out["idiomatic"]["peak_rss_mib"] = peak_rss_mib()
    out["ratio"] = out["idiomatic"]["step_ms"] / out["vectorised"]["step_ms"]
    # the final-state comparison is only like with like after equal step counts
    out["same_steps"] = steps_idiomatic == steps_vectorised
    return out


def task_agreement(n: int, steps: int, seeds: list[int]) -> dict[str, Any]:
    from benchmarks.idiomatic import agreement

    return agreement(n, steps, seeds)


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
                entries.append({"function": func, "where": f"{_short(fname)}:{line}", "ncalls": ncalls,
                                "tottime_s": tottime, "cumtime_s": cumtime,
                                "tottime_ms_per_step": 1e3 * tottime / steps,
                                "cumtime_ms_per_step": 1e3 * cumtime / steps})
        entries.sort(key=key, reverse=True)
        return entries[:limit]

    return {
        "villages": villages, "agents": int(model.state.n), "ties": len(model.ties), "steps": steps,
        "wall_s_profiled": wall, "step_ms_profiled": 1e3 * wall / steps,
        "calls_per_step": stats.total_calls / steps,  # type: ignore[attr-defined]
        "top_tottime": rows(lambda e: e["tottime_s"], lambda f: True, top),
        "model_phases": rows(lambda e: e["cumtime_s"], lambda f: f.endswith(("model.py", "metrics.py")), 25),
    }


def _short(fname: str) -> str:
    for marker in ("site-packages/", "simulation/", "benchmarks/"):
        if marker in fname:
            return (marker if marker != "site-packages/" else "") + fname.split(marker, 1)[1]
    return fname


TASKS: dict[str, Callable[..., dict[str, Any]]] = {
    "full": task_full, "mandiri": task_mandiri, "idiomatic": task_idiomatic,
    "agreement": task_agreement, "profile": task_profile,
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
