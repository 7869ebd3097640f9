"""Governance: free-riding and sanction, willingness to serve on the board, the RAT.

Free-riding — letting others do the work while sharing the benefit — erodes social
capital; graduated sanctions under clear rules restore cooperation (Ostrom 1990,
*Governing the Commons*, design principles 4–5; Fehr & Gächter 2000, "Cooperation and
punishment in public goods experiments", AER 90:980). The board's honorarium is small,
so few members want a seat (Firdaus & Baga 2019: 19 of 30 do not want one).
"""

from __future__ import annotations

import numpy as np

from .participation import logistic


def free_riders(org_participation: np.ndarray, is_member: np.ndarray, threshold: float) -> np.ndarray:
    """Members whose organisation participation is below ``threshold`` (boolean mask)."""
    return is_member & (org_participation < threshold)


def sanction_mask(
    rng: np.random.Generator, riders: np.ndarray, rule_clarity: np.ndarray, probability: float
) -> np.ndarray:
    """Free-riders sanctioned this month: Bernoulli(probability × rule clarity of their cooperative).

    Sanctions need rules clear enough to name the breach (Ostrom 1990, principle 5).
    """
    p = probability * rule_clarity
    return riders & (rng.random(riders.shape[0]) < p)


def apply_sanction(participation: np.ndarray, sanctioned: np.ndarray, effect: float) -> np.ndarray:
    """A sanctioned free-rider closes a share of the gap to full participation: P' = P + e·(1 − P)."""
    return np.where(sanctioned, participation + effect * (1.0 - participation), participation)


def free_ride_experience(
    coop: np.ndarray, riders: np.ndarray, sanctioned: np.ndarray, is_member: np.ndarray,
    n_coops: int, harm: float,
) -> np.ndarray:
    """Negative institutional experience of each member from unsanctioned free-riding.

    n_i = min(1, h · f_c), with f_c the share of cooperative c's members who free-ride
    unpunished this month (Fehr & Gächter 2000: unpunished free-riding erodes cooperation).
    """
    members_c = np.bincount(coop[is_member], minlength=n_coops)
    unpunished = np.bincount(coop[riders & ~sanctioned], minlength=n_coops)
    share = unpunished / np.maximum(members_c, 1)
    safe_coop = np.where(coop >= 0, coop, 0)
    return np.where(is_member, np.minimum(1.0, harm * share[safe_coop]), 0.0)


def board_willingness(
    trust_institution: np.ndarray, org_participation: np.ndarray, skill: np.ndarray,
    honorarium_cost: float,
) -> np.ndarray:
    """Willingness to serve on the board: W = σ(2·T_inst + 2·P_org + S − 3 − h).

    Rises with trust and involvement and with skill (confidence to keep the books); the
    small honorarium is a cost h (Firdaus & Baga 2019). The fixed coefficients put W at 0.5
    where 2·T_inst + 2·P_org + S = 3 + h (e.g. T = P = 0.6 and S = 0.6 + h).
    """
    return logistic(2.0 * trust_institution + 2.0 * org_participation + skill - 3.0 - honorarium_cost)


def rat_attendance_probability(org_participation: np.ndarray, mobilisation: float) -> np.ndarray:
    """Chance a member attends the RAT: π = m + (1 − m)·P_org.

    The RAT must reach a quorum to be valid (UU 25/1992 Pasal 22–26), so the board invites,
    reminds and collects members (mobilisation m); the rest attend as they take part in the
    organisation. Firdaus & Baga (2019) find attendance "high" (84 of 90) in a cooperative
    whose members give few suggestions (71, "medium"): attendance is more than involvement.
    m = 0 makes attendance follow organisation participation alone.
    """
    return mobilisation + (1.0 - mobilisation) * org_participation


def elect_board(
    rng: np.random.Generator, candidates: np.ndarray, willingness: np.ndarray,
    reputation: np.ndarray, seats: int,
) -> np.ndarray:
    """Indices of the elected board among ``candidates`` (indices), ``seats`` of them.

    A member stands with probability W (willingness); among those standing, members vote
    for reputation: the ``seats`` with the highest reputation (ties broken at random) win.
    Returns fewer than ``seats`` indices when too few stand.
    """
    standing = candidates[rng.random(candidates.size) < willingness[candidates]]
    order = np.lexsort((rng.random(standing.size), -reputation[standing]))
    return standing[order[:seats]]
