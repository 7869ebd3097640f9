"""``kopsim sensitivity``: global sensitivity analysis (SALib: Morris or Sobol') of outcomes to parameters."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from .argtypes import nonneg_int, pos_int
from .common import add_execution_options

# Choices of the options, kept here so that building the parser does not import
# kopsim.experiments.sensitivity (pandas). They must equal its METHODS and SUMMARIES
# (tests/test_cli_startup.py checks this).
METHODS = ("morris", "sobol")
SUMMARIES = ("final", "last12")


def register(sub: Any) -> None:
    """Add ``kopsim sensitivity`` to the ``kopsim`` parser."""
    p = sub.add_parser(
        "sensitivity",
        help="global sensitivity analysis (SALib: Morris or Sobol') of outcomes to parameters",
        description="Vary parameters over ranges, run the scenario for every sample and compute Morris "
        "(mu*, sigma) or Sobol' (S1, ST) indices with 95% confidence intervals. "
        "Needs kopsim[sensitivity] (SALib).",
    )
    p.add_argument("scenario", help="shipped scenario name or scenario TOML file")
    factors = p.add_mutually_exclusive_group(required=True)
    factors.add_argument(
        "--params",
        metavar="GROUP.NAME=LOW:HIGH,...|FILE.toml",
        help="parameters and ranges, e.g. trust.loss_rate=0.1:0.4,skills.training_quota=5:20, "
        'or a TOML file of "group.name" = [low, high]',
    )
    factors.add_argument(
        "--params-from-targets",
        metavar="TARGETS",
        help="the [priors] of a calibration targets file (shipped name, e.g. mandiri_jaya, or a path): "
        "exactly the fitted parameters; its respondents, cooperative, month and [survey] constants "
        "are the survey's defaults",
    )
    p.add_argument(
        "--outcomes",
        required=True,
        metavar="A,B",
        help="metric columns, e.g. trust_institution_mean; with --survey also survey.total.<item>, "
        "survey.share.<item>.<1|2|3>, survey.rs.<domain>, or 'survey' for the 15 item totals and 3 r_s",
    )
    p.add_argument(
        "--survey",
        type=pos_int,
        default=None,
        metavar="N",
        help="survey N members of cooperative 0 after each run (survey seed from the run seed); "
        "default with --params-from-targets: the file's respondents",
    )
    p.add_argument("--method", choices=METHODS, default="morris", help="morris (default; screening) or sobol")
    p.add_argument(
        "--samples",
        type=pos_int,
        default=None,
        help="Morris: trajectories (default 10); Sobol': base sample size, a power of 2 (default 64)",
    )
    p.add_argument("--levels", type=pos_int, default=4, help="Morris grid levels (default 4)")
    p.add_argument(
        "--summary",
        choices=SUMMARIES,
        default="final",
        help="outcome value of a run: final month (default) or mean of the last 12 months",
    )
    p.add_argument("--replications", type=pos_int, default=1, help="runs per sample, averaged (default 1)")
    p.add_argument(
        "--seeding",
        choices=("common", "independent"),
        default="common",
        help="common random numbers across samples (default) or independent seeds per sample",
    )
    p.add_argument("--steps", type=pos_int, default=None, help="months (default: the scenario's)")
    p.add_argument("--seed", type=nonneg_int, default=None, help="root seed (default: the scenario's)")
    add_execution_options(
        p,
        "output directory (default: kopsim-results/sensitivity-<scenario>-<method>-seed<seed>)",
        "run on Dask",
        batch_help="run every sample's runs as models of their own (default: samples whose runs can share a model "
        "run as batches of worlds, with the same values)",
    )
    p.set_defaults(handler=cmd_sensitivity)


def cmd_sensitivity(args: argparse.Namespace) -> int:
    import kopsim
    from kopsim.experiments.sensitivity import (
        BOOTSTRAP_RESAMPLES,
        CONF_LEVEL,
        DEFAULT_SAMPLES,
        SurveySpec,
        _salib,
        factors_from_targets,
        format_indices,
        parse_factors,
        parse_outcomes,
        run_sensitivity,
        write_outputs,
    )
    from kopsim.scenario import load

    _salib()
    scen = load(args.scenario)
    targets = None
    if args.params_from_targets is not None:
        factors, targets = factors_from_targets(args.params_from_targets, scen.params)
    else:
        factors = parse_factors(args.params, scen.params)
    respondents = args.survey if args.survey is not None else (targets.respondents if targets else None)
    survey = None
    if respondents:
        survey = SurveySpec(
            respondents, targets.cooperative if targets else 0, dict(targets.response) if targets else {}
        )
    outcomes = parse_outcomes(args.outcomes, scen.params, survey is not None)
    seed = args.seed if args.seed is not None else scen.seed
    steps = args.steps if args.steps is not None else (targets.steps if targets and targets.steps else scen.steps)
    out = args.out or Path("kopsim-results") / f"sensitivity-{scen.name}-{args.method}-seed{seed}"
    t0 = time.perf_counter()
    result = run_sensitivity(
        scen,
        factors,
        outcomes,
        args.method,
        args.samples,
        steps,
        seed,
        args.replications,
        args.seeding,
        args.summary,
        args.levels,
        args.executor,
        args.workers,
        args.dask,
        args.quiet,
        survey,
        batch=args.batch,
    )
    elapsed = time.perf_counter() - t0
    import SALib

    info = {
        "kopsim_version": kopsim.__version__,
        "scenario": scen.name,
        "scenario_file": scen.source,
        "method": args.method,
        "samples": args.samples or DEFAULT_SAMPLES[args.method],
        "levels": args.levels,
        "evaluations": len(result.X) * args.replications,
        "steps": steps,
        "root_seed": seed,
        "seeding": args.seeding,
        "replications": args.replications,
        "summary": args.summary,
        "parameters": [
            {"key": f.key, "low": f.low, "high": f.high, "integer": f.integer, "log": f.log} for f in factors
        ],
        "parameters_from_targets": targets.source if targets else None,
        "survey": None
        if survey is None
        else {
            "respondents": survey.respondents,
            "cooperative": survey.cooperative,
            "response": dict(survey.response),
            "seed": "SeedSequence([run seed, 1])",
        },
        "outcomes": outcomes,
        "confidence_level": CONF_LEVEL,
        "bootstrap_resamples": BOOTSTRAP_RESAMPLES,
        "salib": getattr(SALib, "__version__", _version("SALib")),
        "wall_time_seconds": round(elapsed, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    paths = write_outputs(result, out, info)
    for note in result.notes:
        print(f"kopsim: note: {note}", file=sys.stderr)
    if not args.quiet:
        print(
            f"{args.method} sensitivity of {scen.name!r}: {len(factors)} parameters, {len(result.X)} samples x "
            f"{args.replications} replications, {steps} months, seed {seed}, {elapsed:.1f} s"
        )
        print(format_indices(result.indices, args.method))
        others = ", ".join(p.name for k, p in paths.items() if k not in ("indices", "manifest"))
        print(f"wrote {paths['indices']}, {others} and {paths['manifest'].name}")
    return 0


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"
