"""``kopsim compare``, ``sweep``, ``report``, ``discover`` and ``export``: experiments with replications and
their results."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .argtypes import nonneg_int, pos_int
from .common import add_execution_options

OUT_HELP = "results directory (re-run the command to resume)"
BATCH_HELP = (
    "run every configuration and replication as a model of its own (default: runs that can share a model "
    "run as batches of worlds, with the same results)"
)


def register(sub: Any) -> None:
    """Add the experiment commands to the ``kopsim`` parser."""
    cmp = sub.add_parser("compare", help="every scenario against the first, with common random numbers")
    cmp.add_argument("scenarios", nargs="+", help="scenario names or files; the first is the reference")
    cmp.add_argument("--replications", type=int, default=10, help="replications per scenario (default 10)")
    cmp.add_argument("--steps", type=pos_int, default=None, help="months (default: the first scenario's)")
    cmp.add_argument("--seed", type=nonneg_int, default=0, help="root seed (default 0)")
    cmp.add_argument("--outcomes", default=None, help="comma-separated metric columns to keep")
    add_execution_options(cmp, OUT_HELP, batch_help=BATCH_HELP)
    add_comparison_options(cmp)
    cmp.set_defaults(handler=cmd_compare)
    swp = sub.add_parser("sweep", help="run an experiment file (scenarios x grid/samples x replications)")
    swp.add_argument("experiment", type=Path, help="experiment TOML file")
    add_execution_options(swp, OUT_HELP, batch_help=BATCH_HELP)
    add_comparison_options(swp)
    swp.set_defaults(handler=cmd_sweep)
    rep = sub.add_parser("report", help="write a self-contained HTML report of a results directory")
    rep.add_argument("results", type=Path, help="results directory written by compare or sweep")
    rep.add_argument("--output", type=Path, default=None, help="HTML file (default: RESULTS/report.html)")
    add_comparison_options(rep)
    rep.add_argument(
        "--lang",
        choices=("en", "id"),
        default="en",
        help="language of the report: en (default) or id (Indonesian labels, 1.234,5 numbers)",
    )
    rep.add_argument(
        "--no-network",
        dest="network",
        action="store_false",
        help="leave out the network picture (it re-runs one simulation)",
    )
    rep.add_argument(
        "--no-figure-files",
        dest="figure_files",
        action="store_false",
        help="do not write the figures as SVG and PNG files under RESULTS/figures/",
    )
    rep.add_argument(
        "--discover",
        default=None,
        metavar="CONDITION",
        help="add scenario discovery (PRIM) for runs whose final outcome meets CONDITION, "
        "e.g. 'participation_capital<0.5' (needs kopsim[discovery])",
    )
    rep.add_argument(
        "--format",
        choices=("html", "pdf"),
        default="html",
        help="html (default; prints cleanly to PDF from a browser) or pdf (also writes RESULTS/report.pdf)",
    )
    rep.set_defaults(handler=cmd_report)
    dis = sub.add_parser(
        "discover", help="scenario discovery (PRIM): which parameter boxes lead to a chosen outcome in a sweep"
    )
    dis.add_argument("results", type=Path, help="results directory written by sweep (or compare)")
    dis.add_argument("condition", help="OUTCOME OP NUMBER on the final month, e.g. 'participation_capital<0.5'")
    dis.add_argument(
        "--threshold",
        type=float,
        default=0.8,
        help="least density of a box: share of its runs that meet the condition (default 0.8)",
    )
    dis.add_argument("--boxes", type=pos_int, default=3, help="at most this many boxes (default 3)")
    dis.set_defaults(handler=cmd_discover)
    exp = sub.add_parser("export", help="write runs.csv and steps.csv of a results directory")
    exp.add_argument("results", type=Path)
    exp.add_argument(
        "--excel-id",
        action="store_true",
        help="also write *-id.csv files for Indonesian spreadsheets: ';'-separated, ',' decimals, 6 significant digits",
    )
    exp.set_defaults(handler=cmd_export)


def add_comparison_options(p: argparse.ArgumentParser) -> None:
    """``--reference``, ``--contrast``, ``--min-effect``: what is compared with what, and what counts as a finding."""
    p.add_argument(
        "--reference",
        default=None,
        metavar="NAME",
        help="configuration the others are compared with (label or number; default: the first)",
    )
    p.add_argument(
        "--contrast",
        dest="contrasts",
        action="append",
        default=[],
        metavar="A:B",
        help="also compare configuration A with B (A minus B, paired by replication; repeatable)",
    )
    p.add_argument(
        "--min-effect",
        action="append",
        default=[],
        metavar="SHARE|OUTCOME=VALUE",
        help="minimum of practical importance: a share of each outcome's scale (default 0.02 = 2%%), and/or "
        "OUTCOME=VALUE in that outcome's own units, e.g. members=5 (repeatable)",
    )


def _finish(exp: Any, args: argparse.Namespace, default_out: str, sweep: bool = False) -> int:
    from kopsim.experiments.runner import fingerprint, run_experiment
    from kopsim.experiments.spec import check_outcomes
    from kopsim.experiments.stats import MinEffect
    from kopsim.experiments.store import Store

    out = args.out or Path("kopsim-results") / default_out
    if Store(out).fingerprint() != fingerprint(exp):
        # Checking the outcomes builds a model (imports mesa, igraph: over a second); a directory that
        # holds this very experiment (same configurations, outcomes and kopsim version) passed it already.
        check_outcomes(exp)
    minimum = MinEffect.parse(args.min_effect, exp.outcomes)  # a bad value stops before any run

    result = run_experiment(
        exp, out, executor=args.executor, workers=args.workers, dask=args.dask, quiet=args.quiet, batch=args.batch
    )
    if not args.quiet:
        print(
            f"{exp.name}: {result.planned} runs planned, {result.skipped} already done, {result.ok} ran, "
            f"{result.failed} failed, {result.seconds:.1f} s"
        )
        print(
            f"results in {out} (runs.parquet, runs.csv, steps/, summary.csv, differences.csv); "
            f"`kopsim report {out}` writes the HTML report"
        )
        if result.ok + result.skipped > 0:
            from kopsim.experiments.findings import findings_text

            print()
            print(findings_text(out, args.reference, args.contrasts, minimum))
            if sweep and len(exp.configs) > 2:
                print(
                    f"\nWhich parameter ranges lead to an outcome: kopsim discover {out} "
                    f"\"{exp.outcomes[0]}<VALUE\" (PRIM; pip install 'kopsim[discovery]')"
                )
    return 0 if result.failed == 0 else 1


def cmd_compare(args: argparse.Namespace) -> int:
    from kopsim.experiments.spec import compare_experiment

    outcomes = [o.strip() for o in args.outcomes.split(",") if o.strip()] if args.outcomes else None
    exp = compare_experiment(args.scenarios, args.replications, args.steps, args.seed, outcomes, check=False)
    name = "-".join(c.scenario.name for c in exp.configs)[:80]
    return _finish(exp, args, f"compare-{name}-r{args.replications}-seed{args.seed}")


def cmd_sweep(args: argparse.Namespace) -> int:
    from kopsim.experiments.spec import load_experiment

    exp = load_experiment(args.experiment, check=False)
    return _finish(exp, args, f"sweep-{exp.name}", sweep=True)


def cmd_report(args: argparse.Namespace) -> int:
    from kopsim.experiments.report import write_report
    from kopsim.experiments.stats import MinEffect

    path = write_report(
        args.results,
        args.output,
        reference=args.reference,
        contrasts=args.contrasts,
        lang=args.lang,
        min_effect=MinEffect.parse(args.min_effect),
        figures=args.figure_files,
        network=args.network,
        discover=args.discover,
        pdf=args.format == "pdf",
    )
    print(f"wrote {path}")
    if args.format == "pdf":
        print(f"wrote {path.with_suffix('.pdf')}")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    from kopsim.experiments.discovery import discover, discovery_text

    print(discovery_text(discover(args.results, args.condition, args.threshold, args.boxes)))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from kopsim.experiments.store import Store

    store = Store(args.results)
    store.manifest()
    store.verify()
    current = store.tables_current()
    store.consolidate(csv_steps=True)
    if current:  # the same runs table written again: a later compare/sweep need not redo the statistics
        store.mark_tables()
    print(f"wrote {args.results / 'runs.csv'} and {args.results / 'steps.csv'}")
    if args.excel_id:
        written = write_excel_id(args.results)
        print(
            "wrote " + ", ".join(str(p) for p in written) + " (';'-separated, ',' decimals, for Indonesian "
            "spreadsheets)"
        )
    return 0


EXCEL_ID_DIGITS = 6


def write_excel_id(results: Path, digits: int = EXCEL_ID_DIGITS) -> list[Path]:
    """Write NAME-id.csv beside runs.csv, steps.csv, summary.csv and differences.csv for spreadsheets set to
    Indonesian: ';' between fields, ',' as the decimal mark, ``digits`` significant digits, UTF-8 with a byte
    order mark (so Excel reads the encoding), booleans as true/false. Returns the files written."""
    import pandas as pd

    written = []
    for name in ("runs", "steps", "summary", "differences"):
        src = Path(results) / f"{name}.csv"
        if not src.exists():
            continue
        frame = pd.read_csv(src, low_memory=False)
        for col in frame.columns:
            if frame[col].dtype == bool:
                frame[col] = frame[col].map({True: "true", False: "false"})
        dst = src.with_name(f"{name}-id.csv")
        tmp = dst.with_name(f".{dst.name}.tmp")
        frame.to_csv(tmp, sep=";", decimal=",", float_format=f"%.{digits}g", index=False, encoding="utf-8-sig")
        tmp.replace(dst)
        written.append(dst)
    return written
