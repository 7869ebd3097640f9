"""Model choice: a Bayes factor of a model against a null model, from one ABC-SMC run with both.

``kopsim calibrate SCENARIO TARGETS --versus NULL_SCENARIO`` runs ABC-SMC over the pair (m, θ_m)
(Toni et al. 2009, J. R. Soc. Interface 6:187, section 2.3; Toni & Stumpf 2010, Bioinformatics
26:104; pyabc's multi-model ABC-SMC, https://pyabc.readthedocs.io, "Model selection"): the
models have equal prior probability ½, a proposal first draws a model from the previous
generation's model probabilities and moves it with pyabc's default model perturbation kernel
(stay with probability 0.7), then perturbs that model's parameters with the fit's kernel
(``--kernel``) fitted to that model's particles. Both models are run, surveyed and summarised the
same way (:class:`.simulator.SurveySimulator`) and judged by the same distance
(:class:`.distance.SurveyDistance` of the same targets), so the generation's common threshold ε_t
accepts each model in proportion to how often it reproduces the targets. The posterior model
probability of generation t is the sum of the normalised importance weights of its particles,

    p_t(m | D) = Σ_{i: m_i = m} w_i / Σ_i w_i,

and the Bayes factor of the model over the null (equal prior model probabilities) is the posterior
odds BF = p(model | D) / p(null | D) of the last generation (Kass & Raftery 1995, JASA 90:773:
BF > 3 is positive, > 20 strong, > 150 very strong evidence). As ε falls, the ABC Bayes factor
approaches the Bayes factor of the summary statistics (not of the full data: Robert et al. 2011,
PNAS 108:15112); it is a comparison of how well each model reproduces these targets.

**A model that dies out.** A model none of whose particles is accepted in a generation has
probability 0 there and is dropped for the rest of the run (pyabc), so its Bayes factor is not
estimable: with P particles, the smallest probability a surviving model could have had is about
one particle's share, so the result is reported as a bound, BF > (P − 1)/1 (or BF < 1/(P − 1) when
the model died), never as infinity.

**Uneven weights.** p(m | D) is a sum of importance weights, so with few effective particles
(ESS = 1/Σw² below a fifth of P: the narrow kernel with many parameters) it rests on a few heavy
particles and the Bayes factor is rough; a note says so.

**The null model's priors** are the targets file's priors, except those of parameters the null
scenario fixes: a prior parameter whose value in the null scenario differs from its value in the
model scenario (the cut link, e.g. ``participation.benefit_weight = 0``) keeps the null scenario's
value and is not fitted in the null model.

**Output** (``--out DIR``): ``model_probabilities.csv`` (one row per generation: ε, simulations,
each model's probability, the generation's effective sample size, each model's particles and
effective sample size, the Bayes factor and whether it is a bound), ``posterior_model.csv`` /
``posterior_null.csv`` (each model's particles of the last generation, weights normalised within
the model), ``posterior_summary_model.csv`` / ``posterior_summary_null.csv`` and
``manifest.json``; ``abc.db`` is pyabc's database. A comparison writes no posterior-predictive
check and no ``calibrated.toml``: fit the chosen model on its own for those.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kopsim.scenario import Scenario

from .distance import SurveyDistance
from .errors import CalibrationError, require_pyabc
from .fit import (
    DEFAULT_BUDGET,
    DEFAULT_GENERATIONS,
    DEFAULT_POPULATION,
    PARTICLES_PER_BATCH,
    abc_session,
    check_run_options,
    prior_distribution,
    run_generations,
    transition,
    without_unused_metrics,
)
from .posterior import bayes_factor, bayes_factor_text, effective_sample_size, summarise_posterior
from .sampler import budget_note
from .simulator import SurveySimulator
from .targets import Prior, Targets, check_for_run

ROLES = ("model", "null")


def fixed_by_null(model: Scenario, null: Scenario, priors: tuple[Prior, ...]) -> tuple[Prior, ...]:
    """The priors whose parameter the null scenario fixes: a value different from the model's."""
    a, b = model.params.to_dict(), null.params.to_dict()
    fixed = []
    for p in priors:
        if p.response:
            continue
        group, name = p.key.split(".", 1)
        if a[group][name] != b[group][name]:
            fixed.append(p)
    return tuple(fixed)


@dataclass
class ModelChoiceResult:
    """What :func:`run_model_choice` returns (module docstring)."""

    targets: Targets
    scenarios: tuple[Scenario, Scenario]  # (model, null)
    priors: tuple[tuple[Prior, ...], tuple[Prior, ...]]  # the fitted priors of each
    fixed: tuple[Prior, ...]  # priors of the targets that the null scenario fixes
    steps: tuple[int, int]
    probabilities: pd.DataFrame  # model_probabilities.csv
    posteriors: tuple[pd.DataFrame, pd.DataFrame]  # each model's last-generation particles (may be empty)
    summaries: tuple[pd.DataFrame, pd.DataFrame]
    population: int
    simulations_used: int
    simulations_discarded: int
    seed: int
    notes: list[str]

    @property
    def bayes_factor(self) -> tuple[float, str]:
        """(BF, relation) of the last generation (:func:`bayes_factor`)."""
        last = self.probabilities.iloc[-1]
        return bayes_factor(float(last["p_model"]), float(last["p_null"]), self.population)

    def bayes_factor_text(self) -> str:
        last = self.probabilities.iloc[-1]
        return bayes_factor_text(float(last["p_model"]), float(last["p_null"]), self.population)


def _model_posterior(particles: list[Any], m: int, priors: tuple[Prior, ...]) -> pd.DataFrame:
    rows = [
        {
            **{p.key: float(q.parameter[p.name]) for p in priors},
            "weight": float(q.weight),
            "distance": float(q.distance),
        }
        for q in particles
        if int(q.m) == m
    ]
    frame = pd.DataFrame(rows, columns=[*(p.key for p in priors), "weight", "distance"])
    if len(frame):
        frame["weight"] /= frame["weight"].sum()
    return frame


def run_model_choice(
    scenario: Scenario,
    null: Scenario,
    targets: Targets,
    budget: int = DEFAULT_BUDGET,
    population: int = DEFAULT_POPULATION,
    generations: int = DEFAULT_GENERATIONS,
    min_epsilon: float = 0.0,
    seed: int | None = None,
    out: Path | None = None,
    executor: str = "process",
    workers: int | None = None,
    dask: str | None = None,
    quiet: bool = True,
    kernel: str = "silverman",
    resume: bool = False,
    particles_per_batch: int = PARTICLES_PER_BATCH,
) -> ModelChoiceResult:
    """ABC-SMC over (model, null) and their parameters (module docstring); the options are those of
    :func:`.fit.run_calibration`, the budget counting the simulations of both models."""
    import logging

    pyabc = require_pyabc()
    check_run_options(budget, population, generations, kernel)
    seed = scenario.seed if seed is None else seed
    fixed = fixed_by_null(scenario, null, targets.priors)
    priors = (targets.priors, tuple(p for p in targets.priors if p not in fixed))
    if not priors[1]:
        raise CalibrationError(
            f"--versus: {null.name!r} fixes every parameter that has a prior in {targets.source}; "
            "allowed: a null scenario that leaves at least one of them to fit"
        )
    pair = (scenario, null)
    sims, steps = [], []
    for scen, ps, role in zip(pair, priors, ROLES, strict=True):
        n_steps = targets.steps if targets.steps is not None else scen.steps
        if targets.cooperative >= scen.params.population.n_cooperatives:
            raise CalibrationError(
                f"{targets.source}: targets.cooperative: {targets.cooperative} does not exist in {scen.name!r} "
                f"(the {role} scenario)"
            )
        check_for_run(targets, scen.params, tuple(scen.interventions), n_steps)
        sims.append(
            SurveySimulator(
                without_unused_metrics(scen.params, targets),
                tuple(scen.interventions),
                n_steps,
                targets.respondents,
                targets.cooperative,
                ps,
                dict(targets.response),
                targets.model_targets,
            )
        )
        steps.append(n_steps)
    names = (scenario.name, null.name if null.name != scenario.name else f"{null.name} (null)")
    distance = SurveyDistance(targets.fitted)
    for name in ("ABC", "pyabc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    log = (lambda msg: None) if quiet else (lambda msg: print(f"kopsim: {msg}", file=sys.stderr, flush=True))
    if fixed:
        log(
            f"null model {names[1]!r}: not fitted (fixed by its scenario): "
            + ", ".join(f"{p.key} = {_value(null, p)}" for p in fixed)
        )
    with abc_session(
        pyabc, seed, out, resume, executor, workers, dask, budget, log, names, chunk=particles_per_batch
    ) as session:
        sampler, done_generations, done_simulations = (
            session.sampler,
            session.done_generations,
            session.done_simulations,
        )
        abc = pyabc.ABCSMC(
            [pyabc.FunctionModel(sim, name=name) for sim, name in zip(sims, names, strict=True)],
            [prior_distribution(pyabc, ps) for ps in priors],
            pyabc.distance.FunctionDistance(distance),
            population_size=population,
            sampler=sampler,
            transitions=[transition(pyabc, kernel, ps) for ps in priors],
        )
        history = run_generations(
            abc,
            session.url,
            targets,
            resume,
            generations - done_generations,
            budget > done_simulations,
            min_epsilon,
            budget,
        )
        table = probabilities_table(history, population)
        walls = {g["t"]: g["seconds"] for g in sampler.generations}
        table["wall_seconds"] = [walls.get(int(t), float("nan")) for t in table["t"]]
        final = history.get_population(t=history.max_t).particles
        posteriors = (_model_posterior(final, 0, priors[0]), _model_posterior(final, 1, priors[1]))
        summaries = tuple(
            summarise_posterior(post, ps) if len(post) else pd.DataFrame()
            for post, ps in zip(posteriors, priors, strict=True)
        )
        notes = []
        for role, name, post in zip(ROLES, names, posteriors, strict=True):
            if not len(post):
                died = table.loc[table[f"particles_{role}"] == 0, "t"]
                notes.append(
                    f"the {role} ({name}) died out in generation {int(died.iloc[0])}: no particle of {population} "
                    "is left, so the Bayes factor is a bound from the population size, not an estimate"
                )
        last = table.iloc[-1]
        if last["ess"] < 0.2 * population:
            notes.append(
                f"the last generation's effective sample size is {last['ess']:.1f} of {population} particles: the "
                "model probabilities, and so the Bayes factor, rest on a few heavy weights and are rough "
                "(--kernel beaumont and a larger --budget help)"
            )
        for role, name in zip(ROLES, names, strict=True):
            n, ess = int(last[f"particles_{role}"]), float(last[f"ess_{role}"])
            if n and ess < 0.2 * n:
                notes.append(
                    f"the {role}'s ({name}) particles in the last generation have an effective sample size of "
                    f"{ess:.1f} of {n}: its probability, and so the Bayes factor, rests on a few heavy weights "
                    "(--kernel beaumont and a larger --budget help)"
                )
        cut = budget_note(sampler.generations, history.max_t, "result")
        if cut:
            notes.append(cut)
        return ModelChoiceResult(
            targets=targets,
            scenarios=pair,
            priors=priors,
            fixed=fixed,
            steps=(steps[0], steps[1]),
            probabilities=table,
            posteriors=posteriors,
            summaries=(summaries[0], summaries[1]),
            population=population,
            simulations_used=done_simulations + sampler.used,
            simulations_discarded=sampler.discarded,
            seed=seed,
            notes=notes,
        )


def _value(scen: Scenario, p: Prior) -> Any:
    group, name = p.key.split(".", 1)
    return scen.params.to_dict()[group][name]


def probabilities_table(history: Any, population: int) -> pd.DataFrame:
    """One row per generation t: ε, simulations, p_model, p_null (pyabc's
    ``History.get_model_probabilities``), the effective sample size of the generation (``ess``,
    1/Σw² of the normalised weights), particles and ESS of each model, and the Bayes factor
    (``bayes_factor``, ``bayes_factor_relation``: ``=`` an estimate, ``>`` / ``<`` a bound because a
    model died out)."""
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    probs = history.get_model_probabilities()
    rows = []
    for _, g in pops.iterrows():
        t = int(g["t"])
        row: dict[str, Any] = {"t": t, "epsilon": float(g["epsilon"]), "simulations": int(g["samples"])}
        for m, role in enumerate(ROLES):
            row[f"p_{role}"] = float(probs.loc[t, m]) if m in probs.columns and t in probs.index else 0.0
        weights = np.array([float(q.weight) for q in history.get_population(t=t).particles])
        row["ess"] = effective_sample_size(weights)  # of the whole generation, both models
        sizes = [history.get_distribution(m=m, t=t) for m in range(len(ROLES))]
        for (frame, _), role in zip(sizes, ROLES, strict=True):
            row[f"particles_{role}"] = len(frame)
        for (frame, w), role in zip(sizes, ROLES, strict=True):
            row[f"ess_{role}"] = effective_sample_size(w) if len(frame) else 0.0
        row["bayes_factor"], row["bayes_factor_relation"] = bayes_factor(row["p_model"], row["p_null"], population)
        rows.append(row)
    return pd.DataFrame(rows)


def format_model_choice(result: ModelChoiceResult) -> str:
    """The printed summary: model probabilities by generation, the Bayes factor, each model's posterior."""
    names = [s.name for s in result.scenarios]
    lines = [f"{'t':>3}{'epsilon':>11}{'simulations':>13}{'p(model)':>10}{'p(null)':>9}{'particles':>12}  BF"]
    for _, r in result.probabilities.iterrows():
        bf = bayes_factor_text(r["p_model"], r["p_null"], result.population).split(" (")[0]
        lines.append(
            f"{int(r['t']):>3}{r['epsilon']:>11.4g}{int(r['simulations']):>13}{r['p_model']:>10.3f}{r['p_null']:>9.3f}"
            f"{int(r['particles_model']):>6}/{int(r['particles_null']):<5}  {bf}"
        )
    lines.append("")
    lines.append(
        f"Bayes factor, model {names[0]!r} over null {names[1]!r} (last generation, equal prior model "
        f"probabilities): {result.bayes_factor_text()}"
    )
    for role, name, summary in zip(ROLES, names, result.summaries, strict=True):
        if not len(summary):
            continue
        lines.append("")
        lines.append(f"posterior of the {role} ({name}), last generation:")
        lines.append(f"  {'parameter':<40}{'median':>10}{'5%':>10}{'95%':>10}  prior")
        for _, r in summary.iterrows():
            lines.append(f"  {r['parameter']:<40}{r['median']:>10.4g}{r['q05']:>10.4g}{r['q95']:>10.4g}  {r['prior']}")
    return "\n".join(lines)


def write_model_choice(result: ModelChoiceResult, out: Path, info: dict[str, Any]) -> dict[str, Path]:
    """model_probabilities.csv, posterior_{model,null}.csv, posterior_summary_{model,null}.csv and
    manifest.json in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {"model_probabilities": out / "model_probabilities.csv"}
    result.probabilities.to_csv(paths["model_probabilities"], index=False)
    for role, post, summary in zip(ROLES, result.posteriors, result.summaries, strict=True):
        paths[f"posterior_{role}"] = out / f"posterior_{role}.csv"
        post.to_csv(paths[f"posterior_{role}"], index_label="particle")
        paths[f"posterior_summary_{role}"] = out / f"posterior_summary_{role}.csv"
        summary.to_csv(paths[f"posterior_summary_{role}"], index=False)
    paths["database"] = out / "abc.db"
    paths["manifest"] = out / "manifest.json"
    value, relation = result.bayes_factor
    last = result.probabilities.iloc[-1]
    manifest = {
        **info,
        "model_choice": {
            "method": "ABC-SMC model choice (Toni et al. 2009; pyabc), equal prior model probabilities, "
            "pyabc's default model perturbation kernel (probability to stay 0.7)",
            "model": {"scenario": result.scenarios[0].name, "priors": [p.key for p in result.priors[0]]},
            "null": {
                "scenario": result.scenarios[1].name,
                "priors": [p.key for p in result.priors[1]],
                "fixed": {p.key: _value(result.scenarios[1], p) for p in result.fixed},
            },
            "p_model": float(last["p_model"]),
            "p_null": float(last["p_null"]),
            "bayes_factor": value,
            "bayes_factor_relation": relation,
            "bayes_factor_text": result.bayes_factor_text(),
            "population": result.population,
        },
        "files": {k: p.name for k, p in paths.items()},
        "notes": result.notes,
    }
    paths["manifest"].write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return paths


__all__ = [
    "ROLES",
    "ModelChoiceResult",
    "bayes_factor",
    "bayes_factor_text",
    "fixed_by_null",
    "format_model_choice",
    "probabilities_table",
    "run_model_choice",
    "write_model_choice",
]
