"""``kopsim compare``, ``sweep``, ``report`` and ``export``: experiments with replications and their results."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .argtypes import nonneg_int, pos_int
from .common import add_execution_options

OUT_HELP = "results directory (re-run the command to resume)"


def register(sub: Any) -> None:
    """Add the experiment commands to the ``kopsim`` parser."""
    cmp = sub.add_parser("compare", help="every scenario against the first, with common random numbers")
    cmp.add_argument("scenarios", nargs="+", help="scenario names or files; the first is the reference")
    cmp.add_argument("--replications", type=int, default=10, help="replications per scenario (default 10)")
    cmp.add_argument("--steps", type=pos_int, default=None, help="months (default: the first scenario's)")
    cmp.add_argument("--seed", type=nonneg_int, default=0, help="root seed (default 0)")
    cmp.add_argument("--outcomes", default=None, help="comma-separated metric columns to keep")
    add_execution_options(cmp, OUT_HELP)
    cmp.set_defaults(handler=cmd_compare)
    swp = sub.add_parser("sweep", help="run an experiment file (scenarios x grid/samples x replications)")
    swp.add_argument("experiment", type=Path, help="experiment TOML file")
    add_execution_options(swp, OUT_HELP)
    swp.set_defaults(handler=cmd_sweep)
    rep = sub.add_parser("report", help="write a self-contained HTML report of a results directory")
    rep.add_argument("results", type=Path, help="results directory written by compare or sweep")
    rep.add_argument("--output", type=Path, default=None, help="HTML file (default: RESULTS/report.html)")
    rep.set_defaults(handler=cmd_report)
    exp = sub.add_parser("export", help="write runs.csv and steps.csv of a results directory")
    exp.add_argument("results", type=Path)
    exp.set_defaults(handler=cmd_export)


def _finish(exp: Any, args: argparse.Namespace, default_out: str) -> int:
    from kopsim.experiments.runner import run_experiment

    out = args.out or Path("kopsim-results") / default_out
    result = run_experiment(exp, out, executor=args.executor, workers=args.workers, dask=args.dask, quiet=args.quiet)
    if not args.quiet:
        print(f"{exp.name}: {result.planned} runs planned, {result.skipped} already done, {result.ok} ran, "
              f"{result.failed} failed, {result.seconds:.1f} s")
        print(f"results in {out} (runs.parquet, runs.csv, steps/, summary.csv, differences.csv); "
              f"`kopsim report {out}` writes the HTML report")
    return 0 if result.failed == 0 else 1


def cmd_compare(args: argparse.Namespace) -> int:
    from kopsim.experiments.spec import compare_experiment

    outcomes = [o.strip() for o in args.outcomes.split(",") if o.strip()] if args.outcomes else None
    exp = compare_experiment(args.scenarios, args.replications, args.steps, args.seed, outcomes)
    name = "-".join(c.scenario.name for c in exp.configs)[:80]
    return _finish(exp, args, f"compare-{name}-r{args.replications}-seed{args.seed}")


def cmd_sweep(args: argparse.Namespace) -> int:
    from kopsim.experiments.spec import load_experiment

    exp = load_experiment(args.experiment)
    return _finish(exp, args, f"sweep-{exp.name}")


def cmd_report(args: argparse.Namespace) -> int:
    from kopsim.experiments.report import write_report

    path = write_report(args.results, args.output)
    print(f"wrote {path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kopsim.experiments.store import Store

    store = Store(args.results)
    store.manifest()
    store.verify()
    store.consolidate(csv_steps=True)
    print(f"wrote {args.results / 'runs.csv'} and {args.results / 'steps.csv'}")
    return 0
