"""Experiment files: scenarios × parameter grid or samples × replications × steps × outcomes.

::

    [experiment]
    name = "training"
    scenarios = ["baseline", "training_follow_up"]   # shipped names or paths (relative to this file)
    replications = 10
    steps = 60
    seed = 12345                                     # root seed: every run's seed derives from it
    outcomes = ["skill_members", "trust_institution_mean"]

    [grid]                                           # optional: full factorial over parameter values
    "skills.training_quota" = [5, 10, 20]

    [samples]                                        # optional instead of [grid]: Latin hypercube
    n = 20
    "trust.loss_rate" = [0.1, 0.4]                   # [low, high]

A *configuration* is one scenario with one grid point or sample; every configuration runs
``replications`` times. Replication i of every configuration uses the same seed (common
random numbers), derived from the root seed with :class:`numpy.random.SeedSequence`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kopsim.errors import UsageError
from kopsim.parameters import ParameterError, unknown_key
from kopsim.scenario import Scenario, ScenarioError, load
from kopsim.tomlio import read_toml

EXPERIMENT_KEYS = {"name": str, "scenarios": list, "replications": int, "steps": int, "seed": int, "outcomes": list}
TOP_KEYS = ("experiment", "grid", "samples")
DEFAULT_OUTCOMES = (
    "members",
    "participation_organisation",
    "participation_business",
    "participation_capital",
    "trust_peer_mean",
    "trust_board_mean",
    "trust_institution_mean",
    "reciprocity_rate",
    "savings_voluntary",
    "coop_loans_outstanding",
    "moneylender_borrowers",
    "arrears_share",
    "umkm_revenue",
    "skill_members",
    "information_reach",
    "information_reach_needy",
    "ei_index",
    # who starts the ties (issue #16): board-member sentiment apart from kin, agencies' share of linking ties
    "ties_board_member_sentiment",
    "ties_kin",
    "linking_agency_started_share",
)
MAX_STEPS = 100_000
# Plan limits, checked before anything is built: each run writes two files, so 100,000 runs is
# already ~200,000 files and days of computing at the baseline's size.
MAX_CONFIGS = 10_000
MAX_RUNS = 100_000


@dataclass(frozen=True)
class Config:
    """One scenario with one set of parameter overrides."""

    config_id: str
    label: str
    scenario: Scenario
    overrides: dict[str, Any]


@dataclass(frozen=True)
class RunSpec:
    """One run: a configuration, a replication index and its seed."""

    run_id: str
    config: Config
    replication: int
    seed: int
    steps: int
    outcomes: tuple[str, ...]


@dataclass(frozen=True)
class Experiment:
    name: str
    configs: tuple[Config, ...]
    replications: int
    steps: int
    seed: int
    outcomes: tuple[str, ...]
    source: str = "<command line>"
    spec: dict[str, Any] = field(default_factory=dict)

    def runs(self) -> list[RunSpec]:
        """Every planned run, in a fixed order: replication-major so early results cover all configs."""
        seeds = replication_seeds(self.seed, self.replications)
        return [
            RunSpec(run_id(c, r, seeds[r], self.steps), c, r, seeds[r], self.steps, self.outcomes)
            for r in range(self.replications)
            for c in self.configs
        ]


def check_plan_size(src: str, configs: int, replications: int, what: str = "configurations") -> None:
    """Refuse a plan larger than MAX_CONFIGS configurations or MAX_RUNS runs, before it is built."""
    if configs > MAX_CONFIGS:
        raise UsageError(
            f"{src}: {configs:,} {what} is more than the limit of {MAX_CONFIGS:,}; "
            "use fewer scenarios, grid values or samples"
        )
    if configs * replications > MAX_RUNS:
        raise UsageError(
            f"{src}: {configs:,} configurations x {replications:,} replications = "
            f"{configs * replications:,} runs is more than the limit of {MAX_RUNS:,}; "
            "use fewer replications or configurations"
        )


def replication_seeds(root: int, replications: int) -> list[int]:
    """Seed of replication i: the first word of the i-th child of SeedSequence(root), as the worlds of
    ``CooperativeModel(seed=root, replicates=replications)`` are seeded (:func:`kopsim.streams.replication_seeds`)."""
    from kopsim.streams import replication_seeds as seeds

    return seeds(root, replications)


def run_id(config: Config, replication: int, seed: int, steps: int) -> str:
    """A stable identifier of a run: the same inputs give the same id (how resuming finds runs)."""
    return f"{config.config_id}-r{replication:04d}-{hashlib.sha1(f'{seed}:{steps}'.encode()).hexdigest()[:6]}"


def _config_id(scenario: Scenario, overrides: dict[str, Any]) -> str:
    blob = json.dumps(
        {
            "scenario": scenario.source,
            "params": scenario.params.to_dict(),
            "interventions": [repr(i) for i in scenario.interventions],
            "overrides": overrides,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha1(blob.encode()).hexdigest()[:10]


def make_config(scenario: Scenario, overrides: dict[str, Any] | None = None) -> Config:
    overrides = dict(overrides or {})
    if overrides:
        scenario = _with_overrides(scenario, overrides)
        label = (
            scenario.name
            + " "
            + " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in overrides.items())
        )
    else:
        label = scenario.name
    return Config(_config_id(scenario, overrides), label, scenario, overrides)


def _with_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    from dataclasses import replace

    return replace(scenario, params=scenario.params.replace(overrides))


def compare_experiment(
    names: list[str],
    replications: int,
    steps: int | None,
    seed: int,
    outcomes: list[str] | None = None,
    check: bool = True,
) -> Experiment:
    """The experiment behind ``kopsim compare``: each scenario as one configuration.

    ``check=False`` leaves :func:`check_outcomes` (it builds a model) to the caller."""
    if replications < 1:
        raise UsageError(f"--replications: {replications} is not allowed; use a whole number >= 1")
    check_plan_size("compare", len(names), replications, "scenarios")
    scens = [load(n) for n in names]
    labels = [s.name for s in scens]
    if len(set(labels)) != len(labels):
        raise UsageError(f"compare: scenario names repeat ({', '.join(labels)}); give each scenario once")
    steps = steps if steps is not None else scens[0].steps
    configs = tuple(make_config(s) for s in scens)
    outs = tuple(outcomes) if outcomes else DEFAULT_OUTCOMES
    exp = Experiment(
        "compare " + " ".join(labels),
        configs,
        replications,
        steps,
        seed,
        outs,
        spec={"scenarios": names, "replications": replications, "steps": steps, "seed": seed, "outcomes": list(outs)},
    )
    if check:
        check_outcomes(exp)
    return exp


def load_experiment(path: str | Path, check: bool = True) -> Experiment:
    """Read and validate an experiment file; errors are :class:`UsageError` naming file and key.

    ``check=False`` leaves :func:`check_outcomes` (it builds a model) to the caller."""
    path = Path(path)
    src = str(path)
    data = read_toml(path, UsageError)
    for key in data:
        if key not in TOP_KEYS:
            raise UsageError(f"{src}: {key}: {unknown_key(key, TOP_KEYS)}")
    head = data.get("experiment")
    if not isinstance(head, dict):
        raise UsageError(f"{src}: experiment: missing table [experiment] with {', '.join(EXPERIMENT_KEYS)}")
    for key, value in head.items():
        if key not in EXPERIMENT_KEYS:
            raise UsageError(f"{src}: experiment.{key}: {unknown_key(key, EXPERIMENT_KEYS)}")
        want = EXPERIMENT_KEYS[key]
        if not isinstance(value, want) or isinstance(value, bool):
            raise UsageError(f"{src}: experiment.{key}: expected {want.__name__}, got {value!r}")
    names = head.get("scenarios")
    if not names or not all(isinstance(n, str) for n in names):
        raise UsageError(f"{src}: experiment.scenarios: expected a non-empty list of scenario names or files")
    replications = head.get("replications", 1)
    if replications < 1:
        raise UsageError(f"{src}: experiment.replications: {replications} is not allowed; use a whole number >= 1")
    seed = head.get("seed", 0)
    if seed < 0:
        raise UsageError(f"{src}: experiment.seed: {seed} is negative; allowed: a whole number >= 0")
    check_plan_size(src, len(names) * _n_points(data, src), replications)
    scens = []
    for k, name in enumerate(names):
        local = path.parent / name
        try:
            scens.append(load(local if local.suffix == ".toml" and local.exists() else name))
        except ScenarioError as err:
            raise UsageError(f"{src}: experiment.scenarios[{k}]: {err}") from None
    steps = head.get("steps", scens[0].steps)
    if not 1 <= steps <= MAX_STEPS:
        raise UsageError(f"{src}: experiment.steps: {steps} is outside the allowed range [1, {MAX_STEPS}]")
    points = _points(data, src, seed)
    configs = []
    try:
        for scen in scens:
            for point in points:
                configs.append(make_config(scen, point))
    except ParameterError as err:
        table = "grid" if "grid" in data else "samples"
        raise UsageError(f'{src}: {table}."{err.path}": {err.reason}') from None
    outcomes = head.get("outcomes") or list(DEFAULT_OUTCOMES)
    if not all(isinstance(o, str) for o in outcomes):
        raise UsageError(f"{src}: experiment.outcomes: expected a list of metric names")
    exp = Experiment(
        head.get("name", path.stem), tuple(configs), replications, steps, seed, tuple(outcomes), source=src, spec=data
    )
    if check:
        check_outcomes(exp)
    return exp


def _n_points(data: dict[str, Any], src: str) -> int:
    """How many grid points or samples the plan has, computed without building them."""
    grid, samples = data.get("grid"), data.get("samples")
    if isinstance(grid, dict) and samples is None:
        return math.prod(len(v) if isinstance(v, list) else 1 for v in grid.values())
    if isinstance(samples, dict) and grid is None:
        n = samples.get("n")
        return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1
    return 1  # malformed or absent: _points reports it


def _points(data: dict[str, Any], src: str, seed: int) -> list[dict[str, Any]]:
    grid, samples = data.get("grid"), data.get("samples")
    if grid is not None and samples is not None:
        raise UsageError(f"{src}: grid: use either [grid] or [samples], not both")
    if grid is not None:
        if not isinstance(grid, dict) or not grid:
            raise UsageError(f'{src}: grid: expected "group.name" = [values, ...] entries')
        for key, values in grid.items():
            if not isinstance(values, list) or not values:
                raise UsageError(f'{src}: grid."{key}": expected a non-empty list of values')
        keys = list(grid)
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]
    if samples is not None:
        if not isinstance(samples, dict):
            raise UsageError(f'{src}: samples: expected n = N and "group.name" = [low, high] entries')
        n = samples.get("n")
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise UsageError(f"{src}: samples.n: expected a whole number >= 1, got {n!r}")
        ranges = {k: v for k, v in samples.items() if k != "n"}
        if not ranges:
            raise UsageError(f'{src}: samples: name at least one "group.name" = [low, high]')
        for key, rng in ranges.items():
            if (
                not isinstance(rng, list)
                or len(rng) != 2
                or not all(isinstance(x, (int, float)) for x in rng)
                or rng[0] > rng[1]
            ):
                raise UsageError(f'{src}: samples."{key}": expected [low, high] with low <= high, got {rng!r}')
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(ranges), seed=np.random.default_rng(seed)).random(n)
        lows = np.array([r[0] for r in ranges.values()], dtype=float)
        highs = np.array([r[1] for r in ranges.values()], dtype=float)
        values = qmc.scale(unit, lows, highs) if np.all(highs > lows) else lows + unit * (highs - lows)
        points = []
        for row in values:
            point = {}
            for (key, rng), v in zip(ranges.items(), row, strict=True):
                point[key] = round(v) if all(isinstance(x, int) for x in rng) else float(v)
            points.append(point)
        return points
    return [{}]


def check_outcomes(exp: Experiment) -> None:
    """Every outcome must be a metric column; checked on a one-month run of the first configuration."""
    from kopsim import CooperativeModel

    cfg = exp.configs[0]
    tiny = cfg.scenario.params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    columns = set(CooperativeModel(tiny, seed=0).run(1).columns)
    for name in exp.outcomes:
        if name not in columns:
            raise UsageError(f"{exp.source}: outcomes: {name!r} is not a metric; {unknown_key(name, columns)}")
