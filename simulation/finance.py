"""Money: savings, loans from the cooperative or the moneylender, repayment, arrears, SHU.

Every transfer is a pure function that moves money between holders, so the sum over
households, cooperatives and moneylenders is conserved by construction (tested).
Loans are flat-rate, as cooperative and tengkulak loans usually are in rural Indonesia:
the monthly instalment is principal/term + principal × rate. SHU (sisa hasil usaha) is
paid at the yearly RAT in proportion to members' capital (jasa modal) and transactions
(jasa usaha): Undang-Undang No. 25/1992 tentang Perkoperasian, Pasal 45.
"""

from __future__ import annotations

import numpy as np


def flat_instalment(principal: np.ndarray, rate: float | np.ndarray, term: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat-rate loan: monthly principal part P/term and interest part P·r (both fixed)."""
    return principal / term, principal * rate


def transfer(
    payer_cash: np.ndarray, payee_cash: np.ndarray, payer: np.ndarray, payee: np.ndarray,
    amount: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Move ``amount[k]`` from ``payer_cash[payer[k]]`` to ``payee_cash[payee[k]]``.

    Returns new arrays; Σ payer_cash + Σ payee_cash is unchanged (conservation).
    """
    out_payer = payer_cash - np.bincount(payer, amount, minlength=payer_cash.size)
    out_payee = payee_cash + np.bincount(payee, amount, minlength=payee_cash.size)
    return out_payer, out_payee


def move(cash: np.ndarray, payer: np.ndarray, payee: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Move ``amount[k]`` from ``cash[payer[k]]`` to ``cash[payee[k]]`` within one array (Σ cash unchanged)."""
    return (cash - np.bincount(payer, amount, minlength=cash.size)
            + np.bincount(payee, amount, minlength=cash.size))


def approval_probability(
    approval_rate: float, favouritism: float, fairness: np.ndarray, tied_to_board: np.ndarray
) -> np.ndarray:
    """Chance the board approves an eligible application.

    p = a · (1 − φ · (1 − F) · (1 − k)), with a the approval rate under fair rules, φ the
    favouritism, F ∈ [0, 1] the fairness of rule implementation and k = 1 if the applicant
    has a tie to a board member. Fair rules (F = 1) remove the advantage of connections
    (Grootaert & van Bastelaer 2001).
    """
    return approval_rate * (1.0 - favouritism * (1.0 - fairness) * (1.0 - tied_to_board))


def ration_by_liquidity(
    group: np.ndarray, amount: np.ndarray, available: np.ndarray, order_key: np.ndarray
) -> np.ndarray:
    """Grant requests in random order until each lender's cash runs out (boolean mask).

    Requests are served in order of ``order_key`` within each ``group`` (lender); request k
    is granted if the cumulative amount of its group up to and including k ≤ available.
    """
    if amount.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((order_key, group))
    g, amt = group[order], amount[order]
    csum = np.cumsum(amt)
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    offset = np.repeat(csum[start] - amt[start], np.diff(np.r_[start, g.size]))
    granted = np.empty(amount.size, dtype=bool)
    granted[order] = (csum - offset) <= available[g] + 1e-12
    return granted


def repay(
    cash: np.ndarray, outstanding: np.ndarray, principal_part: np.ndarray, interest_part: np.ndarray,
    willing: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One month's instalments: who pays, how much, and what is left.

    due = min(P/term, outstanding) + interest part, for every open loan (outstanding > 0).
    A borrower pays if ``willing`` and cash ≥ due; otherwise the instalment is missed
    (arrears) and the principal stays outstanding. Returns ``(paid_amount, new_outstanding,
    missed)``; move ``paid_amount`` with :func:`transfer`.
    """
    open_ = outstanding > 1e-12
    principal_due = np.minimum(principal_part, outstanding)
    due = principal_due + interest_part
    pays = open_ & willing & (cash >= due)
    paid = np.where(pays, due, 0.0)
    left = np.where(pays, outstanding - principal_due, outstanding)
    left[left < 1e-9] = 0.0
    return paid, left, open_ & ~pays


def shu_payout(
    surplus: np.ndarray, coop: np.ndarray, is_member: np.ndarray, capital: np.ndarray,
    transactions: np.ndarray, member_share: float, capital_share: float,
) -> np.ndarray:
    """SHU per household at the RAT (UU 25/1992 Pasal 45).

    Pool_c = member_share · max(surplus_c, 0). Member i of cooperative c receives
    Pool_c · [s · K_i / Σ_c K + (1 − s) · X_i / Σ_c X], with K savings (jasa modal), X the
    year's transactions (jasa usaha) and s = ``capital_share``. A part whose denominator is
    zero is paid equally. Σ_i payout_i = Σ_c Pool_c for cooperatives with members.
    """
    n_coops = surplus.size
    pool = member_share * np.maximum(surplus, 0.0)
    c = np.where(is_member, coop, 0)
    m = is_member.astype(float)
    payout = np.zeros(coop.size)
    count = np.bincount(c, m, minlength=n_coops)
    for weight, basis in ((capital_share, capital * m), (1.0 - capital_share, transactions * m)):
        total = np.bincount(c, basis, minlength=n_coops)
        share = np.where(total[c] > 0, basis / np.maximum(total[c], 1e-300), m / np.maximum(count[c], 1))
        payout += weight * pool[c] * share
    return payout * m
