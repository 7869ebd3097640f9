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

from . import accounts
from .moneylenders import coop_choice_probability, may_borrow, pick_lender
from .participation import B_LOAN_SAT, B_LOANS, observe_benefit
from .state import BUSINESS, CAPITAL, INSTITUTION
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


def income_shortfall(income: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Shortfall of this month's income against the income the loan was granted on:
    σ = clip(1 − Y / Ŷ, 0, 1), 0 where there is no basis (Ŷ ≤ 0).

    Lenders size loans on the borrower's income at appraisal (debt-service capacity); a harvest
    failure or a price drop that cuts income below it is what makes instalments go unpaid
    (Armendáriz & Morduch 2010, *The Economics of Microfinance*, ch. 5).
    """
    ratio = np.divide(income, basis, out=np.ones_like(basis), where=basis > 0)
    return np.clip(1.0 - ratio, 0.0, 1.0)


def repayment_probability(discipline: float, shortfall: np.ndarray, sensitivity: float) -> np.ndarray:
    """Chance a borrower pays this month's instalment when cash covers it: π = d·max(0, 1 − e·σ).

    d: repayment discipline at the income the loan was granted on; σ: income shortfall
    (:func:`income_shortfall`); e: sensitivity. Income shocks reach arrears through σ
    (Armendáriz & Morduch 2010, ch. 5).
    """
    return discipline * np.maximum(0.0, 1.0 - sensitivity * shortfall)


def in_default(arrears: np.ndarray, outstanding: np.ndarray, after_months: int) -> np.ndarray:
    """Loans in default: N or more consecutive missed instalments on an open loan (arrears ≥ N)."""
    return (outstanding > 1e-12) & (arrears >= after_months)


def default_experience(
    coop: np.ndarray, defaulted: np.ndarray, is_member: np.ndarray, n_coops: int, harm: float
) -> tuple[np.ndarray, np.ndarray]:
    """Negative institutional experience of members from their fellow members' defaults.

    n_i = min(1, h · d_c), with d_c the share of cooperative c's members who defaulted this month:
    a default written off is a loss to every member's capital and SHU, and a sign that others do
    not repay (Fehr & Gächter 2000: others' defection erodes cooperation). Returns (n, d).
    """
    safe = np.where(coop >= 0, coop, 0)
    members_c = np.bincount(safe[is_member], minlength=n_coops)
    share = np.bincount(safe[defaulted & is_member], minlength=n_coops) / np.maximum(members_c, 1)
    return np.where(is_member, np.minimum(1.0, harm * share[safe]), 0.0), share


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
    s = world.state
    fp = world.per("finance", s.household_world)  # one value per household where the worlds differ
    H = s.n_households
    mem = s.member[:H]
    pcap = s.participation[:H, CAPITAL]
    u = world.draw.random(s.household_world, rows=2)
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


def loan_satisfaction(rate: np.ndarray, moneylender_rate: float | np.ndarray) -> np.ndarray:
    """Satisfaction with a cooperative loan: how much cheaper it is than the tengkulak,
    1 − r / r_ML (clipped to [0, 1])."""
    return np.clip(1.0 - rate / np.maximum(moneylender_rate, 1e-9), 0.0, 1.0)


@dataclass(frozen=True)
class CreditExperience:
    """What members experienced of the cooperative this month, for trust in the board and the
    institution: the board's approvals (positive), its refusals (negative, softened by clear and
    fair rules) and who used a service (a loan granted or repaid, a deposit)."""

    board_positive: np.ndarray
    board_negative: np.ndarray
    used_service: np.ndarray
    default_harm: np.ndarray  # (H,) members' negative institutional experience of defaults
    default_share: np.ndarray  # (n_coops,) share of members who defaulted this month


def credit(world: World, saved: np.ndarray) -> CreditExperience:
    """Phase 3: instalments of running loans (cooperative and tengkulak) as income allows,
    default and write-off, new loan needs, the choice of lender, applications, the board's
    decision, rationing by liquidity, the tengkulak (finite cash) for the rest, and the
    cooperative's running cost."""
    s, draw = world.state, world.draw
    hw = s.household_world  # parameters per household, and per cooperative (fpc), where the worlds differ
    fp, fpc = world.per("finance", hw), world.per("finance", s.coop_world)
    memory = world.per("participation", hw).benefit_memory
    H = s.n_households
    idx = np.arange(H)
    c = s.coop[:H]
    t = world.t
    # instalments of running loans (a loan paid out this month is first due next month); the
    # chance of paying falls with the income shortfall against the loan's income basis
    shortfall = income_shortfall(s.income[:H], s.loan_income_basis[:H])
    willing = draw.random(s.household_world, rows=2) < repayment_probability(
        fp.repayment_discipline, shortfall, fp.shortfall_sensitivity
    )
    paid, left, missed = repay(
        s.cash[:H], s.coop_loan[:H], s.coop_principal_part[:H], s.coop_interest_part[:H], willing[0]
    )
    interest = np.where(paid > 0, s.coop_interest_part[:H], 0.0)
    s.cash[:H], s.coop_cash = transfer(s.cash[:H], s.coop_cash, idx, c, paid)
    s.coop_surplus += np.bincount(c, interest, minlength=s.n_coops)
    accounts.book(s, c, interest, income=True)
    s.transactions_year[:H] += interest
    s.coop_loan[:H] = left
    s.coop_arrears[:H] = np.where(missed, s.coop_arrears[:H] + 1, np.where(paid > 0, 0, s.coop_arrears[:H]))
    # satisfaction with a loan: how much cheaper it is than the tengkulak; none when in arrears
    loan_sat = np.where(paid > 0, loan_satisfaction(s.coop_loan_rate[:H], fp.moneylender_interest_rate), 0.0)
    observe_benefit(s.benefit, B_LOAN_SAT, loan_sat, ((paid > 0) | missed) & s.member[:H], memory)
    repaid = paid > 0
    # default: the outstanding principal is written off against the cooperative's surplus (a loss
    # carried to the RAT, so members' SHU and capital bear it); the defaulter loses access
    gone = in_default(s.coop_arrears[:H], s.coop_loan[:H], fp.default_after_months)
    lost = np.where(gone, s.coop_loan[:H], 0.0)
    s.coop_surplus -= np.bincount(c, lost, minlength=s.n_coops)
    s.coop_written_off += np.bincount(c, lost, minlength=s.n_coops)
    s.coop_defaults = np.bincount(c[gone], minlength=s.n_coops)
    s.coop_loan[:H][gone] = 0.0
    s.coop_arrears[:H][gone] = 0
    s.coop_excluded_until[:H][gone] = t + fp.default_exclusion_months
    harm, share = default_experience(c, gone, s.member[:H], s.n_coops, fp.default_harm)
    if s.ml_loan[:H].any():
        lender = s.ml_lender[:H]
        paid, left, missed = repay(
            s.cash[:H], s.ml_loan[:H], s.ml_principal_part[:H], s.ml_interest_part[:H], willing[1]
        )
        has = paid > 0
        s.cash = move(s.cash, idx[has], lender[has], paid[has])
        s.ml_loan[:H] = left
        s.ml_arrears[:H] = np.where(missed, s.ml_arrears[:H] + 1, np.where(has, 0, s.ml_arrears[:H]))
        ml_gone = in_default(s.ml_arrears[:H], s.ml_loan[:H], fp.default_after_months)
        s.ml_defaults = np.bincount(c[ml_gone], minlength=s.n_coops)
        s.ml_loan[:H][ml_gone] = 0.0  # the tengkulak's loss: the principal never comes back
        s.ml_arrears[:H][ml_gone] = 0
        s.ml_excluded_until[:H][ml_gone] = t + fp.default_exclusion_months
        s.ml_lender[:H] = np.where(s.ml_loan[:H] > 0, lender, -1)
    else:
        s.ml_defaults = np.zeros(s.n_coops, dtype=np.int64)
    # new loans: need, access, the choice of lender, application, the board, the cooperative's liquidity
    mem = s.member[:H]
    no_loan = (s.coop_loan[:H] <= 0) & (s.ml_loan[:H] <= 0)
    u = draw.random(s.household_world, rows=7)
    need = no_loan & (u[0] < fp.loan_need_rate)
    scheme = world.conditions.coop_rate[c]
    rate = np.where(np.isnan(scheme), fp.coop_interest_rate, scheme)
    # needy non-members whom an engaged village government refers may apply (joining with the loan)
    referred = ~mem & s.needy[:H] & (u[5] < world.conditions.credit_referral[s.village[:H]])
    access = s.informed[:H] & (mem | referred) & may_borrow(s.coop_excluded_until[:H], t)
    p_coop = coop_choice_probability(
        rate,
        fp.moneylender_interest_rate,
        s.trust[:H, INSTITUTION],
        s.participation[:H, BUSINESS],
        fp.choice_constant,
        fp.choice_rate_weight,
        fp.choice_trust_weight,
        fp.choice_participation_weight,
    )
    apply = need & access & (u[1] < p_coop)
    fair = s.fairness[c]
    p_ok = approval_probability(fp.approval_rate, fp.favouritism, fair, s.board_tie[:H])
    approved = apply & (u[2] < p_ok)
    amount = fp.loan_size * np.ones(H)
    cand = np.flatnonzero(approved)
    deposits = np.bincount(c, s.savings_mandatory[:H] + s.savings_voluntary[:H], minlength=s.n_coops)
    lendable = np.maximum(s.coop_cash - fpc.liquidity_reserve * deposits, 0.0)
    liquid = ration_by_liquidity(c[cand], amount[cand], lendable, u[3][cand])
    granted = np.zeros(H, dtype=bool)
    granted[cand[liquid]] = True
    # disburse the granted loans
    at = np.flatnonzero(granted)
    s.coop_loan[:H] = np.where(granted, amount, s.coop_loan[:H])
    s.coop_cash, s.cash[:H] = transfer(s.coop_cash, s.cash[:H], s.coop[at], at, amount[at])
    principal_part, interest_part = flat_instalment(fp.loan_size, rate, fp.loan_term_months)
    s.coop_principal_part[:H] = np.where(granted, principal_part, s.coop_principal_part[:H])
    s.coop_loan_rate[:H] = np.where(granted, rate, s.coop_loan_rate[:H])
    s.coop_interest_part[:H] = np.where(granted, interest_part, s.coop_interest_part[:H])
    joined = granted & ~mem
    if joined.any():
        join_with_loan(world, joined)
    # the tengkulak of the village, as far as its cash allows: for those without cooperative
    # access, those who chose it, the refused
    first = s.moneylender_of[s.village[:H]]
    lender = pick_lender(first, world.params.population.moneylenders_per_village, u[6])
    to_ml = need & ~granted & (lender >= 0) & may_borrow(s.ml_excluded_until[:H], t) & (u[4] < fp.moneylender_uptake)
    ask = np.flatnonzero(to_ml)
    if ask.size:
        ok = ration_by_liquidity(lender[ask], amount[ask], s.cash, u[4][ask])
        to_ml[ask[~ok]] = False
    if to_ml.any():
        s.cash = move(s.cash, lender[to_ml], idx[to_ml], amount[to_ml])
        ml_principal, ml_interest = flat_instalment(fp.loan_size, fp.moneylender_interest_rate, fp.loan_term_months)
        s.ml_loan[:H] = np.where(to_ml, amount, s.ml_loan[:H])
        s.ml_principal_part[:H] = np.where(to_ml, ml_principal, s.ml_principal_part[:H])
        s.ml_interest_part[:H] = np.where(to_ml, ml_interest, s.ml_interest_part[:H])
        s.ml_lender[:H] = np.where(to_ml, lender, s.ml_lender[:H])
    s.loan_income_basis[:H] = np.where(granted | to_ml, s.income_ref[:H], s.loan_income_basis[:H])
    # experiences of applicants: ease of loans (any refusal; a defaulter's lost access), the board's decision
    shut_out = need & s.member[:H] & ~may_borrow(s.coop_excluded_until[:H], t)
    observe_benefit(s.benefit, B_LOANS, granted.astype(float), apply | shut_out, memory)
    g = rule_gain_factor(s.rule_clarity[c], fair)
    board_refused = apply & ~approved
    experience = CreditExperience(
        board_positive=np.where(granted, 1.0, 0.0),
        board_negative=np.where(board_refused, 1.0 - g, 0.0),  # a refusal under clear, fair rules is understood
        used_service=granted | repaid | saved,
        default_harm=harm,
        default_share=share,
    )
    # the cooperative's running cost, paid as far as its cash allows
    cost = np.minimum(fpc.operating_cost, s.coop_cash)
    s.coop_cash = s.coop_cash - cost
    s.coop_surplus -= fpc.operating_cost
    s.coop_cost_ytd += cost  # the books record what was paid (kopsim.accounts)
    return experience


def join_with_loan(world: World, joined: np.ndarray) -> None:
    """Referred non-members granted a loan become members (a savings-and-loan cooperative lends
    to its members: UU 25/1992 Pasal 44), taking up the cooperative's habits (its members' mean
    participation), as newcomers do in the membership phase."""
    s = world.state
    H = s.n_households
    mem = s.member[:H]
    c = np.maximum(s.coop[:H], 0)
    count = np.maximum(np.bincount(c[mem], minlength=s.n_coops), 1)
    pm = s.participation[:H][mem]
    mean_part = np.stack([np.bincount(c[mem], pm[:, k], minlength=s.n_coops) for k in range(3)], axis=1)
    s.member[:H] |= joined
    s.participation[:H][joined] = (mean_part / count[:, None])[c[joined]]
    world.board_changed()
