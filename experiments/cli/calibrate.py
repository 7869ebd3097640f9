"""``kopsim calibrate``: fit scenario parameters to survey statistics by ABC-SMC (pyabc);
``kopsim validate-fit``: a fit's predictive range beside the targets of any targets file."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from .argtypes import nonneg_int, pos_int
from .common import add_execution_options

# Choices and defaults of the options, kept here so that building the parser does not import
# kopsim.experiments.calibration (pandas; that module is being moved). They must equal its
# DEFAULT_BUDGET, DEFAULT_POPULATION, DEFAULT_GENERATIONS, DEFAULT_PPC_DRAWS, POINTS,
# KERNELS and PARTICLES_PER_BATCH (tests/test_cli_startup.py checks this).
DEFAULT_BUDGET = 2000
DEFAULT_POPULATION = 200
DEFAULT_GENERATIONS = 20
DEFAULT_PPC_DRAWS = 200
POINTS = ("best", "mode", "median")
KERNELS = ("silverman", "beaumont", "wide")
PARTICLES_PER_BATCH = 16
DEFAULT_VALIDATE_DRAWS = 200  # = calibration.validate.DEFAULT_DRAWS


def register(sub: Any) -> None:
    """Add ``kopsim calibrate`` to the ``kopsim`` parser."""
    p = sub.add_parser(
        "calibrate",
        help="fit scenario parameters to member-survey statistics by ABC-SMC (pyabc)",
        description="Fit the parameters named in the [priors] of a targets file to the survey statistics it "
        "states (item totals, categories, Spearman r_s, answer shares) by ABC-SMC, with distances "
        "that respect the sample size. Writes posterior samples, a posterior-predictive table, "
        "figures and a calibrated scenario file. Needs kopsim[calibration] (pyabc).",
    )
    p.add_argument("scenario", help="shipped scenario name or scenario TOML file")
    p.add_argument("targets", help="targets TOML file or a shipped one (mandiri_jaya)")
    p.add_argument(
        "--budget",
        type=pos_int,
        default=DEFAULT_BUDGET,
        help=f"at most this many simulations in all (default {DEFAULT_BUDGET})",
    )
    p.add_argument(
        "--population",
        type=pos_int,
        default=DEFAULT_POPULATION,
        help=f"particles per generation (default {DEFAULT_POPULATION})",
    )
    p.add_argument(
        "--generations",
        type=pos_int,
        default=DEFAULT_GENERATIONS,
        help=f"at most this many generations (default {DEFAULT_GENERATIONS})",
    )
    p.add_argument("--min-epsilon", type=float, default=0.0, help="stop when the threshold reaches this (default 0)")
    p.add_argument(
        "--ppc-draws",
        type=pos_int,
        default=None,  # DEFAULT_PPC_DRAWS; None tells an explicit --ppc-draws apart (refused with --versus)
        help=f"posterior-predictive surveys (default {DEFAULT_PPC_DRAWS})",
    )
    p.add_argument(
        "--point",
        choices=POINTS,
        default=None,  # "best"; None tells an explicit --point apart (refused with --versus)
        help="parameter set written to calibrated.toml: best (default: of the medians and the 8 densest "
        "particles, the one with the smallest mean distance over 25 new runs), mode or median",
    )
    p.add_argument(
        "--kernel",
        choices=KERNELS,
        default="silverman",
        help="ABC-SMC perturbation kernel: N(particle, c * weighted covariance) with c from Silverman's "
        "rule (silverman, pyabc's default), c = 2 (beaumont: wider, even weights, needs more "
        "simulations) or c = 3 (wide: evener weights still, fewer acceptances)",
    )
    p.add_argument("--seed", type=nonneg_int, default=None, help="root seed (default: the scenario's)")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default: kopsim-results/calibrate-<scenario>-seed<seed>)",
    )
    p.add_argument(
        "--from-survey",
        default=None,
        metavar="ANSWERS.csv|PUBLISHED",
        help="write TARGETS from a CSV of answers or published figures (mandiri_jaya) and stop",
    )
    p.add_argument(
        "--hold-out",
        action="append",
        default=[],
        metavar="LABEL",
        help="predict this target instead of fitting it (a label such as rs.capital or series.members, "
        "or a prefix of labels); repeat for more; adds to the targets file's held_out",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue the fit stored in OUT/abc.db (interrupted, or with more --generations or --budget)",
    )
    p.add_argument(
        "--versus",
        default=None,
        metavar="NULL_SCENARIO",
        help="model choice: fit SCENARIO and this null scenario in one ABC-SMC run to the same targets "
        "and report the Bayes factor p(SCENARIO)/p(NULL_SCENARIO) per generation "
        "(model_probabilities.csv); the null's priors are the targets' priors minus the parameters "
        "it sets to other values. Writes no --point or --ppc-draws outputs",
    )
    add_execution_options(p, dask_help="run on Dask", quiet_help="no progress or summary")
    p.add_argument(
        "--particles-per-batch",
        type=pos_int,
        default=PARTICLES_PER_BATCH,
        metavar="N",
        help=f"run up to N particles' models as one batch of worlds (default {PARTICLES_PER_BATCH}; the same "
        "particles as one by one, fewer model calls; 1 = one by one)",
    )
    p.set_defaults(handler=cmd_calibrate)
    register_validate(sub)


def register_validate(sub: Any) -> None:
    """Add ``kopsim validate-fit`` to the ``kopsim`` parser."""
    p = sub.add_parser(
        "validate-fit",
        help="set each target of any targets file beside a fit's predictive 90%% range",
        description="Simulate the fitted scenario of FIT_DIR (the --out directory of kopsim calibrate) and set "
        "each target of TARGETS beside the median and 5%-95% range of the simulated statistic, marking "
        "the targets the fit used apart from new ones. Prints the table and a tally and writes "
        "validation.csv, validation.html and validation.json.",
    )
    p.add_argument(
        "fit_dir", type=Path, metavar="FIT_DIR", help="the output directory of kopsim calibrate (with calibrated.toml)"
    )
    p.add_argument(
        "targets", metavar="TARGETS", help="targets TOML file or a shipped one (mandiri_jaya); [priors] are not needed"
    )
    p.add_argument(
        "--draws",
        type=int,
        default=DEFAULT_VALIDATE_DRAWS,
        help=f"simulated runs and surveys, at least 2 (default {DEFAULT_VALIDATE_DRAWS})",
    )
    p.add_argument(
        "--posterior",
        action="store_true",
        help="draw each run's parameters from FIT_DIR/posterior.csv by weight (the posterior predictive); "
        "default: the calibrated point with new seeds",
    )
    p.add_argument("--seed", type=nonneg_int, default=None, help="root seed (default: the calibrated scenario's)")
    add_execution_options(
        p,
        out_help="output directory (default: FIT_DIR/validation-<targets stem>)",
        dask_help="run on Dask",
        quiet_help="print the tally only",
    )
    p.set_defaults(handler=cmd_validate_fit)


def validate_command_line(args: argparse.Namespace, seed: int, out: Path) -> str:
    """The command that reproduces a validation."""
    parts = ["kopsim", "validate-fit", str(args.fit_dir), str(args.targets), "--draws", str(args.draws)]
    if args.posterior:
        parts.append("--posterior")
    parts += ["--seed", str(seed)]
    parts += ["--dask", args.dask] if args.dask else ["--executor", args.executor]
    if args.workers:
        parts += ["--workers", str(args.workers)]
    return " ".join([*parts, "--out", str(out)])


def cmd_validate_fit(args: argparse.Namespace) -> int:
    from kopsim.experiments.calibration import CalibrationError
    from kopsim.experiments.calibration.validate import format_table, validate_fit, write_validation

    if args.draws < 2:
        raise CalibrationError(f"--draws: {args.draws} is too few; use a whole number >= 2")
    t0 = time.perf_counter()
    v = validate_fit(
        args.fit_dir, args.targets, args.draws, args.seed, args.posterior, args.executor, args.workers, args.dask
    )
    elapsed = time.perf_counter() - t0
    out = args.out or args.fit_dir / f"validation-{Path(v.targets.source).stem}"
    paths = write_validation(v, out, validate_command_line(args, v.seed, out), elapsed)
    for note in v.notes:
        print(f"kopsim: note: {note}", file=sys.stderr)
    if not args.quiet:
        print(f"validated {args.fit_dir} on {v.targets.source}: {v.what}, seed {v.seed}, {elapsed:.1f} s")
        print(format_table(v))
    print(v.tally())
    if not args.quiet:
        print(f"wrote {paths['csv'].name}, {paths['html'].name} and {paths['json'].name} in {out}")
    return 0


def command_line(args: argparse.Namespace, seed: int, out: Path) -> str:
    """The command that reproduces a fit (every option that matters spelled out)."""
    parts = [
        "kopsim",
        "calibrate",
        args.scenario,
        args.targets,
        "--budget",
        str(args.budget),
        "--population",
        str(args.population),
        "--generations",
        str(args.generations),
        "--seed",
        str(seed),
    ]
    if args.min_epsilon:
        parts += ["--min-epsilon", f"{args.min_epsilon:g}"]
    if args.versus is None:
        parts += ["--ppc-draws", str(args.ppc_draws), "--point", args.point, "--kernel", args.kernel]
    else:
        parts += ["--kernel", args.kernel, "--versus", args.versus]
    if args.dask:
        parts += ["--dask", args.dask]
    else:
        parts += ["--executor", args.executor]
    if args.workers:
        parts += ["--workers", str(args.workers)]
    for label in args.hold_out:
        parts += ["--hold-out", label]
    parts += ["--out", str(out)]
    return " ".join(parts)


def cmd_calibrate(args: argparse.Namespace) -> int:
    import kopsim
    from kopsim.experiments.calibration import (
        format_summary,
        load_targets,
        require_pyabc,
        run_calibration,
        write_outputs,
    )
    from kopsim.scenario import load

    if args.versus is not None:
        check_versus_options(args)
    if args.from_survey is not None:
        return _write_targets(args)
    args.point = "best" if args.point is None else args.point
    args.ppc_draws = DEFAULT_PPC_DRAWS if args.ppc_draws is None else args.ppc_draws
    require_pyabc()
    scen = load(args.scenario)
    targets = load_targets(args.targets, scen.params)
    if args.hold_out:
        targets = targets.hold_out(args.hold_out)
    seed = args.seed if args.seed is not None else scen.seed
    if args.versus is not None:
        return _compare(args, scen, targets, seed)
    out = args.out or Path("kopsim-results") / f"calibrate-{scen.name}-seed{seed}"
    command = command_line(args, seed, out)
    t0 = time.perf_counter()
    result = run_calibration(
        scen,
        targets,
        args.budget,
        args.population,
        args.generations,
        args.min_epsilon,
        seed,
        args.ppc_draws,
        out,
        args.executor,
        args.workers,
        args.dask,
        args.quiet,
        args.point,
        args.kernel,
        resume=args.resume,
        particles_per_batch=args.particles_per_batch,
    )
    elapsed = time.perf_counter() - t0
    import pyabc

    inside = result.ppc["inside"].astype(bool)
    point_inside = result.ppc["point_inside"].astype(bool)
    info = {
        "command": command,
        "kopsim_version": kopsim.__version__,
        "pyabc": pyabc.__version__,
        "scenario": scen.name,
        "scenario_file": os.path.abspath(scen.source),
        "targets_file": targets.source,
        "targets_sha256": targets.sha256(),
        "held_out": list(targets.held_out),
        "respondents": targets.respondents,
        "steps": result.steps,
        "cooperative": targets.cooperative,
        "root_seed": seed,
        "budget": args.budget,
        "population": args.population,
        "generations_max": args.generations,
        "min_epsilon": args.min_epsilon,
        "generations": len(result.populations),
        "simulations_used": result.simulations_used,
        "final_ess": result.populations["ess"].iloc[-1] if len(result.populations) else None,
        "simulations_discarded": result.simulations_discarded,
        "epsilons": result.populations["epsilon"].tolist(),
        "ppc_draws": args.ppc_draws,
        "executor": "dask" if args.dask else args.executor,
        "workers": args.workers,
        "priors": [
            {"key": p.key, "low": p.low, "high": p.high, "scale": p.scale, "integer": p.integer} for p in targets.priors
        ],
        "response_fixed": targets.response,
        "posterior": result.summary.drop(columns=["prior"]).to_dict(orient="records"),
        "point_method": args.point,
        "point": result.point,
        "kernel": args.kernel,
        "ppc_inside": f"{int(inside.sum())} of {len(inside)}",
        "point_inside": f"{int(point_inside.sum())} of {len(point_inside)}",
        "wall_time_seconds": round(elapsed, 1),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    paths = write_outputs(result, out, info, command)
    for note in result.notes:
        print(f"kopsim: note: {note}", file=sys.stderr)
    if not args.quiet:
        print(
            f"calibrated {scen.name!r} to {targets.source}: {len(result.populations)} generations, "
            f"{result.simulations_used} simulations, seed {seed}, {elapsed:.1f} s"
        )
        print(format_summary(result))
        print(
            f"inside the 90% interval (a category: the median total's category is the observed one): "
            f"{int(inside.sum())} of {len(inside)} targets for the posterior predictive, "
            f"{int(point_inside.sum())} of {len(point_inside)} for the calibrated point"
        )
        print(
            f"wrote {paths['calibrated']} (`kopsim run {paths['calibrated']}`), posterior.csv, ppc.csv, "
            f"posterior.png, ppc.png and manifest.json in {out}"
        )
    return 0


# Options of one fit that a model comparison (--versus) has no use for: it writes no posterior-
# predictive check and no calibrated point (fit the chosen model on its own for those).
VERSUS_REFUSED = {"from_survey": "--from-survey", "point": "--point", "ppc_draws": "--ppc-draws"}
VERSUS_ALLOWED = (
    "--budget, --population, --generations, --min-epsilon, --kernel, --seed, --out, --hold-out, --resume, "
    "--executor, --workers, --dask, --quiet"
)


def check_versus_options(args: argparse.Namespace) -> None:
    """One line naming the option given with --versus that a comparison does not use, and the allowed ones."""
    from kopsim.experiments.calibration import CalibrationError

    for attr, option in VERSUS_REFUSED.items():
        if getattr(args, attr) is not None:
            raise CalibrationError(
                f"--versus: {option} is not used by a model comparison (it writes no posterior-predictive "
                f"check or calibrated point; fit the chosen model alone for those); allowed with --versus: "
                f"{VERSUS_ALLOWED}"
            )


def _compare(args: argparse.Namespace, scen: Any, targets: Any, seed: int) -> int:
    """``kopsim calibrate SCENARIO TARGETS --versus NULL_SCENARIO``: model choice (a Bayes factor)."""
    import kopsim
    from kopsim.experiments.calibration import (
        CalibrationError,
        format_model_choice,
        run_model_choice,
        write_model_choice,
    )
    from kopsim.scenario import ScenarioError, load

    try:
        null = load(args.versus)
    except ScenarioError as e:
        raise CalibrationError(f"--versus: {e}") from None
    out = args.out or Path("kopsim-results") / f"calibrate-{scen.name}-versus-{null.name}-seed{seed}"
    command = command_line(args, seed, out)
    t0 = time.perf_counter()
    result = run_model_choice(
        scen,
        null,
        targets,
        args.budget,
        args.population,
        args.generations,
        args.min_epsilon,
        seed,
        out,
        args.executor,
        args.workers,
        args.dask,
        args.quiet,
        args.kernel,
        resume=args.resume,
        particles_per_batch=args.particles_per_batch,
    )
    elapsed = time.perf_counter() - t0
    import pyabc

    info = {
        "command": command,
        "kopsim_version": kopsim.__version__,
        "pyabc": pyabc.__version__,
        "scenario": scen.name,
        "scenario_file": os.path.abspath(scen.source),
        "null_scenario": null.name,
        "null_scenario_file": os.path.abspath(null.source),
        "targets_file": targets.source,
        "targets_sha256": targets.sha256(),
        "held_out": list(targets.held_out),
        "respondents": targets.respondents,
        "steps": list(result.steps),
        "cooperative": targets.cooperative,
        "root_seed": seed,
        "budget": args.budget,
        "population": args.population,
        "generations_max": args.generations,
        "min_epsilon": args.min_epsilon,
        "generations": len(result.probabilities),
        "simulations_used": result.simulations_used,
        "simulations_discarded": result.simulations_discarded,
        "epsilons": result.probabilities["epsilon"].tolist(),
        "executor": "dask" if args.dask else args.executor,
        "workers": args.workers,
        "kernel": args.kernel,
        "wall_time_seconds": round(elapsed, 1),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    paths = write_model_choice(result, out, info)
    for note in result.notes:
        print(f"kopsim: note: {note}", file=sys.stderr)
    if not args.quiet:
        print(
            f"compared {scen.name!r} with the null {null.name!r} on {targets.source}: "
            f"{len(result.probabilities)} generations, {result.simulations_used} simulations, seed {seed}, "
            f"{elapsed:.1f} s"
        )
        print(format_model_choice(result))
        print(f"wrote {', '.join(p.name for p in paths.values())} in {out}")
    else:
        print(f"Bayes factor {scen.name} / {null.name}: {result.bayes_factor_text()}")
    return 0


def _write_targets(args: argparse.Namespace) -> int:
    from kopsim.experiments.calibration import CalibrationError, targets_toml
    from kopsim.instruments.published import load_published
    from kopsim.instruments.survey_analysis import analyse
    from kopsim.instruments.survey_csv import load_survey_csv

    src = args.from_survey
    dest = Path(args.targets)
    if dest.exists():
        raise CalibrationError(f"{dest} already exists; --from-survey writes a new targets file")
    if src.lower().endswith(".csv"):
        result: Any = analyse(load_survey_csv(src), source=src)
    else:
        result = load_published(src)
    dest.write_text(targets_toml(result, src), encoding="utf-8")
    print(f"wrote {dest}: edit its [priors], then `kopsim calibrate {args.scenario} {dest}`")
    return 0
