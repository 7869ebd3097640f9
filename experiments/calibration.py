"""Survey-based calibration: ABC-SMC (pyabc) of scenario parameters against member-survey statistics.

``kopsim calibrate SCENARIO TARGETS [--budget N] [--population P] [--generations G] [--seed S] [--out DIR]``

**Targets file** (TOML; a shipped name such as ``mandiri_jaya`` or a path)::

    [targets]
    respondents = 30              # n of the survey (required); every statistic below is from it
    steps = 108                   # optional: month of the survey (default: the scenario's steps)
    cooperative = 0               # optional: the surveyed cooperative (default 0)
    source = "Firdaus & Baga 2019"

    [targets.items]               # item totals, n .. 3n (simulation.survey.ITEM_NAMES)
    rat_attendance = 84
    [targets.categories]          # the category of an item total: low | medium | high
    giving_suggestions = "medium"
    [targets.spearman]            # Spearman r_s of the benefit score with a participation domain
    organisation = 0.529
    [targets.shares.training_satisfaction]   # share of respondents giving answer 1, 2 or 3
    1 = 0.167
    2 = 0.5

    [priors]                      # the fitted parameters: uniform on [low, high], or log-uniform
    "participation.benefit_weight" = { low = 0.5, high = 20 }
    "finance.loan_return" = { low = 0.01, high = 0.2, scale = "log" }
    "survey.noise_sd" = { low = 0.05, high = 0.3 }   # response-model constants may be fitted too

    [survey]                      # optional: fixed response-model constants (survey.ResponseModel)
    noise_sd = 0.15

Whole-number parameters are sampled on [low, high] and rounded in each run. ``survey.*`` keys
are the constants of :class:`kopsim.survey.ResponseModel` (how answers follow from the
model state); they are not scenario parameters, so ``calibrated.toml`` lists them as comments.

**Distances that respect sample size.** Every target t gives a squared standardised
discrepancy z_t² between the statistic of a simulated survey of the same n respondents and
the observed one; the ABC distance is their sum D = Σ_t z_t² (:func:`total_z`,
:func:`category_z`, :func:`spearman_z`, :func:`share_deviance`):

* item total T (answers 1..3): T − n ~ Binomial(2n, q) per the binomial approximation of
  one answer, so z = (T_sim − T_obs) / √(2n·q̃(1 − q̃)), q̃ = (T_obs − n + 1)/(2n + 2) (the
  observed share of the 2n answer steps with one step added each way, so an all-3 item
  keeps a finite weight);
* category of a total (low ≤ 5n/3 < medium < 12n/5 ≤ high, simulation.survey): z = 0 inside
  the category, else max(½, |T_sim − b|) over √(2n·q_b(1 − q_b)) with b the nearest bound
  and q_b = (b − n + 1)/(2n + 2);
* Spearman r_s: Fisher z, z = (atanh r_sim − atanh r_obs)·√((n − 3)/1.06) (the variance
  1.06/(n − 3) of atanh r_s: Fieller, Hartley & Pearson 1957); |r| is capped at 0.9999, and an
  undefined r_sim (a constant score) counts as 0;
* answer shares of an item (the answers given, plus a "rest" cell when they sum to less than
  1): the multinomial deviance G² = 2n Σ_c s_c ln(s_c / p̃_c) of the observed shares s_c
  against the simulated ones, p̃_c = (m·p_c + ½)/(m + K/2) (m simulated respondents, K cells;
  the half counts keep an unobserved answer finite). G² is χ² with K − 1 d.f., on the same
  scale as the squared z's.

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
posterior (so no more than the budget is spent).

**One simulation**: the scenario with the particle's parameters (network metrics off: they do
not feed back) run ``steps`` months with a run seed s, then :func:`kopsim.survey.virtual_survey`
of n respondents of the cooperative with survey seed SeedSequence([s, 1]), analysed by
:func:`kopsim.survey.analyse`. Seeds: the driver seeds numpy's global generator with
``--seed``; job j of generation t seeds its worker with SeedSequence([seed, t + 1, j]) before
pyabc draws the particle and the run seed s, and a generation keeps the first P accepted
particles in job order, so a fit is reproducible from ``--seed`` on every executor
(sequential, process pool, Dask; jobs started beyond the P-th acceptance are discarded and
reported as ``simulations_discarded``). The pyabc sampler here submits to the executors of
:mod:`experiments.executors`.

**Output** (``--out DIR``): ``posterior.csv`` (the final generation's particles and weights),
``posterior_summary.csv`` (prior, weighted median, 5% and 95% quantiles, the point written),
``ppc.csv`` (each target beside the median and 90% interval of ``--ppc-draws`` posterior-
predictive surveys — parameters drawn from the posterior, a new run seed each — and, in the
``point_*`` columns, of as many runs of the calibrated point with new seeds),
``ppc_draws.csv`` / ``point_draws.csv`` (the statistics of those surveys), ``populations.csv``
(ε and simulations per generation), ``posterior.png``, ``ppc.png``, ``calibrated.toml`` (a
scenario that ``extends`` the original with the point: ``--point best`` (default), of the
marginal medians and the 8 particles of highest posterior density the one with the smallest mean
distance over 25 new runs (``point_candidates.csv``; :func:`best_point`), ``mode``, the particle
of highest density, or ``median``; :func:`point_estimate`) and ``manifest.json``; ``abc.db`` is
pyabc's database (sqlite).

Needs pyabc: the optional extra ``kopsim[calibration]``.
"""

from __future__ import annotations

import concurrent.futures as cf
import difflib
import hashlib
import json
import math
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kopsim import survey as sv
from kopsim.batch import release
from kopsim.errors import UsageError
from kopsim.parameters import GROUPS, ParameterError, Parameters, unknown_key
from kopsim.participation import DOMAINS
from kopsim.scenario import Scenario, load

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INSTALL_HINT = "install it with: pip install 'kopsim[calibration]'"
KINDS = ("items", "categories", "spearman", "shares")
TARGET_KEYS = ("respondents", "steps", "cooperative", "source", "description", *KINDS)
TOP_KEYS = ("targets", "priors", "survey")
PRIOR_KEYS = ("low", "high", "scale")
SCALES = ("linear", "log")
RESPONSE_GROUP = "survey"
CATEGORY_NAMES = {"low": "low", "medium": "medium", "high": "high",
                  "rendah": "low", "sedang": "medium", "tinggi": "high"}
CATEGORIES = ("low", "medium", "high")
SPEARMAN_VARIANCE = 1.06      # Var(atanh r_s) ≈ 1.06 / (n − 3) (Fieller, Hartley & Pearson 1957)
R_CAP = 0.9999
SHARE_SUM_TOLERANCE = 0.01
INTERVAL = (0.05, 0.95)       # the 90% intervals
DEFAULT_BUDGET = 2000
DEFAULT_POPULATION = 200
DEFAULT_GENERATIONS = 20
DEFAULT_PPC_DRAWS = 200
PPC_TAG = 0x5050C             # SeedSequence tag of the posterior-predictive draws
POINTS = ("best", "mode", "median")
# Perturbation kernels of ABC-SMC: a multivariate normal around each particle with the
# previous generation's weighted covariance Σ times a factor.
KERNELS = ("silverman", "beaumont")
POINT_TEXT = {"best": "candidate with the smallest mean distance over new runs (see --point)",
              "mode": "mode (highest kernel density among the final particles)",
              "median": "medians (of each parameter)"}
BEST_CANDIDATES = 30          # --point best: the densest particles tried besides the medians
BEST_RUNS = 200               # --point best: runs per candidate (one batch, the same batch seed for each)
SHIPPED = {"mandiri_jaya": "mandiri_jaya_targets.toml"}
DATA = resources.files("kopsim") / "data"


class CalibrationError(UsageError):
    """Unusable calibration input: one line naming the file and key; exit code 2."""


def _pyabc() -> Any:
    try:
        import pyabc
    except ImportError:
        raise CalibrationError(f"calibration needs pyabc, which is not installed; {INSTALL_HINT}") from None
    return pyabc


# ---- distances ----------------------------------------------------------------------------------
def _q_tilde(total: float, n: int) -> float:
    """q̃ = (T − n + 1)/(2n + 2): the share of the 2n answer steps taken, one added each way."""
    return (total - n + 1.0) / (2.0 * n + 2.0)


def total_z(sim_total: float, obs_total: float, n: int) -> float:
    """z = (T_sim − T_obs) / √(2n·q̃(1 − q̃)), q̃ = (T_obs − n + 1)/(2n + 2).

    Each answer is 1 + Binomial(2, q), so a total T of n answers has T − n ~ Binomial(2n, q)
    and Var T = 2n·q(1 − q); q is estimated from the observed total with one step added each
    way (a total of 3n keeps a finite weight)."""
    q = _q_tilde(obs_total, n)
    return (sim_total - obs_total) / math.sqrt(2.0 * n * q * (1.0 - q))


def category_bounds(category: str, n: int) -> tuple[float, float]:
    """The interval of totals of ``category`` for n respondents: low [n, 5n/3], medium
    (5n/3, 12n/5), high [12n/5, 3n] (simulation.survey's thresholds on the mean answer)."""
    low_max = sv.LOW_MAX_MEAN[0] * n / sv.LOW_MAX_MEAN[1]
    high_min = sv.HIGH_MIN_MEAN[0] * n / sv.HIGH_MIN_MEAN[1]
    return {"low": (float(n), low_max), "medium": (low_max, high_min), "high": (high_min, 3.0 * n)}[category]


def category_z(sim_total: float, category: str, n: int) -> float:
    """0 when the simulated total falls in ``category`` (simulation.survey's rule), else
    max(½, |T_sim − b|) / √(2n·q_b(1 − q_b)) with b the category's nearest bound and
    q_b = (b − n + 1)/(2n + 2): the total-z of the bound, so a near miss costs little (but a
    total on the wrong side of a bound at least half an answer step)."""
    if sv.category_bounds(n).category(sim_total) == category:
        return 0.0
    lo, hi = category_bounds(category, n)
    b = lo if sim_total <= lo else hi
    q = _q_tilde(b, n)
    return max(0.5, abs(sim_total - b)) / math.sqrt(2.0 * n * q * (1.0 - q))


def spearman_z(sim_r: float, obs_r: float, n: int) -> float:
    """Fisher z: (atanh r_sim − atanh r_obs)·√((n − 3)/1.06); |r| capped at 0.9999; NaN r_sim → 0."""
    if n <= 3:
        raise ValueError("a Spearman target needs more than 3 respondents")
    r_sim = 0.0 if sim_r != sim_r else sim_r
    zs, zo = (math.atanh(max(-R_CAP, min(R_CAP, r))) for r in (r_sim, obs_r))
    return (zs - zo) * math.sqrt((n - 3) / SPEARMAN_VARIANCE)


def share_cells(observed: Mapping[int, float]) -> list[tuple[tuple[int, ...], float]]:
    """The multinomial cells of a share target: each given answer, plus the rest when the
    given shares sum to less than 1 (within 0.01)."""
    cells = [((a,), float(s)) for a, s in sorted(observed.items())]
    rest = [a for a in sv.ANSWERS if a not in observed]
    total = sum(observed.values())
    if rest and total < 1.0 - 1e-9:
        cells.append((tuple(rest), max(0.0, 1.0 - total)))
    return cells


def share_deviance(sim_shares: Mapping[int, float], observed: Mapping[int, float], n: int, m: int) -> float:
    """G² = 2n Σ_c s_c ln(s_c / p̃_c) over the cells of :func:`share_cells`; p̃_c = (m·p_c + ½)/(m + K/2)
    with p_c the simulated share of cell c among m simulated respondents (K cells)."""
    cells = share_cells(observed)
    k = len(cells)
    g2 = 0.0
    for answers, s in cells:
        if s <= 0:
            continue
        p = sum(sim_shares.get(a, 0.0) for a in answers)
        p_tilde = (m * p + 0.5) / (m + 0.5 * k)
        g2 += s * math.log(s / p_tilde)
    return max(0.0, 2.0 * n * g2)


# ---- targets ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prior:
    """A fitted parameter ``group.name``: uniform (``scale = "linear"``) or log-uniform on [low, high]."""

    key: str
    low: float
    high: float
    scale: str = "linear"
    integer: bool = False

    @property
    def response(self) -> bool:
        """A constant of the survey response model rather than a scenario parameter."""
        return self.key.startswith(f"{RESPONSE_GROUP}.")

    @property
    def name(self) -> str:
        """The name pyabc uses (no dots)."""
        return self.key.replace(".", "__")

    def value(self, x: float) -> float | int:
        """The value a run uses: rounded for a whole-number parameter."""
        return round(x) if self.integer else float(x)

    def density(self, x: np.ndarray) -> np.ndarray:
        inside = (x >= self.low) & (x <= self.high)
        if self.scale == "log":
            return np.where(inside, 1.0 / (np.maximum(x, 1e-300) * math.log(self.high / self.low)), 0.0)
        return np.where(inside, 1.0 / (self.high - self.low), 0.0)

    def text(self) -> str:
        kind = "log-uniform" if self.scale == "log" else "uniform"
        return f"{kind} [{self.low:g}, {self.high:g}]"


@dataclass(frozen=True)
class Target:
    """One observed statistic: ``kind`` total | category | spearman | share, of ``key`` (an item or
    a domain), from a survey of ``n`` respondents."""

    kind: str
    key: str
    observed: Any
    n: int
    reported: float | None = None  # a category target's published total, shown in the PPC only

    @property
    def label(self) -> str:
        if self.kind == "share":
            return f"share.{self.key}." + "+".join(str(a) for a in sorted(self.observed))
        prefix = {"total": "total", "category": "category", "spearman": "rs"}[self.kind]
        return f"{prefix}.{self.key}"

    def z2(self, x: Mapping[str, float]) -> float:
        """The squared standardised discrepancy of a simulated statistics dict ``x`` (see module)."""
        if self.kind == "total":
            return total_z(x[f"total.{self.key}"], self.observed, self.n) ** 2
        if self.kind == "category":
            return category_z(x[f"total.{self.key}"], self.observed, self.n) ** 2
        if self.kind == "spearman":
            return spearman_z(x[f"rs.{self.key}"], self.observed, self.n) ** 2
        sim = {a: x[f"share.{self.key}.{a}"] for a in sv.ANSWERS}
        return share_deviance(sim, self.observed, self.n, int(x["respondents"]))


@dataclass(frozen=True)
class Targets:
    """A parsed, validated targets file."""

    source: str
    respondents: int
    steps: int | None
    cooperative: int
    targets: tuple[Target, ...]
    priors: tuple[Prior, ...]
    response: dict[str, float] = field(default_factory=dict)
    description: str = ""
    text: str = ""

    def observed(self) -> dict[str, float]:
        """The observed statistics as a flat dict (pyabc's x_0; categories as 0 / 1 / 2)."""
        out: dict[str, float] = {}
        for t in self.targets:
            if t.kind == "share":
                for a, s in t.observed.items():
                    out[f"share.{t.key}.{a}"] = float(s)
            elif t.kind == "category":
                out[t.label] = float(CATEGORIES.index(t.observed))
            else:
                out[t.label] = float(t.observed)
        return out

    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def shipped_targets() -> list[str]:
    return sorted(SHIPPED)


def _read_targets_text(spec: str | Path) -> tuple[str, str]:
    name = str(spec)
    if name in SHIPPED:
        return f"simulation/data/{SHIPPED[name]}", (DATA / SHIPPED[name]).read_text(encoding="utf-8")
    path = Path(name)
    if not (name.endswith(".toml") or path.exists() or "/" in name):
        hint = difflib.get_close_matches(name, shipped_targets(), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise CalibrationError(f"{name}: no such targets file or shipped targets (shipped: "
                               f"{', '.join(shipped_targets())}){extra}")
    try:
        return name, path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CalibrationError(f"{name}: file not found") from None
    except (IsADirectoryError, UnicodeDecodeError):
        raise CalibrationError(f"{name}: not a readable UTF-8 text file") from None


def load_targets(spec: str | Path, params: Parameters | None = None) -> Targets:
    """Read and validate a targets file (a shipped name or a path); every mistake raises
    :class:`CalibrationError` with one line naming the key (and the nearest valid one)."""
    src, text = _read_targets_text(spec)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CalibrationError(f"{src}: not valid TOML: {err}") from None
    return targets_from_dict(data, src, params, text)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def targets_from_dict(data: Mapping[str, Any], src: str = "<targets>", params: Parameters | None = None,
                      text: str = "") -> Targets:
    """Validate an already-parsed targets mapping (see the module docstring for the layout)."""
    def fail(key: str, what: str) -> CalibrationError:
        return CalibrationError(f"{src}: {key}: {what}")

    for key in data:
        if key not in TOP_KEYS:
            raise fail(key, unknown_key(key, TOP_KEYS))
    head = data.get("targets")
    if not isinstance(head, dict):
        raise fail("targets", "missing table [targets] with respondents and the observed statistics")
    for key in head:
        if key not in TARGET_KEYS:
            hint = difflib.get_close_matches(key, TARGET_KEYS, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {', '.join(TARGET_KEYS)}"
            raise fail(f"targets.{key}", f"unknown statistic{extra}")
    n = head.get("respondents")
    if not _whole(n) or n < 1:
        raise fail("targets.respondents", f"expected the number of respondents, a whole number >= 1, got {n!r}")
    steps = head.get("steps")
    if steps is not None and (not _whole(steps) or steps < 1):
        raise fail("targets.steps", f"expected the survey month, a whole number >= 1, got {steps!r}")
    coop = head.get("cooperative", 0)
    if not _whole(coop) or coop < 0:
        raise fail("targets.cooperative", f"expected a whole number >= 0, got {coop!r}")
    if params is not None and coop >= params.population.n_cooperatives:
        raise fail("targets.cooperative", f"{coop} does not exist; allowed 0..{params.population.n_cooperatives - 1}")
    for key in ("source", "description"):
        if key in head and not isinstance(head[key], str):
            raise fail(f"targets.{key}", f"expected text, got {head[key]!r}")
    targets: list[Target] = []
    for kind in KINDS:
        table = head.get(kind, {})
        if not isinstance(table, dict):
            raise fail(f"targets.{kind}", "expected a table of statistics")
        for key, value in table.items():
            targets.append(_target(kind, key, value, n, fail))
    if not targets:
        raise fail("targets", f"no statistics; give at least one of [targets.{'], [targets.'.join(KINDS)}]")
    priors = _priors(data.get("priors"), params, fail)
    response = data.get(RESPONSE_GROUP, {})
    if not isinstance(response, dict):
        raise fail(RESPONSE_GROUP, "expected a table of response-model constants")
    rfields = {f.name for f in fields(sv.ResponseModel)}
    for key in response:
        if key not in rfields:
            raise fail(f"{RESPONSE_GROUP}.{key}", unknown_key(key, rfields))
    try:
        sv.ResponseModel(**response)
    except ParameterError as err:
        raise fail(f"{RESPONSE_GROUP}.{err.path}", err.reason) from None
    fitted_response = {p.key.split(".", 1)[1] for p in priors if p.response}
    both = fitted_response & set(response)
    if both:
        key = sorted(both)[0]
        raise fail(f"{RESPONSE_GROUP}.{key}", "is also in [priors]; give it a fixed value or a prior, not both")
    return Targets(src, n, steps, coop, tuple(targets), priors, dict(response),
                   str(head.get("description", head.get("source", ""))), text)


def _target(kind: str, key: str, value: Any, n: int, fail: Callable[[str, str], CalibrationError]) -> Target:
    where = f"targets.{kind}.{key}"
    if kind == "spearman":
        if key not in DOMAINS:
            hint = difflib.get_close_matches(key, DOMAINS, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else f"; allowed: {', '.join(DOMAINS)}"
            raise fail(where, f"unknown statistic{extra}")
        if isinstance(value, dict) and "rs" in value:  # the layout of the published figures
            value = value["rs"]
        if not _number(value) or not -1.0 <= value <= 1.0:
            raise fail(where, f"expected a Spearman r_s in [-1, 1], got {value!r}")
        if n <= 3:
            raise fail(where, f"a Spearman target needs more than 3 respondents (targets.respondents = {n})")
        return Target("spearman", key, float(value), n)
    if key not in sv.ITEM_NAMES:
        hint = difflib.get_close_matches(key, sv.ITEM_NAMES, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else "; allowed: the item names (kopsim survey --template)"
        raise fail(where, f"unknown statistic{extra}")
    if kind == "items":
        if not _number(value) or not n <= value <= 3 * n:
            raise fail(where, f"expected an item total in {n}..{3 * n} (answers 1-3 of {n} respondents), "
                              f"got {value!r}")
        return Target("total", key, float(value), n)
    if kind == "categories":
        total = None
        if isinstance(value, dict):  # { category = "high", total = 84 }: the total is only reported
            for k in value:
                if k not in ("category", "total"):
                    raise fail(f"{where}.{k}", unknown_key(k, ("category", "total")))
            total = value.get("total")
            if total is not None and (not _number(total) or not n <= total <= 3 * n):
                raise fail(f"{where}.total", f"expected an item total in {n}..{3 * n}, got {total!r}")
            value = value.get("category")
        cat = CATEGORY_NAMES.get(value.strip().lower()) if isinstance(value, str) else None
        if cat is None:
            raise fail(where, f"expected low, medium or high (or {{ category = .., total = .. }}), got {value!r}")
        if total is not None and sv.category_bounds(n).category(total) != cat:
            raise fail(f"{where}.total", f"{total:g} is not in the {cat} category for {n} respondents")
        return Target("category", key, cat, n, None if total is None else float(total))
    if not isinstance(value, dict) or not value:
        raise fail(where, "expected a table of answer = share, e.g. { 1 = 0.2, 3 = 0.5 }")
    shares: dict[int, float] = {}
    for a, s in value.items():
        if str(a) not in ("1", "2", "3"):
            raise fail(f"{where}.{a}", "unknown answer; answers are 1, 2 or 3")
        if not _number(s) or not 0.0 <= s <= 1.0:
            raise fail(f"{where}.{a}", f"expected a share in [0, 1], got {s!r}")
        shares[int(a)] = float(s)
    total = sum(shares.values())
    if total > 1.0 + SHARE_SUM_TOLERANCE or (len(shares) == 3 and abs(total - 1.0) > SHARE_SUM_TOLERANCE):
        raise fail(where, f"the shares sum to {total:.3f}; they must sum to at most 1 (to 1 for all three answers)")
    return Target("share", key, shares, n)


def _priors(table: Any, params: Parameters | None, fail: Callable[[str, str], CalibrationError]) -> tuple[Prior, ...]:
    if not isinstance(table, dict) or not table:
        raise fail("priors", 'missing table [priors]: name the fitted parameters, e.g. '
                             '"participation.benefit_weight" = { low = 0.5, high = 20 }')
    flat: list[tuple[str, Any]] = []
    for key, value in table.items():
        if isinstance(value, dict) and value and not set(value) & set(PRIOR_KEYS) \
                and all(isinstance(v, dict) for v in value.values()):
            flat += [(f"{key}.{name}", v) for name, v in value.items()]  # [priors.group] name = {...}
        else:
            flat.append((key, value))
    priors: list[Prior] = []
    for key, spec in flat:
        where = f"priors.{key}"
        default = _parameter_default(key, where, fail)
        if isinstance(spec, list) and len(spec) == 2:
            spec = {"low": spec[0], "high": spec[1]}
        if not isinstance(spec, dict):
            raise fail(where, f"expected {{ low = .., high = .. }} (optionally scale = \"log\"), got {spec!r}")
        for k in spec:
            if k not in PRIOR_KEYS:
                raise fail(f"{where}.{k}", unknown_key(k, PRIOR_KEYS))
        lo, hi = spec.get("low"), spec.get("high")
        for what, v in (("low", lo), ("high", hi)):
            if not _number(v):
                raise fail(f"{where}.{what}", f"expected a number, got {v!r}")
        if lo > hi:
            raise fail(where, f"low ({lo:g}) > high ({hi:g}); allowed: low < high")
        if lo == hi:
            raise fail(where, f"low = high = {lo:g}; fix the value in the scenario instead, or widen the prior")
        scale = spec.get("scale", "linear")
        if scale not in SCALES:
            raise fail(f"{where}.scale", f"{scale!r} is not allowed; use linear or log")
        if scale == "log" and lo <= 0:
            raise fail(where, f"a log-uniform prior needs low > 0, got {lo:g}")
        meta = _parameter_meta(key)
        a, b = meta.get("lo"), meta.get("hi")
        if (a is not None and lo < a) or (b is not None and hi > b):
            allowed = f"[{a if a is not None else '-inf'}, {b if b is not None else 'inf'}]"
            raise fail(where, f"[{lo:g}, {hi:g}] leaves the parameter's allowed range {allowed}")
        integer = isinstance(default, int)
        if any(p.key == key for p in priors):
            raise fail(where, "given twice")
        priors.append(Prior(key, float(lo), float(hi), scale, integer))
    if params is not None:
        point = {p.key: p.value((p.low + p.high) / 2) for p in priors if not p.response}
        try:
            params.replace(point)
        except ParameterError as err:
            raise fail("priors", f"the middle of the priors is not a valid parameter set: {err}") from None
    return tuple(priors)


def _parameter_field(key: str) -> Any:
    group, name = key.split(".", 1)
    cls = sv.ResponseModel if group == RESPONSE_GROUP else GROUPS[group]
    return {f.name: f for f in fields(cls)}[name]


def _parameter_meta(key: str) -> Mapping[str, Any]:
    return _parameter_field(key).metadata


def _parameter_default(key: str, where: str, fail: Callable[[str, str], CalibrationError]) -> Any:
    if "." not in key:
        raise fail(where, "expected GROUP.NAME, e.g. participation.benefit_weight")
    group, name = key.split(".", 1)
    groups = {**GROUPS, RESPONSE_GROUP: sv.ResponseModel}
    if group not in groups:
        raise fail(where, f"unknown parameter group; {unknown_key(group, groups)[len('unknown key; '):]}")
    names = {f.name: f for f in fields(groups[group])}
    if name not in names:
        raise fail(where, f"unknown parameter; {unknown_key(name, names)[len('unknown key; '):]}")
    default = names[name].default
    if isinstance(default, (bool, str)) or not isinstance(default, (int, float)):
        raise fail(where, "not a numeric parameter; only numbers can be fitted")
    return default


# ---- targets from data ------------------------------------------------------------------------------
def targets_toml(result: sv.SurveyResult | sv.PublishedSurvey, source: str, shares: bool = True) -> str:
    """A targets file (text) stating every item total, the three Spearman r_s and (for real answers,
    ``shares``) every item's answer shares, with a starter [priors] block to edit."""
    if isinstance(result, sv.PublishedSurvey):
        n = result.respondents
        totals = {k: int(v) for k, v in result.totals.items()}
        rs = {d: v[0] for d, v in result.spearman.items()}
        share_rows: dict[str, tuple[float, float, float]] = {}
    else:
        n = result.n
        totals = {k: int(v) for k, v in result.items["total"].items()}
        rs = {d: float(v) for d, v in result.spearman["rs"].items() if v == v}
        share_rows = {k: (row["share_1"], row["share_2"], row["share_3"]) for k, row in result.items.iterrows()}
    lines = [f"# Calibration targets from {source} (written by kopsim calibrate --from-survey).",
             "# Edit [priors] to name the parameters to fit; delete statistics you do not want to fit.",
             "", "[targets]", f"respondents = {n}", f'source = "{source}"', "", "[targets.items]"]
    lines += [f"{k:<26}= {v}" for k, v in totals.items()]
    if rs:
        lines += ["", "[targets.spearman]"] + [f"{d:<14}= {v:.3f}" for d, v in rs.items()]
    if shares and share_rows:
        lines += ["", "# shares of respondents answering 1 / 2 / 3 (the totals above already fix their mean)"]
        lines += ["# [targets.shares]"]
        lines += [f"# {k} = {{ 1 = {a:.3f}, 2 = {b:.3f}, 3 = {c:.3f} }}" for k, (a, b, c) in share_rows.items()]
    lines += ["", "[priors]",
              '"participation.benefit_weight" = { low = 0.5, high = 20 }',
              '"participation.intercept_organisation" = { low = -12, high = 2 }',
              '"governance.honorarium_cost" = { low = 0, high = 5 }',
              '"skills.training_quota" = { low = 2, high = 100 }']
    return "\n".join(lines) + "\n"


# ---- simulation ---------------------------------------------------------------------------------
def survey_statistics(result: sv.SurveyResult, n_target: int) -> dict[str, float]:
    """Every statistic a target can name, of one analysed survey: ``total.<item>`` (the mean answer
    × n_target, so a survey capped at fewer members is on the target's scale), ``share.<item>.<a>``,
    ``rs.<domain>`` (0 when undefined) and ``respondents``."""
    items = result.items.loc[list(sv.ITEM_NAMES)]
    return _statistics(result.n, items["total"].to_numpy(), items[[f"share_{a}" for a in sv.ANSWERS]].to_numpy(),
                       result.spearman.loc[list(DOMAINS), "rs"].to_numpy(), n_target)


def _statistics(n: int, totals: np.ndarray, shares: np.ndarray, rs: np.ndarray, n_target: int) -> dict[str, float]:
    """The statistics dict of one survey: totals (15,), shares (15, 3), r_s (3,) in ITEM_NAMES / DOMAINS order."""
    x: dict[str, float] = {"respondents": float(n)}
    for k, item in enumerate(sv.ITEM_NAMES):
        x[f"total.{item}"] = float(totals[k]) / n * n_target
        for j, a in enumerate(sv.ANSWERS):
            x[f"share.{item}.{a}"] = float(shares[k, j])
    for k, dom in enumerate(DOMAINS):
        r = float(rs[k])
        x[f"rs.{dom}"] = 0.0 if r != r else r
    return x


INVALID = "invalid"


def batch_survey_statistics(res: Any, n_target: int) -> list[dict[str, float]]:
    """:func:`survey_statistics` of every replicate of a :class:`kopsim.batch.BatchSurveys`
    (``{"invalid": 1}`` for a replicate with too few members)."""
    return [_statistics(res.n, res.totals[r], res.shares[r], res.rs[r], n_target) if res.valid[r] else {INVALID: 1.0}
            for r in range(len(res))]


@dataclass(frozen=True)
class SurveySimulator:
    """pyabc's model: the scenario with a particle's parameters, run and surveyed (see the module)."""

    params: Parameters
    interventions: tuple[Any, ...]
    steps: int
    respondents: int
    cooperative: int
    priors: tuple[Prior, ...]
    response: Mapping[str, float] = field(default_factory=dict)

    def split(self, pars: Mapping[str, float]) -> tuple[dict[str, Any], dict[str, Any]]:
        """(scenario overrides, response-model constants) of a particle (pyabc names or keys)."""
        model: dict[str, Any] = {}
        response: dict[str, Any] = dict(self.response)
        for p in self.priors:
            x = pars[p.name] if p.name in pars else pars[p.key]
            if p.response:
                response[p.key.split(".", 1)[1]] = p.value(x)
            else:
                model[p.key] = p.value(x)
        return model, response

    def configure(self, pars: Mapping[str, float]) -> tuple[Parameters, sv.ResponseModel] | None:
        """The scenario's parameters and the response model of a particle; None if the model refuses them."""
        model_over, response = self.split(pars)
        try:
            return self.params.replace(model_over), sv.ResponseModel(**response)
        except ParameterError:
            return None

    def simulate(self, pars: Mapping[str, float], seed: int) -> dict[str, float]:
        """The statistics of one run and survey (``{"invalid": 1}`` for a parameter set the model refuses)."""
        from kopsim.model import CooperativeModel

        configured = self.configure(pars)
        if configured is None:
            return {INVALID: 1.0}
        params, rm = configured
        model = CooperativeModel(params, seed=seed, interventions=self.interventions)
        try:
            model.run(self.steps)
            survey_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
            try:
                responses = sv.virtual_survey(model, self.respondents, survey_seed, self.cooperative, rm)
            except sv.SurveyError:  # e.g. every member has left
                return {INVALID: 1.0}
            return survey_statistics(sv.analyse(responses), self.respondents)
        finally:
            release(model)

    def simulate_batch(self, pars: Mapping[str, float], seed: int, runs: int) -> list[dict[str, float]]:
        """The statistics of ``runs`` runs and surveys of one parameter set: one vectorised batch
        (:mod:`kopsim.batch`; batch seed ``seed``) for a scenario without interventions, else
        one by one with seeds drawn from ``seed``."""
        from kopsim import batch

        if self.interventions:
            seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, runs)
            return [self.simulate(pars, int(x)) for x in seeds]
        configured = self.configure(pars)
        if configured is None:
            return [{INVALID: 1.0}] * runs
        params, rm = configured
        res = batch.run_and_survey(params, runs, self.steps, seed, self.respondents, self.cooperative, rm)
        return batch_survey_statistics(res, self.respondents)

    def __call__(self, pars: Mapping[str, float]) -> dict[str, float]:
        # the worker's numpy generator was seeded for this job (see _SeededSampler)
        return self.simulate(pars, int(np.random.randint(0, 2**31 - 1)))


@dataclass(frozen=True)
class SurveyDistance:
    """D = Σ_t z_t² over the targets (module docstring); infinite for an invalid simulation."""

    targets: tuple[Target, ...]

    def terms(self, x: Mapping[str, float]) -> dict[str, float]:
        return {t.label: t.z2(x) for t in self.targets}

    def __call__(self, x: Mapping[str, float], x_0: Mapping[str, float] | None = None) -> float:
        if INVALID in x:
            return math.inf
        return float(sum(t.z2(x) for t in self.targets))


# ---- the sampler on our executors -------------------------------------------------------------
def _job_seed(root: int, t: int, job: int) -> int:
    return int(np.random.SeedSequence([root, t + 1, job]).generate_state(1)[0])


_LOADED: dict[str, Any] = {}  # in a worker: the last generation's simulate_one, by the hash of its pickle


def _seeded_job(simulate_one_pickle: bytes, key: str, job: int, seed: int) -> tuple[int, Any, bool]:
    """Run pyabc's ``simulate_one`` once with numpy's and random's global generators seeded."""
    import random

    import cloudpickle

    simulate_one = _LOADED.get(key)
    if simulate_one is None:  # unpickled once per generation and worker
        _LOADED.clear()
        simulate_one = _LOADED[key] = cloudpickle.loads(simulate_one_pickle)
    random.seed(seed)
    np.random.seed(seed)
    particle = simulate_one()
    return job, particle, bool(particle.accepted)


def make_sampler(executor: cf.Executor, in_flight: int, root_seed: int, budget: int,
                 progress: Callable[[str], None] | None = None) -> Any:
    """A pyabc sampler that submits jobs to ``executor`` (at most ``in_flight`` at a time), seeds
    job j of generation t with SeedSequence([root_seed, t + 1, j]), keeps the first n accepted
    particles in job order, and never lets the jobs kept exceed ``budget``."""
    pyabc = _pyabc()

    class SeededFutureSampler(pyabc.sampler.Sampler):
        def __init__(self) -> None:
            super().__init__()
            self.budget_left = budget
            self.used = 0
            self.discarded = 0
            self.generations: list[dict[str, Any]] = []

        def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False,
                                    ana_vars=None):
            import cloudpickle

            payload = cloudpickle.dumps(simulate_one)
            key = hashlib.sha1(payload).hexdigest()
            limit = self.budget_left if math.isfinite(self.budget_left) else sys.maxsize
            if math.isfinite(max_eval):
                limit = min(limit, int(max_eval))
            results: dict[int, tuple[Any, bool]] = {}
            running: dict[cf.Future, int] = {}
            next_job = 0
            nth: int | None = None

            def nth_accepted() -> int | None:
                # the n-th accepted job in job order, provided every earlier job has finished
                count = 0
                for j in range(next_job):
                    if j not in results:
                        return None
                    if results[j][1]:
                        count += 1
                        if count == n:
                            return j
                return None

            while True:
                accepted = sum(1 for _, ok in results.values() if ok)
                while len(running) < in_flight and accepted < n and next_job < limit:
                    fut = executor.submit(_seeded_job, payload, key, next_job, _job_seed(root_seed, t, next_job))
                    running[fut] = next_job
                    next_job += 1
                nth = nth_accepted()
                if nth is not None or not running:
                    break
                done, _ = cf.wait(list(running), return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    job, particle, ok = fut.result()
                    del running[fut]
                    results[job] = (particle, ok)
            for fut in list(running):  # jobs beyond the n-th acceptance: cancel, or let them finish
                if not fut.cancel():
                    fut.result()
                    self.discarded += 1
            last = nth if nth is not None else next_job - 1
            sample = self._create_empty_sample()
            for j in range(last + 1):  # every job up to the n-th acceptance has finished
                sample.append(results[j][0])
            self.discarded += sum(1 for j in results if j > last)
            kept = last + 1
            self.nr_evaluations_ = kept
            self.used += kept
            self.budget_left -= kept
            if nth is None:
                sample.ok = False
            self.generations.append({"t": t, "simulations": kept, "accepted": sample.n_accepted,
                                     "complete": nth is not None})
            if progress is not None:
                what = "prior calibration sample" if t < 0 else f"generation {t}"
                state = "" if nth is not None else " - budget exhausted, generation abandoned"
                progress(f"{what}: {sample.n_accepted} accepted of {kept} simulations "
                         f"({self.used} used){state}")
            return sample

    return SeededFutureSampler()


# ---- the fit -----------------------------------------------------------------------------------
@dataclass
class CalibrationResult:
    """What :func:`run_calibration` returns: the posterior, the PPC and the run's bookkeeping."""

    targets: Targets
    scenario: Scenario
    steps: int
    posterior: pd.DataFrame          # one row per particle: prior keys, weight, distance
    summary: pd.DataFrame            # one row per prior: median, q05, q95, mean
    ppc: pd.DataFrame                # one row per target (posterior predictive, then the point's columns)
    ppc_draws: pd.DataFrame          # the statistics of every posterior-predictive survey
    point: dict[str, float | int]    # the parameter values written to calibrated.toml
    point_method: str                # "mode" or "median"
    point_draws: pd.DataFrame        # the statistics of the surveys of the point's runs
    candidates: pd.DataFrame         # --point best: the candidates and their mean distances
    populations: pd.DataFrame        # per generation: epsilon, particles, simulations
    simulations_used: int
    simulations_discarded: int
    seed: int
    notes: list[str]


def effective_sample_size(weights: np.ndarray) -> float:
    """ESS = (Σw)² / Σw²."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2)) if w.size else 0.0


def weighted_quantile(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (the inverse of the weighted empirical CDF at mid-weights)."""
    order = np.argsort(values)
    v, w = np.asarray(values, dtype=float)[order], np.asarray(weights, dtype=float)[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(qs, cum, v)


def posterior_density(posterior: pd.DataFrame, priors: Sequence[Prior]) -> np.ndarray | None:
    """A weighted Gaussian kernel density estimate of the posterior at each particle (parameters
    scaled to their prior ranges, log-scaled for log-uniform priors); None if it is singular."""
    if len(posterior) <= len(priors) + 1:
        return None
    from scipy import stats

    cols = []
    for p in priors:
        x = posterior[p.key].to_numpy(dtype=float)
        if p.scale == "log":
            cols.append((np.log(x) - math.log(p.low)) / math.log(p.high / p.low))
        else:
            cols.append((x - p.low) / (p.high - p.low))
    z = np.vstack(cols)
    try:
        density = stats.gaussian_kde(z, weights=posterior["weight"].to_numpy())(z)
    except (np.linalg.LinAlgError, ValueError):
        return None
    return density if np.all(np.isfinite(density)) else None


def point_estimate(posterior: pd.DataFrame, priors: Sequence[Prior], method: str = "mode") -> dict[str, float]:
    """The ``median`` (weighted median of each marginal) or the ``mode`` (the final particle where
    :func:`posterior_density` is highest: a point on the posterior's ridge when parameters trade
    off against each other, which the vector of marginal medians need not be; the median if the
    density estimate is singular). For ``best`` see :func:`best_point`."""
    w = posterior["weight"].to_numpy()
    density = posterior_density(posterior, priors) if method == "mode" else None
    if density is not None:
        best = int(np.argmax(density))
        return {p.key: float(posterior[p.key].iloc[best]) for p in priors}
    return {p.key: float(weighted_quantile(posterior[p.key].to_numpy(), w, (0.5,))[0]) for p in priors}


def best_point(simulator: SurveySimulator, distance: SurveyDistance, posterior: pd.DataFrame,
               priors: Sequence[Prior], seed: int, ex: cf.Executor) -> tuple[dict[str, float], pd.DataFrame]:
    """``--point best``: among the marginal medians and the BEST_CANDIDATES (30) particles of highest
    posterior density, the candidate with the smallest mean distance D over BEST_RUNS (200) new runs
    and surveys (a vectorised batch per candidate, the same batch seed for every candidate; one by
    one for scenarios with interventions). Returns it and the table of candidates."""
    candidates = [point_estimate(posterior, priors, "median")]
    density = posterior_density(posterior, priors)
    if density is not None:
        for i in np.argsort(-density)[:BEST_CANDIDATES]:
            candidates.append({p.key: float(posterior[p.key].iloc[int(i)]) for p in priors})
    batch_seed = int(np.random.SeedSequence([seed, PPC_TAG, 2]).generate_state(1)[0])
    futures = [ex.submit(simulator.simulate_batch, dict(c), batch_seed, BEST_RUNS) for c in candidates]
    rows = []
    for k, (c, fut) in enumerate(zip(candidates, futures, strict=True)):
        d = np.array([distance(x) for x in fut.result()])
        rows.append({"candidate": "median" if k == 0 else f"density rank {k}", **c,
                     "mean_distance": float(np.mean(d)), "median_distance": float(np.median(d))})
    table = pd.DataFrame(rows)
    return candidates[int(np.argmin(table["mean_distance"].to_numpy()))], table


def summarise_posterior(posterior: pd.DataFrame, priors: Sequence[Prior],
                        point: Mapping[str, float] | None = None) -> pd.DataFrame:
    rows = []
    w = posterior["weight"].to_numpy()
    for p in priors:
        x = posterior[p.key].to_numpy()
        q05, med, q95 = weighted_quantile(x, w, (INTERVAL[0], 0.5, INTERVAL[1]))
        at = med if point is None else point[p.key]
        rows.append({"parameter": p.key, "prior": p.text(), "low": p.low, "high": p.high, "scale": p.scale,
                     "median": med, "q05": q05, "q95": q95, "mean": float(np.average(x, weights=w)),
                     "point": p.value(at), "interval_share_of_prior": (q95 - q05) / (p.high - p.low)})
    return pd.DataFrame(rows)


def _unit_bandwidth(n: float, d: int) -> float:
    return 1.0


def transition(pyabc: Any, kernel: str) -> Any:
    """The perturbation kernel: N(θ_j, c·Σ), Σ the previous generation's weighted covariance.

    ``beaumont``: c = 2 (Beaumont et al. 2009, Biometrika 96:983, twice the empirical
    variance). ``silverman``: c = h², Silverman's rule of thumb h = (4 / (ESS (d + 2)))^(1/(d+4))
    (pyabc's default; h² ≈ 0.46 for d = 13 parameters and ESS = 200). The narrow kernel
    accepts more proposals per generation, but with ten or more parameters the importance
    weights prior / proposal then vary over orders of magnitude and the effective sample size
    of a generation collapses (a pilot fit of Mandiri Jaya, 13 parameters: ESS 1–10 of 200);
    the wider kernel keeps the proposal density smooth, and the weights even.
    """
    if kernel == "beaumont":
        return pyabc.MultivariateNormalTransition(scaling=2.0, bandwidth_selector=_unit_bandwidth)
    return pyabc.MultivariateNormalTransition()


def run_calibration(
    scenario: Scenario, targets: Targets, budget: int = DEFAULT_BUDGET, population: int = DEFAULT_POPULATION,
    generations: int = DEFAULT_GENERATIONS, min_epsilon: float = 0.0, seed: int | None = None,
    ppc_draws: int = DEFAULT_PPC_DRAWS, out: Path | None = None, executor: str = "process",
    workers: int | None = None, dask: str | None = None, quiet: bool = True, point: str = "best",
    kernel: str = "silverman",
) -> CalibrationResult:
    """Fit the priors of ``targets`` by ABC-SMC and draw the posterior predictive (module docstring).
    pyabc's database goes to ``out / "abc.db"`` (a temporary directory when ``out`` is None)."""
    import logging
    import tempfile

    from .executors import default_workers, make_executor

    pyabc = _pyabc()
    if population < 2:
        raise CalibrationError(f"--population: {population} is too small; use at least 2")
    if budget < 3 * population:
        raise CalibrationError(f"--budget: {budget} is too small for --population {population}; the prior "
                               f"calibration sample and the first generation need about {3 * population}")
    if generations < 1:
        raise CalibrationError(f"--generations: {generations} is not allowed; use a whole number >= 1")
    if ppc_draws < 2:
        raise CalibrationError(f"--ppc-draws: {ppc_draws} is too few; use at least 2")
    if kernel not in KERNELS:
        raise CalibrationError(f"--kernel: {kernel!r} is not a kernel; allowed: {', '.join(KERNELS)}")
    if point not in POINTS:
        raise CalibrationError(f"--point: {point!r} is not allowed; use one of {', '.join(POINTS)}")
    seed = scenario.seed if seed is None else seed
    steps = targets.steps if targets.steps is not None else scenario.steps
    if targets.cooperative >= scenario.params.population.n_cooperatives:
        raise CalibrationError(f"{targets.source}: targets.cooperative: {targets.cooperative} does not exist in "
                               f"{scenario.name!r}")
    base_params = scenario.params
    if not any(p.key.startswith("metrics.") for p in targets.priors):
        # network metrics do not feed back into the model; skipping them only saves time
        base_params = base_params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    simulator = SurveySimulator(base_params, tuple(scenario.interventions), steps, targets.respondents,
                                targets.cooperative, targets.priors, dict(targets.response))
    distance = SurveyDistance(targets.targets)
    rv = {p.name: (pyabc.RV("loguniform", p.low, p.high) if p.scale == "log"
                   else pyabc.RV("uniform", p.low, p.high - p.low)) for p in targets.priors}
    prior = pyabc.Distribution(**rv)
    for name in ("ABC", "pyabc"):
        logging.getLogger(name).setLevel(logging.WARNING)
    log = (lambda msg: None) if quiet else (lambda msg: print(f"kopsim: {msg}", file=sys.stderr, flush=True))
    workers = workers or default_workers()
    in_flight = 1 if executor == "sequential" and dask is None else 2 * workers
    state = np.random.get_state()
    np.random.seed(int(np.random.SeedSequence([seed, 0]).generate_state(1)[0]))
    tmp = None
    try:
        if out is None:
            tmp = tempfile.TemporaryDirectory(prefix="kopsim-abc-")
            db_path = Path(tmp.name) / "abc.db"
        else:
            out.mkdir(parents=True, exist_ok=True)
            db_path = out / "abc.db"
            if db_path.exists():
                db_path.unlink()
        with make_executor(executor, workers, dask) as ex:
            sampler = make_sampler(ex, in_flight, seed, budget, log)
            abc = pyabc.ABCSMC(simulator, prior, pyabc.distance.FunctionDistance(distance),
                               population_size=population, sampler=sampler, transitions=transition(pyabc, kernel))
            abc.new("sqlite:///" + str(db_path.resolve()), targets.observed())
            history = abc.run(minimum_epsilon=min_epsilon, max_nr_populations=generations)
            if history.max_t < 0:
                raise CalibrationError(f"--budget: {budget} simulations ran out before the first generation was "
                                       "complete; raise --budget (or lower --population)")
            pops = history.get_all_populations()
            final = history.get_population(t=history.max_t).particles
            posterior = pd.DataFrame([{**{p.key: float(q.parameter[p.name]) for p in targets.priors},
                                       "weight": float(q.weight), "distance": float(q.distance)} for q in final])
            posterior["weight"] /= posterior["weight"].sum()
            log(f"posterior predictive: {ppc_draws} surveys from the final generation")
            draws = _ppc_draws(simulator, posterior, targets.priors, ppc_draws, seed, ex)
            if point == "best":
                log(f"choosing the point: {BEST_CANDIDATES + 1} candidates x {BEST_RUNS} runs")
                at, candidates = best_point(simulator, distance, posterior, targets.priors, seed, ex)
            else:
                at, candidates = point_estimate(posterior, targets.priors, point), pd.DataFrame()
            log(f"point check: {ppc_draws} runs and surveys of the {point} parameter set")
            point_draws = _point_draws(simulator, at, targets.priors, ppc_draws, seed, ex)
        populations = pd.DataFrame({"t": pops["t"].to_numpy(), "epsilon": pops["epsilon"].to_numpy(dtype=float),
                                    "particles": pops["particles"].to_numpy(),
                                    "simulations": pops["samples"].to_numpy()})
        populations = populations[populations["t"] >= 0].reset_index(drop=True)
        populations["ess"] = [effective_sample_size(history.get_distribution(m=0, t=int(t))[1])
                              for t in populations["t"]]
        notes = []
        ess = effective_sample_size(posterior["weight"].to_numpy())
        if ess < 0.2 * population:
            notes.append(f"the final generation's effective sample size is {ess:.0f} of {population} particles; "
                         "the posterior rests on few particles (a larger --budget helps)")
        invalid = int(draws[INVALID].fillna(0).sum()) if INVALID in draws else 0
        if invalid:
            notes.append(f"{invalid} of {ppc_draws} posterior-predictive runs were invalid and are left out")
        abandoned = [g for g in sampler.generations if not g["complete"]]
        if abandoned:
            notes.append(f"the budget ran out during generation {abandoned[0]['t']}; the posterior is generation "
                         f"{history.max_t}")
        invalid = int(point_draws[INVALID].fillna(0).sum()) if INVALID in point_draws else 0
        if invalid:
            notes.append(f"{invalid} of {ppc_draws} runs of the calibrated point were invalid and are left out")
        ppc = ppc_table(targets, draws)
        check = ppc_table(targets, point_draws).drop(columns=["kind", "observed", "observed_category"])
        ppc = ppc.merge(check.add_prefix("point_").rename(columns={"point_statistic": "statistic"}), on="statistic")
        return CalibrationResult(
            targets=targets, scenario=scenario, steps=steps, posterior=posterior,
            summary=summarise_posterior(posterior, targets.priors, at), ppc=ppc, ppc_draws=draws,
            point={p.key: p.value(at[p.key]) for p in targets.priors}, point_method=point, point_draws=point_draws,
            candidates=candidates,
            populations=populations, simulations_used=sampler.used, simulations_discarded=sampler.discarded,
            seed=seed, notes=notes)
    finally:
        np.random.set_state(state)
        if tmp is not None:
            tmp.cleanup()


def _ppc_draws(simulator: SurveySimulator, posterior: pd.DataFrame, priors: Sequence[Prior], draws: int,
               seed: int, ex: cf.Executor) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, PPC_TAG]))
    idx = rng.choice(len(posterior), size=draws, p=posterior["weight"].to_numpy())
    seeds = rng.integers(0, 2**31 - 1, size=draws)
    points = [{p.key: float(posterior[p.key].iloc[i]) for p in priors} for i in idx]
    futures = [ex.submit(simulator.simulate, point, int(s)) for point, s in zip(points, seeds, strict=True)]
    rows = []
    for k, fut in enumerate(futures):
        x = fut.result()
        rows.append({"draw": k, "particle": int(idx[k]), "seed": int(seeds[k]),
                     **{p.key: points[k][p.key] for p in priors}, **x})
    return pd.DataFrame(rows)


def _point_draws(simulator: SurveySimulator, point: Mapping[str, float], priors: Sequence[Prior], draws: int,
                 seed: int, ex: cf.Executor) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence([seed, PPC_TAG, 1]))
    seeds = rng.integers(0, 2**31 - 1, size=draws)
    futures = [ex.submit(simulator.simulate, dict(point), int(s)) for s in seeds]
    return pd.DataFrame([{"draw": k, "seed": int(seeds[k]), **fut.result()} for k, fut in enumerate(futures)])


def ppc_table(targets: Targets, draws: pd.DataFrame) -> pd.DataFrame:
    """Each target beside the median and 90% interval of the posterior-predictive surveys.

    ``inside``: the observed value lies in [q05, q95]; for a category target (and, as extra
    columns, for an item total) the category of the median simulated total, the share of draws
    whose total falls in the observed category and ``inside`` = the median's category is the
    observed one."""
    ok = draws[draws[INVALID].isna()] if INVALID in draws else draws
    n = targets.respondents
    bounds = sv.category_bounds(n)
    rows = []
    for t in targets.targets:
        if t.kind == "share":
            for answers, s in share_cells(t.observed):
                col = [f"share.{t.key}.{a}" for a in answers]
                sim = ok[col].sum(axis=1).to_numpy()
                q05, med, q95 = np.quantile(sim, (INTERVAL[0], 0.5, INTERVAL[1]))
                rows.append({"statistic": f"share.{t.key}." + "+".join(map(str, answers)), "kind": "share",
                             "observed": s, "median": med, "q05": q05, "q95": q95,
                             "inside": bool(q05 - 1e-12 <= s <= q95 + 1e-12)})
            continue
        col = f"rs.{t.key}" if t.kind == "spearman" else f"total.{t.key}"
        sim = ok[col].to_numpy(dtype=float)
        q05, med, q95 = np.quantile(sim, (INTERVAL[0], 0.5, INTERVAL[1]))
        row: dict[str, Any] = {"statistic": t.label, "kind": t.kind, "median": med, "q05": q05, "q95": q95}
        if t.kind == "spearman":
            row.update(observed=t.observed, inside=bool(q05 <= t.observed <= q95))
        else:
            observed_cat = t.observed if t.kind == "category" else bounds.category(t.observed)
            cats = np.array([bounds.category(v) for v in sim])
            row.update(observed_category=observed_cat, median_category=bounds.category(med),
                       p_category=float(np.mean(cats == observed_cat)))
            if t.kind == "category":
                row.update(observed=np.nan if t.reported is None else t.reported,
                           inside=row["median_category"] == observed_cat)
            else:
                row.update(observed=t.observed, inside=bool(q05 <= t.observed <= q95))
        rows.append(row)
    cols = ["statistic", "kind", "observed", "median", "q05", "q95", "inside", "observed_category",
            "median_category", "p_category"]
    return pd.DataFrame(rows).reindex(columns=cols)


# ---- output -----------------------------------------------------------------------------------
def posterior_figure(result: CalibrationResult, truth: Mapping[str, float] | None = None) -> Figure:
    """One panel per parameter: the weighted posterior histogram, the prior density, the median and
    the 90% interval (and ``truth`` if given)."""
    from .figures import new_figure

    priors = result.targets.priors
    ncols = min(3, len(priors))
    nrows = math.ceil(len(priors) / ncols)
    fig = new_figure(3.4 * ncols, 2.5 * nrows)
    w = result.posterior["weight"].to_numpy()
    for k, p in enumerate(priors):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        x = result.posterior[p.key].to_numpy()
        if p.scale == "log":
            bins = np.geomspace(p.low, p.high, 31)
            ax.set_xscale("log")
        else:
            bins = np.linspace(p.low, p.high, 31)
        ax.hist(x, bins=bins, weights=w, density=True, color="#4c72b0", alpha=0.75, label="posterior")
        grid = np.geomspace(p.low, p.high, 200) if p.scale == "log" else np.linspace(p.low, p.high, 200)
        ax.plot(grid, p.density(grid), color="grey", lw=1.2, ls="--", label="prior")
        row = result.summary.set_index("parameter").loc[p.key]
        ax.axvline(row["median"], color="black", lw=1.2, label="median")
        ax.axvspan(row["q05"], row["q95"], color="#4c72b0", alpha=0.12, label="90% interval")
        if truth and p.key in truth:
            ax.axvline(truth[p.key], color="#c44e52", lw=1.5, label="truth")
        ax.set_title(p.key, fontsize=8)
        ax.tick_params(labelsize=7)
        if k == 0:
            ax.legend(fontsize=6, frameon=False)
    fig.tight_layout()
    return fig


def ppc_figure(result: CalibrationResult) -> Figure:
    """Posterior-predictive check: per target the simulated 90% interval and median against the
    observed value (item totals on the background of the low / medium / high bands)."""
    from .figures import new_figure

    ppc = result.ppc
    groups = [("item totals and categories", ppc[ppc["kind"].isin(("total", "category"))]),
              ("Spearman r_s (benefit vs domain)", ppc[ppc["kind"] == "spearman"]),
              ("answer shares", ppc[ppc["kind"] == "share"])]
    groups = [(title, part) for title, part in groups if len(part)]
    heights = [max(1.2, 0.28 * len(part) + 0.8) for _, part in groups]
    fig = new_figure(7.0, sum(heights))
    gs = fig.add_gridspec(len(groups), 1, height_ratios=heights)
    n = result.targets.respondents
    for k, (title, part) in enumerate(groups):
        ax = fig.add_subplot(gs[k])
        y = np.arange(len(part))
        if title.startswith("item"):
            lo, hi = category_bounds("low", n)[1], category_bounds("high", n)[0]
            for a, b, c in ((n, lo, "#f2d7d5"), (lo, hi, "#fcf3cf"), (hi, 3 * n, "#d5f5e3")):
                ax.axvspan(a, b, color=c, alpha=0.8, lw=0)
            ax.set_xlim(n, 3 * n)
        colors = np.where(part["inside"].astype(bool), "#4c72b0", "#c44e52")
        ax.hlines(y - 0.12, part["q05"], part["q95"], colors=colors, lw=3, alpha=0.8)
        ax.plot(part["median"], y - 0.12, "o", color="black", ms=3, label="posterior predictive: median, 90%")
        ax.hlines(y + 0.18, part["point_q05"], part["point_q95"], colors="grey", lw=1.5, alpha=0.9)
        ax.plot(part["point_median"], y + 0.18, "|", color="black", ms=6, label=f"{result.point_method}: median, 90%")
        obs = part["observed"].to_numpy(dtype=float)
        ax.plot(obs, y, "x", color="#c44e52", ms=6, mew=1.5, label="observed")
        labels = [r["statistic"].split(".", 1)[1] + (f" [{r['observed_category']}]" if r["kind"] == "category" else "")
                  for _, r in part.iterrows()]
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
        ax.tick_params(axis="x", labelsize=7)
        ax.set_title(title, fontsize=9)
        ax.grid(True, axis="x", lw=0.4, alpha=0.5)
        if k == 0:
            ax.legend(fontsize=6, frameon=False, loc="lower left")
    fig.tight_layout()
    return fig


def _extends_value(scenario: Scenario) -> str:
    from kopsim import scenarios

    src = Path(scenario.source).resolve()
    if src.parent == scenarios.DIRECTORY.resolve():
        return src.stem
    return str(src)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(float(f"{value:.6g}"))
    return json.dumps(value)


def calibrated_toml(result: CalibrationResult, command: str) -> str:
    """A scenario file that ``extends`` the calibrated scenario and sets the fitted parameters to
    their posterior medians (whole-number ones rounded); intervals and priors as comments."""
    scen, t = result.scenario, result.targets
    summary = result.summary.set_index("parameter")
    last_eps = float(result.populations["epsilon"].iloc[-1]) if len(result.populations) else float("nan")
    lines = [f"# Calibrated against {t.source} by:",
             f"#   {command}",
             f"# ABC-SMC (pyabc): {len(result.populations)} generations, {result.simulations_used} simulations, "
             f"final epsilon {last_eps:.4g}, seed {result.seed}.",
             f"# Values: the posterior {POINT_TEXT[result.point_method]}; the comments give the 90% posterior "
             "interval and the prior.",
             "# Check the fit: ppc.csv / ppc.png next to this file.",
             f"extends = {_toml(_extends_value(scen))}",
             "",
             "[scenario]",
             f"name = {_toml(scen.name + '_calibrated')}",
             f"description = {_toml(f'{scen.name} calibrated to {Path(t.source).name}')}"]
    if result.steps != scen.steps:
        lines.append(f"steps = {result.steps}                 # the survey month of the targets")
    groups: dict[str, list[Prior]] = {}
    for p in t.priors:
        groups.setdefault(p.key.split(".", 1)[0], []).append(p)
    for group, ps in groups.items():
        if group == RESPONSE_GROUP:
            continue
        lines += ["", f"[parameters.{group}]"]
        for p in ps:
            row = summary.loc[p.key]
            lines.append(f"{p.key.split('.', 1)[1]} = {_toml(p.value(row['point']))}"
                         f"    # 90%: {row['q05']:.4g} .. {row['q95']:.4g}; prior {p.text()}")
    if RESPONSE_GROUP in groups or t.response:
        lines += ["", "# Survey response model (simulation.survey.ResponseModel; not a scenario parameter):"]
        for k, v in t.response.items():
            lines.append(f"#   {RESPONSE_GROUP}.{k} = {_toml(v)}   (fixed in the targets file)")
        for p in groups.get(RESPONSE_GROUP, []):
            row = summary.loc[p.key]
            lines.append(f"#   {p.key} = {_toml(p.value(row['point']))}   (90%: {row['q05']:.4g} .. "
                         f"{row['q95']:.4g}; prior {p.text()})")
    return "\n".join(lines) + "\n"


def write_outputs(result: CalibrationResult, out: Path, info: dict[str, Any], command: str) -> dict[str, Path]:
    """posterior.csv, posterior_summary.csv, ppc.csv, ppc_draws.csv, point_draws.csv, populations.csv,
    posterior.png, ppc.png, calibrated.toml and manifest.json in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    names = {"posterior": "posterior.csv", "posterior_summary": "posterior_summary.csv", "ppc": "ppc.csv",
             "ppc_draws": "ppc_draws.csv", "point_draws": "point_draws.csv", "candidates": "point_candidates.csv",
             "populations": "populations.csv",
             "posterior_figure": "posterior.png",
             "ppc_figure": "ppc.png", "calibrated": "calibrated.toml", "database": "abc.db",
             "manifest": "manifest.json"}
    paths = {k: out / v for k, v in names.items()}
    result.posterior.to_csv(paths["posterior"], index_label="particle")
    result.summary.to_csv(paths["posterior_summary"], index=False)
    result.ppc.to_csv(paths["ppc"], index=False)
    result.ppc_draws.to_csv(paths["ppc_draws"], index=False)
    result.point_draws.to_csv(paths["point_draws"], index=False)
    if len(result.candidates):
        result.candidates.to_csv(paths["candidates"], index=False)
    else:
        del paths["candidates"]
    result.populations.to_csv(paths["populations"], index=False)
    posterior_figure(result).savefig(paths["posterior_figure"], dpi=120)
    ppc_figure(result).savefig(paths["ppc_figure"], dpi=120)
    paths["calibrated"].write_text(calibrated_toml(result, command), encoding="utf-8")
    load(str(paths["calibrated"]))  # the scenario written must load
    manifest = {**info, "files": {k: p.name for k, p in paths.items()}, "notes": result.notes}
    paths["manifest"].write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
    return paths


def format_summary(result: CalibrationResult) -> str:
    lines = [f"{'parameter':<40}{'median':>10}{'5%':>10}{'95%':>10}{result.point_method:>10}  prior"]
    for _, r in result.summary.iterrows():
        lines.append(f"{r['parameter']:<40}{r['median']:>10.4g}{r['q05']:>10.4g}{r['q95']:>10.4g}"
                     f"{r['point']:>10.4g}  {r['prior']}")
    lines.append("")
    lines.append(f"{'':<36}{'':>12}{'posterior predictive':^37}   {'calibrated point':^37}")
    head = f"{'median':>8}{'5%':>8}{'95%':>8}  {'in':<4}{'category':>11}"
    lines.append(f"{'target':<36}{'observed':>12}{head}   {head}")

    def cols(r: Any, pre: str) -> str:
        cat = ""
        if isinstance(r["observed_category"], str):
            cat = f"{r[pre + 'median_category']} {r[pre + 'p_category']:.2f}"
        return (f"{r[pre + 'median']:>8.3g}{r[pre + 'q05']:>8.3g}{r[pre + 'q95']:>8.3g}  "
                f"{'yes' if r[pre + 'inside'] else 'NO':<4}{cat:>11}")

    for _, r in result.ppc.iterrows():
        obs = "" if r["observed"] != r["observed"] else f"{r['observed']:.4g}"
        if r["kind"] == "category":
            obs = f"{obs} {r['observed_category']}".strip()
        lines.append(f"{r['statistic']:<36}{obs:>12}{cols(r, '')}   {cols(r, 'point_')}")
    return "\n".join(lines)


__all__ = [
    "CalibrationError", "CalibrationResult", "Prior", "SurveyDistance", "SurveySimulator", "Target", "Targets",
    "category_z", "load_targets", "ppc_table", "run_calibration", "share_deviance", "spearman_z",
    "survey_statistics", "targets_from_dict", "targets_toml", "total_z", "weighted_quantile",
]
