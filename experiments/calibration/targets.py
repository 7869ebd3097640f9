"""Calibration targets: the observed statistics, the priors of the fitted parameters, and the
targets file they are read from.

**Targets file** (TOML; a shipped name such as ``mandiri_jaya`` or a path)::

    [targets]
    respondents = 30              # n of the member survey (needed for its targets below)
    steps = 108                   # optional: month of the survey (default: the scenario's steps)
    cooperative = 0               # optional: the surveyed cooperative (default 0)
    source = "Firdaus & Baga 2019"

    [targets.items]               # item totals, n .. 3n (kopsim.instruments.member_survey.ITEM_NAMES)
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

    [survey]                      # optional: fixed response-model constants (member_survey.ResponseModel)
    noise_sd = 0.15

**Targets of every kind** (docs/CALIBRATION.md, section of that name): besides the member survey,
statistics of the run model, each with its ``source`` (its own or the file's) and, for a sample,
its ``n``; ``respondents`` is needed only with member-survey targets::

    [targets.series.members]      # a column of the metrics table (kopsim run's metrics.csv)
    months = [0, 108]             # 0 = the initial state; or years = [2009, 2018], start_year = 2009
    values = [119, 133]
    sd = [5, 5]                   # or one number; or n = 133 for shares; default 10% of the value

    [targets.ptp]                 # kopsim.instruments.ptp of the cooperative after the run
    total = 106.5                 # total | vision | capacity | resources | network | a variable
    network = { score = 10.1, sd = 1.5 }
    zone = "green"                # the total's zone; zones = { network = "yellow" } for indicators

    [targets.trust.umkm_institution]   # kopsim.instruments.trust_survey
    of = "institution"            # peer | board | institution
    group = "umkm"                # members | umkm | participants:training | participants:kemitraan | village:<k>
    n = 20
    shares = { low = 0.2, medium = 0.5, high = 0.3 }   # cut points: thirds of [0, 1]
    source = "own survey of UMKM owners"

    [targets.finance]             # published accounts, booked by kopsim.accounts (Rp M in the model)
    years = [2015, 2016, 2017]    # financial years: balance at the end of month 12(Y − start_year) + 11,
    start_year = 2009             # operating income and cost summed over the year's 12 months
    unit = "Rp"                   # or "Rp M"
    assets = [142_190_000, 160_036_498, 166_933_228]
    operating_income = [21_500_000, 21_624_000, 25_461_565]
    cv = 0.1                      # sd of each figure, relative (or sd = { assets = [..] } in the unit)

    [targets.relational.still_in_contact]   # kopsim.instruments.relational.relational_survey
    property = "in_contact"       # in_contact | frequency | intensity | proximity (Franke 2005)
    group = "participants:kemitraan"
    n = 20
    months_after = 12             # in contact within N months, among those who met a partner >= N ago
    value = 0.25                  # a share: binomial sd at n; the others take sd or 10%

Each series point and PTP score is a term z = (x_sim − x_obs)/sd, scaled by its own sampling
variability (pattern-oriented modelling, Grimm et al. 2005): the stated ``sd``; for a share
among ``n``, √(q(1 − q)/n) with q = (p·n + ½)/(n + 1); otherwise ``DEFAULT_RELATIVE_SD`` (10%)
of the value (a PTP score: each variable's assessor sd a quarter of its range, summed as
independent errors; :func:`.distance.ptp_default_sd`). A PTP zone is 0 inside the zone, else
max(½, distance to the zone's nearest bound)/sd. A trust target is the multinomial deviance of
the low / medium / high shares at the study's n (:func:`.distance.share_deviance`). A statistic
undefined in a run (an r_s of a constant score, a group nobody belongs to) is missing: its term
is dropped and D rescaled to the defined terms (:mod:`.distance`). Metric names, times within
the run and a kemitraan group's intervention are checked against the scenario by
:func:`check_for_run`. A finance figure becomes a series point of its :mod:`kopsim.accounts`
column (``series.coop_assets.m83``), so it is scaled, held out and reported as one.

Whole-number parameters are sampled on [low, high] and rounded in each run. ``survey.*`` keys
are the constants of :class:`kopsim.instruments.member_survey.ResponseModel` (how answers follow from the
model state); they are not scenario parameters, so ``calibrated.toml`` lists them as comments.
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard, cast

import numpy as np

from kopsim.instruments.member_survey import ANSWERS, ITEM_NAMES, ResponseModel
from kopsim.instruments.ptp import PTP_INDICATORS, PTP_VARIABLE_MAX, PTP_VARIABLES
from kopsim.instruments.relational import FOLLOW_UP_MONTHS, RELATIONAL_PROPERTIES
from kopsim.instruments.survey_analysis import category_bounds
from kopsim.instruments.trust_survey import GROUPS as TRUST_GROUPS
from kopsim.instruments.trust_survey import PARTICIPANTS, TRUST_CATEGORIES, VILLAGE
from kopsim.interventions import KINDS as INTERVENTION_KINDS
from kopsim.parameters import GROUPS, ParameterError, Parameters, unknown_key
from kopsim.participation import DOMAINS
from kopsim.state import TRUST_TARGETS
from kopsim.tomlio import MAX_TOML_BYTES, parse_toml, read_limited_text

from .distance import (
    binomial_sd,
    category_z,
    default_series_sd,
    point_z,
    ptp_default_sd,
    share_deviance,
    spearman_z,
    total_z,
    zone_z,
)
from .errors import CalibrationError

SURVEY_KINDS = ("items", "categories", "spearman", "shares")  # statistics of the member survey
# statistics of the run model: metrics, PTP, a trust survey, the books, a partnership study
MODEL_KINDS = ("series", "ptp", "trust", "finance", "relational")
TARGET_KINDS = (*SURVEY_KINDS, *MODEL_KINDS)
TARGET_KEYS = ("respondents", "steps", "cooperative", "source", "description", "held_out", *TARGET_KINDS)
SERIES_KEYS = ("months", "years", "start_year", "values", "sd", "n", "source")
MONTHS_PER_YEAR = 12
DEFAULT_FINANCE_CV = 0.1  # relative sd of a published account figure: audit and booking differences
METRIC_NAME = re.compile(r"[a-z][a-z0-9_]*")
PTP_KEYS = ("total", *PTP_INDICATORS, *(v for i in PTP_INDICATORS for v in PTP_VARIABLES[i]))
PTP_TABLE_KEYS = ("zone", "zones", "source")
PTP_SCORE_KEYS = ("score", "sd")
PTP_ZONE_NAMES = ("red", "yellow", "green")
TRUST_KEYS = ("of", "group", "n", "shares", "source")
RELATIONAL_KEYS = ("property", "group", "n", "value", "sd", "months_after", "source")
# [targets.finance]: a published account -> the metrics column of kopsim.accounts that books it
FINANCE_ACCOUNTS = {
    "assets": "coop_assets",
    "liabilities": "coop_liabilities",
    "savings": "coop_savings",
    "equity": "coop_equity",
    "donated_capital": "coop_donated_capital",
    "operating_income": "coop_operating_income_ytd",
    "operating_cost": "coop_operating_cost_ytd",
}
FINANCE_UNITS = {"Rp": 1e-6, "Rp M": 1.0}  # to the model's unit, Rp M
FINANCE_KEYS = ("years", "start_year", "unit", "cv", "sd", "source", *FINANCE_ACCOUNTS)
TOP_KEYS = ("targets", "priors", "survey")
PRIOR_KEYS = ("low", "high", "scale")
SCALES = ("linear", "log")
RESPONSE_GROUP = "survey"
CATEGORY_NAMES = {
    "low": "low",
    "medium": "medium",
    "high": "high",
    "rendah": "low",
    "sedang": "medium",
    "tinggi": "high",
}
CATEGORIES = ("low", "medium", "high")
SHARE_SUM_TOLERANCE = 0.01
SHIPPED = {"mandiri_jaya": "mandiri_jaya_targets.toml", "mandiri_jaya_ptp": "mandiri_jaya_ptp_targets.toml"}
DATA = resources.files("kopsim") / "data"


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
    """One observed statistic: ``kind`` total | category | spearman | share (of the member survey,
    from ``n`` respondents), series (a metric at ``month``), ptp | ptp_zone (a PTP score or zone)
    or trust (trust category shares of a sample of ``n`` from a group); ``key`` names the item,
    domain, metric, PTP score or trust target; ``sd`` the stated or default sampling sd of a
    series point or PTP score; ``source`` where the figure comes from."""

    kind: str
    key: str
    observed: Any
    n: int
    reported: float | None = None  # a category target's published total, shown in the PPC only
    sd: float | None = None
    month: int | None = None
    source: str = ""
    of: str = ""  # trust: peer | board | institution
    group: str = ""  # trust: trust_survey.GROUPS

    @property
    def label(self) -> str:
        if self.kind == "share":
            return f"share.{self.key}." + "+".join(str(a) for a in sorted(self.observed))
        if self.kind == "series":
            return f"series.{self.key}.m{self.month}"
        if self.kind == "trust":
            return f"trust.{self.key}"
        if self.kind == "relational":
            return f"relational.{self.key}"
        prefix = {"total": "total", "category": "category", "spearman": "rs", "ptp": "ptp", "ptp_zone": "ptp_zone"}
        return f"{prefix[self.kind]}.{self.key}"

    @property
    def statistic(self) -> str:
        """The key of the simulated statistic this target reads (a trust target reads
        ``trust.<name>.<low|medium|high|n>``, a share target ``share.<item>.<answer>``)."""
        if self.kind in ("total", "category"):
            return f"total.{self.key}"
        if self.kind in ("ptp", "ptp_zone"):
            return f"ptp.{self.key}"
        return self.label

    @property
    def survey(self) -> bool:
        """A statistic of the member survey (rather than of the model's metrics or state)."""
        return self.kind in ("total", "category", "spearman", "share")

    def z2(self, x: Mapping[str, float]) -> float:
        """The squared standardised discrepancy of a simulated statistics dict ``x`` (see module);
        NaN when the statistic is undefined in ``x`` (a missing term, :mod:`.distance`)."""
        if self.kind == "total":
            return total_z(x[f"total.{self.key}"], self.observed, self.n) ** 2
        if self.kind == "category":
            return category_z(x[f"total.{self.key}"], self.observed, self.n) ** 2
        if self.kind == "spearman":
            return spearman_z(x[f"rs.{self.key}"], self.observed, self.n) ** 2
        if self.kind in ("series", "ptp", "relational"):
            return point_z(x.get(self.statistic, math.nan), self.observed, cast(float, self.sd)) ** 2
        if self.kind == "ptp_zone":
            return zone_z(x.get(self.statistic, math.nan), self.observed, self.key, cast(float, self.sd)) ** 2
        if self.kind == "trust":
            m = x.get(f"trust.{self.key}.n", 0.0)
            if not m > 0:
                return math.nan  # nobody of the group in this run: missing
            sim = {a: x[f"trust.{self.key}.{c}"] for a, c in zip(ANSWERS, TRUST_CATEGORIES, strict=True)}
            return share_deviance(sim, self.observed, self.n, int(m))
        sim = {a: x[f"share.{self.key}.{a}"] for a in ANSWERS}
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
    held_out: tuple[str, ...] = ()  # labels of targets predicted, not fitted (``held_out`` / --hold-out)

    @property
    def fitted(self) -> tuple[Target, ...]:
        """The targets the distance uses: all but the held-out ones."""
        return tuple(t for t in self.targets if t.label not in self.held_out)

    def hold_out(self, names: Sequence[str], src: str = "--hold-out") -> Targets:
        """These targets with ``names`` held out as well (:func:`held_out_labels`)."""
        labels = held_out_labels(self.targets, names, src)
        return replace(self, held_out=tuple(dict.fromkeys((*self.held_out, *labels))))

    def observed(self) -> dict[str, float]:
        """The observed statistics as a flat dict (pyabc's x_0; categories as 0 / 1 / 2)."""
        out: dict[str, float] = {}
        for t in self.targets:
            if t.kind == "share":
                for a, s in t.observed.items():
                    out[f"share.{t.key}.{a}"] = float(s)
            elif t.kind == "trust":
                for a, s in t.observed.items():
                    out[f"trust.{t.key}.{TRUST_CATEGORIES[a - 1]}"] = float(s)
            elif t.kind == "category":
                out[t.label] = float(CATEGORIES.index(t.observed))
            elif t.kind == "ptp_zone":
                out[t.label] = float(PTP_ZONE_NAMES.index(t.observed))
            else:
                out[t.label] = float(t.observed)
        return out

    @property
    def survey(self) -> bool:
        """Some target is a statistic of the member survey (so each run is surveyed)."""
        return any(t.survey for t in self.targets)

    @property
    def model_targets(self) -> tuple[Target, ...]:
        """The targets read from the run model rather than the survey (series, PTP, trust)."""
        return tuple(t for t in self.targets if not t.survey)

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
        raise CalibrationError(
            f"{name}: no such targets file or shipped targets (shipped: {', '.join(shipped_targets())}){extra}"
        )
    return name, read_limited_text(path, CalibrationError, MAX_TOML_BYTES, "targets file")


def load_targets(spec: str | Path, params: Parameters | None = None, *, priors_required: bool = True) -> Targets:
    """Read and validate a targets file (a shipped name or a path); every mistake raises
    :class:`CalibrationError` with one line naming the key (and the nearest valid one).
    ``priors_required=False`` (``kopsim validate-fit``, which fits nothing) accepts a file without [priors]."""
    src, text = _read_targets_text(spec)
    return targets_from_dict(
        parse_toml(text, src, CalibrationError), src, params, text, priors_required=priors_required
    )


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def held_out_labels(
    targets: Sequence[Target], names: Sequence[str], src: str = "held_out", *, all_allowed: bool = False
) -> tuple[str, ...]:
    """The labels of the targets that ``names`` hold out: a label (``rs.capital``,
    ``series.members.m108``) or a prefix of labels ending at a dot (``series.members``, ``ptp``).
    Every name must match; not all targets may be held out (the fit needs one) unless ``all_allowed``
    (kopsim validate-fit, which fits nothing)."""
    labels = [t.label for t in targets]
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name:
            raise CalibrationError(f"{src}: expected target labels, got {name!r}")
        hit = [lab for lab in labels if lab == name or lab.startswith(name + ".")]
        if not hit:
            hint = difflib.get_close_matches(name, labels, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise CalibrationError(f"{src}: {name!r} is not a target{extra}; allowed: {', '.join(labels)}")
        out += hit
    if set(out) >= set(labels) and not all_allowed:
        raise CalibrationError(f"{src}: every target is held out; keep at least one to fit")
    return tuple(dict.fromkeys(out))


def targets_from_dict(
    data: Mapping[str, Any],
    src: str = "<targets>",
    params: Parameters | None = None,
    text: str = "",
    *,
    priors_required: bool = True,
) -> Targets:
    """Validate an already-parsed targets mapping (see the module docstring for the layout);
    ``priors_required=False`` accepts a mapping without [priors] (then no priors)."""

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
    surveyed = any(head.get(kind) for kind in SURVEY_KINDS)
    n = head.get("respondents", None if surveyed else 0)
    if ("respondents" in head or surveyed) and (not _whole(n) or n < 1):
        raise fail("targets.respondents", f"expected the number of respondents, a whole number >= 1, got {n!r}")
    n = cast(int, n)
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
    for kind in TARGET_KINDS:
        table = head.get(kind, {})
        if not isinstance(table, dict):
            raise fail(f"targets.{kind}", "expected a table of statistics")
        if kind in SURVEY_KINDS:
            for key, value in table.items():
                targets.append(_target(kind, key, value, n, fail))
    source = str(head.get("source", ""))
    for metric, value in head.get("series", {}).items():
        targets += _series(metric, value, source, fail)
    if head.get("ptp"):
        targets += _ptp(head["ptp"], source, fail)
    if head.get("finance"):
        targets += _finance(head["finance"], source, fail)
    for name, value in head.get("trust", {}).items():
        targets.append(_trust(name, value, source, fail))
    for name, value in head.get("relational", {}).items():
        targets.append(_relational(name, value, source, fail))
    if not targets:
        raise fail("targets", f"no statistics; give at least one of [targets.{'], [targets.'.join(TARGET_KINDS)}]")
    priors = _priors(data.get("priors"), params, fail) if priors_required or "priors" in data else ()
    response = data.get(RESPONSE_GROUP, {})
    if not isinstance(response, dict):
        raise fail(RESPONSE_GROUP, "expected a table of response-model constants")
    rfields = {f.name for f in fields(ResponseModel)}
    for key in response:
        if key not in rfields:
            raise fail(f"{RESPONSE_GROUP}.{key}", unknown_key(key, rfields))
    try:
        ResponseModel(**response)
    except ParameterError as err:
        raise fail(f"{RESPONSE_GROUP}.{err.path}", err.reason) from None
    fitted_response = {p.key.split(".", 1)[1] for p in priors if p.response}
    both = fitted_response & set(response)
    if both:
        key = sorted(both)[0]
        raise fail(f"{RESPONSE_GROUP}.{key}", "is also in [priors]; give it a fixed value or a prior, not both")
    held = head.get("held_out", [])
    if not isinstance(held, list):
        raise fail("targets.held_out", f"expected a list of target labels, got {held!r}")
    return Targets(
        src,
        n,
        steps,
        coop,
        tuple(targets),
        priors,
        dict(response),
        str(head.get("description", head.get("source", ""))),
        text,
        held_out_labels(targets, held, f"{src}: targets.held_out", all_allowed=not priors_required),
    )


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
    if key not in ITEM_NAMES:
        hint = difflib.get_close_matches(key, ITEM_NAMES, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else "; allowed: the item names (kopsim survey --template)"
        raise fail(where, f"unknown statistic{extra}")
    if kind == "items":
        if not _number(value) or not n <= value <= 3 * n:
            raise fail(where, f"expected an item total in {n}..{3 * n} (answers 1-3 of {n} respondents), got {value!r}")
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
        if total is not None and category_bounds(n).category(total) != cat:
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


def check_for_run(targets: Targets, params: Parameters, interventions: Sequence[Any], steps: int) -> None:
    """What only the scenario can tell: every series metric is a column of its metrics table, every
    time lies within the run (0..steps), a group of kemitraan participants has a kemitraan
    intervention. :class:`CalibrationError` (one line: file, key, what is allowed) otherwise."""
    series = [t for t in targets.targets if t.kind == "series"]
    if series:
        from kopsim.model import CooperativeModel

        from .simulator import metrics_by_month

        columns = list(metrics_by_month(CooperativeModel(params, seed=0, interventions=interventions)).columns)
        for t in series:
            where = f"{targets.source}: targets.series.{t.key}"
            if t.key not in columns:
                hint = difflib.get_close_matches(t.key, columns, n=1)
                extra = f"did you mean {hint[0]!r}?" if hint else "allowed: a column of metrics.csv (kopsim run)"
                raise CalibrationError(f"{where}: unknown metric; {extra}")
            if cast(int, t.month) > steps:
                raise CalibrationError(f"{where}: month {t.month} is after the end of the run; allowed: 0..{steps}")
    kinds = {iv.kind for iv in interventions}
    villages = params.population.n_villages
    for t in targets.targets:
        if t.group.startswith(VILLAGE) and int(t.group[len(VILLAGE) :]) >= villages:
            raise CalibrationError(
                f"{targets.source}: targets.{t.kind}.{t.key}.group: village {t.group[len(VILLAGE) :]} does not "
                f"exist; allowed: {VILLAGE}0..{VILLAGE}{villages - 1}"
            )
    for t in targets.targets:
        if t.kind in ("trust", "relational") and t.group == PARTICIPANTS + "kemitraan" and "kemitraan" not in kinds:
            raise CalibrationError(
                f"{targets.source}: targets.{t.kind}.{t.key}.group: the scenario has no kemitraan intervention, "
                "so nobody takes part; allowed: members, umkm, participants:training"
            )


def _keys(where: str, value: Any, allowed: tuple[str, ...], fail: Callable[[str, str], CalibrationError]) -> None:
    for k in value:
        if k not in allowed:
            raise fail(f"{where}.{k}", unknown_key(str(k), allowed))


def _source(where: str, value: Mapping[str, Any], default: str, fail: Callable[[str, str], CalibrationError]) -> str:
    """A target's ``source`` (its own, else the file's [targets] source); one of them is required."""
    src = value.get("source", default)
    if not isinstance(src, str) or not src.strip():
        raise fail(f"{where}.source", "state where the figures come from (here or as [targets] source = ..)")
    return src


def _series(metric: str, value: Any, default_source: str, fail: Callable[[str, str], CalibrationError]) -> list[Target]:
    """The points of ``[targets.series.<metric>]``: one target per month (module docstring)."""
    where = f"targets.series.{metric}"
    if not METRIC_NAME.fullmatch(metric):
        raise fail(where, "expected a metric name: a column of the metrics table (kopsim run), e.g. members")
    if not isinstance(value, dict):
        raise fail(where, "expected a table { months = [..], values = [..], sd = [..], source = .. }")
    _keys(where, value, SERIES_KEYS, fail)
    values = value.get("values")
    if not isinstance(values, list) or not values or not all(_number(v) for v in values):
        raise fail(f"{where}.values", f"expected a list of numbers, got {values!r}")
    if ("months" in value) == ("years" in value):
        raise fail(where, "give the time of each value as months = [..] (0 = the start of the run) or years = [..]")
    if "years" in value:
        years, start = value["years"], value.get("start_year")
        if not _whole(start):
            raise fail(f"{where}.start_year", f"expected the calendar year of month 0 (for years), got {start!r}")
        if not isinstance(years, list) or not all(_whole(y) for y in years):
            raise fail(f"{where}.years", f"expected a list of calendar years, got {years!r}")
        months = [MONTHS_PER_YEAR * (y - start) for y in years]
        key = "years"
    else:
        if "start_year" in value:
            raise fail(f"{where}.start_year", "only with years = [..]")
        months, key = value["months"], "months"
        if not isinstance(months, list) or not all(_whole(m) for m in months):
            raise fail(f"{where}.months", f"expected a list of whole months, got {months!r}")
    if len(months) != len(values):
        raise fail(f"{where}.{key}", f"{len(months)} times for {len(values)} values; give one per value")
    if any(m < 0 for m in months) or any(b <= a for a, b in itertools.pairwise(months)):
        raise fail(f"{where}.{key}", f"expected increasing times from month 0 (start_year) on, got {value[key]!r}")
    sd, n = value.get("sd"), value.get("n")
    if sd is not None and n is not None:
        raise fail(where, "give sd (the sampling sd of each value) or n (the sample of a share), not both")
    if n is not None:
        if not _whole(n) or n < 1:
            raise fail(f"{where}.n", f"expected the sample size, a whole number >= 1, got {n!r}")
        if not all(0.0 <= v <= 1.0 for v in values):
            raise fail(f"{where}.n", "n gives the sd of a share; every value must be a share in [0, 1]")
        sds = [binomial_sd(v, n) for v in values]
    elif sd is not None:
        sds = sd if isinstance(sd, list) else [sd] * len(values)
        if len(sds) != len(values) or not all(_number(x) and x > 0 for x in sds):
            raise fail(f"{where}.sd", f"expected a number > 0 or one per value, got {sd!r}")
    else:
        if any(v == 0 for v in values):
            raise fail(f"{where}.sd", "a value of 0 has no default sd (10% of the value); state sd or n")
        sds = [default_series_sd(v) for v in values]
    src = _source(where, value, default_source, fail)
    return [
        Target("series", metric, float(v), int(n or 0), sd=float(d), month=int(m), source=src)
        for m, v, d in zip(months, values, sds, strict=True)
    ]


def _finance(table: Any, default_source: str, fail: Callable[[str, str], CalibrationError]) -> list[Target]:
    """``[targets.finance]``: a cooperative's published accounts by financial year, as series points
    of the :mod:`kopsim.accounts` columns. A balance-sheet figure of year Y is the state at the end of
    its last month, 12·(Y − start_year) + 11; an income-statement figure (operating_income, _cost) is
    the year's sum, the year-to-date column at that month. Values in ``unit`` ("Rp" or "Rp M"), each
    with sd = ``cv`` × |value| (default 10%) or a stated ``sd = { account = [..] }`` in the same unit."""
    where = "targets.finance"
    if not isinstance(table, dict):
        raise fail(where, "expected a table { years = [..], start_year = .., assets = [..], .. }")
    _keys(where, table, FINANCE_KEYS, fail)
    years, start = table.get("years"), table.get("start_year")
    if not isinstance(years, list) or not years or not all(_whole(y) for y in years):
        raise fail(f"{where}.years", f"expected a list of financial years, got {years!r}")
    if not _whole(start):
        raise fail(f"{where}.start_year", f"expected the calendar year of month 0, got {start!r}")
    if any(y < start for y in years) or any(b <= a for a, b in itertools.pairwise(years)):
        raise fail(f"{where}.years", f"expected increasing years from start_year ({start}) on, got {years!r}")
    unit = table.get("unit", "Rp")
    if unit not in FINANCE_UNITS:
        raise fail(f"{where}.unit", f"unknown unit {unit!r}; allowed: {', '.join(FINANCE_UNITS)}")
    cv = table.get("cv", DEFAULT_FINANCE_CV)
    if not _number(cv) or cv <= 0:
        raise fail(f"{where}.cv", f"expected the relative sd of each figure, a number > 0, got {cv!r}")
    sds = table.get("sd", {})
    if not isinstance(sds, dict):
        raise fail(f"{where}.sd", "expected a table { account = [sd per year] } in the figures' unit")
    _keys(f"{where}.sd", sds, tuple(FINANCE_ACCOUNTS), fail)
    accounts = [k for k in FINANCE_ACCOUNTS if k in table]
    if not accounts:
        raise fail(where, f"no accounts; give at least one of {', '.join(FINANCE_ACCOUNTS)}")
    src = _source(where, table, default_source, fail)
    months = [MONTHS_PER_YEAR * (y - start) + MONTHS_PER_YEAR - 1 for y in years]
    scale = FINANCE_UNITS[unit]
    out: list[Target] = []
    for account in accounts:
        values = table[account]
        if not isinstance(values, list) or len(values) != len(years) or not all(_number(v) for v in values):
            raise fail(f"{where}.{account}", f"expected {len(years)} numbers, one per year, got {values!r}")
        sd = sds.get(account)
        if sd is None:
            if any(v == 0 for v in values):
                raise fail(f"{where}.sd.{account}", "a figure of 0 has no relative sd; state sd = { account = [..] }")
            sd = [cv * abs(v) for v in values]
        if not isinstance(sd, list) or len(sd) != len(years) or not all(_number(x) and x > 0 for x in sd):
            raise fail(f"{where}.sd.{account}", f"expected {len(years)} numbers > 0, one per year, got {sd!r}")
        out += [
            Target("series", FINANCE_ACCOUNTS[account], v * scale, 0, sd=d * scale, month=m, source=src)
            for m, v, d in zip(months, values, sd, strict=True)
        ]
    return out


def _ptp_range(key: str) -> tuple[float, float]:
    """The possible scores of a PTP total, indicator or variable: each variable 1..max."""
    if key == "total":
        parts = list(PTP_INDICATORS)
    elif key in PTP_VARIABLES:
        parts = [key]
    else:
        ind = next(i for i in PTP_INDICATORS if key in PTP_VARIABLES[i])
        return 1.0, float(PTP_VARIABLE_MAX[ind])
    return float(sum(len(PTP_VARIABLES[i]) for i in parts)), float(
        sum(len(PTP_VARIABLES[i]) * PTP_VARIABLE_MAX[i] for i in parts)
    )


def _ptp(table: Any, default_source: str, fail: Callable[[str, str], CalibrationError]) -> list[Target]:
    """``[targets.ptp]``: scores (``total``, an indicator or a variable: a number or { score, sd })
    and zones (``zone`` of the total, ``zones = { indicator = .. }``)."""
    where = "targets.ptp"
    if not isinstance(table, dict):
        raise fail(where, 'expected a table of PTP scores and zones, e.g. { total = 106.5, zone = "green" }')
    _keys(where, table, (*PTP_KEYS, *PTP_TABLE_KEYS), fail)
    src = _source(where, table, default_source, fail)
    out: list[Target] = []
    for key, value in table.items():
        if key in PTP_TABLE_KEYS:
            continue
        sd = ptp_default_sd(key)
        if isinstance(value, dict):
            _keys(f"{where}.{key}", value, PTP_SCORE_KEYS, fail)
            sd = value.get("sd", sd)
            if not _number(sd) or sd <= 0:
                raise fail(f"{where}.{key}.sd", f"expected a number > 0, got {sd!r}")
            value = value.get("score")
        lo, hi = _ptp_range(key)
        if not _number(value) or not lo <= value <= hi:
            raise fail(f"{where}.{key}", f"expected a PTP score in [{lo:g}, {hi:g}], got {value!r}")
        out.append(Target("ptp", key, float(value), 0, sd=float(sd), source=src))
    zones = dict(table.get("zones", {})) if isinstance(table.get("zones", {}), dict) else None
    if zones is None:
        raise fail(f"{where}.zones", 'expected a table of zones, e.g. { network = "yellow" }')
    if "zone" in table:
        if "total" in zones:
            raise fail(f"{where}.zone", "the total's zone is given twice (zone and zones.total)")
        zones["total"] = table["zone"]
    allowed = ("total", *PTP_INDICATORS)
    for key, zone in zones.items():
        at = f"{where}.zone" if key == "total" and "zone" in table else f"{where}.zones.{key}"
        if key not in allowed:
            raise fail(at, unknown_key(key, allowed))
        if not isinstance(zone, str) or zone.strip().lower() not in PTP_ZONE_NAMES:
            raise fail(at, f"expected a zone: {', '.join(PTP_ZONE_NAMES)}; got {zone!r}")
        out.append(Target("ptp_zone", key, zone.strip().lower(), 0, sd=ptp_default_sd(key), source=src))
    return out


def _group(where: str, group: Any, fail: Callable[[str, str], CalibrationError]) -> str:
    if isinstance(group, str) and group in TRUST_GROUPS:
        return group
    if isinstance(group, str) and group.startswith(VILLAGE):
        if not group[len(VILLAGE) :].isdigit():
            raise fail(where, f"expected {VILLAGE}<k> with k the village's number (0, 1, ..), got {group!r}")
        return group
    if isinstance(group, str) and group.startswith(PARTICIPANTS):
        kind = group[len(PARTICIPANTS) :]
        if kind in INTERVENTION_KINDS:
            raise fail(
                where,
                f"the model keeps no record of who took part in {kind}; allowed groups: {', '.join(TRUST_GROUPS)}",
            )
        hint = difflib.get_close_matches(kind, INTERVENTION_KINDS, n=1)
        extra = f"did you mean '{PARTICIPANTS}{hint[0]}'?" if hint else f"allowed: {', '.join(TRUST_GROUPS)}"
        raise fail(where, f"{kind!r} is not an intervention kind; {extra}")
    return _one_of(where, group, TRUST_GROUPS, "group", fail)


def _one_of(
    where: str, value: Any, allowed: Sequence[str], what: str, fail: Callable[[str, str], CalibrationError]
) -> str:
    """``value`` if it is one of ``allowed``, else one line naming it with a close match or the list."""
    if isinstance(value, str) and value in allowed:
        return value
    hint = difflib.get_close_matches(str(value), allowed, n=1)
    extra = f"did you mean {hint[0]!r}?" if hint else f"allowed: {', '.join(allowed)}"
    raise fail(where, f"unknown {what} {value!r}; {extra}")


def _sample_size(where: str, n: Any, fail: Callable[[str, str], CalibrationError]) -> int:
    """A study's sample size n: a whole number >= 1."""
    if not _whole(n) or n < 1:
        raise fail(where, f"expected the sample size, a whole number >= 1, got {n!r}")
    return n


def _relational(name: str, value: Any, default_source: str, fail: Callable[[str, str], CalibrationError]) -> Target:
    """``[targets.relational.<name>]``: a relational property (Franke 2005) of the partner ties of a
    sample of n from a group (:func:`kopsim.instruments.relational.relational_survey`). ``in_contact``
    is a share among n (binomial sd); frequency, intensity and proximity take ``sd`` or 10%."""
    where = f"targets.relational.{name}"
    if not isinstance(value, dict):
        raise fail(where, 'expected a table { property = "in_contact", group = "participants:kemitraan", n = 20, .. }')
    _keys(where, value, RELATIONAL_KEYS, fail)
    prop = _one_of(f"{where}.property", value.get("property"), RELATIONAL_PROPERTIES, "property", fail)
    group = _group(f"{where}.group", value.get("group", PARTICIPANTS + "kemitraan"), fail)
    n = _sample_size(f"{where}.n", value.get("n"), fail)
    after = value.get("months_after", FOLLOW_UP_MONTHS)
    if not _whole(after) or after < 1:
        raise fail(f"{where}.months_after", f"expected whole months >= 1 after the event, got {after!r}")
    x = value.get("value")
    share = prop == "in_contact"
    if not _number(x) or x < 0 or (share and x > 1):
        allowed = "a share in [0, 1]" if share else "a number >= 0"
        raise fail(f"{where}.value", f"expected {allowed}, got {x!r}")
    sd = value.get("sd")
    if sd is None:
        if not share and x == 0:
            raise fail(f"{where}.sd", "a value of 0 has no default sd (10% of the value); state sd")
        sd = binomial_sd(x, n) if share else default_series_sd(x)
    if not _number(sd) or sd <= 0:
        raise fail(f"{where}.sd", f"expected a number > 0, got {sd!r}")
    src = _source(where, value, default_source, fail)
    return Target("relational", name, float(x), n, sd=float(sd), month=int(after), source=src, of=prop, group=group)


def _trust(name: str, value: Any, default_source: str, fail: Callable[[str, str], CalibrationError]) -> Target:
    """``[targets.trust.<name>]``: trust category shares of a sample of n from a group."""
    where = f"targets.trust.{name}"
    if not isinstance(value, dict):
        raise fail(where, 'expected a table { of = "institution", group = "umkm", n = 20, shares = { .. } }')
    _keys(where, value, TRUST_KEYS, fail)
    of = _one_of(f"{where}.of", value.get("of"), TRUST_TARGETS, "trust target", fail)
    group = _group(f"{where}.group", value.get("group"), fail)
    n = _sample_size(f"{where}.n", value.get("n"), fail)
    shares = value.get("shares")
    if not isinstance(shares, dict) or not shares:
        raise fail(f"{where}.shares", "expected a table of category = share, e.g. { low = 0.2, medium = 0.5 }")
    observed: dict[int, float] = {}
    for cat, share in shares.items():
        name_cat = CATEGORY_NAMES.get(str(cat).strip().lower())
        if name_cat is None:
            raise fail(f"{where}.shares.{cat}", unknown_key(str(cat), TRUST_CATEGORIES))
        if not _number(share) or not 0.0 <= share <= 1.0:
            raise fail(f"{where}.shares.{cat}", f"expected a share in [0, 1], got {share!r}")
        if TRUST_CATEGORIES.index(name_cat) + 1 in observed:
            raise fail(f"{where}.shares.{cat}", f"the share of {name_cat} is given twice")
        observed[TRUST_CATEGORIES.index(name_cat) + 1] = float(share)
    total = sum(observed.values())
    if total > 1.0 + SHARE_SUM_TOLERANCE or (len(observed) == 3 and abs(total - 1.0) > SHARE_SUM_TOLERANCE):
        raise fail(
            f"{where}.shares", f"the shares sum to {total:.3f}; they must sum to 1 (at most 1 leaving a category out)"
        )
    src = _source(where, value, default_source, fail)
    return Target("trust", name, observed, n, source=src, of=str(of), group=group)


def _priors(table: Any, params: Parameters | None, fail: Callable[[str, str], CalibrationError]) -> tuple[Prior, ...]:
    if not isinstance(table, dict) or not table:
        raise fail(
            "priors",
            "missing table [priors]: name the fitted parameters, e.g. "
            '"participation.benefit_weight" = { low = 0.5, high = 20 }',
        )
    flat: list[tuple[str, Any]] = []
    for key, value in table.items():
        if (
            isinstance(value, dict)
            and value
            and not set(value) & set(PRIOR_KEYS)
            and all(isinstance(v, dict) for v in value.values())
        ):
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
            raise fail(where, f'expected {{ low = .., high = .. }} (optionally scale = "log"), got {spec!r}')
        for k in spec:
            if k not in PRIOR_KEYS:
                raise fail(f"{where}.{k}", unknown_key(k, PRIOR_KEYS))
        lo, hi = spec.get("low"), spec.get("high")
        for what, v in (("low", lo), ("high", hi)):
            if not _number(v):
                raise fail(f"{where}.{what}", f"expected a number, got {v!r}")
        lo, hi = cast(float, lo), cast(float, hi)  # checked just above
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
    cls = ResponseModel if group == RESPONSE_GROUP else GROUPS[group]
    return {f.name: f for f in fields(cls)}[name]


def _parameter_meta(key: str) -> Mapping[str, Any]:
    return _parameter_field(key).metadata


def _parameter_default(key: str, where: str, fail: Callable[[str, str], CalibrationError]) -> Any:
    if "." not in key:
        raise fail(where, "expected GROUP.NAME, e.g. participation.benefit_weight")
    group, name = key.split(".", 1)
    groups = {**GROUPS, RESPONSE_GROUP: ResponseModel}
    if group not in groups:
        raise fail(where, f"unknown parameter group; {unknown_key(group, groups)[len('unknown key; ') :]}")
    names = {f.name: f for f in fields(groups[group])}
    if name not in names:
        raise fail(where, f"unknown parameter; {unknown_key(name, names)[len('unknown key; ') :]}")
    default = names[name].default
    if isinstance(default, (bool, str)) or not isinstance(default, (int, float)):
        raise fail(where, "not a numeric parameter; only numbers can be fitted")
    return default


__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "MODEL_KINDS",
    "PRIOR_KEYS",
    "PTP_KEYS",
    "PTP_ZONE_NAMES",
    "RESPONSE_GROUP",
    "SCALES",
    "SERIES_KEYS",
    "SHIPPED",
    "SURVEY_KINDS",
    "TARGET_KEYS",
    "TARGET_KINDS",
    "TOP_KEYS",
    "TRUST_KEYS",
    "Prior",
    "Target",
    "Targets",
    "check_for_run",
    "held_out_labels",
    "load_targets",
    "shipped_targets",
    "targets_from_dict",
]
