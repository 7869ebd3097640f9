"""Trust (kepercayaan) updating from experience: toward peers, the board and the institution.

Trust is built slowly and destroyed quickly — the *asymmetry principle* (Slovic 1993,
"Perceived risk, trust, and democracy", Risk Analysis 13:675). Clear and fairly
implemented rules give the largest gains in social capital (Grootaert & van Bastelaer
2001, "Understanding and measuring social capital", World Bank SCI Working Paper 24), so
rule clarity and fairness scale the gain term only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .participation import B_SERVICE, observe_benefit
from .state import BOARD_TRUST, INSTITUTION

if TYPE_CHECKING:
    from .world import World


def rule_gain_factor(rule_clarity: np.ndarray | float, fairness: np.ndarray | float) -> np.ndarray | float:
    """Scale on trust gains from the rules: g = clarity × fairness ∈ [0, 1].

    Source: Grootaert & van Bastelaer (2001): clear, fairly implemented rules give the
    largest gains in social capital; unclear or unfairly applied rules give none.
    """
    return rule_clarity * fairness


def update_trust(
    trust: np.ndarray,
    positive: np.ndarray,
    negative: np.ndarray,
    gain_rate: float,
    loss_rate: float,
    gain_factor: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Asymmetric trust update from one month's experiences (returns a new array).

    T' = T + a⁺ · g · p · (1 − T) − a⁻ · n · T

    with p, n ∈ [0, 1] the intensity (share) of positive and negative experiences this
    month, a⁺ = ``gain_rate`` < a⁻ = ``loss_rate`` (trust is lost faster than gained;
    Slovic 1993) and g = :func:`rule_gain_factor` (Grootaert & van Bastelaer 2001).
    Without experience (p = n = 0) trust stays put. For rates in [0, 1] and g ∈ [0, 1]
    the result stays in [0, 1].
    """
    gain = gain_rate * gain_factor * positive * (1.0 - trust)
    loss = loss_rate * negative * trust
    return np.clip(trust + gain - loss, 0.0, 1.0)


def trust_levels(trust: np.ndarray, low: float, high: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares of low (< low), medium and high (≥ high) trust — the survey's three bands.

    ``trust`` is (n,) or (n, k); shares are per column and sum to 1 (NaN when n = 0).
    """
    if trust.shape[0] == 0:
        nan = np.full(trust.shape[1:], np.nan)
        return nan, nan, nan
    lo = (trust < low).mean(axis=0)
    hi = (trust >= high).mean(axis=0)
    return lo, np.maximum(1.0 - lo - hi, 0.0), hi


def board_and_institution(
    world: World,
    board_positive: np.ndarray,
    board_negative: np.ndarray,
    used_service: np.ndarray,
    free_ride_harm: np.ndarray,
) -> None:
    """Phase 6: service experience, then members' trust in the board (its decisions on loans, a
    scandal) and in the cooperative, both with gains scaled by the rules (:func:`rule_gain_factor`).

    Institutional experience: a member who used a service this month found it satisfactory with
    probability q_c (the cooperative's service quality): p = 1 then; otherwise disappointment,
    n = w_d (``trust.disappointment_weight``; expectation–disconfirmation, Oliver 1980, J. Mark.
    Res. 17:460). Unpunished free-riding seen and a scandal are negative experiences too
    (n = max of them). Without any negative channel trust could only climb to its ceiling."""
    s = world.state
    hw = s.household_world  # parameters per household where the worlds differ
    tp, gp = world.per("trust", hw), world.per("governance", hw)
    H = s.n_households
    mem = s.member[:H]
    c = np.maximum(s.coop[:H], 0)
    g = rule_gain_factor(s.rule_clarity[c], s.fairness[c])
    used = used_service & mem
    # each member who used a service this month found it satisfactory or not (Bernoulli with the
    # cooperative's service quality): satisfaction, and disappointment, are experienced
    satisfied = used & (world.draw.random(s.household_world) < s.service_quality[c])
    observe_benefit(s.benefit, B_SERVICE, satisfied.astype(float), used, world.per("participation", hw).benefit_memory)
    scandal = world.conditions.scandal[c] * gp.scandal_trust_hit
    board_pos = np.where(mem, board_positive, 0.0)
    board_neg = np.where(mem, np.maximum(board_negative, scandal), 0.0)
    s.trust[:H, BOARD_TRUST] = update_trust(
        s.trust[:H, BOARD_TRUST], board_pos, board_neg, tp.gain_rate, tp.loss_rate, g
    )
    inst_pos = satisfied.astype(float)
    disappointed = (used & ~satisfied) * tp.disappointment_weight
    inst_neg = np.maximum(np.maximum(free_ride_harm, scandal), disappointed) * mem
    s.trust[:H, INSTITUTION] = update_trust(s.trust[:H, INSTITUTION], inst_pos, inst_neg, tp.gain_rate, tp.loss_rate, g)


def nonmember_experience(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    is_member: np.ndarray,
    member_trust: np.ndarray,
    seen_positive: np.ndarray,
    seen_negative: np.ndarray,
    hearsay_weight: float,
) -> tuple[np.ndarray, np.ndarray]:
    """What each non-member hears and sees of the cooperative this month: (positive, negative).

    Heard (word of mouth along this month's contacts a–b with members): h̄_i = mean T_inst,j of
    the member contacts j of non-member i; seen: s⁺_i (e.g. SHU paid to members) and s⁻_i
    (defaults, a scandal) of the cooperative i would join. With k_i member contacts and ω the
    weight of hearsay,

        p_i = clip(ω · h̄_i · 1[k_i > 0] + s⁺_i, 0, 1),  n_i = clip(ω · (1 − h̄_i) · 1[k_i > 0] + s⁻_i, 0, 1)

    and 0 for members (who update from their own experience). Fed to :func:`update_trust`, a
    non-member's trust in the cooperative moves toward what its members say and what the
    village sees. Networks carry information and reputation to those outside the group
    (Coleman 1988, "Social capital in the creation of human capital", AJS 94:S95; Granovetter
    1973, "The strength of weak ties", AJS 78:1360).
    """
    mem = is_member.astype(float)
    heard = np.bincount(a, mem[b] * member_trust[b], minlength=n) + np.bincount(
        b, mem[a] * member_trust[a], minlength=n
    )
    k = np.bincount(a, mem[b], minlength=n) + np.bincount(b, mem[a], minlength=n)
    mean = np.divide(heard, k, out=np.zeros(n), where=k > 0)
    told = hearsay_weight * (k > 0)
    outside = ~is_member
    positive = np.where(outside, np.clip(told * mean + seen_positive, 0.0, 1.0), 0.0)
    negative = np.where(outside, np.clip(told * (1.0 - mean) + seen_negative, 0.0, 1.0), 0.0)
    return positive, negative
