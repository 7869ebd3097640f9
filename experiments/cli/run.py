"""``kopsim run``: one simulation of a scenario, its metrics table and a manifest to reproduce it."""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kopsim import __version__
from kopsim.labels import outcome_label
from kopsim.parameters import Parameters

from .argtypes import nonneg_int, pos_int
from .common import add_set_option, apply_overrides, fmt, one_line

# (column, label, format) of the summary table; the labels come from the one table in kopsim.labels
SUMMARY_COLUMNS = tuple(
    (col, outcome_label(col), spec)
    for col, spec in (
        ("members", "{:.0f}"),
        ("participation_organisation", "{:.3f}"),
        ("participation_business", "{:.3f}"),
        ("participation_capital", "{:.3f}"),
        ("trust_peer_mean", "{:.3f}"),
        ("trust_board_mean", "{:.3f}"),
        ("trust_institution_mean", "{:.3f}"),
        ("reciprocity_rate", "{:.3f}"),
        ("savings_mandatory", "{:.1f}"),
        ("savings_voluntary", "{:.1f}"),
        ("coop_loans_outstanding", "{:.1f}"),
        ("arrears_share", "{:.3f}"),
        ("umkm_revenue", "{:.1f}"),
        ("information_reach", "{:.3f}"),
        ("ei_index", "{:.3f}"),
    )
)


def register(sub: Any) -> None:
    run = sub.add_parser("run", help="run one simulation and write its metrics and manifest")
    run.add_argument(
        "scenario",
        nargs="?",
        default=None,
        help="shipped scenario name or path to a scenario TOML file (default: baseline)",
    )
    run.add_argument("--steps", type=pos_int, default=None, help="months to simulate (default: the scenario's)")
    run.add_argument("--seed", type=nonneg_int, default=None, help="random seed (default: the scenario's)")
    run.add_argument(
        "--out", type=Path, default=None, help="output directory (default: kopsim-output/<scenario>-seed<seed>)"
    )
    add_set_option(run)
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(handler=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from kopsim.scenario import load  # here, not at the top: `kopsim --help` needs no numpy

    scen = load(args.scenario)
    params = apply_overrides(scen.params, args.overrides)
    steps = args.steps if args.steps is not None else scen.steps
    seed = args.seed if args.seed is not None else scen.seed
    out = args.out or Path("kopsim-output") / f"{scen.name}-seed{seed}"
    from kopsim.model import CooperativeModel  # imported here so `--help` and errors stay fast

    t0 = time.perf_counter()
    model = CooperativeModel(params, seed=seed, interventions=scen.interventions)
    frame = model.run(steps)
    elapsed = time.perf_counter() - t0
    manifest = run_manifest(scen.name, scen.source, params, seed, steps, elapsed, model.state.n)
    manifest["interventions"] = [intervention_record(iv) for iv in scen.interventions]
    target = out
    try:  # a full disk raises OSError without a file name: say which file was being written
        out.mkdir(parents=True, exist_ok=True)
        target = out / "metrics.csv"
        frame.to_csv(target, index=False)
        target = out / "manifest.json"
        target.write_text(json.dumps(manifest, indent=2, default=float) + "\n", encoding="utf-8")
    except OSError as err:
        raise OSError(err.errno, f"cannot write ({err.strerror or one_line(err)})", str(target)) from None
    if not args.quiet:
        print(summary(scen.name, scen.description, frame, seed, steps, elapsed, model.state.n, out))
    return 0


def run_manifest(
    name: str, source: str, params: Parameters, seed: int, steps: int, elapsed: float, n_agents: int
) -> dict[str, Any]:
    """What is needed to reproduce a run: seed, every parameter, versions."""
    import mesa
    import numpy as np
    import pandas as pd

    return {
        "kopsim_version": __version__,
        "scenario": name,
        "scenario_file": os.path.abspath(source),
        "seed": seed,
        "steps": steps,
        "agents": n_agents,
        "parameters": params.to_dict(),
        "wall_time_seconds": round(elapsed, 4),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "mesa": mesa.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "files": {"metrics": "metrics.csv"},
    }


def summary(
    name: str, description: str, frame: Any, seed: int, steps: int, elapsed: float, n_agents: int, out: Path
) -> str:
    first, last = frame.iloc[0], frame.iloc[-1]
    lines = [
        f"kopsim {__version__} - scenario {name!r}: {description}",
        f"{steps} months, seed {seed}, {n_agents} agents, {elapsed:.2f} s",
        f"{'outcome':<40}{'month 1':>12}{f'month {steps}':>12}",
    ]
    for col, label, spec in SUMMARY_COLUMNS:
        lines.append(f"{label:<40}{fmt(spec, first[col]):>12}{fmt(spec, last[col]):>12}")
    lines.append(
        f"wrote {out / 'metrics.csv'} ({len(frame)} rows x {frame.shape[1]} columns) and {out / 'manifest.json'}"
    )
    return "\n".join(lines)


def intervention_record(iv: Any) -> dict[str, Any]:
    """An intervention as plain data for the manifest."""
    return {"kind": iv.kind, **asdict(iv)}
