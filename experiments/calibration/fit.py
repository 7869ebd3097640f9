"""The fit: ABC-SMC of the priors of a targets file, then the posterior predictive.

**ABC-SMC** (Toni et al. 2009; Beaumont et al. 2009; pyabc: Schälte et al. 2022): a prior
calibration sample of P particles sets the first threshold ε₀ (median distance), each
generation accepts P particles with D ≤ ε_t, perturbed from the previous generation by a
multivariate normal kernel (pyabc's default: the weighted covariance of the population, scaled
by Silverman's rule) and weighted by prior / proposal, and ε_{t+1} is the median accepted
distance. ``populations.csv`` gives each generation's
effective sample size ESS = 1/Σw² (weights normalised); a final ESS below a fifth of P is
reported as a note (the posterior then rests on few particles: raise the budget). It stops
after ``--generations`` generations, at ``--min-epsilon``, or when ``--budget`` simulations
are used: the generation that would need more is abandoned and the last complete one is the
posterior (so no more than the budget is spent). A generation is not started when the budget left
is smaller than what the previous one needed (acceptance falls as ε falls), so the end of a fit
does not spend its last simulations on a generation it cannot finish.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kopsim.parameters import Parameters
from kopsim.scenario import Scenario

from .distance import SurveyDistance
from .errors import CalibrationError, require_pyabc
from .posterior import (
    BEST_CANDIDATES,
    BEST_RUNS,
    POINTS,
    best_point,
    effective_sample_size,
    point_estimate,
    summarise_posterior,
)
from .predictive import point_predictive_draws, posterior_predictive_draws, ppc_table
from .sampler import budget_note, make_sampler
from .simulator import INVALID, SurveySimulator
from .targets import Prior, Targets, check_for_run

DEFAULT_BUDGET = 2000
DEFAULT_POPULATION = 200
DEFAULT_GENERATIONS = 20
DEFAULT_PPC_DRAWS = 200
# Perturbation kernels of ABC-SMC: a multivariate normal around each particle with the
# previous generation's weighted covariance Σ times a factor.
KERNELS = ("silverman", "beaumont", "wide")
KERNEL_SCALING = {"beaumont": 2.0, "wide": 3.0}  # c of the fixed-factor kernels
# The costly network metrics (metrics.network_every / centrality_every), NaN between their months.
NETWORK_METRICS = ("clustering", "board_betweenness")


@dataclass
class CalibrationResult:
    """What :func:`run_calibration` returns: the posterior, the PPC and the run's bookkeeping."""

    targets: Targets
    scenario: Scenario
    steps: int
    posterior: pd.DataFrame  # one row per particle: prior keys, weight, distance
    summary: pd.DataFrame  # one row per prior: median, q05, q95, mean
    ppc: pd.DataFrame  # one row per target (posterior predictive, then the point's columns)
    ppc_draws: pd.DataFrame  # the statistics of every posterior-predictive survey
    point: dict[str, float | int]  # the parameter values written to calibrated.toml
    point_method: str  # "mode" or "median"
    point_draws: pd.DataFrame  # the statistics of the surveys of the point's runs
    candidates: pd.DataFrame  # --point best: the candidates and their mean distances
    populations: pd.DataFrame  # per generation: epsilon, particles, simulations
    simulations_used: int
    simulations_discarded: int
    seed: int
    notes: list[str]


def missing_notes(ppc: pd.DataFrame) -> list[str]:
    """One note per statistic that was undefined in some posterior-predictive runs (``missing`` > 0):
    its term was dropped from those runs' distances and D rescaled (:mod:`.distance`)."""
    worst: dict[str, float] = {}
    for _, row in ppc.iterrows():
        share = float(row.get("missing", 0.0) or 0.0)
        # the cells of a share or trust target are one term: one note per target
        name = ".".join(row["statistic"].split(".")[:2]) if row["kind"] in ("share", "trust") else row["statistic"]
        if share > 0:
            worst[name] = max(worst.get(name, 0.0), share)
    return [
        f"{name} was undefined in {share:.0%} of the posterior-predictive runs; "
        "there its term is left out of the distance and D rescaled to the defined terms"
        for name, share in worst.items()
    ]


def without_unused_metrics(params: Parameters, targets: Targets) -> Parameters:
    """``params`` with the costly network metrics off unless a series target or a prior names one.

    They do not feed back into the model, so skipping them only saves time (a series target that
    names one keeps them on their schedule, missing in the months between)."""
    network_targets = any(t.kind == "series" and t.key in NETWORK_METRICS for t in targets.targets)
    if network_targets or any(p.key.startswith("metrics.") for p in targets.priors):
        return params
    return params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})


def check_run_options(budget: int, population: int, generations: int, kernel: str) -> None:
    """The options every ABC-SMC run shares (one fit or a model comparison); :class:`CalibrationError`
    naming the option and what is allowed otherwise."""
    if population < 2:
        raise CalibrationError(f"--population: {population} is too small; use at least 2")
    if budget < 3 * population:
        raise CalibrationError(
            f"--budget: {budget} is too small for --population {population}; the prior "
            f"calibration sample and the first generation need about {3 * population}"
        )
    if generations < 1:
        raise CalibrationError(f"--generations: {generations} is not allowed; use a whole number >= 1")
    if kernel not in KERNELS:
        raise CalibrationError(f"--kernel: {kernel!r} is not a kernel; allowed: {', '.join(KERNELS)}")


def prior_distribution(pyabc: Any, priors: Sequence[Prior]) -> Any:
    """pyabc's prior: independent uniform (or log-uniform) distributions on [low, high]."""
    rv = {
        p.name: (
            pyabc.RV("loguniform", p.low, p.high) if p.scale == "log" else pyabc.RV("uniform", p.low, p.high - p.low)
        )
        for p in priors
    }
    return pyabc.Distribution(**rv)


def database_path(out: Path | None, resume: bool) -> tuple[Path, Any]:
    """pyabc's database: ``out / "abc.db"`` (or in a temporary directory, returned second to be
    cleaned up, when ``out`` is None). An existing database is an error unless ``resume``, and
    ``resume`` without one is an error."""
    import tempfile

    tmp = None
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="kopsim-abc-")
        db_path = Path(tmp.name) / "abc.db"
    else:
        out.mkdir(parents=True, exist_ok=True)
        db_path = out / "abc.db"
        if db_path.exists() and not resume:  # an earlier fit's history: never overwritten without being asked
            raise CalibrationError(
                f"{db_path}: the database of an earlier fit is there; continue it with "
                "--resume, choose another --out, or delete it to fit again"
            )
    if resume and not db_path.exists():
        raise CalibrationError(f"--resume: {db_path} does not exist; there is no fit to continue")
    return db_path, tmp


def stored_progress(pyabc: Any, url: str, db_path: Path, models: int, log: Any) -> tuple[int, int]:
    """(generations, simulations) stored in the database of the fit to resume, which must have been
    run with as many models (1: a fit; 2: a model comparison, ``--versus``)."""
    stored = pyabc.History(url)
    found = len(stored.model_names())
    if found != models:
        what = "a model comparison (--versus)" if found > 1 else "a fit of one model"
        hint = "with --versus NULL_SCENARIO" if found > 1 else "without --versus"
        raise CalibrationError(f"--resume: {db_path} holds {what}; resume it {hint}")
    done_generations = stored.max_t + 1
    done_simulations = int(stored.total_nr_simulations)
    log(f"resuming {db_path}: {done_generations} generations and {done_simulations} simulations stored")
    return done_generations, done_simulations


def _unit_bandwidth(n: float, d: int) -> float:
    return 1.0


# Shrinkage of the kernel's covariance toward its diagonal: Σ' = Σ + λ·diag(Σ). With few effective
# particles (ESS below the number of parameters) the weighted covariance is singular; scipy then
# gives a proposal density of 0 off its support and pyabc a weight prior/0 = inf, and the
# generation's weights cannot be normalised (it failed so with 18 parameters). λ = 1e-3 keeps the
# kernel's shape while making it positive definite.
KERNEL_RIDGE = 1e-3
KERNEL_FLOOR = 1e-2  # and at least (1% of the prior's width)² on the diagonal
PROPOSAL_BATCH = 512  # candidates drawn at once by the kernel, the first inside the prior kept
_RIDGED: dict[int, type] = {}


def _ridged_transition(pyabc: Any) -> type:
    """pyabc's MultivariateNormalTransition with the covariance made positive definite (KERNEL_RIDGE)."""
    if id(pyabc) not in _RIDGED:
        import scipy.stats as st

        class RidgedTransition(pyabc.MultivariateNormalTransition):  # type: ignore[name-defined,misc,unused-ignore]
            box: dict[str, tuple[float, float]] | None = None  # pyabc name -> the prior's [low, high]

            def fit(self, X: Any, w: np.ndarray) -> None:
                super().fit(X, w)
                box = self.box or {}
                bounds = np.array([box.get(c, (-np.inf, np.inf)) for c in X.columns], dtype=float)
                self._low, self._high = bounds[:, 0], bounds[:, 1]
                # an absolute floor from the prior's width: a population of one particle (a model
                # nearly dead in a model comparison) has Σ = 0, which no relative ridge can mend
                width = np.where(np.isfinite(self._high - self._low), self._high - self._low, 0.0)
                floor = np.diag((KERNEL_FLOOR * width) ** 2)
                self.cov = self.cov + KERNEL_RIDGE * np.diag(np.diag(self.cov)) + floor  # type: ignore[has-type,unused-ignore]
                self.normal = st.multivariate_normal(cov=self.cov, allow_singular=True)
                self._chol = np.linalg.cholesky(self.cov)

            def rvs_single(self) -> Any:
                # pyabc redraws a proposal outside the prior, one draw at a time (~0.5 ms each, with a
                # new factorisation of Σ per draw); in 20 dimensions with the wide kernel almost all
                # fall outside, so the redraws cost more than the simulations. The same distribution
                # (the kernel mixture restricted to the prior's box) in batches: the first candidate inside.
                X = self._X_arr
                while True:
                    j = np.random.choice(self._range, size=PROPOSAL_BATCH, p=self.w)
                    z = np.random.standard_normal((PROPOSAL_BATCH, X.shape[1]))
                    cand = X[j] + z @ self._chol.T
                    inside = np.all((cand >= self._low) & (cand <= self._high), axis=1)
                    if inside.any():
                        return pyabc.Parameter(dict(zip(self.X.columns, cand[np.argmax(inside)], strict=True)))

        _RIDGED[id(pyabc)] = RidgedTransition
    return _RIDGED[id(pyabc)]


def transition(pyabc: Any, kernel: str, priors: Sequence[Prior] = ()) -> Any:
    """The perturbation kernel: N(θ_j, c·Σ), Σ the previous generation's weighted covariance.

    ``beaumont``: c = 2 (Beaumont et al. 2009, Biometrika 96:983, twice the empirical
    variance). ``wide``: c = 3, smoother still (more even weights, a higher ESS, fewer
    acceptances). ``silverman``: c = h², Silverman's rule of thumb h = (4 / (ESS (d + 2)))^(1/(d+4))
    (pyabc's default; h² ≈ 0.46 for d = 13 parameters and ESS = 200). The narrow kernel
    accepts more proposals per generation, but with ten or more parameters the importance
    weights prior / proposal then vary over orders of magnitude and the effective sample size
    of a generation collapses (a pilot fit of Mandiri Jaya, 13 parameters: ESS 1–10 of 200);
    the wider kernel keeps the proposal density smooth, and the weights even. Both add a ridge
    λ·diag(Σ) (KERNEL_RIDGE) so that the covariance stays positive definite when few particles
    carry the weight.
    """
    ridged = _ridged_transition(pyabc)
    if kernel in KERNEL_SCALING:
        kernel_ = ridged(scaling=KERNEL_SCALING[kernel], bandwidth_selector=_unit_bandwidth)
    else:
        kernel_ = ridged()
    kernel_.box = {p.name: (p.low, p.high) for p in priors}  # proposals are drawn inside the prior
    return kernel_


@dataclass(frozen=True)
class ABCSession:
    """Where a fit or a model comparison runs: the executor, pyabc's database, its sampler, and what
    a resumed database already holds."""

    executor: Any
    url: str
    sampler: Any
    done_generations: int
    done_simulations: int


# Particles whose models run as one batch of worlds at most (kopsim.experiments.calibration.gather):
# the same particles as one by one (each world is bit-identical to its run alone), fewer model calls.
PARTICLES_PER_BATCH = 16


@contextlib.contextmanager
def abc_session(
    pyabc: Any,
    seed: int,
    out: Path | None,
    resume: bool,
    executor: str,
    workers: int | None,
    dask: str | None,
    budget: int,
    log: Any,
    models: Sequence[str] = (),
    chunk: int = 1,
) -> Iterator[ABCSession]:
    """numpy's global generator seeded from ``seed`` (pyabc draws from it; restored afterwards), the
    database (:func:`database_path`; a temporary one is removed), the executor, the progress a resumed
    database holds (:func:`stored_progress`; ``models`` names a comparison's two) and the budgeted
    sampler (:func:`make_sampler`)."""
    from kopsim.experiments.executors import default_workers, make_executor

    workers = workers or default_workers()
    in_flight = 1 if executor == "sequential" and dask is None else 2 * workers
    state = np.random.get_state()
    np.random.seed(int(np.random.SeedSequence([seed, 0]).generate_state(1)[0]))
    tmp = None
    try:
        db_path, tmp = database_path(out, resume)
        with make_executor(executor, workers, dask) as ex:
            url = "sqlite:///" + str(db_path.resolve())
            n_models = max(len(models), 1)
            done_generations, done_simulations = (
                stored_progress(pyabc, url, db_path, n_models, log) if resume else (0, 0)
            )
            left = max(budget - done_simulations, 0)
            sampler = make_sampler(ex, in_flight, seed, left, log, models=models, chunk=chunk)
            yield ABCSession(ex, url, sampler, done_generations, done_simulations)
    finally:
        np.random.set_state(state)
        if tmp is not None:
            tmp.cleanup()


def run_generations(
    abc: Any,
    url: str,
    targets: Targets,
    resume: bool,
    more: int,
    budget_left: bool,
    min_epsilon: float,
    budget: int,
) -> Any:
    """Start (or, with ``resume``, continue) the ABC-SMC stored at ``url`` for up to ``more``
    generations while budget is left; pyabc's history. CalibrationError when no generation is complete."""
    if resume:
        abc.load(url, 1, targets.observed())
    else:
        abc.new(url, targets.observed())
    try:
        history = (
            abc.run(minimum_epsilon=min_epsilon, max_nr_populations=more) if more > 0 and budget_left else abc.history
        )
    except AssertionError as err:  # pyabc could not normalise a generation's weights (one infinite)
        if "not normalized" not in str(err):
            raise
        history = abc.history  # the completed generations are in the database
        print(
            f"kopsim: note: generation {history.max_t + 1} could not be weighted (pyabc: {err}); a proposal "
            f"density underflowed to 0. The last complete generation, {history.max_t}, is the result.",
            file=sys.stderr,
        )
    if history.max_t < 0:
        raise CalibrationError(
            f"--budget: {budget} simulations ran out before the first generation was "
            "complete; raise --budget (or lower --population)"
        )
    return history


def run_calibration(
    scenario: Scenario,
    targets: Targets,
    budget: int = DEFAULT_BUDGET,
    population: int = DEFAULT_POPULATION,
    generations: int = DEFAULT_GENERATIONS,
    min_epsilon: float = 0.0,
    seed: int | None = None,
    ppc_draws: int = DEFAULT_PPC_DRAWS,
    out: Path | None = None,
    executor: str = "process",
    workers: int | None = None,
    dask: str | None = None,
    quiet: bool = True,
    point: str = "best",
    kernel: str = "silverman",
    resume: bool = False,
    particles_per_batch: int = PARTICLES_PER_BATCH,
) -> CalibrationResult:
    """Fit the priors of ``targets`` by ABC-SMC and draw the posterior predictive (module docstring).
    pyabc's database goes to ``out / "abc.db"`` (a temporary directory when ``out`` is None).

    ``resume``: continue the fit stored in ``out / "abc.db"`` (an interrupted or shorter one) up to
    ``generations`` generations and ``budget`` simulations in all, counting those already stored.
    Without it an existing database is an error, never overwritten."""
    import logging

    pyabc = require_pyabc()
    check_run_options(budget, population, generations, kernel)
    if ppc_draws < 2:
        raise CalibrationError(f"--ppc-draws: {ppc_draws} is too few; use at least 2")
    if point not in POINTS:
        raise CalibrationError(f"--point: {point!r} is not allowed; use one of {', '.join(POINTS)}")
    seed = scenario.seed if seed is None else seed
    steps = targets.steps if targets.steps is not None else scenario.steps
    if targets.cooperative >= scenario.params.population.n_cooperatives:
        raise CalibrationError(
            f"{targets.source}: targets.cooperative: {targets.cooperative} does not exist in {scenario.name!r}"
        )
    check_for_run(targets, scenario.params, tuple(scenario.interventions), steps)
    base_params = without_unused_metrics(scenario.params, targets)
    simulator = SurveySimulator(
        base_params,
        tuple(scenario.interventions),
        steps,
        targets.respondents,
        targets.cooperative,
        targets.priors,
        dict(targets.response),
        targets.model_targets,
    )
    distance = SurveyDistance(targets.fitted)  # held-out targets are predicted, not fitted
    prior = prior_distribution(pyabc, targets.priors)
    for name in ("ABC", "pyabc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    log = (lambda msg: None) if quiet else (lambda msg: print(f"kopsim: {msg}", file=sys.stderr, flush=True))
    with abc_session(
        pyabc, seed, out, resume, executor, workers, dask, budget, log, chunk=particles_per_batch
    ) as session:
        ex, sampler = session.executor, session.sampler
        done_generations, done_simulations = session.done_generations, session.done_simulations
        abc = pyabc.ABCSMC(
            simulator,
            prior,
            pyabc.distance.FunctionDistance(distance),
            population_size=population,
            sampler=sampler,
            transitions=transition(pyabc, kernel, targets.priors),
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
        pops = history.get_all_populations()
        final = history.get_population(t=history.max_t).particles
        posterior = pd.DataFrame(
            [
                {
                    **{p.key: float(q.parameter[p.name]) for p in targets.priors},
                    "weight": float(q.weight),
                    "distance": float(q.distance),
                }
                for q in final
            ]
        )
        posterior["weight"] /= posterior["weight"].sum()
        log(f"posterior predictive: {ppc_draws} surveys from the final generation")
        draws = posterior_predictive_draws(
            simulator, posterior, targets.priors, ppc_draws, seed, ex, particles_per_batch
        )
        if point == "best":
            log(f"choosing the point: {BEST_CANDIDATES + 1} candidates x {BEST_RUNS} runs")
            at, candidates = best_point(simulator, distance, posterior, targets.priors, seed, ex)
        else:
            at, candidates = point_estimate(posterior, targets.priors, point), pd.DataFrame()
        log(f"point check: {ppc_draws} runs and surveys of the {point} parameter set")
        point_draws = point_predictive_draws(simulator, at, targets.priors, ppc_draws, seed, ex, particles_per_batch)
        populations = pd.DataFrame(
            {
                "t": pops["t"].to_numpy(),
                "epsilon": pops["epsilon"].to_numpy(dtype=float),
                "particles": pops["particles"].to_numpy(),
                "simulations": pops["samples"].to_numpy(),
            }
        )
        populations = populations[populations["t"] >= 0].reset_index(drop=True)
        populations["ess"] = [
            effective_sample_size(history.get_distribution(m=0, t=int(t))[1]) for t in populations["t"]
        ]
        populations["acceptance_rate"] = populations["particles"] / populations["simulations"]
        walls = {g["t"]: g["seconds"] for g in sampler.generations}
        populations["wall_seconds"] = [walls.get(int(t), float("nan")) for t in populations["t"]]
        notes = []
        ess = effective_sample_size(posterior["weight"].to_numpy())
        if ess < 0.2 * population:
            notes.append(
                f"the final generation's effective sample size is {ess:.0f} of {population} particles; "
                "the posterior rests on few particles (a larger --budget helps)"
            )
        invalid = int(draws[INVALID].fillna(0).sum()) if INVALID in draws else 0
        if invalid:
            notes.append(f"{invalid} of {ppc_draws} posterior-predictive runs were invalid and are left out")
        cut = budget_note(sampler.generations, history.max_t, "posterior")
        if cut:
            notes.append(cut)
        invalid = int(point_draws[INVALID].fillna(0).sum()) if INVALID in point_draws else 0
        if invalid:
            notes.append(f"{invalid} of {ppc_draws} runs of the calibrated point were invalid and are left out")
        ppc = ppc_table(targets, draws)
        notes.extend(missing_notes(ppc))
        check = ppc_table(targets, point_draws).drop(columns=["kind", "observed", "observed_category"])
        ppc = ppc.merge(check.add_prefix("point_").rename(columns={"point_statistic": "statistic"}), on="statistic")
        return CalibrationResult(
            targets=targets,
            scenario=scenario,
            steps=steps,
            posterior=posterior,
            summary=summarise_posterior(posterior, targets.priors, at),
            ppc=ppc,
            ppc_draws=draws,
            point={p.key: p.value(at[p.key]) for p in targets.priors},
            point_method=point,
            point_draws=point_draws,
            candidates=candidates,
            populations=populations,
            simulations_used=done_simulations + sampler.used,
            simulations_discarded=sampler.discarded,
            seed=seed,
            notes=notes,
        )


__all__ = [
    "DEFAULT_BUDGET",
    "DEFAULT_GENERATIONS",
    "DEFAULT_POPULATION",
    "DEFAULT_PPC_DRAWS",
    "KERNELS",
    "ABCSession",
    "CalibrationResult",
    "abc_session",
    "check_run_options",
    "database_path",
    "prior_distribution",
    "run_calibration",
    "run_generations",
    "stored_progress",
    "transition",
]
