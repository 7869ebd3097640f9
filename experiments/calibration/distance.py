"""Distances between simulated and observed survey statistics.

**Distances that respect sample size.** Every target t gives a squared standardised
discrepancy z_t² between the statistic of a simulated survey of the same n respondents and
the observed one; the ABC distance is their sum D = Σ_t z_t² (:func:`total_z`,
:func:`category_z`, :func:`spearman_z`, :func:`share_deviance`):

* item total T (answers 1..3): T − n ~ Binomial(2n, q) per the binomial approximation of
  one answer, so z = (T_sim − T_obs) / √(2n·q̃(1 − q̃)), q̃ = (T_obs − n + 1)/(2n + 2) (the
  observed share of the 2n answer steps with one step added each way, so an all-3 item
  keeps a finite weight);
* category of a total (low ≤ 5n/3 < medium < 12n/5 ≤ high, kopsim.instruments.survey_analysis): z = 0 inside
  the category, else max(½, |T_sim − b|) over √(2n·q_b(1 − q_b)) with b the nearest bound
  and q_b = (b − n + 1)/(2n + 2);
* Spearman r_s: Fisher z, z = (atanh r_sim − atanh r_obs)·√((n − 3)/1.06) (the variance
  1.06/(n − 3) of atanh r_s: Fieller, Hartley & Pearson 1957); |r| is capped at 0.9999; an
  undefined r_sim (a constant score) is *missing* (see below), never 0;
* answer shares of an item (the answers given, plus a "rest" cell when they sum to less than
  1): the multinomial deviance G² = 2n Σ_c s_c ln(s_c / p̃_c) of the observed shares s_c
  against the simulated ones, p̃_c = (m·p_c + ½)/(m + K/2) (m simulated respondents, K cells;
  the half counts keep an unobserved answer finite). G² is χ² with K − 1 d.f., on the same
  scale as the squared z's.

**Missing statistics.** A simulated statistic can be undefined: a Spearman r_s when every
respondent's score is the same, a share among a group nobody in the run belongs to. Such a
term z_t² is NaN and is *dropped*, not counted as 0 (a constant score says nothing about the
correlation, and 0 would pull the fit toward runs where it is undefined). The distance is
rescaled to the number of terms: with K terms of which the set 𝒟 is defined,

    D = (K / |𝒟|) · Σ_{t ∈ 𝒟} z_t²

so that a run missing a term is judged by the mean of its defined terms, on the scale of a run
with all K (D = Σ_t z_t² exactly when every term is defined; D = ∞ when none is, or for an
invalid run). How often each statistic was missing is reported (``ppc.csv``'s ``missing``
column, a note of the fit). Other target kinds (series, PTP, trust shares) are in
:mod:`.targets`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kopsim.instruments.member_survey import ANSWERS
from kopsim.instruments.ptp import PTP_INDICATORS, PTP_VARIABLE_MAX, PTP_VARIABLES, PTP_ZONES, ptp_zone
from kopsim.instruments.survey_analysis import HIGH_MIN_MEAN, LOW_MAX_MEAN, category_bounds

from .simulator import INVALID

if TYPE_CHECKING:
    from .targets import Target


SPEARMAN_VARIANCE = 1.06  # Var(atanh r_s) ≈ 1.06 / (n − 3) (Fieller, Hartley & Pearson 1957)
R_CAP = 0.9999
# A series point without a stated sd or n: sd = 10% of the observed value (a default sampling
# variability of registers and reports; state the sd where it is known).
DEFAULT_RELATIVE_SD = 0.1
# PTP: an assessor's score of one variable varies by a quarter of its range (1 point of 1-5,
# 2.25 of the resources' 1-10) between assessors; an assumption, state the sd where it is known.
PTP_VARIABLE_SD_SHARE = 0.25
# A PTP score on the wrong side of a zone bound costs at least half a score point.
PTP_ZONE_MIN_GAP = 0.5


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


def category_interval(category: str, n: int) -> tuple[float, float]:
    """The interval of totals of ``category`` for n respondents: low [n, 5n/3], medium
    (5n/3, 12n/5), high [12n/5, 3n] (kopsim.instruments.survey_analysis's thresholds on the mean answer)."""
    low_max = LOW_MAX_MEAN[0] * n / LOW_MAX_MEAN[1]
    high_min = HIGH_MIN_MEAN[0] * n / HIGH_MIN_MEAN[1]
    return {"low": (float(n), low_max), "medium": (low_max, high_min), "high": (high_min, 3.0 * n)}[category]


def category_z(sim_total: float, category: str, n: int) -> float:
    """0 when the simulated total falls in ``category`` (kopsim.instruments.survey_analysis's rule), else
    max(½, |T_sim − b|) / √(2n·q_b(1 − q_b)) with b the category's nearest bound and
    q_b = (b − n + 1)/(2n + 2): the total-z of the bound, so a near miss costs little (but a
    total on the wrong side of a bound at least half an answer step)."""
    if category_bounds(n).category(sim_total) == category:
        return 0.0
    lo, hi = category_interval(category, n)
    b = lo if sim_total <= lo else hi
    q = _q_tilde(b, n)
    return max(0.5, abs(sim_total - b)) / math.sqrt(2.0 * n * q * (1.0 - q))


def spearman_z(sim_r: float, obs_r: float, n: int) -> float:
    """Fisher z: (atanh r_sim − atanh r_obs)·√((n − 3)/1.06); |r| capped at 0.9999; an undefined
    (NaN) r_sim gives NaN: a missing term (module docstring)."""
    if n <= 3:
        raise ValueError("a Spearman target needs more than 3 respondents")
    if math.isnan(sim_r):
        return math.nan
    zs, zo = (math.atanh(max(-R_CAP, min(R_CAP, r))) for r in (sim_r, obs_r))
    return (zs - zo) * math.sqrt((n - 3) / SPEARMAN_VARIANCE)


def share_cells(observed: Mapping[int, float]) -> list[tuple[tuple[int, ...], float]]:
    """The multinomial cells of a share target: each given answer, plus the rest when the
    given shares sum to less than 1 (within 0.01)."""
    cells: list[tuple[tuple[int, ...], float]] = [((a,), float(s)) for a, s in sorted(observed.items())]
    rest = [a for a in ANSWERS if a not in observed]
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


def rescaled_sum(terms: Sequence[float]) -> float:
    """D = (K / |𝒟|) Σ_{t ∈ 𝒟} z_t² over the K terms, 𝒟 the defined (non-NaN) ones; exactly Σ z_t²
    when all are defined, ∞ when none is (module docstring: missing statistics)."""
    defined = [z2 for z2 in terms if not math.isnan(z2)]
    if len(defined) == len(terms):
        return float(sum(defined))
    if not defined:
        return math.inf
    return float(sum(defined)) * len(terms) / len(defined)


def point_z(sim: float, obs: float, sd: float) -> float:
    """z = (x_sim − x_obs) / sd: a time-series point or a PTP score, scaled by its own stated
    sampling variability (pattern-oriented modelling, Grimm et al. 2005, Science 310:987: each
    pattern weighted by how precisely it is known); NaN (missing) when x_sim is undefined."""
    return (sim - obs) / sd


def binomial_sd(share: float, n: int) -> float:
    """sd of an observed share p among n: √(q(1 − q)/n), q = (p·n + ½)/(n + 1) (half a count
    added each way, so a share of 0 or 1 keeps a finite weight)."""
    q = (share * n + 0.5) / (n + 1.0)
    return math.sqrt(q * (1.0 - q) / n)


def default_series_sd(value: float) -> float:
    """The sd of a series point stated with neither sd nor n: DEFAULT_RELATIVE_SD (10%) of |value|."""
    return DEFAULT_RELATIVE_SD * abs(value)


def ptp_variable_sd(indicator: str) -> float:
    """The default sd of one PTP variable's score: PTP_VARIABLE_SD_SHARE × (max − 1)."""
    return PTP_VARIABLE_SD_SHARE * (PTP_VARIABLE_MAX[indicator] - 1.0)


def ptp_default_sd(key: str) -> float:
    """The default sd of a PTP score (``total``, an indicator or a variable): the variables'
    assessor errors taken as independent, sd = √(Σ_v sd_v²) over the variables summed."""
    if key == "total":
        return math.sqrt(sum(len(PTP_VARIABLES[i]) * ptp_variable_sd(i) ** 2 for i in PTP_INDICATORS))
    if key in PTP_VARIABLES:
        return math.sqrt(len(PTP_VARIABLES[key])) * ptp_variable_sd(key)
    indicator = next(i for i in PTP_INDICATORS if key in PTP_VARIABLES[i])
    return ptp_variable_sd(indicator)


def ptp_zone_interval(zone: str, indicator: str) -> tuple[float, float]:
    """The scores of ``zone`` of an indicator (or the total): green [g, ∞), yellow [y, g), red (−∞, y)
    with (g, y) the indicator's PTP_ZONES."""
    green, yellow = PTP_ZONES[indicator]
    return {"green": (green, math.inf), "yellow": (yellow, green), "red": (-math.inf, yellow)}[zone]


def zone_z(sim_score: float, zone: str, indicator: str, sd: float) -> float:
    """0 when the simulated score is in ``zone`` (:func:`kopsim.instruments.ptp.ptp_zone`), else
    max(½, |x_sim − b|) / sd with b the zone's nearest bound (as :func:`category_z` for a survey
    category); NaN when the score is undefined."""
    if math.isnan(sim_score):
        return math.nan
    if ptp_zone(indicator, sim_score) == zone:
        return 0.0
    lo, hi = ptp_zone_interval(zone, indicator)
    b = lo if sim_score < lo else hi
    return max(PTP_ZONE_MIN_GAP, abs(sim_score - b)) / sd


@dataclass(frozen=True)
class SurveyDistance:
    """D = Σ_t z_t² over the targets, rescaled when some are missing (module docstring); infinite
    for an invalid simulation."""

    targets: tuple[Target, ...]

    def terms(self, x: Mapping[str, float]) -> dict[str, float]:
        """Each target's z_t² (NaN: missing in this simulation)."""
        return {t.label: t.z2(x) for t in self.targets}

    def missing(self, x: Mapping[str, float]) -> list[str]:
        """The labels of the targets whose statistic is undefined in ``x``."""
        return [label for label, z2 in self.terms(x).items() if math.isnan(z2)]

    def __call__(self, x: Mapping[str, float], x_0: Mapping[str, float] | None = None) -> float:
        if INVALID in x:
            return math.inf
        return rescaled_sum([t.z2(x) for t in self.targets])


__all__ = [
    "DEFAULT_RELATIVE_SD",
    "PTP_VARIABLE_SD_SHARE",
    "PTP_ZONE_MIN_GAP",
    "R_CAP",
    "SPEARMAN_VARIANCE",
    "SurveyDistance",
    "binomial_sd",
    "category_interval",
    "category_z",
    "default_series_sd",
    "point_z",
    "ptp_default_sd",
    "ptp_variable_sd",
    "ptp_zone_interval",
    "rescaled_sum",
    "share_cells",
    "share_deviance",
    "spearman_z",
    "total_z",
    "zone_z",
]
