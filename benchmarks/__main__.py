"""Run the kopsim benchmarks: ``python -m benchmarks [--quick] [--sizes 1k,10k,100k]``.

Prints a table of timings, peak memory and speed ratios and the pass/fail of each target
(with measured ÷ target), and writes every figure to ``benchmarks/results/latest.json`` as
soon as it is measured (an interrupted run keeps what it measured). The whole run keeps to
a time budget (``--budget``, default 570 s): a measurement that would overrun it is skipped.
See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks import CLI_COMMANDS, MANDIRI_JAYA, SIZES, TARGETS, expected_agents

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
AGREEMENT_TOLERANCE = 0.03  # largest relative gap of seed-averaged mean trajectories
# Full twin vs kopsim (1k agents, 24 months, 3 seeds): kopsim's own seed-to-seed standard error of a
# 3-seed mean is up to ~1.7 % per outcome and month, so the gap of two independent 3-seed means has a
# standard error of up to ~2.4 %; the largest of 8 outcomes × 24 months is then expected near 2.5
# standard errors (~6 %). Measured: 4.1 % (seeds 1–3, institutional trust, month 18), 2.2 % (seeds 4–9).
FULL_AGREEMENT_TOLERANCE = 0.06
DEFAULT_BUDGET_S = 570.0  # the whole run, so that it finishes within 10 minutes


class WorkerError(RuntimeError):
    pass


# The results of this run, the file they are written to and the time budget's end (perf_counter)
RUN: dict[str, Any] = {"results": None, "path": None, "deadline": float("inf")}


def save() -> None:
    """Write the results so far (atomically: a partial file is never left behind)."""
    results, path = RUN["results"], RUN["path"]
    if results is None or path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def record(section: str, name: str, value: Any) -> None:
    """Store one measured figure under ``results[section][name]`` and write the file at once."""
    if RUN["results"] is not None:
        RUN["results"].setdefault(section, {})[name] = value
        save()


def run_worker(task: str, timeout: float, **args: Any) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its RESULT dict (within the time budget)."""
    left = RUN["deadline"] - time.perf_counter()
    if left < 5:
        raise WorkerError(f"{task} {args}: skipped, the time budget (--budget) is used up")
    timeout = min(timeout, left)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    cmd = [sys.executable, "-m", "benchmarks.worker", task, json.dumps(args)]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as err:
        raise WorkerError(f"{task} {args}: no result within {timeout:.0f} s") from err
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise WorkerError(f"{task} {args} failed (exit {proc.returncode}):\n{tail}")
    return json.loads(lines[-1][len("RESULT ") :])


def plan(args: argparse.Namespace) -> dict[str, Any]:
    """Step counts and repeats of this run."""
    quick = args.quick
    return {
        "mode": "quick" if quick else "full",
        "full_steps": args.steps or 120,
        "default_metrics_steps": args.steps or (24 if quick else 120),
        "mandiri_steps": 120,
        "mandiri_repeats": args.repeats or (5 if quick else 9),
        "idiomatic_steps": 20 if quick else 120,
        # the idiomatic twin of the full month is slow (~0.6 s a month at 10k): a few months suffice for
        # its time per step; 12 spreads one month over each of the 12 rounds and holds one RAT, as
        # kopsim's 120 months hold one every 12
        "idiomatic_full_steps": {"1k": 24, "10k": 12, "100k": 2},
        "vectorised_steps": 120,
        "agreement_steps": 30 if quick else 50,
        "agreement_seeds": [1, 2] if quick else [1, 2, 3],
        "agreement_full_steps": 24,
        "agreement_full_seeds": [1, 2, 3],
        "cli_repeats": 3 if quick else 5,
    }


# ---- formatting ---------------------------------------------------------------------------
def ms(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f} ms"
    if x >= 10:
        return f"{x:.1f} ms"
    return f"{x:.2f} ms"


def ratio(x: float) -> str:
    return f"{x:,.0f}×" if x >= 10 else f"{x:.1f}×"


def table(header: list[str], rows: list[list[str]], indent: str = "  ") -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    fmt = indent + "  ".join(f"{{:<{w}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    lines = [fmt.format(*header), indent + "  ".join("-" * w for w in widths)]
    lines += [fmt.format(*r) for r in rows]
    return "\n".join(lines)


def say(text: str = "") -> None:
    print(text, flush=True)


# ---- sections -----------------------------------------------------------------------------
def bench_cli(repeats: int) -> dict[str, Any]:
    res = run_worker("cli", 300, commands=[list(c) for c in CLI_COMMANDS], repeats=repeats)
    say(
        f"kopsim command line ({res['executable']}), median of {res['repeats']} runs after one, wall and CPU "
        "(user + system) time of the process:"
    )
    rows = []
    for argv in CLI_COMMANDS:
        key = " ".join(argv)
        r = res[key]
        limit = {"--help": TARGETS["cli_help_s"], "validate scenarios/baseline.toml": TARGETS["cli_validate_s"]}.get(
            key
        )
        rows.append(
            [
                f"kopsim {key}",
                f"{r['wall_s_median']:.3f} s",
                f"{r['wall_s_min']:.3f} s",
                f"{r['cpu_s_median']:.3f} s",
                f"≤ {limit:g} s" if limit else "(info)",
            ]
        )
    say(table(["command", "wall median", "wall min", "CPU median", "target"], rows))
    return res


def bench_mandiri(p: dict[str, Any], seed: int) -> dict[str, Any]:
    res = run_worker("mandiri", 600, steps=p["mandiri_steps"], repeats=p["mandiri_repeats"], seed=seed)
    record("mandiri", "all", res)
    f, d, o = res["scenario_file"], res["default_metrics"], res["metrics_off"]
    pop = MANDIRI_JAYA["population"]
    say(
        f"Mandiri Jaya: scenarios/mandiri_jaya.toml ({f['agents']} agents, {f['ties_start']} ties) and a "
        f"{pop['members_per_cooperative']}-member cooperative of {pop['households_per_village']} households "
        f"({res['agents']} agents); {res['steps']} steps, median of {res['repeats']} runs after a warm-up"
    )
    limit = f"target ≤ {TARGETS['mandiri_120_steps_ms']:g} ms"
    say(
        table(
            ["run", f"{res['steps']} steps", "CPU", "incl. construction", "per step", limit],
            [
                [
                    "mandiri_jaya.toml, default metrics",
                    ms(f["run_ms_median"]),
                    ms(f["run_cpu_ms_median"]),
                    ms(f["total_ms_median"]),
                    ms(f["step_ms_mean"]),
                    "PASS" if f["run_ms_median"] <= TARGETS["mandiri_120_steps_ms"] else "FAIL",
                ],
                [
                    "133 members, default metrics",
                    ms(d["run_ms_median"]),
                    ms(d["run_cpu_ms_median"]),
                    ms(d["total_ms_median"]),
                    ms(d["step_ms_mean"]),
                    "(info)",
                ],
                [
                    "133 members, network metrics off",
                    ms(o["run_ms_median"]),
                    ms(o["run_cpu_ms_median"]),
                    ms(o["total_ms_median"]),
                    ms(o["step_ms_mean"]),
                    "(info)",
                ],
            ],
        )
    )
    del res["default_metrics"]["agents"], res["default_metrics"]["ties_start"]
    return res


def bench_metrics(sizes: list[str], seed: int, networkx_sizes: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ["mandiri", *sizes]:
        villages = SIZES.get(name, 0)
        out[name] = run_worker(
            "metrics",
            600,
            villages=villages,
            steps=12,
            seed=seed,
            repeats=5 if villages else 20,
            networkx=name in networkx_sizes,
        )
        record("metrics", name, out[name])
    rows = []
    for name, r in out.items():
        nxms = r.get("networkx_betweenness_ms")
        same = (
            "—"
            if nxms is None
            else ("yes" if abs(r["networkx_betweenness"] - r["betweenness"]) <= 1e-12 * abs(r["betweenness"]) else "NO")
        )
        rows.append(
            [
                name,
                f"{r['agents']:,}",
                f"{r['ties']:,}",
                ms(r["betweenness_ms"]),
                ms(nxms) if nxms else "—",
                ratio(nxms / r["betweenness_ms"]) if nxms else "—",
                same,
                ms(r["clustering_ms"]),
            ]
        )
    say(
        f"Network metrics at month 12, CPU time per evaluation: board betweenness ({out['mandiri']['samples']} "
        "sampled sources; igraph as shipped vs the networkx formulation it replaced, same sources) and clustering "
        "(igraph):"
    )
    say(table(["size", "agents", "ties", "betweenness", "networkx", "speed-up", "same value", "clustering"], rows))
    return out


def bench_full(p: dict[str, Any], sizes: list[str], seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sizes:
        villages = SIZES[name]
        say(f"  … {name}: {expected_agents(villages):,} agents, {p['full_steps']} steps (network metrics off)")
        out[name] = run_worker("full", 1800, villages=villages, steps=p["full_steps"], seed=seed, metrics="off")
        record("full", name, out[name])
    rows = []
    for name, r in out.items():
        rows.append(
            [
                name,
                f"{r['agents']:,}",
                f"{r['ties_start']:,} → {r['ties_end']:,}",
                ms(1e3 * r["build_s"]),
                ms(r["step_ms_mean"]),
                ms(r["step_ms_median"]),
                ms(r["step_ms_max"]),
                f"{r['total_s']:.2f} s",
                f"{r['peak_rss_mib']:,.0f} MiB",
                f"{r['rss_after_imports_mib']:,.0f} MiB",
            ]
        )
    say(f"Full kopsim model, network metrics off (throughput), {p['full_steps']} steps, seed {seed}:")
    say(
        table(
            [
                "size",
                "agents",
                "ties start → end",
                "construct",
                "ms/step mean",
                "median",
                "max step",
                "construct+run",
                "peak RSS",
                "RSS after imports",
            ],
            rows,
        )
    )
    return out


def bench_default_metrics(p: dict[str, Any], sizes: list[str], seed: int, off: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sizes:
        say(f"  … {name}: {p['default_metrics_steps']} steps with default metric intervals")
        out[name] = run_worker(
            "full", 1800, villages=SIZES[name], steps=p["default_metrics_steps"], seed=seed, metrics="default"
        )
        record("default_metrics", name, out[name])
    rows = []
    for name, r in out.items():
        base = off[name]["step_ms_mean"] if name in off else float("nan")
        rows.append(
            [
                name,
                f"{r['agents']:,}",
                ms(r["step_ms_mean"]),
                ms(r["step_ms_median"]),
                ms(r["step_ms_max"]),
                f"{r['run_s']:.2f} s",
                ratio(r["step_ms_mean"] / base),
                f"{r['peak_rss_mib']:,.0f} MiB",
            ]
        )
    say(
        f"Full kopsim model, default metric intervals (clustering and sampled board betweenness in months 1, 12, "
        f"24, …), {p['default_metrics_steps']} steps:"
    )
    say(table(["size", "agents", "ms/step mean", "median", "max step", "run", "× metrics off", "peak RSS"], rows))
    return out


def bench_idiomatic(p: dict[str, Any], sizes: list[str], seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sizes:
        villages = SIZES[name]
        n = expected_agents(villages)
        full_steps = p["idiomatic_full_steps"][name]
        say(
            f"  … {name}: idiomatic Mesa reduced {p['idiomatic_steps']} steps, vectorised reduced "
            f"{p['vectorised_steps']} steps, idiomatic Mesa full {full_steps} steps, full kopsim {p['full_steps']} "
            f"steps, {n:,} agents, alternating in one process"
        )
        out[name] = run_worker(
            "idiomatic",
            1800,
            n=n,
            steps_idiomatic=p["idiomatic_steps"],
            steps_vectorised=p["vectorised_steps"],
            seed=seed,
            villages=villages,
            steps_kopsim=p["full_steps"],
            steps_full=full_steps,
        )
        record("idiomatic", name, out[name])
    reduced = [
        [
            name,
            f"{r['agents']:,}",
            f"{r['ties']:,}",
            ms(r["idiomatic"]["step_ms"]),
            ms(1e3 * r["idiomatic"]["build_s"]),
            ms(r["vectorised"]["step_ms"]),
            ratio(r["ratio"]),
            ratio(r["ratio_wall"]),
        ]
        for name, r in out.items()
    ]
    say(
        "Reduced dynamics (trust and participation on a Watts–Strogatz graph, k = 6, p = 0.1): idiomatic Mesa "
        "(mesa.Agent with a Python step(), shuffle_do) vs the same equations vectorised, CPU time per step:"
    )
    say(
        table(
            ["size", "agents", "ties", "idiomatic ms/step", "construct", "vectorised ms/step", "ratio", "(wall)"],
            reduced,
        )
    )
    full = [
        [
            name,
            f"{r['kopsim']['agents']:,}",
            f"{r['kopsim']['ties']:,}",
            ms(r["idiomatic_full"]["step_ms"]),
            ms(1e3 * r["idiomatic_full"]["build_s"]),
            ms(r["kopsim_step_ms"]),
            ratio(r["ratio_full"]),
            ratio(r["ratio_full_wall"]),
            ratio(r["ratio_vs_kopsim"]),
            f"{r['peak_rss_mib']:,.0f} MiB",
        ]
        for name, r in out.items()
        if "ratio_full" in r
    ]
    say(
        "Full month, like for like: kopsim's whole step written as idiomatic Mesa (IdiomaticFullModel: livelihoods, "
        "savings, credit, contacts, governance, trust, participation, membership, skills, network, RAT) vs full "
        "kopsim (network metrics off), same population; the four formulations alternate in 12 rounds in one "
        "process, CPU time per step (last column: the old, not like-for-like ratio of the reduced idiomatic "
        "subset to full kopsim, for information):"
    )
    say(
        table(
            [
                "size",
                "agents",
                "ties",
                "idiomatic full ms/step",
                "construct",
                "full kopsim ms/step",
                "ratio",
                "(wall)",
                "(reduced ÷ kopsim)",
                "peak RSS",
            ],
            full,
        )
    )
    return out


def bench_agreement_full(p: dict[str, Any], villages: int) -> dict[str, Any]:
    res = run_worker(
        "agreement_full", 900, villages=villages, steps=p["agreement_full_steps"], seeds=p["agreement_full_seeds"]
    )
    res["tolerance"] = FULL_AGREEMENT_TOLERANCE
    res["pass"] = res["rel_gap_max"] <= FULL_AGREEMENT_TOLERANCE
    say(
        f"Agreement of the idiomatic full twin with kopsim ({villages} villages, {res['steps']} months from the "
        f"same populations, mean of seeds {', '.join(map(str, res['seeds']))}; relative gap of the mean "
        "trajectories; kopsim's own standard error of the mean for scale):"
    )
    rows = [
        [
            k.replace("_", " "),
            f"{v['initial']:.4f}",
            f"{v['kopsim_final']:.4f}",
            f"{v['twin_final']:.4f}",
            f"{100 * v['rel_gap_final']:.2f} %",
            f"{100 * v['rel_gap_max']:.2f} % (month {v['month_of_max']})",
            f"{100 * v['kopsim_rel_se_max']:.2f} %",
        ]
        for k, v in res["outcomes"].items()
    ]
    say(table(["mean of", "month 0", "kopsim", "twin", "gap at end", "largest gap", "kopsim s.e."], rows))
    say(
        f"  largest gap {100 * res['rel_gap_max']:.2f} % ({res['worst'].replace('_', ' ')}); within "
        f"{100 * FULL_AGREEMENT_TOLERANCE:g} %: {'PASS' if res['pass'] else 'FAIL'}"
    )
    return res


def bench_agreement(p: dict[str, Any], n: int, idio: dict[str, Any]) -> dict[str, Any]:
    res = run_worker("agreement", 900, n=n, steps=p["agreement_steps"], seeds=p["agreement_seeds"])
    ok = all(res[k]["rel_gap_max"] <= AGREEMENT_TOLERANCE for k in ("trust_peer", "participation", "image"))
    res["tolerance"] = AGREEMENT_TOLERANCE
    res["pass"] = ok
    say(
        f"Agreement of the two formulations ({n:,} agents, {res['steps']} steps, mean of seeds "
        f"{', '.join(map(str, res['seeds']))}; largest relative gap of the mean trajectories):"
    )
    rows = [
        [
            k.replace("_", " "),
            f"{res[k]['initial']:.3f}",
            f"{res[k]['idiomatic_final']:.4f}",
            f"{res[k]['vectorised_final']:.4f}",
            f"{100 * res[k]['rel_gap_final']:.2f} %",
            f"{100 * res[k]['rel_gap_max']:.2f} %",
        ]
        for k in ("trust_peer", "participation", "image")
    ]
    say(table(["mean of", "step 0", "idiomatic", "vectorised", "gap at end", "largest gap"], rows))
    checks = []
    for name, r in idio.items():
        if r.get("same_steps"):
            a, b = r["idiomatic"]["final"]["trust_peer"], r["vectorised"]["final"]["trust_peer"]
            checks.append(
                f"{name}: mean peer trust after {r['idiomatic']['steps']} steps {a:.4f} vs {b:.4f} "
                f"({100 * abs(a - b) / b:.2f} %)"
            )
    if checks:
        say("  timing runs, one seed: " + "; ".join(checks))
    say(f"  agreement within {100 * AGREEMENT_TOLERANCE:g} %: {'PASS' if ok else 'FAIL'}")
    return res


def bench_profile(size: str, steps: int, seed: int, top: int, warmup: int) -> dict[str, Any]:
    villages = SIZES.get(size, 0)  # 0: the 133-member cooperative
    res = run_worker("profile", 3600, villages=villages, steps=steps, seed=seed, top=top, warmup=warmup)
    metrics = "network metrics off" if villages else "default metric intervals"
    say(
        f"cProfile, {size} ({res['agents']:,} agents, {res['ties']:,} ties), steps {warmup + 1}–{warmup + steps} "
        f"after {warmup} unprofiled, {metrics}: {ms(res['step_ms_profiled'])}/step under the profiler, "
        f"{res['calls_per_step']:,.0f} profiled function calls per step"
    )
    say("Top functions by own time (tottime):")
    say(
        table(
            ["function", "where", "calls", "tottime ms/step", "cumtime ms/step"],
            [
                [
                    e["function"],
                    e["where"],
                    str(e["ncalls"]),
                    f"{e['tottime_ms_per_step']:.2f}",
                    f"{e['cumtime_ms_per_step']:.2f}",
                ]
                for e in res["top_tottime"]
            ],
        )
    )
    say("model.py / metrics.py functions by cumulative time:")
    say(
        table(
            ["function", "where", "calls", "cumtime ms/step", "tottime ms/step"],
            [
                [
                    e["function"],
                    e["where"],
                    str(e["ncalls"]),
                    f"{e['cumtime_ms_per_step']:.2f}",
                    f"{e['tottime_ms_per_step']:.2f}",
                ]
                for e in res["model_phases"]
            ],
        )
    )
    return res


def bench_national(seed: int, out: Path) -> dict[str, Any]:
    """``python -m benchmarks.national`` in its own process (within the time budget): a scaled national
    run on a Dask LocalCluster of 2 workers and the extrapolation to 1M agents x 120 months."""
    left = RUN["deadline"] - time.perf_counter()
    if left < 5:
        raise WorkerError("national: skipped, the time budget (--budget) is used up")
    argv = ["--months", "120", "--probe-worlds", "250", "--seed", str(seed), "--out", str(out)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.national", *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=min(180.0, left),
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise WorkerError(f"national: no result within {min(180.0, left):.0f} s") from err
    if proc.returncode or not out.exists():
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise WorkerError(f"national {argv} failed (exit {proc.returncode}):\n{tail}")
    say("National scale (python -m benchmarks.national " + " ".join(argv[:4]) + "):")
    for line in proc.stdout.strip().splitlines():
        if not line.startswith("wrote "):
            say("  " + line)
    return json.loads(out.read_text(encoding="utf-8"))


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with its measured value, measured ÷ target and PASS / FAIL (or SKIPPED when not measured)."""
    rows = []

    def add(target: str, value: float | None, limit: float, unit: str, at_least: bool = False) -> None:
        ok = None if value is None else (value >= limit if at_least else value <= limit)
        shown = f"{limit:g}×" if unit == "×" else f"{limit:g} {unit}"
        rows.append(
            {
                "target": target,
                "limit": f"{'≥' if at_least else '≤'} {shown}",
                "value": value,
                "unit": unit,
                "ratio": None if value is None else value / limit,
                "ok": ok,
            }
        )

    m = results.get("mandiri", {}).get("scenario_file")
    add(
        "scenarios/mandiri_jaya.toml, 120 steps (default metrics, excl. construction)",
        m["run_ms_median"] if m else None,
        TARGETS["mandiri_120_steps_ms"],
        "ms",
    )
    cli = results.get("cli", {})
    for key, target in (("--help", "cli_help_s"), ("validate scenarios/baseline.toml", "cli_validate_s")):
        add(f"kopsim {key}, wall", cli[key]["wall_s_median"] if key in cli else None, TARGETS[target], "s")
    big = results.get("full", {}).get("100k")
    steps_ok = big is not None and big["steps"] == 120
    add(
        "100k agents, construction + 120 steps (metrics off)",
        big["total_s"] if steps_ok else None,
        TARGETS["large_120_steps_s"],
        "s",
    )
    add(
        "100k agents, peak resident memory",
        big["peak_rss_mib"] / 1024 if big else None,
        TARGETS["large_peak_rss_gib"],
        "GiB",
    )
    r10 = results.get("idiomatic", {}).get("10k", {}).get("ratio_full")
    add(
        "10k agents: idiomatic Mesa ÷ full kopsim, full step like for like, CPU ms/step, one process",
        r10,
        TARGETS["speedup_vs_idiomatic_10k"],
        "×",
        at_least=True,
    )
    ext = results.get("national", {}).get("extrapolation")
    add(
        "1M agents x 120 months on 2 workers (extrapolated from the national run)",
        ext["target_1m_seconds"] if ext else None,
        TARGETS["national_1m_120_months_s"],
        "s",
    )
    add(
        "1M agents held at once, memory (extrapolated from the national run)",
        ext["target_1m_bytes_one_process"] / 1024**3 if ext else None,
        TARGETS["national_1m_gib"],
        "GiB",
    )
    return rows


def print_targets(rows: list[dict[str, Any]]) -> None:
    def val(r: dict[str, Any]) -> str:
        v = r["value"]
        if v is None:
            return "—"
        if r["unit"] == "×":
            return f"{v:.1f}×"
        return f"{v:.3f} {r['unit']}" if v < 10 else f"{v:.1f} {r['unit']}"

    say("Targets (measured ÷ target: ≤ 1 passes a limit, ≥ 1 a minimum):")
    say(
        table(
            ["target", "measured", "limit", "measured ÷ target", "status"],
            [
                [
                    r["target"],
                    val(r),
                    r["limit"],
                    "—" if r["ratio"] is None else f"{r['ratio']:.2f}",
                    {True: "PASS", False: "FAIL", None: "SKIPPED"}[r["ok"]],
                ]
                for r in rows
            ],
        )
    )


def summary_lines(results: dict[str, Any]) -> None:
    for name, r in results.get("full", {}).items():
        line = f"{name} agents: {r['step_ms_mean']:.3g} ms/step, peak {r['peak_rss_mib']:,.0f} MiB"
        say(line)
    for name, i in results.get("idiomatic", {}).items():
        if "ratio_full" in i:
            say(
                f"{name} agents: full step, like for like: idiomatic Mesa full {i['idiomatic_full']['step_ms']:.3g} "
                f"CPU ms/step vs full kopsim {i['kopsim_step_ms']:.3g}: ratio {ratio(i['ratio_full'])}; "
                f"reduced dynamics: idiomatic {i['idiomatic']['step_ms']:.3g} vs vectorised "
                f"{i['vectorised']['step_ms']:.3g} ms/step: ratio {ratio(i['ratio'])} (info, not like for like: "
                f"reduced idiomatic ÷ full kopsim {ratio(i['ratio_vs_kopsim'])})"
            )


def environment() -> dict[str, Any]:
    def version(pkg: str) -> str:
        try:
            return metadata.version(pkg)
        except metadata.PackageNotFoundError:
            return "absent"

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(
                ["git", *cmd], cwd=ROOT, capture_output=True, text=True, check=False, timeout=10
            ).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "packages": {p: version(p) for p in ("mesa", "numpy", "scipy", "pandas", "networkx", "igraph", "kopsim")},
        "git_commit": git("rev-parse", "--short", "HEAD"),
        "git_uncommitted": [ln[3:] for ln in git("status", "--porcelain", "--", "simulation").splitlines()],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--quick", action="store_true", help="fewer steps and repeats, sizes 1k and 10k only (about a minute)"
    )
    ap.add_argument(
        "--sizes", default=None, help="comma-separated sizes among 1k,10k,100k (default: all; --quick: 1k,10k)"
    )
    ap.add_argument("--seed", type=int, default=1, help="model seed (default 1)")
    ap.add_argument("--steps", type=int, default=None, help="override the steps of the full-model runs (default 120)")
    ap.add_argument("--repeats", type=int, default=None, help="repeats of the 133-member run (default 9; quick 5)")
    ap.add_argument(
        "--skip",
        default="",
        help="comma-separated sections to skip: cli,mandiri,metrics,full,default_metrics,idiomatic,agreement,"
        "agreement_full,national",
    )
    ap.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET_S,
        help=f"seconds the whole run may take (default {DEFAULT_BUDGET_S:g}); a measurement that "
        "would overrun it is skipped",
    )
    ap.add_argument(
        "--profile",
        metavar="SIZE",
        default=None,
        help="only profile SIZE (1k, 10k, 100k with network metrics off, or mandiri: the "
        "133-member cooperative with default metrics) with cProfile and print the top functions",
    )
    ap.add_argument("--profile-steps", type=int, default=5, help="steps profiled with --profile (default 5)")
    ap.add_argument(
        "--profile-warmup",
        type=int,
        default=1,
        help="unprofiled steps before --profile starts (default 1; 35 profiles the first board election, month 36)",
    )
    ap.add_argument("--top", type=int, default=10, help="functions listed with --profile (default 10)")
    ap.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="JSON results file")
    args = ap.parse_args(argv)
    default = "1k,10k" if args.quick else "1k,10k,100k"
    args.size_list = [s.strip() for s in (args.sizes or default).split(",") if s.strip()]
    bad = [s for s in args.size_list if s not in SIZES] + (
        [args.profile] if args.profile and args.profile not in (*SIZES, "mandiri") else []
    )
    if bad:
        ap.error(f"unknown size(s) {', '.join(bad)}; allowed: {', '.join(SIZES)}")
    args.skip_set = {s.strip() for s in args.skip.split(",") if s.strip()}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = environment()
    started = time.perf_counter()
    RUN["deadline"] = started + args.budget
    results: dict[str, Any] = {
        "timestamp": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "argv": sys.argv[1:] if argv is None else argv,
        "environment": env,
        "complete": False,
    }
    RUN["results"], RUN["path"] = results, args.out
    save()
    pk = env["packages"]
    say(
        f"kopsim benchmarks — Python {env['python']}, mesa {pk['mesa']}, numpy {pk['numpy']}, igraph {pk['igraph']}, "
        f"{env['cpus']} CPUs, git {env['git_commit'] or '?'}"
        f"{' (simulation/ modified)' if env['git_uncommitted'] else ''}"
        + (f", load average {env['load_average'][0]:.2f}" if env["load_average"] else "")
    )
    try:
        if args.profile:
            try:
                results["profile"] = bench_profile(
                    args.profile, args.profile_steps, args.seed, args.top, args.profile_warmup
                )
            except WorkerError as err:
                say(f"ERROR in profile: {err}")
                results["errors"] = [str(err)]
                return write(args, results, started, 1)
            return write(args, results, started)
        return run_all(args, results, started)
    except KeyboardInterrupt:
        results["interrupted"] = True
        say()
        say("interrupted: the figures measured so far are in the results file")
        write(args, results, started, 130)
        return 130


def run_all(args: argparse.Namespace, results: dict[str, Any], started: float) -> int:
    p = plan(args)
    results["plan"] = p
    results["sizes"] = args.size_list
    say(
        f"{p['mode']} run, sizes {', '.join(args.size_list)}, seed {args.seed}, time budget {args.budget:g} s. "
        "Each measurement runs in a fresh process; peak RSS is that process's ru_maxrss and includes ~115 MiB for "
        "importing mesa, pandas, scipy and networkx (see 'RSS after imports')."
    )
    failures: list[str] = []

    def section(key: str, fn: Any, *a: Any) -> Any:
        if key in args.skip_set:
            return {}
        say()
        try:
            results[key] = fn(*a)
        except WorkerError as err:
            failures.append(str(err))
            say(f"ERROR in {key}: {err}")
            results.setdefault(key, {})
        save()
        return results[key]

    section("cli", bench_cli, p["cli_repeats"])
    section("mandiri", bench_mandiri, p, args.seed)
    small = [s for s in args.size_list if s in ("1k", "10k")]
    section("metrics", bench_metrics, small, args.seed, ["mandiri", "1k"] + ([] if args.quick else ["10k"]))
    section("full", bench_full, p, args.size_list, args.seed)
    if small:
        section("default_metrics", bench_default_metrics, p, small, args.seed, results.get("full", {}))
        idio = section("idiomatic", bench_idiomatic, p, small, args.seed)
        n1k = expected_agents(SIZES["1k"])
        section("agreement", bench_agreement, p, n1k, idio)
        section("agreement_full", bench_agreement_full, p, SIZES["1k"])
    section("national", bench_national, args.seed, args.out.with_name(args.out.stem + "-national.json"))
    say()
    summary_lines(results)
    say()
    results["targets"] = evaluate(results)
    print_targets(results["targets"])
    info = results.get("idiomatic", {}).get("10k", {})
    if "ratio_vs_kopsim" in info:
        results["targets_info"] = {
            "reduced_idiomatic_vs_full_kopsim_10k": info["ratio_vs_kopsim"],
            "reduced_idiomatic_vs_vectorised_10k": info["ratio"],
        }
        say(
            f"  info: 10k agents, the old figure (reduced idiomatic subset ÷ full kopsim, not like for like) "
            f"{info['ratio_vs_kopsim']:.1f}×; reduced dynamics idiomatic ÷ vectorised {info['ratio']:.1f}×"
        )
    if failures:
        results["errors"] = failures
    return write(args, results, started, 1 if failures else 0)


def write(args: argparse.Namespace, results: dict[str, Any], started: float, code: int = 0) -> int:
    results["wall_s"] = time.perf_counter() - started
    results["complete"] = code == 0 and not results.get("interrupted", False)
    save()
    say()
    say(f"Wall time {results['wall_s']:.0f} s. Results written to {_rel(args.out)}")
    return code


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    raise SystemExit(main())
