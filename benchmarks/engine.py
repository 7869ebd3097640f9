"""The engine on Mandiri Jaya, alone and in batches: ``python -m benchmarks.engine [--quick]``.

Targets of issue #12 (``scenarios/mandiri_jaya.toml``, 120 months, default metrics): at most
20 ms as a single run, and at most 1 ms per replication in batches of replicates.

Measured in one process, the settings alternating round by round so that a change of machine
load hits them alike, in CPU seconds (``time.process_time``) excluding construction:

1. a single run, default metrics (the median of ``--singles`` runs per round);
2. a batch of ``--replicates`` replicates (``CooperativeModel(..., replicates=R)``), default metrics
   (every world keeps its own metrics table), and with metrics off (``collect_metrics=False``,
   what the surveys and the calibration's particles run);
3. both batches again with the compiled kernels off (:data:`kopsim.kernels.ENABLED` False, the
   pure-numpy twins; same results), which shows what the kernels save; the CPU time of the month's
   tie proposals (:func:`kopsim.network.propose`, the step the kernel compiles) is timed apart,
   since its share of a run is within the run-to-run noise of a whole batch.

It prints ms per run and per replication with measured ÷ target, and writes
``benchmarks/results/engine.json`` as soon as each figure is measured (an interrupted run keeps
what it measured).

``--phases`` prints where a month's CPU time goes instead: each phase of
:meth:`kopsim.model.CooperativeModel.step` timed by a wrapper (``time.process_time`` around the
call; no profiler, whose per-call cost would inflate phases made of many small calls), for a single
run and for a batch, metrics on.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
MONTHS = 120
TARGET_SINGLE_MS = 20.0
TARGET_PER_REPLICATION_MS = 1.0


def _timed(model: Any, months: int) -> float:
    gc.collect()
    c = time.process_time()
    model.run_steps(months)
    return time.process_time() - c


def measure(replicates: int, rounds: int, singles: int, seed: int, out: Path) -> dict[str, Any]:
    """The figures of the module docstring; written to ``out`` as each round ends."""
    from kopsim import kernels, network
    from kopsim.model import CooperativeModel
    from kopsim.scenario import load

    propose, in_propose = network.propose, [0.0]

    def timed_propose(*args: Any, **kwargs: Any) -> Any:  # the proposals' own CPU time
        c = time.process_time()
        try:
            return propose(*args, **kwargs)
        finally:
            in_propose[0] += time.process_time() - c

    scen = load("mandiri_jaya")
    compiled = kernels.ENABLED
    settings: list[tuple[str, int, bool, bool]] = [  # label, replicates, metrics, kernels
        ("single run, default metrics", 1, True, compiled),
        (f"batch of {replicates}, default metrics", replicates, True, compiled),
        (f"batch of {replicates}, metrics off", replicates, False, compiled),
    ]
    if compiled:
        settings += [
            (f"batch of {replicates}, default metrics, kernels off", replicates, True, False),
            (f"batch of {replicates}, metrics off, kernels off", replicates, False, False),
        ]
    CooperativeModel(scen.params, seed=seed, replicates=2).run_steps(13)  # warm-up: imports, numba's cache
    cpu: dict[str, list[float]] = {label: [] for label, *_ in settings}
    proposals: dict[str, list[float]] = {label: [] for label, *_ in settings}
    result: dict[str, Any] = {
        "scenario": "mandiri_jaya",
        "months": MONTHS,
        "replicates": replicates,
        "kernels_available": compiled,
        "complete": False,
        "cpu_count": os.cpu_count(),
    }
    network.propose = timed_propose
    try:
        for r in range(rounds):
            for label, reps, keep_metrics, on in settings:
                kernels.ENABLED = on
                runs = singles if reps == 1 else 1
                for k in range(runs):
                    model = CooperativeModel(
                        scen.params, seed=seed + 100 * r + k, replicates=reps, collect_metrics=keep_metrics
                    )
                    in_propose[0] = 0.0
                    cpu[label].append(1e3 * _timed(model, MONTHS) / reps)
                    proposals[label].append(1e3 * in_propose[0] / reps)
            kernels.ENABLED = compiled
            result["figures"] = {
                label: {
                    "ms_per_replication_median": statistics.median(v),
                    "tie_proposals_ms_per_replication_median": statistics.median(proposals[label]),
                    "runs": len(v),
                }
                for label, v in cpu.items()
            }
            result["rounds_done"] = r + 1
            result["load_average"] = os.getloadavg()
            _write(out, result)
        result["complete"] = True
    finally:
        network.propose = propose
        kernels.ENABLED = compiled
        _write(out, result)
    return result


# the phases of CooperativeModel.step: (module as kopsim.model names it, function), in order
PHASES = (
    ("supervision", "audit"),
    ("partnership", "partnerships"),
    ("enterprise", "livelihoods"),
    ("finance", "savings"),
    ("finance", "credit"),
    ("units", "business_units"),
    ("contacts_phase", "contacts"),
    ("agencies", "serve"),
    ("governance", "free_riding"),
    ("trust", "board_and_institution"),
    ("hearsay", "nonmember_trust"),
    ("", "participation_phase"),
    ("membership", "membership"),
    ("skills", "training"),
    ("net", "network_dynamics"),
    ("governance", "rat"),
    ("metrics", "collect_worlds"),
)


def phases(replicates: int, seed: int) -> dict[str, dict[str, float]]:
    """CPU ms per replication of each phase (PHASES) and of the rest, a single run and a batch."""
    from kopsim import model as model_module
    from kopsim.model import CooperativeModel
    from kopsim.scenario import load

    spent: dict[str, float] = {}
    originals = []
    for owner_name, name in PHASES:
        owner = getattr(model_module, owner_name) if owner_name else model_module
        fn = getattr(owner, name)
        originals.append((owner, name, fn))

        def timed(*args: Any, _fn: Any = fn, _key: str = name, **kwargs: Any) -> Any:
            c = time.process_time()
            try:
                return _fn(*args, **kwargs)
            finally:
                spent[_key] = spent.get(_key, 0.0) + time.process_time() - c

        setattr(owner, name, timed)
    # (metrics.collect, the single run's, looks collect_worlds up in its module: patched above)
    scen = load("mandiri_jaya")
    out: dict[str, dict[str, float]] = {}
    try:
        for label, reps in (("single run", 1), (f"batch of {replicates}", replicates)):
            spent.clear()
            model = CooperativeModel(scen.params, seed=seed, replicates=reps)
            spent.clear()  # construction collects month 0's row
            total = _timed(model, MONTHS)
            row = {name: 1e3 * spent.get(name, 0.0) / reps for _, name in PHASES}
            row["rest of the month"] = 1e3 * total / reps - sum(row.values())
            row["total"] = 1e3 * total / reps
            out[label] = row
    finally:
        for owner, name, fn in originals:
            setattr(owner, name, fn)
    return out


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="batches of 20, 2 rounds (about 30 s)")
    ap.add_argument("--replicates", type=int, default=None, help="replicates per batch (default 50; 20 with --quick)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default 3; 2 with --quick)")
    ap.add_argument("--singles", type=int, default=5, help="single runs per round (default 5)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--phases", action="store_true", help="CPU time of each phase of the month instead")
    ap.add_argument("--out", type=Path, default=RESULTS / "engine.json")
    args = ap.parse_args(argv)
    replicates = args.replicates or (20 if args.quick else 50)
    if args.phases:
        table = phases(replicates, args.seed)
        labels = list(table)
        print(f"Mandiri Jaya ({MONTHS} months, default metrics): CPU ms per replication by phase")
        print(f"  {'phase':<24}" + "".join(f"{label:>22}" for label in labels))
        for name in table[labels[0]]:
            cells = "".join(
                f"{table[lb][name]:>13.1f} ({100 * table[lb][name] / table[lb]['total']:4.1f} %)" for lb in labels
            )
            print(f"  {name:<24}{cells}")
        _write(args.out.with_name("engine-phases.json"), table)
        return 0
    rounds = args.rounds or (2 if args.quick else 3)
    res = measure(replicates, rounds, args.singles, args.seed, args.out)
    print(
        f"Mandiri Jaya ({MONTHS} months), CPU ms per run or per replication, median over {rounds} rounds "
        f"(compiled kernels: {'numba' if res['kernels_available'] else 'not available: numpy twins'}):"
    )
    figures = res["figures"]
    width = max(len(k) for k in figures)
    for label, fig in figures.items():
        ms = fig["ms_per_replication_median"]
        if label.startswith("single run"):
            note = f"target <= {TARGET_SINGLE_MS:g} ms: measured / target {ms / TARGET_SINGLE_MS:.1f}"
        elif "default metrics" in label and "kernels off" not in label:
            note = f"target <= {TARGET_PER_REPLICATION_MS:g} ms: measured / target {ms / TARGET_PER_REPLICATION_MS:.1f}"
        else:
            note = ""
        print(f"  {label:<{width}}  {ms:8.1f} ms  {note}")
    if res["kernels_available"]:
        for metrics in ("default metrics", "metrics off"):
            on, off = (
                figures[f"batch of {replicates}, {metrics}"],
                figures[f"batch of {replicates}, {metrics}, kernels off"],
            )
            key = "tie_proposals_ms_per_replication_median"
            run_on, run_off = on["ms_per_replication_median"], off["ms_per_replication_median"]
            print(
                f"  kernels on / off, batch, {metrics}: run {run_on:.1f} / {run_off:.1f} ms = {run_on / run_off:.2f}; "
                f"tie proposals {on[key]:.2f} / {off[key]:.2f} ms = {on[key] / off[key]:.2f}"
            )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
