"""The tengkulak (moneylender) market and the household's choice of lender.

Every village has ``population.moneylenders_per_village`` tengkulak, each lending from finite
cash (``finance.moneylender_capital`` at start, then what borrowers repay). A household that
needs credit chooses between the cooperative and the tengkulak by the price of the loan, its
access and its trust: informal lenders win on speed and no paperwork, cooperatives on price,
and where households distrust the cooperative or cannot reach it they keep borrowing from the
tengkulak (Hoff & Stiglitz 1990, "Imperfect information and rural credit markets", World Bank
Economic Review 4:235; Madestam 2014, "Informal finance: a theory of moneylenders", Journal of
Development Economics 107:157 — formal and informal lenders compete for the same borrowers).
"""

from __future__ import annotations

import numpy as np

from .participation import logistic


def coop_choice_probability(
    coop_rate: np.ndarray,
    moneylender_rate: float | np.ndarray,
    trust_institution: np.ndarray,
    business_participation: np.ndarray,
    constant: float,
    rate_weight: float,
    trust_weight: float,
    participation_weight: float,
) -> np.ndarray:
    """Chance a household with access to both applies to the cooperative rather than the tengkulak.

    P = σ(β₀ + β_r·(r_ML − r_c)/r_ML + β_T·(T_inst − ½) + β_P·(P_bus − ½))

    — a binary logit on the price advantage of the cooperative's loan, trust in the cooperative
    and the habit of transacting with its business unit (Hoff & Stiglitz 1990; Madestam 2014).
    A cheaper cooperative loan, more trust or more participation raise P; a cooperative dearer
    than the tengkulak lowers it.
    """
    advantage = (moneylender_rate - coop_rate) / np.maximum(moneylender_rate, 1e-9)
    return logistic(
        constant
        + rate_weight * advantage
        + trust_weight * (trust_institution - 0.5)
        + participation_weight * (business_participation - 0.5)
    )


def pick_lender(first: np.ndarray, per_village: int, u: np.ndarray) -> np.ndarray:
    """One of the village's ``per_village`` tengkulak, uniformly: ℓ = first_v + ⌊u·k⌋ (−1 where
    the village has none, ``first`` = −1)."""
    if per_village <= 0:
        return np.full(first.size, -1, dtype=np.int64)
    k = np.minimum((u * per_village).astype(np.int64), per_village - 1)
    return np.where(first >= 0, first + k, -1)


def may_borrow(excluded_until: np.ndarray, t: int) -> np.ndarray:
    """Access after a default: a lender refuses a defaulter until month ``excluded_until``
    (exclusive), the usual sanction of group and informal lending (Ghatak & Guinnane 1999,
    "The economics of lending with joint liability", J. Dev. Econ. 60:195)."""
    return excluded_until <= t
