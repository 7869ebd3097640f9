"""Instrument 2, PTP — Penilaian Tangga Perkembangan (Soedjono 2003): :func:`ptp_score` scores the 23
variables of a cooperative from its state and sums them into the four indicators and
their green / yellow / red zones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..parameters import _Group, param
from ..participation import BENEFIT_ITEMS, logistic
from ..state import BOARD, BOARD_TRUST, BUSINESS, PARTNER, SUPERVISOR
from .member_survey import survey_members

if TYPE_CHECKING:
    from ..model import CooperativeModel
    from .published import PublishedSurvey


PTP_INDICATORS = ("vision", "capacity", "resources", "network")
PTP_VARIABLES: dict[str, tuple[str, ...]] = {
    "vision": (
        "equity_of_benefit",
        "communication_with_members",
        "commitment_to_business",
        "commitment_to_social_development",
        "leadership_effectiveness",
        "strategic_plan",
        "dispute_resolution",
    ),
    "capacity": (
        "structure",
        "staff_retention",
        "staff_terms",
        "staff_training",
        "cost_cutting",
        "operating_system",
        "audits",
        "service_to_members",
    ),
    "resources": ("capital_adequacy", "asset_growth", "return_on_assets", "credit_policy"),
    "network": ("fiscal_policy", "government", "apex_cooperative", "other_parties"),
}
# Highest score of one variable: 5 (consistent progress), resources 10 (DOMAIN.md); the lowest is 1.
PTP_VARIABLE_MAX = {"vision": 5, "capacity": 5, "resources": 10, "network": 5}
# Zone thresholds (green from, yellow from; red below), the lower bounds of DOMAIN.md's table.
# The total's thresholds are the sums of the indicators' (not in the source: derived).
PTP_ZONES: dict[str, tuple[float, float]] = {
    "vision": (22, 12),
    "capacity": (26, 13),
    "resources": (28, 15),
    "network": (15, 8),
    "total": (91, 48),
}


@dataclass(frozen=True)
class PTPScale(_Group):
    """Reference values that turn a cooperative's state into PTP variable indices x ∈ [0, 1]."""

    training_window_months: int = param(
        24, 1, 1200, "months", "commitment to social development: members trained within this window"
    )
    asset_growth_full: float = param(
        0.10, 1e-6, 100.0, "per year", "asset growth (annualised, since founding) scored as full progress"
    )
    roa_full: float = param(0.10, 1e-6, 100.0, "per year", "return on assets scored as full progress")
    arrears_worst: float = param(
        0.20, 1e-6, 1.0, "share of borrowers", "arrears share scored as no evidence of a credit policy"
    )


def ptp_zone(indicator: str, score: float) -> str:
    """'green', 'yellow' or 'red' for an indicator (or 'total') score: green from the green zone's
    lower bound, yellow from the yellow zone's, red below (DOMAIN.md's table)."""
    green, yellow = PTP_ZONES[indicator]
    if score >= green:
        return "green"
    if score >= yellow:
        return "yellow"
    return "red"


@dataclass(frozen=True)
class PTPResult:
    """PTP of one cooperative: ``variables`` (indicator, variable, index x, score), ``indicators``
    (score, max, zone) and the total with its zone."""

    cooperative: int
    variables: pd.DataFrame
    indicators: pd.DataFrame
    total: float
    total_zone: str

    def format(self, published: PublishedSurvey | None = None) -> str:
        pub = published.ptp if published else {}
        lines = [
            f"{'indicator / variable':<38}{'index':>7}{'score':>8}{'max':>6}  zone" + ("      published" if pub else "")
        ]
        for ind in PTP_INDICATORS:
            row = self.indicators.loc[ind]
            line = f"{ind:<38}{'':>7}{row['score']:>8.1f}{row['max']:>6.0f}  {row['zone']:<6}"
            if ind in pub:
                line += f"{pub[ind]:>9.1f} {ptp_zone(ind, pub[ind])}"
            lines.append(line)
            for _, v in self.variables[self.variables["indicator"] == ind].iterrows():
                lines.append(f"  {v['variable']:<36}{v['index']:>7.2f}{v['score']:>8.1f}{v['max']:>6.0f}")
        line = f"{'total':<38}{'':>7}{self.total:>8.1f}{self.indicators['max'].sum():>6.0f}  {self.total_zone:<6}"
        if "total" in pub:
            line += f"{pub['total']:>9.1f} {ptp_zone('total', pub['total'])}"
        lines.append(line)
        return "\n".join(line.rstrip() for line in lines)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else 0.0


def _gini(values: np.ndarray) -> float:
    """Gini coefficient G = Σ_i Σ_j |v_i − v_j| / (2 n² v̄) (0 for no or all-zero values)."""
    if values.size == 0 or values.sum() <= 0:
        return 0.0
    v = np.sort(values)
    n = v.size
    return float((2.0 * np.arange(1, n + 1) - n - 1) @ v / (n * v.sum()))


def _relation(model: CooperativeModel, members: np.ndarray, others: np.ndarray) -> float:
    """Strength of the cooperative's relation with the agents ``others``: the strongest tie
    between any of them and any current member (0 without a tie)."""
    s, ties = model.state, model.ties
    is_member = np.zeros(s.n, dtype=bool)
    is_member[members] = True
    is_other = np.zeros(s.n, dtype=bool)
    is_other[others] = True
    touch = (is_member[ties.a] & is_other[ties.b]) | (is_member[ties.b] & is_other[ties.a])
    return float(ties.strength[touch].max()) if touch.any() else 0.0


def ptp_indices(model: CooperativeModel, cooperative: int = 0, scale: PTPScale | None = None) -> dict[str, float]:
    """The PTP variable indices x ∈ [0, 1] of ``cooperative`` (monotone in the state named).

    M: the cooperative's members; O: its office holders (board and supervisors); t: months
    run; A = cash + outstanding loans (assets); I = interest due this month on running loans;
    C = ``finance.operating_cost`` per month; V = members' voluntary savings (withdrawable, a
    liability).

    Vision: equity_of_benefit = 1 − Gini of M's mean perceived benefit; communication =
    share of M with a tie to a board member; commitment_to_business = mean business
    participation; commitment_to_social_development = share of M trained within
    ``training_window_months``; leadership_effectiveness = mean trust in the board;
    strategic_plan = rule clarity; dispute_resolution = fairness.
    Capacity: structure = filled share of the board and supervisor seats; staff_retention =
    mean willingness to serve of O; staff_terms = σ(−governance.honorarium_cost);
    staff_training = mean skill of O; cost_cutting = 1 − C / I; operating_system = service
    quality; audits = share of M at the last RAT (where the accounts are approved);
    service_to_members = mean service-satisfaction item.
    Resources: capital_adequacy = 1 − V / A; asset_growth = g / ``asset_growth_full`` with g =
    (A / finance.initial_coop_capital)^(12/t) − 1; return_on_assets = 12 (I − C) / A /
    ``roa_full``; credit_policy = 1 − (arrears share of borrowers) / ``arrears_worst``.
    Network: relation(X) = strongest tie between a member and X; fiscal_policy = mean
    relation(ministry, state bank); government = mean of relation(cooperative office),
    relation(labour office) and the responsiveness of the village governments it serves;
    apex_cooperative = 0 (no secondary cooperative in the model: always "no evidence");
    other_parties = mean relation(halal certifier, partnership office, partner firms).
    Every index is clipped to [0, 1].
    """
    scale = scale or PTPScale()
    s, p = model.state, model.p
    M = survey_members(model, cooperative)
    H = s.n_households
    O = M[np.isin(s.office[M], (BOARD, SUPERVISOR))]  # noqa: E741 - O for office holders, as in the docstring
    t = model.steps
    in_coop = s.coop[:H] == cooperative
    loans = s.coop_loan[:H]
    borrowers = in_coop & (loans > 0)
    assets = float(s.coop_cash[cooperative] + loans[in_coop].sum())
    interest = float(s.coop_interest_part[:H][borrowers].sum())
    cost = p.finance.operating_cost
    voluntary = float(s.savings_voluntary[:H][in_coop].sum())
    a0 = p.finance.initial_coop_capital
    if t > 0 and a0 > 0 and assets > 0:
        growth = (assets / a0) ** (12.0 / t) - 1.0
    else:
        growth = 0.0 if t == 0 or assets <= 0 else math.inf
    arrears = float((s.coop_arrears[:H][borrowers] > 0).mean()) if borrowers.any() else 0.0
    trained = (s.trained_at[M] >= 0) & (s.trained_at[M] > t - scale.training_window_months)
    ai = s.agency_index
    villages = np.unique(s.village[:H][in_coop])
    seats = p.population.board_size + p.population.supervisors
    x = {
        "equity_of_benefit": 1.0 - _gini(s.benefit[M].mean(axis=1)),
        "communication_with_members": _mean(s.board_tie[M]),
        "commitment_to_business": _mean(s.participation[M, BUSINESS]),
        "commitment_to_social_development": _mean(trained.astype(float)),
        "leadership_effectiveness": _mean(s.trust[M, BOARD_TRUST]),
        "strategic_plan": float(s.rule_clarity[cooperative]),
        "dispute_resolution": float(s.fairness[cooperative]),
        "structure": O.size / seats if seats else 1.0,
        "staff_retention": _mean(s.willingness[O]),
        "staff_terms": float(logistic(np.array(-p.governance.honorarium_cost))),
        "staff_training": _mean(s.skill[O]),
        "cost_cutting": 1.0 - cost / interest if interest > 0 else 0.0,
        "operating_system": float(s.service_quality[cooperative]),
        "audits": _mean(s.attended_rat[M].astype(float)),
        "service_to_members": _mean(s.benefit[M, BENEFIT_ITEMS.index("service_satisfaction")]),
        "capital_adequacy": 1.0 - voluntary / assets if assets > 0 else 0.0,
        "asset_growth": growth / scale.asset_growth_full,
        "return_on_assets": 12.0 * (interest - cost) / assets / scale.roa_full if assets > 0 else 0.0,
        "credit_policy": 1.0 - arrears / scale.arrears_worst,
        "fiscal_policy": np.mean(
            [_relation(model, M, np.array([ai["ministry"]])), _relation(model, M, np.array([ai["state_bank"]]))]
        ),
        "government": np.mean(
            [
                _relation(model, M, np.array([ai["cooperative_office"]])),
                _relation(model, M, np.array([ai["labour_office"]])),
                _mean(s.responsiveness[villages]),
            ]
        ),
        "apex_cooperative": 0.0,
        "other_parties": np.mean(
            [
                _relation(model, M, np.array([ai["halal_certifier"]])),
                _relation(model, M, np.array([ai["partnership_office"]])),
                _relation(model, M, np.flatnonzero(s.role == PARTNER)),
            ]
        ),
    }
    return {k: float(np.clip(v, 0.0, 1.0)) for k, v in x.items()}


def ptp_score(model: CooperativeModel, cooperative: int = 0, scale: PTPScale | None = None) -> PTPResult:
    """PTP of ``cooperative``: each variable scored 1 + (max − 1)·x from its index x
    (:func:`ptp_indices`; max 5, resources 10), summed per indicator and in total, with the
    zones of :func:`ptp_zone`."""
    x = ptp_indices(model, cooperative, scale)
    rows = []
    for ind in PTP_INDICATORS:
        top = PTP_VARIABLE_MAX[ind]
        for var in PTP_VARIABLES[ind]:
            rows.append(
                {
                    "indicator": ind,
                    "variable": var,
                    "index": x[var],
                    "score": 1.0 + (top - 1.0) * x[var],
                    "max": float(top),
                }
            )
    variables = pd.DataFrame(rows)
    sums = variables.groupby("indicator", sort=False)[["score", "max"]].sum()
    sums["zone"] = [ptp_zone(ind, sc) for ind, sc in sums["score"].items()]
    total = float(sums["score"].sum())
    return PTPResult(cooperative, variables, sums.loc[list(PTP_INDICATORS)], total, ptp_zone("total", total))


__all__ = [
    "PTP_INDICATORS",
    "PTP_VARIABLES",
    "PTP_VARIABLE_MAX",
    "PTP_ZONES",
    "PTPResult",
    "PTPScale",
    "ptp_indices",
    "ptp_score",
    "ptp_zone",
]
