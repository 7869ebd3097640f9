"""``kopsim national``: a synthetic Indonesia (BPS totals) run in provincial shards, metrics per region.

Building the parser imports nothing heavy: the years are kept here and must equal
:data:`kopsim.experiments.national.YEARS` (tests/test_national.py checks this); the handler
imports the national module, numpy, pandas and the model.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from .argtypes import nonneg_int, pos_int
from .common import one_line

YEARS = (2014, 2015, 2016)


def scale_type(text: str) -> float:
    """A share of the active cooperatives: 0 < scale <= 1."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and 0.0 < value <= 1.0):
        raise argparse.ArgumentTypeError(f"expected a number with 0 < scale <= 1 (e.g. 1e-4), got {text!r}")
    return value


def year_type(text: str) -> int:
    """A year with BPS figures: 2014, 2015 (interpolated) or 2016."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value not in YEARS:
        raise argparse.ArgumentTypeError(
            f"expected a year with BPS figures: {', '.join(map(str, YEARS))} (2015 interpolated), got {text!r}"
        )
    return value


def register(sub: Any) -> None:
    """Add ``kopsim national`` to the kopsim subcommands."""
    p = sub.add_parser(
        "national",
        help="a synthetic Indonesia from the BPS cooperative totals, run in shards, metrics per region",
        description="Simulate a scaled Indonesia: scale x the active cooperatives of the year (BPS), each a "
        "world of one cooperative and its villages with active members / active cooperatives members, "
        "split into the 34 provinces by a SYNTHETIC equal-share rule (the source gives national totals "
        "only) and run as shards on a process pool or Dask. Writes regions.csv (per region and outcome: "
        "mean and 5/50/95 percent quantiles over its cooperatives), worlds.csv and national.json.",
    )
    p.add_argument("--year", type=year_type, default=2016, help="2014, 2015 (interpolated) or 2016 (default)")
    p.add_argument(
        "--scale",
        type=scale_type,
        default=1e-4,
        help="share of the active cooperatives simulated, 0 < scale <= 1 (default 1e-4: 15 cooperatives in 2016)",
    )
    p.add_argument("--months", type=pos_int, default=12, help="months to simulate (default 12)")
    p.add_argument("--seed", type=nonneg_int, default=1, help="root seed (default 1)")
    p.add_argument(
        "--scenario", default="baseline", help="scenario whose parameters every cooperative uses (default: baseline)"
    )
    p.add_argument(
        "--respondents", type=nonneg_int, default=30, help="member survey per cooperative (default 30; 0 = none)"
    )
    p.add_argument(
        "--max-worlds",
        type=pos_int,
        default=None,
        help="most cooperatives in one shard; larger provinces are split (default 500)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--dask", action="store_true", help="run the shards on a Dask LocalCluster")
    where.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None, help="run on this Dask scheduler")
    where.add_argument(
        "--executor",
        choices=("process", "sequential"),
        default="process",
        help="without Dask: a local process pool (default) or sequential",
    )
    p.add_argument("--workers", type=pos_int, default=None, help="worker processes (default: cores)")
    p.add_argument(
        "--out", type=Path, default=None, help="output directory (default: kopsim-results/national-<year>-seed<seed>)"
    )
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(handler=cmd_national)


def cmd_national(args: argparse.Namespace) -> int:
    from kopsim.experiments.executors import default_workers, make_executor
    from kopsim.experiments.national import (
        DEFAULT_MAX_WORLDS,
        NationalSpec,
        check,
        plan,
        run_national,
        worlds_frame,
    )

    spec = NationalSpec(
        year=args.year,
        scale=args.scale,
        months=args.months,
        seed=args.seed,
        scenario=args.scenario,
        respondents=args.respondents,
        max_worlds=args.max_worlds or DEFAULT_MAX_WORLDS,
    )
    shards = plan(spec)
    check(shards)  # a bad scenario fails here, before any worker starts
    dask = "local" if args.dask else args.scheduler
    label = f"dask {dask}" if dask else args.executor
    workers = args.workers or default_workers()
    if not dask:
        workers = min(workers, len(shards))  # no idle processes
    if not args.quiet:
        print(
            f"kopsim national {spec.year}: scale {spec.scale:g} -> {spec.cooperatives:,} cooperatives, "
            f"{spec.members:,} members in {len(shards)} shards ({label})",
            flush=True,
        )
    with make_executor(args.executor, workers, dask) as ex:
        result = run_national(spec, ex)
    out = args.out or Path("kopsim-results") / f"national-{spec.year}-seed{spec.seed}"
    manifest = result.manifest(label)
    manifest["files"] = {"regions": "regions.csv", "worlds": "worlds.csv"}
    target = out
    try:
        out.mkdir(parents=True, exist_ok=True)
        target = out / "regions.csv"
        frame = result.regions.copy()
        frame.insert(0, "year", spec.year)
        frame.to_csv(target, index=False)
        target = out / "worlds.csv"
        worlds_frame(result.shards).to_csv(target, index=False)
        target = out / "national.json"
        target.write_text(json.dumps(manifest, indent=2, default=float) + "\n", encoding="utf-8")
    except OSError as err:
        raise OSError(err.errno, f"cannot write ({err.strerror or one_line(err)})", str(target)) from None
    if not args.quiet:
        print(summary(result, out))
    return 0


def summary(result: Any, out: Path) -> str:
    """A few national figures and where the files are."""
    nat = result.regions[result.regions.region_code == 0].set_index("metric")
    lines = [
        f"{result.agents:,} agents, {result.spec.months} months, {result.wall_seconds:.1f} s; "
        f"{result.bytes_per_agent:.0f} bytes of state arrays per agent "
        f"(largest: {', '.join(f'{k} {v:.0f}' for k, v in result.largest_arrays(3))})",
        f"{'Indonesia (all cooperatives)':<32}{'mean':>10}{'q05':>10}{'median':>10}{'q95':>10}",
    ]
    for metric in (
        "members",
        "membership_share",
        "participation_organisation",
        "trust_peer_mean",
        "trust_board_mean",
        "trust_institution_mean",
    ):
        if metric in nat.index:
            r = nat.loc[metric]
            lines.append(f"{metric:<32}{r['mean']:>10.3f}{r['q05']:>10.3f}{r['median']:>10.3f}{r['q95']:>10.3f}")
    lines.append(f"provincial split: synthetic (equal shares); wrote {out / 'regions.csv'}, worlds.csv, national.json")
    return "\n".join(lines)
