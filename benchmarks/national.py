"""National scale: ``python -m benchmarks.national [--scale 1e-3] [--months 120] [--workers 2]``.

The target of issue #12 item 5: **1M agents × 120 months in at most 5 minutes and 3 GiB**, on
the way to a synthetic Indonesia of 37.8M active members (BPS 2016; ``kopsim.experiments.national``).
Measured here, then extrapolated with the measured per-agent figures:

1. **a scaled national run** (default scale 1e-3: 150 cooperatives of 252 members, ~61k agents,
   120 months) sharded by province on a Dask LocalCluster of ``--workers`` (default 2)
   single-threaded workers (``--process``: a process pool instead); throughput in agent-months
   per second of wall time, cluster start-up apart;
2. **bytes of state per agent**: ``ndarray.nbytes`` of every State and Ties array at the end of
   the run ÷ agents, and the arrays that dominate;
3. **resident memory per agent**: one shard of ``--probe-worlds`` cooperatives (default 500,
   ~200k agents) run ``--probe-months`` months in a fresh process: (peak RSS − RSS after the
   imports) ÷ agents, which includes the month's temporary arrays.

Extrapolations: time = agent-months ÷ measured throughput (same workers); memory of 1M agents
held at once in one process = RSS after imports + 1M × resident bytes per agent. For the whole
nation (150,223 cooperatives, ~61M agents) the time scales the same way, while the memory per
worker stays that of one shard of ``max_worlds`` cooperatives (shards run one at a time per
worker). Figures are written to ``benchmarks/results/national.json`` as soon as each is measured.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import gc
import json
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

TARGET_AGENTS = 1_000_000
TARGET_MONTHS = 120
TARGET_SECONDS = 300.0
TARGET_GIB = 3.0
GIB = 1024**3
RESULTS = Path(__file__).resolve().parent / "results"

OUT: dict[str, Any] = {"path": None, "results": {}}


def record(key: str, value: Any) -> None:
    """Store one figure and rewrite the results file at once (atomically)."""
    OUT["results"][key] = value
    path = OUT["path"]
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(OUT["results"], indent=2, default=float) + "\n", encoding="utf-8")
    tmp.replace(path)


def _rss_now() -> int:
    """Current resident set size (bytes), from /proc where there is one, else the peak so far."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        from kopsim.experiments.national import peak_rss_bytes

        return peak_rss_bytes()


def _small_params() -> Any:
    """Mandiri Jaya's parameters: a small batch for warming up a process."""
    from kopsim.scenario import load

    return load("mandiri_jaya").params


def memory_probe(worlds: int, months: int, seed: int) -> dict[str, Any]:
    """In a fresh process: RSS after the imports, peak RSS after building and running one shard of
    ``worlds`` 2016 cooperatives for ``months`` months, and the state's array bytes."""
    from kopsim.experiments import national
    from kopsim.model import CooperativeModel

    spec = national.NationalSpec(year=2016, scale=1.0, months=months, seed=seed, max_worlds=worlds)
    shard = national.plan(spec)[0]
    national.shard_params(shard)  # scenario loaded and parsed before the baseline
    # a process's fixed costs before the baseline: a two-world batch of one month imports numba and
    # compiles (or loads) the kernels, whose memory does not grow with the agents
    CooperativeModel(_small_params(), seed=seed, replicates=2, collect_metrics=False).run_steps(1)
    gc.collect()
    base = _rss_now()
    t0 = time.perf_counter()
    model = CooperativeModel(national.shard_params(shard), seed=seed, replicates=shard.worlds, collect_metrics=False)
    t1 = time.perf_counter()
    model.run_steps(months)
    wall = time.perf_counter() - t1
    sizes = national.state_bytes(model.state, model.ties)
    peak = national.peak_rss_bytes()
    return {
        "worlds": shard.worlds,
        "agents": model.state.n,
        "months": months,
        "build_seconds": t1 - t0,
        "seconds": wall,
        "agent_months_per_second": model.state.n * months / wall,
        "rss_after_imports_bytes": base,
        "peak_rss_bytes": peak,
        "state_bytes": sum(sizes.values()),
        "resident_bytes_per_agent": (peak - base) / model.state.n,
        "state_bytes_per_agent": sum(sizes.values()) / model.state.n,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.national", description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1e-3, help="share of the active cooperatives (default 1e-3)")
    ap.add_argument("--months", type=int, default=120, help="months (default 120)")
    ap.add_argument("--year", type=int, default=2016)
    ap.add_argument("--workers", type=int, default=2, help="Dask workers / processes (default 2)")
    ap.add_argument("--process", action="store_true", help="a process pool instead of a Dask LocalCluster")
    ap.add_argument("--max-worlds", type=int, default=500, help="most cooperatives per shard (default 500)")
    ap.add_argument("--probe-worlds", type=int, default=500, help="cooperatives in the memory probe (default 500)")
    ap.add_argument("--probe-months", type=int, default=12, help="months of the memory probe (default 12)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=RESULTS / "national.json")
    args = ap.parse_args(argv)
    OUT["path"] = args.out

    from kopsim.experiments.executors import make_executor
    from kopsim.experiments.national import BPS, NationalSpec, plan, run_national

    spec = NationalSpec(
        year=args.year, scale=args.scale, months=args.months, seed=args.seed, max_worlds=args.max_worlds
    )
    shards = plan(spec)
    backend = "process pool" if args.process else "Dask LocalCluster"
    record("spec", spec.to_dict())
    record("environment", {"cpus": os.cpu_count(), "load_average_start": list(os.getloadavg())})
    print(
        f"national {spec.year} at scale {spec.scale:g}: {spec.cooperatives:,} cooperatives, {spec.members:,} members, "
        f"{len(shards)} shards, {spec.months} months on a {backend} of {args.workers} workers",
        flush=True,
    )

    # 1. the scaled national run
    t0 = time.perf_counter()
    with make_executor("process", args.workers, None if args.process else "local") as ex:
        # warm-up: every worker imports the model (about 1.5 s each) before the timed run
        run_national(NationalSpec(year=args.year, scale=1e-4, months=1, respondents=0), ex)
        started = time.perf_counter() - t0
        result = run_national(spec, ex)
    agents, wall = result.agents, result.wall_seconds
    throughput = agents * spec.months / wall
    sim_seconds = sum(r.build_seconds + r.run_seconds for r in result.shards)
    run = {
        "backend": backend,
        "workers": args.workers,
        "startup_seconds": started,
        "shards": len(shards),
        "agents": agents,
        "ties_at_end": sum(r.ties for r in result.shards),
        "wall_seconds": wall,
        "shard_seconds_sum": sim_seconds,
        "agent_months_per_second": throughput,
        "worker_peak_rss_bytes": max(r.peak_rss for r in result.shards),
    }
    record("run", run)
    print(
        f"run: {agents:,} agents x {spec.months} months in {wall:.1f} s wall "
        f"({backend} start-up and warm-up {started:.1f} s apart; shards' own time {sim_seconds:.1f} s) = "
        f"{throughput / 1e6:.2f} M agent-months/s; "
        f"worker peak RSS {run['worker_peak_rss_bytes'] / 2**20:.0f} MiB",
        flush=True,
    )

    # 2. bytes of the state arrays per agent
    per_agent = result.bytes_per_agent
    largest = result.largest_arrays(8)
    record("state", {"bytes_per_agent": per_agent, "largest_arrays_bytes_per_agent": dict(largest)})
    print(
        f"state arrays: {per_agent:.0f} bytes per agent; largest: " + ", ".join(f"{k} {v:.0f}" for k, v in largest),
        flush=True,
    )

    # 3. resident memory per agent, one big shard in a fresh process
    with cf.ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        probe = pool.submit(memory_probe, args.probe_worlds, args.probe_months, args.seed).result()
    record("memory_probe", probe)
    print(
        f"memory probe: {probe['worlds']} cooperatives = {probe['agents']:,} agents, {probe['months']} months in "
        f"{probe['seconds']:.1f} s after {probe['build_seconds']:.1f} s to build "
        f"({probe['agent_months_per_second'] / 1e6:.2f} M agent-months/s, one process); "
        f"RSS after imports {probe['rss_after_imports_bytes'] / 2**20:.0f} MiB, peak "
        f"{probe['peak_rss_bytes'] / 2**20:.0f} MiB -> {probe['resident_bytes_per_agent']:.0f} resident bytes per "
        f"agent ({probe['state_bytes_per_agent']:.0f} of them state arrays)",
        flush=True,
    )

    # extrapolations
    base, resident = probe["rss_after_imports_bytes"], max(probe["resident_bytes_per_agent"], per_agent)
    t_1m = TARGET_AGENTS * TARGET_MONTHS / throughput
    mem_1m = base + TARGET_AGENTS * resident
    agents_per_world = agents / spec.cooperatives  # each world with its own six regional agencies
    nation_coops = BPS[spec.year].active_cooperatives
    nation_agents = nation_coops * agents_per_world
    t_nation = nation_agents * TARGET_MONTHS / throughput
    shard_agents = spec.max_worlds * agents_per_world
    mem_worker = base + shard_agents * resident
    extra = {
        "target_1m_seconds": t_1m,
        "target_1m_seconds_ratio": t_1m / TARGET_SECONDS,
        "target_1m_bytes_one_process": mem_1m,
        "target_1m_bytes_ratio": mem_1m / (TARGET_GIB * GIB),
        "nation_cooperatives": nation_coops,
        "nation_agents": nation_agents,
        "nation_members": BPS[spec.year].active_members,
        "nation_120_months_seconds": t_nation,
        "nation_state_bytes_all_at_once": nation_agents * per_agent,
        "nation_peak_bytes_per_worker_sharded": mem_worker,
        "nation_peak_bytes_sharded": args.workers * mem_worker,
    }
    verdict_t = "PASS" if t_1m <= TARGET_SECONDS else "FAIL"
    verdict_m = "PASS" if mem_1m <= TARGET_GIB * GIB else "FAIL"
    extra["verdict_time"], extra["verdict_memory"] = verdict_t, verdict_m
    record("extrapolation", extra)
    print(
        f"1M agents x 120 months on {args.workers} workers: {t_1m:.0f} s (target <= {TARGET_SECONDS:.0f} s, "
        f"measured / target {t_1m / TARGET_SECONDS:.2f}) {verdict_t}"
    )
    t_big = TARGET_AGENTS * TARGET_MONTHS / (probe["agent_months_per_second"] * args.workers)
    record("extrapolation_big_shards_seconds", t_big)
    print(
        f"  (with shards as large as the memory probe's, at its one-process speed x {args.workers} workers: "
        f"{t_big:.0f} s, measured / target {t_big / TARGET_SECONDS:.2f})"
    )
    print(
        f"1M agents held at once in one process: {mem_1m / GIB:.2f} GiB (target <= {TARGET_GIB:g} GiB, "
        f"measured / target {mem_1m / (TARGET_GIB * GIB):.2f}) {verdict_m}"
    )
    print(
        f"Indonesia {spec.year} in full: {nation_coops:,} cooperatives, {BPS[spec.year].active_members / 1e6:.1f}M "
        f"members, {nation_agents / 1e6:.1f}M agents x 120 months: {t_nation / 60:.0f} min on {args.workers} workers "
        f"({t_nation / 3600 * args.workers:.1f} core-hours); state arrays all at once "
        f"{nation_agents * per_agent / GIB:.1f} GiB, but sharded ({spec.max_worlds} cooperatives per shard) "
        f"{mem_worker / GIB:.2f} GiB per worker, {args.workers * mem_worker / GIB:.2f} GiB in all"
    )
    record("load_average_end", list(os.getloadavg()))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
