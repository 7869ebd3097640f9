"""Global sensitivity analysis of model outcomes to parameters with SALib (Sobol' and Morris).

``kopsim sensitivity SCENARIO --params GROUP.NAME=LOW:HIGH,... --outcomes A,B [--method morris|sobol]``
``kopsim sensitivity SCENARIO --params-from-targets TARGETS --outcomes survey,A [--survey N]``

* **Factors.** ``--params`` ranges, or ``--params-from-targets``: the ``[priors]`` of a
  calibration targets file (:mod:`.calibration.targets`), so the screening covers exactly the
  fitted parameters (a log-uniform prior is sampled on the log scale; a response-model prior
  ``survey.<constant>`` varies the survey's response model).

* **Design.** Morris (Morris 1991; Campolongo, Cariboni & Saltelli 2007): ``--samples`` r
  trajectories on a ``--levels`` p grid, r·(D + 1) model evaluations for D parameters.
  Sobol' (Saltelli 2002; Saltelli et al. 2010): a Sobol' sequence of base size N =
  ``--samples`` (a power of 2) in Saltelli's scheme without second-order terms, N·(D + 2)
  evaluations. Samples come from ``SALib.sample`` seeded with the root seed; whole-number
  parameters are rounded to the nearest whole number before the run.
* **Evaluation.** Each sample is the scenario with the sampled parameters, run ``--steps``
  months for each of ``--replications`` seeds; its outcome value is the mean over the
  replications of either the final month's value (``--summary final``, default) or the mean
  of the last 12 months (``--summary last12``; NaN months are skipped). Replications where
  the outcome is undefined (NaN) are left out of the mean (a note counts them).
* **Survey outcomes** (``--survey N``): after each run, the virtual member survey of the
  calibration (:mod:`.calibration.simulator`): N respondents of cooperative 0 (or the targets
  file's) drawn with survey seed ``SeedSequence([run seed, 1])``, so the same run seed gives
  the same survey, answering by the response model
  (:func:`kopsim.instruments.member_survey.virtual_survey`), analysed by
  :func:`kopsim.instruments.survey_analysis.analyse`. Outcomes ``survey.total.<item>`` (on the
  scale of N respondents), ``survey.share.<item>.<answer>`` and ``survey.rs.<domain>`` (Spearman
  r_s of benefit with a participation domain; NaN when a score is constant);
  ``--outcomes survey`` (or ``survey.*``) names the 15 item totals and the 3 r_s. A run
  whose cooperative has no members left has NaN survey outcomes. Seeds derive from
  the root seed with :class:`numpy.random.SeedSequence`: ``--seeding common`` (default)
  gives every sample the same replication seeds (``SeedSequence(root).spawn(R)``, common
  random numbers: a parameter without effect gets an index of exactly 0, and noise does not
  inflate the others); ``--seeding independent`` gives each (sample, replication) its own
  child of ``SeedSequence(root).spawn(samples·R)``. Runs go to an executor of
  :mod:`experiments.executors` (process pool by default, ``sequential`` or Dask).
* **Indices.** Morris: μ (mean elementary effect), μ* (mean absolute elementary effect, in
  outcome units per full range of the parameter), its bootstrap confidence half-width
  ``mu_star_conf`` and σ (s.d. of the elementary effects: interactions and non-linearity).
  Sobol': first-order S1 and total-order ST with bootstrap confidence half-widths
  ``S1_conf``, ``ST_conf``. Confidence level 95%, 1000 bootstrap resamples, seeded. An outcome
  that does not vary gets indices 0; one undefined (NaN) in every replication of some sample gets NaN
  indices and a note (never 0).
* **Screening** (Morris): ``screening.toml`` lists the parameters as ``influential`` or
  ``inert`` by the rule ``SCREEN_RULE``: inert when μ* is below ``SCREEN_THRESHOLD`` of the
  largest μ* of outcomes in the same units (all item totals; all r_s; each other outcome alone)
  for every screened outcome (the survey outcomes when there are some, else all);
  :func:`screening` also takes a noise floor per outcome.
* **Output** (``--out DIR``): ``indices.csv`` (one row per outcome and parameter),
  ``samples.csv`` (every sample's parameter values, seeds and outcome values),
  ``sensitivity.png`` (bars with confidence intervals; a heat map of normalised μ* or of ST
  when there are more than ``MAX_BAR_PANELS`` outcomes), ``screening.toml`` (Morris)
  and ``manifest.json``.

Needs SALib: the optional extra ``kopsim[sensitivity]``.
"""

from __future__ import annotations

import difflib
import json
import math
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kopsim.errors import UsageError
from kopsim.instruments.member_survey import ANSWERS, ITEM_NAMES, ResponseModel
from kopsim.parameters import GROUPS, ParameterError, Parameters, unknown_key
from kopsim.participation import DOMAINS
from kopsim.scenario import Scenario
from kopsim.tomlio import read_toml

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHODS = ("morris", "sobol")
DEFAULT_SAMPLES = {"morris": 10, "sobol": 64}
SUMMARIES = ("final", "last12")
LAST_MONTHS = 12
# Runs in one batch of worlds at most (samples x replications): each world is bit-identical to its run alone.
WORLDS_PER_BATCH = 32
CONF_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 1000
INDEX_COLUMNS = {"morris": ("mu", "mu_star", "mu_star_conf", "sigma"), "sobol": ("S1", "S1_conf", "ST", "ST_conf")}
COSTLY_METRICS = ("clustering", "board_betweenness")
INSTALL_HINT = "install it with: pip install 'kopsim[sensitivity]'"
SURVEY_PREFIX = "survey."  # of survey outcomes, and of response-model factors (calibration.targets)
SURVEY_SEED_TAG = 1  # survey seed SeedSequence([run seed, 1]), as in calibration.simulator
SURVEY_SHORTHANDS = ("survey", "survey.*")
MAX_BAR_PANELS = 8
SCREEN_THRESHOLD = 0.05
SCREEN_RULE = (
    "a parameter moves an outcome when mu_star >= {t:g} x the largest mu_star of the outcome's scale group "
    "(all survey item totals; all r_s; each other outcome alone); influential: moves some screened outcome "
    "(outcomes with NaN indices skipped); inert: moves none"
)


@dataclass(frozen=True)
class Factor:
    """One varied parameter: ``group.name`` over [low, high]; ``integer``: rounded in each run."""

    key: str
    low: float
    high: float
    integer: bool
    log: bool = False  # sampled uniformly in log(value) (a log-uniform prior)

    @property
    def response(self) -> bool:
        """A constant of the survey response model (``survey.<name>``), not a scenario parameter."""
        return self.key.startswith(SURVEY_PREFIX)

    @property
    def bounds(self) -> list[float]:
        """The sampled interval: [low, high], or its logarithms for a log-scale factor."""
        return [math.log(self.low), math.log(self.high)] if self.log else [self.low, self.high]

    def value(self, x: float) -> float:
        """The parameter value of a design coordinate ``x`` (rounded for a whole-number parameter)."""
        v = math.exp(x) if self.log else x
        return float(round(v)) if self.integer else float(v)


def _salib() -> Any:
    try:
        import SALib.analyze.morris
        import SALib.analyze.sobol
        import SALib.sample.morris
        import SALib.sample.sobol
    except ImportError:
        raise UsageError(f"sensitivity analysis needs SALib, which is not installed; {INSTALL_HINT}") from None
    return SALib


# ---- input ------------------------------------------------------------------------------------
def parse_factors(spec: str, params: Parameters) -> list[Factor]:
    """``group.name=low:high,...`` or a TOML file of ``"group.name" = [low, high]`` entries
    (or ``[group]`` tables of ``name = [low, high]``); each checked against ``params``."""
    spec = spec.strip()
    if spec.endswith(".toml") or Path(spec).is_file():
        raw = _factors_from_toml(spec)
        where = spec
    else:
        raw = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            if "=" not in part or ":" not in part.split("=", 1)[1]:
                raise UsageError(f"--params: {part!r}: expected GROUP.NAME=LOW:HIGH, e.g. trust.loss_rate=0.1:0.4")
            key, rng = part.split("=", 1)
            lo, hi = rng.split(":", 1)
            raw.append((key.strip(), lo.strip(), hi.strip()))
        where = "--params"
    if not raw:
        raise UsageError("--params: name at least one parameter, e.g. trust.loss_rate=0.1:0.4")
    factors: list[Factor] = []
    for key, lo, hi in raw:
        if any(f.key == key for f in factors):
            raise UsageError(f"{where}: {key}: given twice")
        factors.append(_factor(key, lo, hi, params, where))
    return factors


def _factors_from_toml(path: str) -> list[tuple[str, Any, Any]]:
    data = read_toml(path, UsageError)
    out = []
    for key, value in data.items():
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for name, rng in items:
            full = key if name is None else f"{key}.{name}"
            if not isinstance(rng, list) or len(rng) != 2:
                raise UsageError(f"{path}: {full}: expected [low, high], got {rng!r}")
            out.append((full, rng[0], rng[1]))
    return out


def _factor(key: str, lo: Any, hi: Any, params: Parameters, where: str) -> Factor:
    if "." not in key:
        raise UsageError(f"{where}: {key!r}: expected GROUP.NAME, e.g. trust.loss_rate")
    group, name = key.split(".", 1)
    if group not in GROUPS:
        raise UsageError(f"{where}: {key}: {unknown_key(group, GROUPS)}")
    spec = {f.name: f for f in fields(GROUPS[group])}
    if name not in spec:
        raise UsageError(f"{where}: {key}: {unknown_key(name, spec)}")
    default = spec[name].default
    if isinstance(default, (bool, str)) or not isinstance(default, (int, float)):
        raise UsageError(f"{where}: {key}: not a numeric parameter; only numbers can be varied")
    bounds = []
    for what, text in (("low", lo), ("high", hi)):
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise UsageError(f"{where}: {key}: {what} {text!r} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"{where}: {key}: {what} {text!r} is not a finite number")
        if isinstance(default, int) and not value.is_integer():
            raise UsageError(f"{where}: {key}: {what} {text!r}: this parameter takes whole numbers")
        bounds.append(value)
    low, high = bounds
    if low >= high:
        raise UsageError(f"{where}: {key}: low {low:g} must be less than high {high:g}")
    for value in bounds:
        try:
            params.replace({key: int(value) if isinstance(default, int) else value})
        except ParameterError as err:
            if err.path == key:
                raise UsageError(f"{where}: {key}: {err.reason}") from None
            raise UsageError(f"{where}: {key} = {value:g} is not allowed: {err.path}: {err.reason}") from None
    return Factor(key, low, high, isinstance(default, int))


def metric_columns(params: Parameters) -> list[str]:
    """Names of the metric columns (from a one-month run of ``params`` without network metrics)."""
    from kopsim import CooperativeModel

    tiny = params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    return list(CooperativeModel(tiny, seed=0).run(1).columns)


def factors_from_targets(spec: str, params: Parameters) -> tuple[list[Factor], Any]:
    """The factors of a calibration targets file's ``[priors]`` (a shipped name or a path), and the
    parsed :class:`~kopsim.experiments.calibration.targets.Targets`."""
    from .calibration.errors import CalibrationError
    from .calibration.targets import load_targets

    try:
        targets = load_targets(spec, params)
    except CalibrationError as err:
        raise UsageError(f"--params-from-targets: {err}") from None
    factors = [Factor(p.key, p.low, p.high, p.integer, p.scale == "log") for p in targets.priors]
    return factors, targets


def survey_outcome_names(shares: bool = False) -> list[str]:
    """Survey outcome names: ``survey.total.<item>`` (15), optionally ``survey.share.<item>.<answer>``
    (45), and ``survey.rs.<domain>`` (3)."""
    names = [f"{SURVEY_PREFIX}total.{item}" for item in ITEM_NAMES]
    if shares:
        names += [f"{SURVEY_PREFIX}share.{item}.{a}" for item in ITEM_NAMES for a in ANSWERS]
    return names + [f"{SURVEY_PREFIX}rs.{dom}" for dom in DOMAINS]


def parse_outcomes(spec: str, params: Parameters, survey: bool = False) -> list[str]:
    """Metric columns and (with ``survey``) survey statistics; ``survey`` / ``survey.*`` expand to
    the 15 item totals and 3 r_s."""
    names: list[str] = []
    for name in (o.strip() for o in spec.split(",")):
        if name in SURVEY_SHORTHANDS:
            names += survey_outcome_names()
        elif name:
            names.append(name)
    if not names:
        raise UsageError("--outcomes: name at least one metric column, e.g. trust_institution_mean")
    columns = [c for c in metric_columns(params) if c != "step"]
    surveyed = survey_outcome_names(shares=True)
    for name in names:
        if name.startswith(SURVEY_PREFIX):
            if not survey:
                raise UsageError(f"--outcomes: {name!r} is a survey statistic; add --survey N (respondents)")
            if name not in surveyed:
                shown = survey_outcome_names()  # the shares are allowed too but make the list long
                hint = difflib.get_close_matches(name, surveyed, n=1)
                what = f"did you mean {hint[0]!r}? " if hint else ""
                raise UsageError(
                    f"--outcomes: {name!r} is not a survey statistic; {what}allowed: {', '.join(shown)}, "
                    "survey.share.<item>.<1|2|3>, or 'survey' for all totals and r_s"
                )
        elif name not in columns:
            allowed = [*columns, *SURVEY_SHORTHANDS] if survey else columns
            raise UsageError(f"--outcomes: {name!r} is not a metric; {unknown_key(name, allowed)}")
    if len(set(names)) != len(names):
        raise UsageError("--outcomes: an outcome is named twice")
    return names


# ---- evaluation -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SurveySpec:
    """The virtual member survey after each run: ``respondents`` members of ``cooperative``,
    answering by the response model with constants ``response`` (defaults for the others)."""

    respondents: int
    cooperative: int = 0
    response: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """One sample's runs: its parameters, the replication seeds and what to return."""

    index: int
    params: Parameters
    interventions: tuple[Any, ...]
    seeds: tuple[int, ...]
    steps: int
    outcomes: tuple[str, ...]
    summary: str
    survey: SurveySpec | None = None


def summarise(frame: pd.DataFrame, outcomes: Sequence[str], summary: str) -> np.ndarray:
    """The final month's value, or the mean of the last 12 months (NaN months skipped)."""
    values = frame[list(outcomes)].to_numpy(dtype=float)
    if summary == "final":
        return values[-1]
    tail = values[-LAST_MONTHS:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as intended
        return np.nanmean(tail, axis=0)


def survey_seed(run_seed: int) -> int:
    """The survey's seed of a run: a function of the run seed alone (as in the calibration)."""
    return int(np.random.SeedSequence([run_seed, SURVEY_SEED_TAG]).generate_state(1)[0])


def survey_values(model: Any, spec: SurveySpec, run_seed: int, outcomes: Sequence[str]) -> np.ndarray:
    """The survey statistics ``outcomes`` (``survey.…``) of a run model; NaN when the
    cooperative has no members left to survey, and for an undefined r_s."""
    from kopsim.instruments.member_survey import SurveyError, virtual_survey
    from kopsim.instruments.survey_analysis import analyse

    from .calibration.simulator import survey_statistics

    try:
        answers = virtual_survey(
            model, spec.respondents, survey_seed(run_seed), spec.cooperative, ResponseModel(**spec.response)
        )
    except SurveyError:
        return np.full(len(outcomes), np.nan)
    stats = survey_statistics(analyse(answers), spec.respondents)
    return np.array([stats[o.removeprefix(SURVEY_PREFIX)] for o in outcomes], dtype=float)


def run_values(task: Task, seed: int) -> np.ndarray:
    """The outcome values of one run of a task's sample (metrics summarised, then the survey)."""
    from kopsim import CooperativeModel

    model = CooperativeModel(task.params, seed=seed, interventions=task.interventions)
    return outcome_values(task, seed, model.run(task.steps), model)


def outcome_values(task: Task, seed: int, frame: pd.DataFrame, model: Any) -> np.ndarray:
    """The outcome values of a run (``frame``: its metrics table; ``model``: the run model, or a world
    of a batch as the instruments read it)."""
    is_survey = [o.startswith(SURVEY_PREFIX) for o in task.outcomes]
    out = np.full(len(task.outcomes), np.nan)
    metrics = [o for o, s in zip(task.outcomes, is_survey, strict=True) if not s]
    if metrics:
        out[[not s for s in is_survey]] = summarise(frame, metrics, task.summary)
    if any(is_survey):
        if task.survey is None:
            raise ValueError("survey outcomes need a SurveySpec")
        surveyed = [o for o, s in zip(task.outcomes, is_survey, strict=True) if s]
        out[is_survey] = survey_values(model, task.survey, seed, surveyed)
    return out


def evaluate(task: Task) -> tuple[int, np.ndarray, np.ndarray]:
    """Run one sample for each of its seeds: its outcome values averaged over the replications
    where they are defined (NaN if undefined in all), and the number of such replications."""
    return _averaged(task, np.array([run_values(task, seed) for seed in task.seeds]))


def evaluate_many(tasks: Sequence[Task]) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """:func:`evaluate` of each task, its runs (every task × seed) as one batch of worlds, each world
    its sample's parameters and its seed: bit-identical to the runs alone, so the same values; one by
    one when the samples cannot share a model (a factor that shapes the world, a kemitraan programme)."""
    from kopsim import CooperativeModel

    worlds = [(task, seed) for task in tasks for seed in task.seeds]
    if len(worlds) < 2 or not all(iv.batch_safe for task in tasks for iv in task.interventions):
        return [evaluate(task) for task in tasks]
    try:
        model = CooperativeModel(
            [task.params for task, _ in worlds],
            seed=[seed for _, seed in worlds],
            interventions=[task.interventions for task, _ in worlds],
        )
    except (ParameterError, ValueError):  # e.g. an integer factor: one model per run
        return [evaluate(task) for task in tasks]
    model.run_steps(tasks[0].steps)
    rows = [
        outcome_values(task, seed, model.metrics_frame(world=w), view)
        for w, ((task, seed), view) in enumerate(zip(worlds, model.world_views(), strict=True))
    ]
    out, k = [], 0
    for task in tasks:
        out.append(_averaged(task, np.array(rows[k : k + len(task.seeds)])))
        k += len(task.seeds)
    return out


def _averaged(task: Task, rows: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    defined = np.isfinite(rows).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an outcome undefined in every replication: NaN
        return task.index, np.nanmean(rows, axis=0), defined


def sample_seeds(root: int, n_samples: int, replications: int, seeding: str) -> list[tuple[int, ...]]:
    """Seeds of each sample's replications (common random numbers or independent)."""

    def word(child: np.random.SeedSequence) -> int:
        return int(child.generate_state(1, dtype=np.uint32)[0])

    if seeding == "common":
        common = tuple(word(c) for c in np.random.SeedSequence(root).spawn(replications))
        return [common] * n_samples
    children = np.random.SeedSequence(root).spawn(n_samples * replications)
    return [tuple(word(c) for c in children[i * replications : (i + 1) * replications]) for i in range(n_samples)]


@dataclass
class SensitivityResult:
    """Design, outcome values and indices of one analysis."""

    method: str
    factors: list[Factor]
    outcomes: list[str]
    X: np.ndarray  # (samples, D) as sampled by SALib
    values: np.ndarray  # (samples, D) as run (whole-number parameters rounded)
    Y: np.ndarray  # (samples, outcomes)
    seeds: list[tuple[int, ...]]
    indices: pd.DataFrame
    notes: list[str]
    defined: np.ndarray | None = None  # (samples, outcomes): replications where the outcome is defined

    def samples_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.values, columns=[f.key for f in self.factors])
        for f in self.factors:
            if f.integer:
                frame[f.key] = frame[f.key].astype(np.int64)
        frame.insert(0, "sample", np.arange(len(frame)))
        frame["seeds"] = [" ".join(map(str, s)) for s in self.seeds]
        for k, o in enumerate(self.outcomes):
            frame[o] = self.Y[:, k]
        return frame


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    return {"num_vars": len(factors), "names": [f.key for f in factors], "bounds": [f.bounds for f in factors]}


def design(method: str, factors: Sequence[Factor], samples: int, levels: int, seed: int) -> np.ndarray:
    """The SALib sample matrix (rows = samples, columns = factors)."""
    SALib = _salib()
    prob = problem(factors)
    if method == "morris":
        return SALib.sample.morris.sample(prob, samples, num_levels=levels, seed=seed)
    return SALib.sample.sobol.sample(prob, samples, calc_second_order=False, seed=seed)


def sensitivity_indices(
    method: str,
    factors: Sequence[Factor],
    X: np.ndarray,
    Y: np.ndarray,
    outcomes: Sequence[str],
    levels: int,
    seed: int,
) -> tuple[pd.DataFrame, list[str]]:
    """The indices table: one row per outcome and parameter (see the module docstring)."""
    SALib = _salib()
    prob = problem(factors)
    cols = INDEX_COLUMNS[method]
    rows, notes = [], []
    for k, outcome in enumerate(outcomes):
        y = Y[:, k]
        if not np.all(np.isfinite(y)):
            notes.append(
                f"{outcome}: undefined (NaN) in every replication of {int((~np.isfinite(y)).sum())} of {y.size} "
                "samples; its indices are NaN (not 0)"
            )
            res = {c: np.full(len(factors), np.nan) for c in cols}
        elif np.ptp(y) == 0:
            notes.append(f"{outcome}: the same in every sample; no parameter moves it (indices 0)")
            res = {c: np.zeros(len(factors)) for c in cols}
        elif method == "morris":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = SALib.analyze.morris.analyze(
                    prob, X, y, num_resamples=BOOTSTRAP_RESAMPLES, conf_level=CONF_LEVEL, num_levels=levels, seed=seed
                )
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = SALib.analyze.sobol.analyze(
                    prob,
                    y,
                    calc_second_order=False,
                    num_resamples=BOOTSTRAP_RESAMPLES,
                    conf_level=CONF_LEVEL,
                    seed=seed,
                )
        for j, f in enumerate(factors):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": f.key,
                    **{c: float(np.ma.filled(np.ma.asarray(res[c], dtype=float), np.nan)[j]) for c in cols},
                }
            )
    return pd.DataFrame(rows, columns=["outcome", "parameter", *cols]), notes


def run_sensitivity(
    scenario: Scenario,
    factors: Sequence[Factor],
    outcomes: Sequence[str],
    method: str = "morris",
    samples: int | None = None,
    steps: int | None = None,
    seed: int | None = None,
    replications: int = 1,
    seeding: str = "common",
    summary: str = "final",
    levels: int = 4,
    executor: str = "process",
    workers: int | None = None,
    dask: str | None = None,
    quiet: bool = True,
    survey: SurveySpec | None = None,
    batch: bool = True,
) -> SensitivityResult:
    """Sample, run every sample on an executor (and survey it, with ``survey``), and compute the indices.
    ``batch``: run samples whose runs can share a model as batches of worlds (the same values)."""
    from tqdm import tqdm

    from .executors import default_workers, make_executor

    if method not in METHODS:
        raise UsageError(f"--method: {method!r} is not allowed; use one of {', '.join(METHODS)}")
    if summary not in SUMMARIES:
        raise UsageError(f"--summary: {summary!r} is not allowed; use one of {', '.join(SUMMARIES)}")
    if seeding not in ("common", "independent"):
        raise UsageError(f"--seeding: {seeding!r} is not allowed; use common or independent")
    samples = samples if samples is not None else DEFAULT_SAMPLES[method]
    if samples < 2:
        raise UsageError(f"--samples: {samples} is too few; use at least 2")
    if method == "sobol" and samples & (samples - 1):
        raise UsageError(f"--samples: Sobol' sampling needs a power of 2 (e.g. 64), got {samples}")
    if levels < 2:
        raise UsageError(f"--levels: {levels} is not allowed; use a whole number >= 2")
    if replications < 1:
        raise UsageError(f"--replications: {replications} is not allowed; use a whole number >= 1")
    if survey is None and any(o.startswith(SURVEY_PREFIX) for o in outcomes):
        raise UsageError("--outcomes: survey statistics need --survey N (respondents)")
    if survey is None and any(f.response for f in factors):
        raise UsageError("--params: response-model constants (survey.*) need --survey N (respondents)")
    steps = steps if steps is not None else scenario.steps
    seed = seed if seed is not None else scenario.seed
    keys = {f.key for f in factors}
    base_params = scenario.params
    if not set(outcomes) & set(COSTLY_METRICS) and not any(k.startswith("metrics.") for k in keys):
        # network metrics do not feed back into the model; skipping them only saves time
        base_params = base_params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    X = design(method, factors, samples, levels, seed)
    values = np.array([[f.value(v) for v, f in zip(row, factors, strict=True)] for row in X], dtype=float).reshape(
        X.shape
    )
    seeds = sample_seeds(seed, len(X), replications, seeding)
    tasks = []
    for i, row in enumerate(values):
        point = {f.key: int(v) if f.integer else float(v) for f, v in zip(factors, row, strict=True)}
        model_point = {k: v for k, v in point.items() if not k.startswith(SURVEY_PREFIX)}
        sample_survey = survey
        try:
            params = base_params.replace(model_point)
            if survey is not None:
                response = {
                    **survey.response,
                    **{k[len(SURVEY_PREFIX) :]: v for k, v in point.items() if k not in model_point},
                }
                ResponseModel(**response)  # checked here, in the parent process
                sample_survey = SurveySpec(survey.respondents, survey.cooperative, response)
        except ParameterError as err:
            raise UsageError(
                f"--params: sample {i} ({', '.join(f'{k}={v:g}' for k, v in point.items())}) is not allowed: {err}"
            ) from None
        tasks.append(
            Task(i, params, tuple(scenario.interventions), seeds[i], steps, tuple(outcomes), summary, sample_survey)
        )
    Y = np.full((len(tasks), len(outcomes)), np.nan)
    defined = np.zeros((len(tasks), len(outcomes)), dtype=np.int64)
    workers = workers or default_workers()
    from concurrent.futures import as_completed

    # samples whose runs share one model (a batch of worlds, up to WORLDS_PER_BATCH runs): the same values
    per_batch = max(1, min(WORLDS_PER_BATCH // replications, math.ceil(len(tasks) / workers))) if batch else 1
    with make_executor(executor, workers, dask) as ex:
        futures = [ex.submit(evaluate_many, tasks[i : i + per_batch]) for i in range(0, len(tasks), per_batch)]
        bar = tqdm(
            total=len(tasks),
            unit="sample",
            disable=quiet,
            file=sys.stderr,
            desc=f"{method} {scenario.name}"[:40],
            dynamic_ncols=True,
        )
        for fut in as_completed(futures):
            for i, y, d in fut.result():
                Y[i], defined[i] = y, d
                bar.update(1)
        bar.close()
    indices, notes = sensitivity_indices(method, factors, X, Y, outcomes, levels, seed)
    runs = len(tasks) * replications
    for k, outcome in enumerate(outcomes):
        missing = runs - int(defined[:, k].sum())
        if missing and np.all(np.isfinite(Y[:, k])):
            notes.append(
                f"{outcome}: undefined (NaN) in {missing} of {runs} runs; each sample averaged over the "
                "replications where it is defined"
            )
    return SensitivityResult(method, list(factors), list(outcomes), X, values, Y, seeds, indices, notes, defined)


# ---- output -----------------------------------------------------------------------------------
def indices_figure(indices: pd.DataFrame, method: str) -> Figure:
    """One panel per outcome: horizontal bars per parameter with 95% confidence intervals
    (Morris: μ* ± conf with σ as a marker; Sobol': S1 and ST ± conf)."""
    from .figures import new_figure, outcome_label

    outcomes = list(dict.fromkeys(indices["outcome"]))
    params = list(dict.fromkeys(indices["parameter"]))
    if len(outcomes) > MAX_BAR_PANELS:
        return heatmap_figure(indices, method)
    ncols = min(2, len(outcomes))
    nrows = math.ceil(len(outcomes) / ncols)
    height = max(1.6, 0.9 + 0.35 * len(params))
    fig = new_figure(5.2 * ncols, height * nrows)
    y = np.arange(len(params))
    for k, outcome in enumerate(outcomes):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        part = indices[indices["outcome"] == outcome].set_index("parameter").loc[params]
        if method == "morris":
            ax.barh(y, part["mu_star"], xerr=part["mu_star_conf"], color="#4c72b0", capsize=3, label="μ*")
            ax.plot(part["sigma"], y, "kx", label="σ")
            ax.set_xlabel("μ* (outcome units per full range)", fontsize=8)
        else:
            h = 0.38
            ax.barh(y - h / 2, part["S1"], h, xerr=part["S1_conf"], color="#4c72b0", capsize=3, label="S1")
            ax.barh(y + h / 2, part["ST"], h, xerr=part["ST_conf"], color="#dd8452", capsize=3, label="ST")
            ax.set_xlabel("Sobol' index", fontsize=8)
        ax.axvline(0, color="grey", lw=0.6)
        ax.set_yticks(y, params, fontsize=7)
        ax.invert_yaxis()
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(outcome_label(outcome), fontsize=9)
        ax.grid(True, axis="x", lw=0.4, alpha=0.5)
        if k == 0:
            ax.legend(fontsize=7, frameon=False, loc="lower right")
    fig.tight_layout()
    return fig


def scale_group(outcome: str) -> str:
    """Outcomes measured in the same units share a scale: all survey item totals, all shares, all
    r_s; every other outcome is its own group."""
    for kind in ("total", "share", "rs"):
        if outcome.startswith(f"{SURVEY_PREFIX}{kind}."):
            return f"{SURVEY_PREFIX}{kind}"
    return outcome


def normalised(indices: pd.DataFrame, method: str) -> pd.DataFrame:
    """Parameters x outcomes: Morris μ* divided by the largest μ* of the outcome's
    :func:`scale_group` (outcomes with NaN indices left out of the largest and left NaN; 0
    where nothing in the group moves); Sobol' ST as it is."""
    column = "mu_star" if method == "morris" else "ST"
    table = indices.pivot(index="parameter", columns="outcome", values=column)
    table = table.loc[list(dict.fromkeys(indices["parameter"])), list(dict.fromkeys(indices["outcome"]))]
    if method == "morris":
        groups = pd.Series([scale_group(str(c)) for c in table.columns], index=table.columns)
        top = table.max(axis=0).groupby(groups).max().reindex(groups).to_numpy()  # max skips NaN
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled = np.where(top > 0, table.to_numpy() / top, np.where(top == 0, 0.0, np.nan))
        table = pd.DataFrame(scaled, index=table.index, columns=table.columns)
    return table


def heatmap_figure(indices: pd.DataFrame, method: str) -> Figure:
    """Parameters x outcomes heat map of :func:`normalised` (NaN cells grey)."""
    from .figures import new_figure

    table = normalised(indices, method)
    fig = new_figure(2.6 + 0.32 * table.shape[1], 1.6 + 0.28 * table.shape[0])
    ax = fig.add_subplot(1, 1, 1)
    ax.set_facecolor("#d9d9d9")
    data = np.ma.masked_invalid(table.to_numpy(dtype=float))
    im = ax.imshow(data, cmap="viridis", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    ax.set_xticks(
        range(table.shape[1]), [str(c).removeprefix(SURVEY_PREFIX) for c in table.columns], rotation=90, fontsize=7
    )
    ax.set_yticks(range(table.shape[0]), list(table.index), fontsize=7)
    label = "μ* / largest μ* of its unit group" if method == "morris" else "total-order Sobol' index ST"
    fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02).set_label(label, fontsize=8)
    ax.set_title(f"{'Morris' if method == 'morris' else 'Sobol'} sensitivity (grey: undefined)", fontsize=9)
    fig.tight_layout()
    return fig


def screening(
    indices: pd.DataFrame,
    threshold: float = SCREEN_THRESHOLD,
    outcomes: Sequence[str] | None = None,
    noise: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """Morris screening by :data:`SCREEN_RULE`: a parameter *moves* an outcome when its μ* is at
    least ``threshold`` × the largest μ* of the outcome's :func:`scale_group` and, with ``noise``
    (outcome → the μ* that replication noise alone gives), at least that noise μ*. ``influential``:
    the parameters that move some screened outcome; ``inert``: the others. Screened: ``outcomes``,
    else the survey outcomes when there are some, else all; outcomes with NaN indices are left out
    (listed as ``undefined``)."""
    table = normalised(indices, "morris")
    mu = indices.pivot(index="parameter", columns="outcome", values="mu_star").loc[table.index]
    if outcomes is None:
        survey = [str(c) for c in table.columns if str(c).startswith(SURVEY_PREFIX)]
        outcomes = survey or [str(c) for c in table.columns]
    undefined = [o for o in outcomes if table[o].isna().any()]
    screened = [o for o in outcomes if o not in undefined]
    resolved = pd.DataFrame(True, index=table.index, columns=screened)
    if noise is not None:
        resolved &= mu[screened].to_numpy() >= np.array([noise.get(o, 0.0) for o in screened])
    moves = resolved & (table[screened] >= threshold)
    moved = {str(p): [o for o in screened if moves.loc[p, o]] for p in table.index}
    rule = SCREEN_RULE.format(t=threshold)
    if noise is not None:
        rule += "; and an outcome counts only where mu_star >= the mu_star of replication noise alone"
    return {
        "rule": rule,
        "threshold": threshold,
        "outcomes": screened,
        "undefined": undefined,
        "influential": [p for p, o in moved.items() if o],
        "inert": [p for p, o in moved.items() if not o],
        "max_normalised_mu_star": {
            str(k): round(float(v), 4) for k, v in table[screened].where(resolved).max(axis=1).fillna(0.0).items()
        },
        "moves": moved,
    }


def screening_toml(result: dict[str, Any]) -> str:
    """The screening as TOML: rule, threshold, lists of keys, the largest normalised μ* of each
    parameter (over the screened outcomes, above the noise where given) and the outcomes each moves."""
    lines = [
        "# Morris screening (kopsim sensitivity): parameters that move the screened outcomes.",
        f"rule = {json.dumps(result['rule'], ensure_ascii=False)}",
        f"threshold = {result['threshold']}",
    ]
    for key in ("influential", "inert", "outcomes", "undefined"):
        lines.append(f"{key} = [" + ", ".join(json.dumps(v) for v in result[key]) + "]")
    lines += ["", "[max_normalised_mu_star]"]
    lines += [f"{json.dumps(k)} = {v}" for k, v in result["max_normalised_mu_star"].items()]
    lines += ["", "[moves]"]
    lines += [f"{json.dumps(k)} = [" + ", ".join(json.dumps(o) for o in v) + "]" for k, v in result["moves"].items()]
    return "\n".join(lines) + "\n"


def write_outputs(result: SensitivityResult, out: Path, info: dict[str, Any]) -> dict[str, Path]:
    """indices.csv, samples.csv, sensitivity.png, screening.toml (Morris) and manifest.json in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "indices": out / "indices.csv",
        "samples": out / "samples.csv",
        "figure": out / "sensitivity.png",
        "manifest": out / "manifest.json",
    }
    result.indices.to_csv(paths["indices"], index=False)
    result.samples_frame().to_csv(paths["samples"], index=False)
    indices_figure(result.indices, result.method).savefig(paths["figure"], dpi=120)
    if result.method == "morris":
        paths["screening"] = out / "screening.toml"
        paths["screening"].write_text(screening_toml(screening(result.indices)), encoding="utf-8")
    manifest = {**info, "files": {k: p.name for k, p in paths.items()}, "notes": result.notes}
    paths["manifest"].write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return paths


def format_indices(indices: pd.DataFrame, method: str) -> str:
    cols = INDEX_COLUMNS[method]
    width = max(12, *(len(p) + 2 for p in indices["parameter"]))
    lines = []
    for outcome, part in indices.groupby("outcome", sort=False):
        lines.append(f"{outcome}:")
        lines.append(f"  {'parameter':<{width}}" + "".join(f"{c:>14}" for c in cols))
        for _, row in part.iterrows():
            lines.append(f"  {row['parameter']:<{width}}" + "".join(f"{row[c]:>14.4g}" for c in cols))
    return "\n".join(lines)
