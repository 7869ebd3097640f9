"""Money: savings, loans from the cooperative or the moneylender, repayment, arrears, SHU.

Every transfer is a pure function that moves money between holders, so the sum over
households, cooperatives and moneylenders is conserved by construction (tested).
Loans are flat-rate, as cooperative and tengkulak loans usually are in rural Indonesia:
the monthly instalment is principal/term + principal × rate. SHU (sisa hasil usaha) is
paid at the yearly RAT in proportion to members' capital (jasa modal) and transactions
(jasa usaha): Undang-Undang No. 25/1992 tentang Perkoperasian, Pasal 45.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .participation import B_LOAN_SAT, B_LOANS, observe_benefit
from .state import BUSINESS, CAPITAL
from .trust import rule_gain_factor

if TYPE_CHECKING:
    from .world import World


def flat_instalment(principal: np.ndarray | float, rate: np.ndarray | float, term: int) -> tuple[Any, Any]:
    """Flat-rate loan: monthly principal part P/term and interest part P·r (both fixed)."""
    return principal / term, principal * rate


def transfer(
    payer_cash: np.ndarray,
    payee_cash: np.ndarray,
    payer: np.ndarray,
    payee: np.ndarray,
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
    return cash - np.bincount(payer, amount, minlength=cash.size) + np.bincount(payee, amount, minlength=cash.size)


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
    cash: np.ndarray,
    outstanding: np.ndarray,
    principal_part: np.ndarray,
    interest_part: np.ndarray,
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
    surplus: np.ndarray,
    coop: np.ndarray,
    is_member: np.ndarray,
    capital: np.ndarray,
    transactions: np.ndarray,
    member_share: float,
    capital_share: float,
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


def consume(cash: np.ndarray, income: np.ndarray, spending_rate: float, consumption_share: float) -> np.ndarray:
    """Cash after a month: C' = max(C − s·C + (1 − c)·Y, 0) — a share s of cash goes on lumpy
    needs, a share c of income is consumed, the rest of income is kept as cash."""
    return np.maximum(cash - spending_rate * cash + (1.0 - consumption_share) * income, 0.0)


def mandatory_payment_probability(compliance: float, capital_participation: np.ndarray) -> np.ndarray:
    """Chance a member pays simpanan wajib this month: π = κ + (1 − κ)·P_cap.

    κ: those who pay regardless (it is an obligation of membership, UU 25/1992 Pasal 41); the
    rest pay as they take part in the capital domain.
    """
    return compliance + (1 - compliance) * capital_participation


def withdrawals(voluntary: np.ndarray, coop: np.ndarray, coop_cash: np.ndarray, rate: float) -> np.ndarray:
    """Voluntary savings withdrawn this month: w_i = ρ·V_i, scaled down in each cooperative so
    that the total never exceeds its cash."""
    want = rate * voluntary
    owed = np.bincount(coop, want, minlength=coop_cash.size)
    return want * np.minimum(1.0, coop_cash / np.maximum(owed, 1e-12))[coop]


def savings(world: World) -> np.ndarray:
    """Phase 2: mandatory and voluntary deposits and withdrawals; returns who saved this month."""
    s, fp = world.state, world.params.finance
    H = s.n_households
    mem = s.member[:H]
    pcap = s.participation[:H, CAPITAL]
    u = world.rng.random((2, H))
    # simpanan wajib: the cooperative's own amount if the scenario sets one per cooperative (issue #16)
    wajib = (
        s.mandatory_saving[np.maximum(s.coop[:H], 0)]
        if world.params.cooperative.mandatory_saving
        else fp.mandatory_saving
    )
    mand = mem & (u[0] < mandatory_payment_probability(fp.mandatory_compliance, pcap)) & (s.cash[:H] >= wajib)
    amount_m = np.where(mand, wajib, 0.0)
    vol = mem & (u[1] < pcap)
    amount_v = np.where(vol, fp.voluntary_saving_share * (s.cash[:H] - amount_m), 0.0)
    c = np.maximum(s.coop[:H], 0)
    out = withdrawals(s.savings_voluntary[:H], c, s.coop_cash, fp.withdrawal_rate)
    s.savings_mandatory[:H] += amount_m
    s.savings_voluntary[:H] += amount_v - out
    s.cash[:H], s.coop_cash = transfer(s.cash[:H], s.coop_cash, np.arange(H), c, amount_m + amount_v - out)
    return mand | vol


def loan_satisfaction(rate: np.ndarray, moneylender_rate: float) -> np.ndarray:
    """Satisfaction with a cooperative loan: how much cheaper it is than the tengkulak,
    1 − r / r_ML (clipped to [0, 1])."""
    return np.clip(1.0 - rate / max(moneylender_rate, 1e-9), 0.0, 1.0)


@dataclass(frozen=True)
class CreditExperience:
    """What members experienced of the cooperative this month, for trust in the board and the
    institution: the board's approvals (positive), its refusals (negative, softened by clear and
    fair rules) and who used a service (a loan granted or repaid, a deposit)."""

    board_positive: np.ndarray
    board_negative: np.ndarray
    used_service: np.ndarray


def credit(world: World, saved: np.ndarray) -> CreditExperience:
    """Phase 3: instalments of running loans (cooperative and tengkulak), new loan needs,
    applications, the board's decision, rationing by liquidity, the moneylender for the rest,
    and the cooperative's running cost."""
    s, fp, rng = world.state, world.params.finance, world.rng
    memory = world.params.participation.benefit_memory
    H = s.n_households
    idx = np.arange(H)
    c = s.coop[:H]
    ml = s.moneylender_of[s.village[:H]]
    # instalments of running loans (a loan paid out this month is first due next month)
    willing = rng.random((2, H)) < fp.repayment_discipline
    paid, left, missed = repay(
        s.cash[:H], s.coop_loan[:H], s.coop_principal_part[:H], s.coop_interest_part[:H], willing[0]
    )
    interest = np.where(paid > 0, s.coop_interest_part[:H], 0.0)
    s.cash[:H], s.coop_cash = transfer(s.cash[:H], s.coop_cash, idx, c, paid)
    s.coop_surplus += np.bincount(c, interest, minlength=s.n_coops)
    s.transactions_year[:H] += interest
    s.coop_loan[:H] = left
    s.coop_arrears[:H] = np.where(missed, s.coop_arrears[:H] + 1, np.where(paid > 0, 0, s.coop_arrears[:H]))
    # satisfaction with a loan: how much cheaper it is than the tengkulak; none when in arrears
    loan_sat = np.where(paid > 0, loan_satisfaction(s.coop_loan_rate[:H], fp.moneylender_interest_rate), 0.0)
    observe_benefit(s.benefit, B_LOAN_SAT, loan_sat, ((paid > 0) | missed) & s.member[:H], memory)
    repaid = paid > 0
    if s.ml_loan[:H].any():
        paid, left, missed = repay(
            s.cash[:H], s.ml_loan[:H], s.ml_principal_part[:H], s.ml_interest_part[:H], willing[1]
        )
        has = paid > 0
        s.cash = move(s.cash, idx[has], ml[has], paid[has])
        s.ml_loan[:H] = left
        s.ml_arrears[:H] = np.where(missed, s.ml_arrears[:H] + 1, np.where(has, 0, s.ml_arrears[:H]))
    # new loans: need, application, the board's decision, the cooperative's liquidity
    mem = s.member[:H]
    no_loan = (s.coop_loan[:H] <= 0) & (s.ml_loan[:H] <= 0)
    u = rng.random((5, H))
    need = no_loan & (u[0] < fp.loan_need_rate)
    apply = need & mem & s.informed[:H] & (u[1] < s.participation[:H, BUSINESS])
    fair = s.fairness[c]
    p_ok = approval_probability(fp.approval_rate, fp.favouritism, fair, s.board_tie[:H])
    approved = apply & (u[2] < p_ok)
    amount = fp.loan_size * np.ones(H)
    cand = np.flatnonzero(approved)
    deposits = np.bincount(c, s.savings_mandatory[:H] + s.savings_voluntary[:H], minlength=s.n_coops)
    lendable = np.maximum(s.coop_cash - fp.liquidity_reserve * deposits, 0.0)
    liquid = ration_by_liquidity(c[cand], amount[cand], lendable, u[3][cand])
    granted = np.zeros(H, dtype=bool)
    granted[cand[liquid]] = True
    # disburse the granted loans
    at = np.flatnonzero(granted)
    s.coop_loan[:H] = np.where(granted, amount, s.coop_loan[:H])
    s.coop_cash, s.cash[:H] = transfer(s.coop_cash, s.cash[:H], s.coop[at], at, amount[at])
    scheme = world.conditions.coop_rate[c]
    rate = np.where(np.isnan(scheme), fp.coop_interest_rate, scheme)
    principal_part, interest_part = flat_instalment(fp.loan_size, rate, fp.loan_term_months)
    s.coop_principal_part[:H] = np.where(granted, principal_part, s.coop_principal_part[:H])
    s.coop_loan_rate[:H] = np.where(granted, rate, s.coop_loan_rate[:H])
    s.coop_interest_part[:H] = np.where(granted, interest_part, s.coop_interest_part[:H])
    # the tengkulak: for non-members, the refused and those who did not apply
    to_ml = need & ~granted & (ml >= 0) & (u[4] < fp.moneylender_uptake)
    if to_ml.any():
        s.cash = move(s.cash, ml[to_ml], idx[to_ml], amount[to_ml])
        ml_principal, ml_interest = flat_instalment(fp.loan_size, fp.moneylender_interest_rate, fp.loan_term_months)
        s.ml_loan[:H] = np.where(to_ml, amount, s.ml_loan[:H])
        s.ml_principal_part[:H] = np.where(to_ml, ml_principal, s.ml_principal_part[:H])
        s.ml_interest_part[:H] = np.where(to_ml, ml_interest, s.ml_interest_part[:H])
    # experiences of applicants: ease of loans (any refusal), the board's decision (its own refusals)
    observe_benefit(s.benefit, B_LOANS, granted.astype(float), apply, memory)
    g = rule_gain_factor(s.rule_clarity[c], fair)
    board_refused = apply & ~approved
    experience = CreditExperience(
        board_positive=np.where(granted, 1.0, 0.0),
        board_negative=np.where(board_refused, 1.0 - g, 0.0),  # a refusal under clear, fair rules is understood
        used_service=granted | repaid | saved,
    )
    # the cooperative's running cost, paid as far as its cash allows
    cost = np.minimum(fp.operating_cost, s.coop_cash)
    s.coop_cash = s.coop_cash - cost
    s.coop_surplus -= fp.operating_cost
    return experience
