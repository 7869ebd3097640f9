"""National scale: a synthetic Indonesia from the BPS cooperative statistics, run in shards.

The statistics office's national totals (DOMAIN.md, "Indonesia", 2014–2016)::

    year   cooperatives   active   active members
    2014   203,701        143,007  35.3 M
    2016   212,135        150,223  37.8 M

2015 is not in the source: :data:`BPS` gives it as the **linear interpolation** of 2014 and 2016
(labelled ``interpolated`` in the output). Only *active* cooperatives are simulated.

A :class:`NationalSpec` picks a year and a ``scale`` (1e-4 simulates 1 of every 10,000 active
cooperatives) and becomes a plan of shards:

* **One world = one cooperative with its villages**: a world is one replicate of the vectorised
  batch (``CooperativeModel(replicates=R)``, :mod:`kopsim.batch`): 2 villages of
  ``households_per_village`` (default 200) households, 1 cooperative, its village governments and
  moneylenders and its own 6 regional agencies (410 agents with the defaults).
* **Members per cooperative** = active members ÷ active cooperatives (251.6 in 2016, 246.8 in
  2014). The population parameter that sets it is ``population.members_per_cooperative``: the
  founding members, drawn among the eligible households of the cooperative's villages (every
  household with the scenario's default rules). The plan allocates the scaled member total
  (``round(scale × active members)``) to regions and shards exactly, and a shard founds
  ``round(members ÷ worlds)`` members per cooperative. The catchment (2 × 200 = 400 households, so
  about 63% of the catchment are members at the start) is a modelling choice, not a BPS figure:
  the model needs non-members who can join. Membership then moves with the dynamics.
* **Regions = the 34 provinces, split synthetically.** The source gives national totals only, so
  the provincial split is **synthetic, not data**: every province gets an equal share of the
  scaled cooperatives (and of the scaled members), and the remainder goes one each to the
  first provinces in BPS code order (Aceh, North Sumatra, …). The regional rows therefore
  differ only by chance (each province's worlds are independent draws of the same process); they
  show the machinery, not Indonesian regional differences.
* **Shards**: each region is one shard, or several when it has more than ``max_worlds``
  worlds (memory per worker). Shard k's seed is ``SeedSequence(seed).spawn(K)[k]`` (keyed by the
  shard index alone), so the per-region numbers are the same whichever executor runs the shards
  and however many workers it has (tested): serial, a process pool, Dask (a LocalCluster or any
  scheduler address).

Per world, at the end of the run, :func:`world_metrics` computes the outcomes of
:func:`kopsim.metrics.collect` that are defined per cooperative (same names: ``members``,
``membership_share``, ``participation_*``, ``trust_*_mean``, …) and the member survey of
:mod:`kopsim.batch` (``respondents`` members; the 15 item totals as ``survey_<item>`` and
``rs_<domain>``). Per region,
:func:`aggregate` gives the mean and the 5/50/95% quantiles over its worlds; the region
``ID`` (Indonesia) pools all worlds.

**Memory per agent**: :func:`state_bytes` sums ``ndarray.nbytes`` of every array of the state
(:class:`kopsim.state.State`) and of the ties (:class:`kopsim.network.Ties`) of a shard, divided
by its agents; each shard reports it at the end of its run with the largest arrays.
"""

from __future__ import annotations

import math
import os
import platform
import resource
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import Any

import numpy as np

from kopsim.errors import UsageError

YEARS = (2014, 2015, 2016)


@dataclass(frozen=True)
class BPSYear:
    """National cooperative totals of one year (Badan Pusat Statistik)."""

    year: int
    cooperatives: int
    active_cooperatives: int
    active_members: int
    interpolated: bool = False

    @property
    def members_per_cooperative(self) -> float:
        return self.active_members / self.active_cooperatives


def _interpolate(a: BPSYear, b: BPSYear, year: int) -> BPSYear:
    w = (year - a.year) / (b.year - a.year)
    mix = lambda x, y: round(x + w * (y - x))  # noqa: E731
    return BPSYear(
        year,
        mix(a.cooperatives, b.cooperatives),
        mix(a.active_cooperatives, b.active_cooperatives),
        mix(a.active_members, b.active_members),
        interpolated=True,
    )


_Y2014 = BPSYear(2014, 203_701, 143_007, 35_300_000)
_Y2016 = BPSYear(2016, 212_135, 150_223, 37_800_000)
BPS = {2014: _Y2014, 2015: _interpolate(_Y2014, _Y2016, 2015), 2016: _Y2016}

# The 34 provinces of 2014–2016, BPS code and name (order of the synthetic remainder rule).
PROVINCES = (
    (11, "Aceh"),
    (12, "Sumatera Utara"),
    (13, "Sumatera Barat"),
    (14, "Riau"),
    (15, "Jambi"),
    (16, "Sumatera Selatan"),
    (17, "Bengkulu"),
    (18, "Lampung"),
    (19, "Kepulauan Bangka Belitung"),
    (21, "Kepulauan Riau"),
    (31, "DKI Jakarta"),
    (32, "Jawa Barat"),
    (33, "Jawa Tengah"),
    (34, "DI Yogyakarta"),
    (35, "Jawa Timur"),
    (36, "Banten"),
    (51, "Bali"),
    (52, "Nusa Tenggara Barat"),
    (53, "Nusa Tenggara Timur"),
    (61, "Kalimantan Barat"),
    (62, "Kalimantan Tengah"),
    (63, "Kalimantan Selatan"),
    (64, "Kalimantan Timur"),
    (65, "Kalimantan Utara"),
    (71, "Sulawesi Utara"),
    (72, "Sulawesi Tengah"),
    (73, "Sulawesi Selatan"),
    (74, "Sulawesi Tenggara"),
    (75, "Gorontalo"),
    (76, "Sulawesi Barat"),
    (81, "Maluku"),
    (82, "Maluku Utara"),
    (91, "Papua Barat"),
    (94, "Papua"),
)
NATIONAL_CODE, NATIONAL_NAME = 0, "Indonesia"
PROVINCIAL_SPLIT = (
    "synthetic: equal shares of the scaled cooperatives and members per province, "
    "remainder one each to the first provinces in BPS code order (the source gives national totals only)"
)

VILLAGES_PER_COOPERATIVE = 2
QUANTILES = (0.05, 0.5, 0.95)
DEFAULT_MAX_WORLDS = 500  # worlds per shard: about 200k agents, a few hundred MB per worker


@dataclass(frozen=True)
class NationalSpec:
    """A synthetic Indonesia: year, scale, run length and the world's population.

    ``scale``: the share of active cooperatives simulated (0 < scale <= 1). ``scenario``: the
    shipped scenario (or TOML path) whose parameters every world uses, its population replaced
    as in the module docstring; its interventions must be batch-safe (every kind but kemitraan).
    """

    year: int = 2016
    scale: float = 1e-4
    months: int = 12
    seed: int = 1
    scenario: str = "baseline"
    households_per_village: int = 200
    respondents: int = 30
    max_worlds: int = DEFAULT_MAX_WORLDS

    def __post_init__(self) -> None:
        if self.year not in BPS:
            raise UsageError(f"year: {self.year}; allowed: {', '.join(map(str, YEARS))} (the BPS figures)")
        if not (isinstance(self.scale, int | float) and math.isfinite(self.scale) and 0 < self.scale <= 1):
            raise UsageError(f"scale: {self.scale}; allowed: 0 < scale <= 1 (e.g. 1e-4)")
        if self.months < 1:
            raise UsageError(f"months: {self.months}; allowed: at least 1")
        if self.max_worlds < 1:
            raise UsageError(f"max_worlds: {self.max_worlds}; allowed: at least 1")
        if self.respondents < 0:
            raise UsageError(f"respondents: {self.respondents}; allowed: at least 0 (0 = no survey)")
        if self.cooperatives < 1:
            smallest = 0.5 / self.bps.active_cooperatives
            raise UsageError(
                f"scale: {self.scale:g} simulates no cooperative ({self.bps.active_cooperatives:,} active in "
                f"{self.year}); allowed: scale >= {smallest:.2g}"
            )
        catchment = VILLAGES_PER_COOPERATIVE * self.households_per_village
        if math.ceil(self.bps.members_per_cooperative) + 1 > catchment:
            raise UsageError(
                f"households_per_village: {self.households_per_village} gives {catchment} households per "
                f"cooperative, fewer than its {self.bps.members_per_cooperative:.0f} members"
            )

    @property
    def bps(self) -> BPSYear:
        return BPS[self.year]

    @property
    def cooperatives(self) -> int:
        """Worlds simulated: the scaled number of active cooperatives."""
        return round(self.scale * self.bps.active_cooperatives)

    @property
    def members(self) -> int:
        """Founding members simulated: the scaled number of active members."""
        return round(self.scale * self.bps.active_members)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Shard:
    """One unit of work: ``worlds`` cooperatives of one region (part ``part`` of ``parts``)."""

    index: int
    region_code: int
    region: str
    part: int
    parts: int
    worlds: int
    members: int  # founding members allocated to the shard (the plan's exact share)
    spec: NationalSpec

    @property
    def members_per_cooperative(self) -> int:
        return round(self.members / self.worlds)


def split(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` equal shares, the remainder one each to the first parts (sums to total)."""
    base, rest = divmod(total, parts)
    return [base + (k < rest) for k in range(parts)]


def split_like(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` in proportion to ``weights`` by largest remainder (ties: first first); sums to total."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(int)
    order = np.argsort(-(exact - out), kind="stable")
    out[order[: total - int(out.sum())]] += 1
    return out.tolist()


def plan(spec: NationalSpec) -> list[Shard]:
    """The shards of a national run: provinces with at least one cooperative, each split into
    parts of at most ``spec.max_worlds`` worlds (see the module docstring for the synthetic rule)."""
    worlds = split(spec.cooperatives, len(PROVINCES))
    members = split_like(spec.members, worlds) if spec.cooperatives else [0] * len(PROVINCES)
    shards: list[Shard] = []
    for (code, name), w, m in zip(PROVINCES, worlds, members, strict=True):
        if w == 0:
            continue
        parts = math.ceil(w / spec.max_worlds)
        part_worlds = split(w, parts)
        part_members = split_like(m, part_worlds)
        for k in range(parts):
            shards.append(Shard(len(shards), code, name, k, parts, part_worlds[k], part_members[k], spec))
    return shards


def shard_seed(seed: int, index: int, shards: int) -> int:
    """Seed of shard ``index``: the first 64-bit word of ``SeedSequence(seed).spawn(shards)[index]``."""
    child = np.random.SeedSequence(seed).spawn(shards)[index]
    return int(child.generate_state(1, dtype=np.uint64)[0])


@lru_cache(maxsize=8)
def _scenario(name: str) -> Any:
    from kopsim.scenario import load

    return load(name)


def shard_params(shard: Shard) -> Any:
    """The scenario's parameters with the world's population (one cooperative, its villages)."""
    spec = shard.spec
    return _scenario(spec.scenario).params.replace(
        {
            "population.n_villages": VILLAGES_PER_COOPERATIVE,
            "population.n_cooperatives": 1,
            "population.households_per_village": spec.households_per_village,
            "population.members_per_cooperative": shard.members_per_cooperative,
            "metrics.network_every": 0,
            "metrics.centrality_every": 0,
        }
    )


def check(shards: Sequence[Shard]) -> None:
    """Refuse, before any worker starts, what no shard could run: a scenario whose interventions a batch
    cannot take (kemitraan brings partner firms of its own) or parameters that do not fit the world (e.g. rules that
    admit fewer households than the members to found). Raises an :class:`~kopsim.errors.InputError`."""
    if not shards:
        return
    scen = _scenario(shards[0].spec.scenario)
    if not all(iv.batch_safe for iv in scen.interventions):
        kinds = sorted({iv.kind for iv in scen.interventions if not iv.batch_safe})
        raise UsageError(
            f"scenario {scen.name!r}: a batch of cooperatives takes no {', '.join(kinds)} interventions "
            "(they bring agents of their own); choose a scenario without them"
        )
    seen = set()
    for shard in shards:
        if shard.members_per_cooperative not in seen:
            seen.add(shard.members_per_cooperative)
            shard_params(shard)  # validated: ParameterError


# ---- per-world outcomes -----------------------------------------------------------------------
def world_metrics(model: Any) -> dict[str, np.ndarray]:
    """Outcomes of every world of a batch (arrays of length R), named as in :func:`kopsim.metrics.collect`.

    Only outcomes defined per cooperative: membership, participation, RAT attendance, trust (mean
    and the shares low/medium/high), perceived benefit, savings and loans, arrears, information
    reach, skills, willingness to serve, non-members' trust in the institution.
    """
    from kopsim.metrics import DOMAIN_COLUMNS
    from kopsim.participation import mean_benefit
    from kopsim.state import INSTITUTION, TRUST_TARGETS

    s = model.state
    p = model.p
    R, H = s.worlds, s.n_households
    hw = H // R
    world = np.repeat(np.arange(R), hw)  # households are numbered world by world
    mem = s.member[:H]

    def per_world(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        w = world if mask is None else world[mask]
        return np.bincount(w, weights=values.astype(float), minlength=R)

    def mean_members(values: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return per_world(values[:H][mem], mem) / n_mem

    n_mem = per_world(mem.astype(float))
    out: dict[str, np.ndarray] = {
        "members": n_mem,
        "households": np.full(R, float(hw)),
        "membership_share": n_mem / hw,
    }
    for k, name in enumerate(DOMAIN_COLUMNS):
        out[name] = mean_members(s.participation[:, k])
    out["rat_attendance"] = mean_members(s.attended_rat)
    tp = p.trust
    for k, target in enumerate(TRUST_TARGETS):
        col = s.trust[:, k]
        out[f"trust_{target}_mean"] = mean_members(col)
        lo = col < tp.low_threshold  # the bands of kopsim.trust.trust_levels, per world
        hi = col >= tp.high_threshold
        out[f"trust_{target}_low"] = mean_members(lo)
        out[f"trust_{target}_high"] = mean_members(hi)
        out[f"trust_{target}_medium"] = mean_members(~lo & ~hi)
    out["reputation_mean"] = per_world(s.image[:H]) / hw
    out["benefit_mean"] = mean_members(np.r_[mean_benefit(s.benefit[:H], s.benefit_seen[:H]), np.zeros(s.n - H)])
    out["savings_mandatory"] = per_world(s.savings_mandatory[:H])
    out["savings_voluntary"] = per_world(s.savings_voluntary[:H])
    out["coop_loans_outstanding"] = per_world(s.coop_loan[:H])
    out["moneylender_loans_outstanding"] = per_world(s.ml_loan[:H])
    out["arrears_share_of_members"] = mean_members(s.coop_arrears > 0)
    out["household_income_mean"] = per_world(s.income[:H]) / hw
    out["skill_members"] = mean_members(s.skill)
    out["information_reach"] = per_world(s.informed[:H]) / hw
    out["board_willingness"] = mean_members(s.willingness)
    non = ~mem
    with np.errstate(invalid="ignore", divide="ignore"):
        out["trust_institution_nonmembers"] = per_world(s.trust[:H, INSTITUTION][non], non) / per_world(
            non.astype(float)
        )
    out["coop_cash"] = s.coop_cash[: s.n_coops].reshape(R, -1).sum(axis=1)
    return out


def survey_metrics(model: Any, seed: int, respondents: int) -> dict[str, np.ndarray]:
    """The member survey of every world (:mod:`kopsim.batch`): ``survey_<item>``, the item totals
    (``rat_attendance`` is also a state outcome, hence the prefix), and ``rs_<domain>``."""
    from kopsim.batch import batch_statistics, survey_replicates, survey_seeds
    from kopsim.instruments.member_survey import ITEM_NAMES
    from kopsim.participation import DOMAINS

    seeds = survey_seeds(seed, model.state.worlds)
    answers, valid = survey_replicates(model, respondents, seeds)
    stats = batch_statistics(answers, valid, seeds)
    out = {f"survey_{name}": stats.totals[:, k] for k, name in enumerate(ITEM_NAMES)}
    for k, dom in enumerate(DOMAINS):
        out[f"rs_{dom}"] = stats.rs[:, k]
    return out


# ---- memory -----------------------------------------------------------------------------------
def state_bytes(state: Any, ties: Any) -> dict[str, int]:
    """``ndarray.nbytes`` of every array of the state and of the ties (``ties.<field>`` keys)."""
    out: dict[str, int] = {}
    for f in fields(state):
        value = getattr(state, f.name)
        if isinstance(value, np.ndarray):
            out[f.name] = int(value.nbytes)
    for name, value in vars(ties).items():
        if isinstance(value, np.ndarray):
            out[f"ties.{name}"] = int(value.nbytes)
    return out


def peak_rss_bytes() -> int:
    """This process's peak resident memory so far (bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


# ---- shards -----------------------------------------------------------------------------------
@dataclass
class ShardResult:
    """What a shard sends back: its per-world outcomes, sizes, timings and memory figures."""

    shard: Shard
    seed: int
    worlds: dict[str, np.ndarray]
    agents: int
    ties: int
    founding_members: int
    array_bytes: dict[str, int]
    build_seconds: float
    run_seconds: float
    peak_rss: int
    pid: int = field(default_factory=os.getpid)

    @property
    def bytes_total(self) -> int:
        return sum(self.array_bytes.values())

    @property
    def bytes_per_agent(self) -> float:
        return self.bytes_total / self.agents

    def summary(self) -> list[dict[str, Any]]:
        """Per-region rows of this shard alone (mean and quantiles over its worlds, per outcome)."""
        s = self.shard
        return _summary_rows(s.region_code, s.region, self.worlds)


def run_shard(shard: Shard, seed: int) -> ShardResult:
    """Run one shard: its worlds as one vectorised batch for ``spec.months`` months, then the
    per-world outcomes (:func:`world_metrics`, the survey) and the state's bytes."""
    from kopsim.model import CooperativeModel

    spec = shard.spec
    scen = _scenario(spec.scenario)
    params = shard_params(shard)
    t0 = time.perf_counter()
    model = CooperativeModel(
        params, seed=seed, interventions=scen.interventions, replicates=shard.worlds, collect_metrics=False
    )  # world_metrics reads the state at the end
    founding = int(model.state.member[: model.state.n_households].sum())
    t1 = time.perf_counter()
    model.run_steps(spec.months)
    t2 = time.perf_counter()
    out = world_metrics(model)
    if spec.respondents:
        out.update(survey_metrics(model, seed, spec.respondents))
    s = model.state
    return ShardResult(
        shard=shard,
        seed=seed,
        worlds=out,
        agents=s.n,
        ties=len(model.ties),
        founding_members=founding,
        array_bytes=state_bytes(s, model.ties),
        build_seconds=t1 - t0,
        run_seconds=t2 - t1,
        peak_rss=peak_rss_bytes(),
    )


# ---- aggregation ------------------------------------------------------------------------------
def _summary_rows(code: int, name: str, worlds: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    rows = []
    n = len(next(iter(worlds.values())))
    for metric, values in worlds.items():
        v = np.asarray(values, dtype=float)
        ok = v[~np.isnan(v)]
        row: dict[str, Any] = {"region_code": code, "region": name, "worlds": n, "metric": metric, "n": ok.size}
        row["mean"] = float(ok.mean()) if ok.size else float("nan")
        for q in QUANTILES:
            row[_qname(q)] = float(np.quantile(ok, q)) if ok.size else float("nan")
        rows.append(row)
    return rows


def _qname(q: float) -> str:
    return "median" if q == 0.5 else f"q{round(100 * q):02d}"


def aggregate(results: Iterable[ShardResult]) -> Any:
    """The tidy per-region table: one row per (region, outcome) with the mean and quantiles over the
    region's worlds (parts of a region pooled, in shard order), then the national rows (``ID``)."""
    import pandas as pd

    results = sorted(results, key=lambda r: r.shard.index)
    by_region: dict[int, list[ShardResult]] = {}
    for r in results:
        by_region.setdefault(r.shard.region_code, []).append(r)
    rows: list[dict[str, Any]] = []
    pooled: dict[str, list[np.ndarray]] = {}
    for code, parts in by_region.items():
        worlds = {m: np.concatenate([p.worlds[m] for p in parts]) for m in parts[0].worlds}
        rows.extend(_summary_rows(code, parts[0].shard.region, worlds))
        for m, v in worlds.items():
            pooled.setdefault(m, []).append(v)
    if pooled:
        rows.extend(_summary_rows(NATIONAL_CODE, NATIONAL_NAME, {m: np.concatenate(v) for m, v in pooled.items()}))
    return pd.DataFrame(rows)


def worlds_frame(results: Iterable[ShardResult]) -> Any:
    """One row per simulated cooperative: shard, region, world within the shard and every outcome."""
    import pandas as pd

    frames = []
    for r in sorted(results, key=lambda r: r.shard.index):
        f = pd.DataFrame(r.worlds)
        f.insert(0, "world", np.arange(len(f)))
        f.insert(0, "region", r.shard.region)
        f.insert(0, "region_code", r.shard.region_code)
        f.insert(0, "shard", r.shard.index)
        frames.append(f)
    return pd.concat(frames, ignore_index=True)


@dataclass
class NationalResult:
    """A national run: the spec, the shard results (in shard order), the tidy regional table."""

    spec: NationalSpec
    shards: list[ShardResult]
    regions: Any  # pandas DataFrame (aggregate)
    wall_seconds: float

    @property
    def agents(self) -> int:
        return sum(r.agents for r in self.shards)

    @property
    def bytes_per_agent(self) -> float:
        """Array bytes of all shards ÷ their agents."""
        return sum(r.bytes_total for r in self.shards) / self.agents

    def largest_arrays(self, top: int = 8) -> list[tuple[str, float]]:
        """The arrays that dominate: (name, bytes per agent), largest first."""
        total: dict[str, int] = {}
        for r in self.shards:
            for k, v in r.array_bytes.items():
                total[k] = total.get(k, 0) + v
        ranked = sorted(total.items(), key=lambda kv: -kv[1])[:top]
        return [(k, v / self.agents) for k, v in ranked]

    def manifest(self, executor: str = "") -> dict[str, Any]:
        """Seed, parameters, versions, sizes, timings and the memory per agent, for the JSON file."""
        import kopsim

        spec, bps = self.spec, self.spec.bps
        first = self.shards[0].shard if self.shards else None
        params = shard_params(first).to_dict() if first else {}
        population = params.get("population", {})
        population.pop("members_per_cooperative", None)  # varies by shard: see shards[].members_per_cooperative
        return {
            "kopsim_version": kopsim.__version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "seed": spec.seed,
            "spec": spec.to_dict(),
            "executor": executor,
            "bps": {**asdict(bps), "members_per_cooperative": bps.members_per_cooperative},
            "provincial_split": PROVINCIAL_SPLIT,
            "world": {
                "villages": VILLAGES_PER_COOPERATIVE,
                "cooperatives": 1,
                "households": VILLAGES_PER_COOPERATIVE * spec.households_per_village,
            },
            "parameters": params,
            "scaled": {
                "cooperatives": spec.cooperatives,
                "members": spec.members,
                "founding_members_simulated": sum(r.founding_members for r in self.shards),
                "members_at_end": float(sum(r.worlds["members"].sum() for r in self.shards)),
                "agents": self.agents,
                "ties_at_end": sum(r.ties for r in self.shards),
            },
            "shards": [
                {
                    "index": r.shard.index,
                    "region_code": r.shard.region_code,
                    "region": r.shard.region,
                    "part": r.shard.part,
                    "worlds": r.shard.worlds,
                    "members": r.shard.members,
                    "members_per_cooperative": r.shard.members_per_cooperative,
                    "seed": r.seed,
                    "agents": r.agents,
                    "build_seconds": round(r.build_seconds, 4),
                    "run_seconds": round(r.run_seconds, 4),
                }
                for r in self.shards
            ],
            "memory": {
                "what": "sum of ndarray.nbytes of the State and Ties arrays at the end of the run, per agent",
                "bytes_per_agent": round(self.bytes_per_agent, 1),
                "largest_arrays_bytes_per_agent": {k: round(v, 1) for k, v in self.largest_arrays()},
                "worker_peak_rss_bytes": max((r.peak_rss for r in self.shards), default=0),
            },
            "wall_seconds": round(self.wall_seconds, 3),
            "agent_months_per_second": self.agents * spec.months / self.wall_seconds if self.wall_seconds else None,
        }


def run_national(spec: NationalSpec, executor: Executor | None = None) -> NationalResult:
    """Plan the shards, run them on ``executor`` (None: in this process, one after another) and
    aggregate per region. Same spec (seed included), same numbers, whatever the executor."""
    shards = plan(spec)
    check(shards)
    seeds = [shard_seed(spec.seed, s.index, len(shards)) for s in shards]
    t0 = time.perf_counter()
    if executor is None:
        results = [run_shard(s, k) for s, k in zip(shards, seeds, strict=True)]
    else:
        futures = [executor.submit(run_shard, s, k) for s, k in zip(shards, seeds, strict=True)]
        results = [f.result() for f in futures]
    wall = time.perf_counter() - t0
    return NationalResult(spec, results, aggregate(results), wall)


__all__ = [
    "BPS",
    "PROVINCES",
    "NationalResult",
    "NationalSpec",
    "Shard",
    "ShardResult",
    "aggregate",
    "check",
    "plan",
    "run_national",
    "run_shard",
    "shard_seed",
    "state_bytes",
    "world_metrics",
]
