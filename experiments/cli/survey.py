"""``kopsim survey``: member-survey statistics of real answers, of a simulated cooperative, or published.

* ``kopsim survey FILE.csv`` — item totals, categories, answer shares and Spearman r_s of real
  answers (CSV layout: :func:`kopsim.instruments.survey_csv.load_survey_csv`; ``--template FILE`` writes an
  empty one);
* ``kopsim survey --simulate SCENARIO [--respondents 30] [--seed S] [--steps N]`` — runs the
  scenario, surveys cooperative 0 (``--cooperative``) through the response model and prints
  the same statistics, then the cooperative's PTP score and its partnership ties;
  ``--responses-out FILE`` saves the simulated answers in the CSV layout;
* ``kopsim survey --simulate SCENARIO --replicates R`` — R independent runs of the scenario in
  one vectorised batch (:mod:`kopsim.batch`), each surveyed: per item the median total, its
  90% range over the runs and the share of runs in each category, and the r_s likewise
  (``--replicates-out FILE.csv``: one row per run);
* ``kopsim survey --published mandiri_jaya`` — the bundled published figures; added to either
  of the above, the published totals, r_s and PTP are printed alongside.

Bad input prints one line ``kopsim: error: …`` and exits 2 (every error is a UsageError).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kopsim.errors import UsageError

from .argtypes import nonneg_int, pos_int
from .common import add_set_option, apply_overrides

DEFAULT_RESPONDENTS = 30
SIMULATE_ONLY = (
    "respondents",
    "steps",
    "seed",
    "survey_seed",
    "cooperative",
    "responses_out",
    "overrides",
    "replicates",
    "replicates_out",
)


def register(sub: Any) -> None:
    """Add ``kopsim survey`` to the ``kopsim`` parser."""
    p = sub.add_parser(
        "survey",
        help="member-survey statistics of a CSV of answers, a simulated cooperative or published figures",
        description="Item totals, categories (low/medium/high), answer shares and Spearman r_s between benefit "
        "and each participation domain - of real answers (FILE.csv), of a simulated cooperative "
        "(--simulate), or the bundled published figures (--published).",
    )
    p.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=None,
        help="CSV of answers: a header row with the 15 item columns (and optionally 'respondent'), "
        "one row per respondent, answers 1, 2 or 3",
    )
    p.add_argument(
        "--simulate",
        metavar="SCENARIO",
        default=None,
        help="run this scenario (name or TOML file) and survey its cooperative",
    )
    p.add_argument(
        "--respondents",
        type=pos_int,
        default=None,
        help=f"members drawn at random (default {DEFAULT_RESPONDENTS}; capped at the number of members)",
    )
    p.add_argument("--steps", type=pos_int, default=None, help="months to simulate (default: the scenario's)")
    p.add_argument("--seed", type=nonneg_int, default=None, help="seed of the run (default: the scenario's)")
    p.add_argument(
        "--survey-seed",
        type=nonneg_int,
        default=None,
        help="seed of the respondents' draw and answer noise (default: the run seed)",
    )
    p.add_argument("--cooperative", type=nonneg_int, default=None, help="cooperative surveyed (default 0)")
    add_set_option(p, "override one parameter of the scenario (repeatable)")
    p.add_argument(
        "--responses-out",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="also write the simulated answers in the CSV layout (readable by `kopsim survey FILE`)",
    )
    p.add_argument(
        "--replicates",
        type=pos_int,
        default=None,
        metavar="R",
        help="run R independent replicates of the scenario in one vectorised batch and survey each: "
        "medians, 90%% ranges and category shares over the replicates (scenarios whose "
        "interventions are all training)",
    )
    p.add_argument(
        "--replicates-out",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="with --replicates: write one row per replicate (totals, r_s, p)",
    )
    p.add_argument(
        "--published",
        default=None,
        metavar="NAME|FILE.toml",
        help="published figures: a bundled dataset (mandiri_jaya) or a TOML file of that layout",
    )
    p.add_argument(
        "--template",
        type=Path,
        default=None,
        metavar="FILE.csv",
        help="write an empty CSV template (header row) to FILE and stop",
    )
    p.set_defaults(handler=cmd_survey)


def cmd_survey(args: argparse.Namespace) -> int:
    from kopsim.instruments.published import load_published
    from kopsim.instruments.survey_analysis import analyse
    from kopsim.instruments.survey_csv import load_survey_csv, template_text

    if args.template is not None:
        if args.file is not None or args.simulate is not None or args.published is not None:
            raise UsageError("--template writes the CSV template and takes no FILE, --simulate or --published")
        if args.template.exists():
            raise UsageError(f"--template: {args.template} already exists; name a new file")
        args.template.write_text(template_text(), encoding="utf-8")
        print(f"wrote {args.template}: one row per respondent below the header, answers 1, 2 or 3")
        return 0
    if args.file is not None and args.simulate is not None:
        raise UsageError("give either a CSV file of answers or --simulate SCENARIO, not both")
    if args.simulate is None:
        for name in SIMULATE_ONLY:
            if getattr(args, name) not in (None, []):
                raise UsageError(f"--{name.replace('_', '-').replace('overrides', 'set')} applies to --simulate only")
    published = load_published(args.published) if args.published is not None else None
    if args.file is not None:
        responses = load_survey_csv(args.file)
        result = analyse(responses, source=str(args.file))
        print(f"member survey: {args.file}, {result.n} respondents")
        print(result.format(published))
    elif args.simulate is not None:
        _simulate(args, published)
    elif published is not None:
        print(published.format())
    else:
        raise UsageError(
            "name a CSV file of answers, --simulate SCENARIO or --published NAME (see `kopsim survey --help`)"
        )
    return 0


def _simulate(args: argparse.Namespace, published: Any) -> None:
    from kopsim.instruments.member_survey import survey_members, virtual_survey
    from kopsim.instruments.ptp import ptp_score
    from kopsim.instruments.relational import partnership_properties
    from kopsim.instruments.survey_analysis import analyse
    from kopsim.instruments.survey_csv import write_survey_csv
    from kopsim.model import CooperativeModel
    from kopsim.scenario import load

    scen = load(args.simulate)
    params = apply_overrides(scen.params, args.overrides)
    steps = args.steps if args.steps is not None else scen.steps
    seed = args.seed if args.seed is not None else scen.seed
    survey_seed = args.survey_seed if args.survey_seed is not None else seed
    coop = args.cooperative if args.cooperative is not None else 0
    wanted = args.respondents if args.respondents is not None else DEFAULT_RESPONDENTS
    if coop >= params.population.n_cooperatives:
        raise UsageError(
            f"--cooperative: {coop} does not exist in {scen.name!r}; allowed: 0..{params.population.n_cooperatives - 1}"
        )
    if args.replicates_out is not None and args.replicates is None:
        raise UsageError("--replicates-out needs --replicates R")
    if args.replicates is not None:
        for name in ("survey_seed", "responses_out"):
            if getattr(args, name) is not None:
                raise UsageError(f"--{name.replace('_', '-')} applies to a single run, not to --replicates")
        unbatched = sorted({iv.kind for iv in scen.interventions if not iv.batch_safe})
        if unbatched:
            raise UsageError(
                f"--replicates: scenario {scen.name!r} has {', '.join(unbatched)} interventions, which a "
                "batch of replicates does not take (they bring agents of their own); run it without --replicates"
            )
        _replicates(
            args, scen.name, params, steps, seed, coop, wanted, published, scen.interventions, scen.response_model()
        )
        return
    model = CooperativeModel(params, seed=seed, interventions=scen.interventions)
    model.run(steps)
    members = survey_members(model, coop).size
    responses = virtual_survey(model, wanted, survey_seed, coop, scen.response_model())
    result = analyse(responses)
    capped = f" (asked for {wanted}: all members surveyed)" if wanted > members else ""
    print(
        f"virtual member survey: scenario {scen.name!r}, month {steps}, run seed {seed}; cooperative {coop}: "
        f"{result.n} of {members} members{capped}, survey seed {survey_seed}"
    )
    print(result.format(published))
    if args.responses_out is not None:
        write_survey_csv(responses, args.responses_out)
        print(f"wrote the answers to {args.responses_out}")
    print()
    print(f"PTP (Penilaian Tangga Perkembangan) of cooperative {coop}:")
    print(ptp_score(model, coop).format(published))
    print()
    print(f"partnerships of cooperative {coop} (relational properties):")
    print(partnership_properties(model, coop).format())


def _replicates(
    args: argparse.Namespace,
    name: str,
    params: Any,
    steps: int,
    seed: int,
    coop: int,
    wanted: int,
    published: Any,
    interventions: Any = (),
    rm: Any = None,
) -> None:
    from kopsim import batch
    from kopsim.instruments.survey_analysis import category_bounds

    result = batch.run_and_survey(params, args.replicates, steps, seed, wanted, coop, rm, interventions)
    ok = int(result.valid.sum())
    print(
        f"virtual member surveys of {args.replicates} replicates (one vectorised batch): scenario {name!r}, "
        f"month {steps}, batch seed {seed}; cooperative {coop} of each, {wanted} respondents"
    )
    if ok < args.replicates:
        print(f"{args.replicates - ok} replicates had fewer than {wanted} members and are left out")
    if ok == 0:
        raise UsageError(f"--respondents: no replicate has {wanted} members to survey; ask fewer")
    summary = result.summary()
    head = f"{'statistic':<28}{'median':>8}{'5%':>8}{'95%':>8}   {'low':>6}{'medium':>7}{'high':>6}"
    if published:
        head += f"{'published':>11}"
    lines = [f"categories of an item total: {category_bounds(wanted).text()}; shares of replicates per category", head]
    for stat, row in summary.iterrows():
        rs = str(stat).startswith("rs_")
        fmt = "{:>8.3f}" if rs else "{:>8.1f}"  # a median of an even count can end in .5
        line = f"{stat:<28}" + "".join(fmt.format(row[c]) for c in ("median", "q_low", "q_high"))
        if not rs:
            line += f"   {row['share_low']:>6.2f}{row['share_medium']:>7.2f}{row['share_high']:>6.2f}"
        if published:
            if rs:
                dom = str(stat)[3:]
                if dom in published.spearman:
                    line += f"{'':>22}{published.spearman[dom][0]:>8.3f}"
            else:
                total = published.totals[str(stat)]
                line += f"{total:>11d} {published.bounds.category(total)}"
        lines.append(line)
    print("\n".join(line.rstrip() for line in lines))
    if args.replicates_out is not None:
        result.to_frame().to_csv(args.replicates_out)
        print(f"wrote one row per replicate to {args.replicates_out}")
