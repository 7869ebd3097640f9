"""Global sensitivity analysis of model outcomes to parameters with SALib (Sobol' and Morris).

``kopsim sensitivity SCENARIO --params GROUP.NAME=LOW:HIGH,... --outcomes A,B [--method morris|sobol]``

* **Design.** Morris (Morris 1991; Campolongo, Cariboni & Saltelli 2007): ``--samples`` r
  trajectories on a ``--levels`` p grid, r·(D + 1) model evaluations for D parameters.
  Sobol' (Saltelli 2002; Saltelli et al. 2010): a Sobol' sequence of base size N =
  ``--samples`` (a power of 2) in Saltelli's scheme without second-order terms, N·(D + 2)
  evaluations. Samples come from ``SALib.sample`` seeded with the root seed; whole-number
  parameters are rounded to the nearest whole number before the run.
* **Evaluation.** Each sample is the scenario with the sampled parameters, run ``--steps``
  months for each of ``--replications`` seeds; its outcome value is the mean over the
  replications of either the final month's value (``--summary final``, default) or the mean
  of the last 12 months (``--summary last12``; NaN months are skipped). Seeds derive from
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
  that does not vary gets indices 0; one that is NaN in any run gets NaN indices.
* **Output** (``--out DIR``): ``indices.csv`` (one row per outcome and parameter),
  ``samples.csv`` (every sample's parameter values, seeds and outcome values),
  ``sensitivity.png`` (bars with confidence intervals) and ``manifest.json``.

Needs SALib: the optional extra ``kopsim[sensitivity]``.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kopsim.errors import UsageError
from kopsim.parameters import GROUPS, ParameterError, Parameters, unknown_key
from kopsim.scenario import Scenario
from kopsim.tomlio import read_toml

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METHODS = ("morris", "sobol")
DEFAULT_SAMPLES = {"morris": 10, "sobol": 64}
SUMMARIES = ("final", "last12")
LAST_MONTHS = 12
CONF_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 1000
INDEX_COLUMNS = {"morris": ("mu", "mu_star", "mu_star_conf", "sigma"), "sobol": ("S1", "S1_conf", "ST", "ST_conf")}
COSTLY_METRICS = ("clustering", "board_betweenness")
INSTALL_HINT = "install it with: pip install 'kopsim[sensitivity]'"


@dataclass(frozen=True)
class Factor:
    """One varied parameter: ``group.name`` over [low, high]; ``integer``: rounded in each run."""

    key: str
    low: float
    high: float
    integer: bool


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


def parse_outcomes(spec: str, params: Parameters) -> list[str]:
    names = [o.strip() for o in spec.split(",") if o.strip()]
    if not names:
        raise UsageError("--outcomes: name at least one metric column, e.g. trust_institution_mean")
    columns = metric_columns(params)
    for name in names:
        if name not in columns or name == "step":
            raise UsageError(f"--outcomes: {name!r} is not a metric; {unknown_key(name, columns)}")
    if len(set(names)) != len(names):
        raise UsageError("--outcomes: an outcome is named twice")
    return names


# ---- evaluation -------------------------------------------------------------------------------
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


def summarise(frame: pd.DataFrame, outcomes: Sequence[str], summary: str) -> np.ndarray:
    """The final month's value, or the mean of the last 12 months (NaN months skipped)."""
    values = frame[list(outcomes)].to_numpy(dtype=float)
    if summary == "final":
        return values[-1]
    tail = values[-LAST_MONTHS:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as intended
        return np.nanmean(tail, axis=0)


def evaluate(task: Task) -> tuple[int, np.ndarray]:
    """Run one sample for each of its seeds; its outcome values averaged over the seeds."""
    from kopsim import CooperativeModel

    rows = []
    for seed in task.seeds:
        model = CooperativeModel(task.params, seed=seed, interventions=task.interventions)
        rows.append(summarise(model.run(task.steps), task.outcomes, task.summary))
    return task.index, np.mean(rows, axis=0)


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
    return {"num_vars": len(factors), "names": [f.key for f in factors], "bounds": [[f.low, f.high] for f in factors]}


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
                f"{outcome}: undefined (NaN) in {int((~np.isfinite(y)).sum())} of {y.size} samples; its indices are NaN"
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
) -> SensitivityResult:
    """Sample, run every sample on an executor, and compute the indices."""
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
    steps = steps if steps is not None else scenario.steps
    seed = seed if seed is not None else scenario.seed
    keys = {f.key for f in factors}
    base_params = scenario.params
    if not set(outcomes) & set(COSTLY_METRICS) and not any(k.startswith("metrics.") for k in keys):
        # network metrics do not feed back into the model; skipping them only saves time
        base_params = base_params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    X = design(method, factors, samples, levels, seed)
    values = np.array(
        [[round(v) if f.integer else v for v, f in zip(row, factors, strict=True)] for row in X], dtype=float
    ).reshape(X.shape)
    seeds = sample_seeds(seed, len(X), replications, seeding)
    tasks = []
    for i, row in enumerate(values):
        point = {f.key: int(v) if f.integer else float(v) for f, v in zip(factors, row, strict=True)}
        try:
            params = base_params.replace(point)
        except ParameterError as err:
            raise UsageError(
                f"--params: sample {i} ({', '.join(f'{k}={v:g}' for k, v in point.items())}) is not allowed: {err}"
            ) from None
        tasks.append(Task(i, params, tuple(scenario.interventions), seeds[i], steps, tuple(outcomes), summary))
    Y = np.full((len(tasks), len(outcomes)), np.nan)
    workers = workers or default_workers()
    from concurrent.futures import as_completed

    with make_executor(executor, workers, dask) as ex:
        futures = [ex.submit(evaluate, t) for t in tasks]
        bar = tqdm(
            total=len(tasks),
            unit="sample",
            disable=quiet,
            file=sys.stderr,
            desc=f"{method} {scenario.name}"[:40],
            dynamic_ncols=True,
        )
        for fut in as_completed(futures):
            i, y = fut.result()
            Y[i] = y
            bar.update(1)
        bar.close()
    indices, notes = sensitivity_indices(method, factors, X, Y, outcomes, levels, seed)
    return SensitivityResult(method, list(factors), list(outcomes), X, values, Y, seeds, indices, notes)


# ---- output -----------------------------------------------------------------------------------
def indices_figure(indices: pd.DataFrame, method: str) -> Figure:
    """One panel per outcome: horizontal bars per parameter with 95% confidence intervals
    (Morris: μ* ± conf with σ as a marker; Sobol': S1 and ST ± conf)."""
    from .figures import new_figure, outcome_label

    outcomes = list(dict.fromkeys(indices["outcome"]))
    params = list(dict.fromkeys(indices["parameter"]))
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


def write_outputs(result: SensitivityResult, out: Path, info: dict[str, Any]) -> dict[str, Path]:
    """indices.csv, samples.csv, sensitivity.png and manifest.json in ``out``."""
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
