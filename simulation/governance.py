"""Governance: free-riding and sanction, willingness to serve on the board, the RAT.

Free-riding — letting others do the work while sharing the benefit — erodes social
capital; graduated sanctions under clear rules restore cooperation (Ostrom 1990,
*Governing the Commons*, design principles 4–5; Fehr & Gächter 2000, "Cooperation and
punishment in public goods experiments", AER 90:980). The board's honorarium is small,
so few members want a seat (Firdaus & Baga 2019: 19 of 30 do not want one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .finance import shu_payout, transfer
from .network import INTEREST, ORIGIN_AGENCY, POWER, SENTIMENT, deduplicate
from .participation import logistic
from .state import BOARD, BOARD_TRUST, INSTITUTION, NO_OFFICE, ORGANISATION, SUPERVISOR
from .trust import rule_gain_factor, update_trust

if TYPE_CHECKING:
    from .state import State
    from .streams import Tagged
    from .world import World


def free_riders(org_participation: np.ndarray, is_member: np.ndarray, threshold: float) -> np.ndarray:
    """Members whose organisation participation is below ``threshold`` (boolean mask)."""
    return is_member & (org_participation < threshold)


def sanction_mask(
    rng: np.random.Generator | Tagged, riders: np.ndarray, rule_clarity: np.ndarray, probability: np.ndarray | float
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
    coop: np.ndarray,
    riders: np.ndarray,
    sanctioned: np.ndarray,
    is_member: np.ndarray,
    n_coops: int,
    harm: float,
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
    trust_institution: np.ndarray,
    org_participation: np.ndarray,
    skill: np.ndarray,
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
    rng: np.random.Generator,
    candidates: np.ndarray,
    willingness: np.ndarray,
    reputation: np.ndarray,
    seats: int,
) -> np.ndarray:
    """Indices of the elected board among ``candidates`` (indices), ``seats`` of them.

    A member stands with probability W (willingness); among those standing, members vote
    for reputation: the ``seats`` with the highest reputation (ties broken at random) win.
    Returns fewer than ``seats`` indices when too few stand.
    """
    standing = candidates[rng.random(candidates.size) < willingness[candidates]]
    order = np.lexsort((rng.random(standing.size), -reputation[standing]))
    return standing[order[:seats]]


def board_relation(fairness: np.ndarray, scandal: np.ndarray) -> np.ndarray:
    """What a member experiences of the board on meeting a board member: its fairness F,
    marred in a month with a scandal: b = F·(1 − scandal)."""
    return fairness * (1.0 - scandal)


def sentiment_control(
    n: int, a: np.ndarray, b: np.ndarray, kind: np.ndarray, on_board: np.ndarray, coop: np.ndarray, weight: float
) -> np.ndarray:
    """Extra social control on each agent from its sentiment ties (kin, friends) to the board of
    its own cooperative: k_i = w · 1[i has such a tie].

    Closure: a free-rider whom board members know personally is seen and spoken to (Coleman
    1988, "Social capital in the creation of human capital", AJS 94:S95); sentiment ties carry
    social control where interest ties (formed for a purpose) do not. w = 0 cuts the channel.
    """
    sentiment = kind == SENTIMENT
    same = coop[a] == coop[b]
    flag = np.zeros(n)
    flag[a[sentiment & same & on_board[b]]] = 1.0
    flag[b[sentiment & same & on_board[a]]] = 1.0
    return weight * flag


def sanction_probability(probability: float, social_control: np.ndarray) -> np.ndarray:
    """Chance a free-rider is sanctioned before rule clarity: min(1, p·(1 + k)), with k the
    extra social control this month (village engagement, sentiment ties to the board)."""
    return np.minimum(1.0, probability * (1.0 + social_control))


@dataclass(frozen=True)
class FreeRiding:
    """This month's free-riders, who of them was sanctioned, their share of members (one per world,
    length ``state.worlds``; 0 without members) and the negative institutional experience their
    unpunished free-riding gives each member."""

    riders: np.ndarray
    sanctioned: np.ndarray
    share: np.ndarray
    harm: np.ndarray


def free_riding(world: World) -> FreeRiding:
    """Phase 5: free-riding and sanction (Ostrom 1990; Fehr & Gächter 2000)."""
    s = world.state
    gp = world.per("governance", s.household_world)  # per household where the worlds differ
    H = s.n_households
    mem = s.member[:H]
    riders = free_riders(s.participation[:H, ORGANISATION], mem, gp.free_ride_threshold)
    c = np.maximum(s.coop[:H], 0)
    ties = world.ties
    on_board = (s.office == BOARD) & s.member
    weight = world.per("governance", s.world_id).sentiment_control
    kin = sentiment_control(s.n, ties.a, ties.b, ties.kind, on_board, s.coop, weight)[:H]
    p_sanction = sanction_probability(gp.sanction_probability, world.conditions.social_control[c] + kin)
    sanctioned = sanction_mask(world.draw.tagged(s.household_world), riders, s.rule_clarity[c], p_sanction)
    s.participation[:H, ORGANISATION] = apply_sanction(
        s.participation[:H, ORGANISATION], sanctioned, gp.sanction_effect
    )
    n_mem = np.bincount(s.world_id[:H][mem], minlength=s.worlds)  # per world
    share = np.where(n_mem > 0, np.bincount(s.world_id[:H][riders], minlength=s.worlds) / np.maximum(n_mem, 1), 0.0)
    harm = free_ride_experience(s.coop[:H], riders, sanctioned, mem, s.n_coops, gp.free_ride_harm)
    return FreeRiding(riders, sanctioned, share, harm)


def update_willingness(s: State, honorarium_cost: float) -> None:
    """Every member's willingness to serve on the board (:func:`board_willingness`); 0 for others."""
    s.willingness = np.where(
        s.member,
        board_willingness(s.trust[:, INSTITUTION], s.participation[:, ORGANISATION], s.skill, honorarium_cost),
        0.0,
    )


def rat_accountability(
    board_trust: np.ndarray,
    informed: np.ndarray,
    attended: np.ndarray,
    shu_paid: np.ndarray,
    gain_factor: np.ndarray | float,
    gain_rate: float,
    loss_rate: float,
    disappointment: float,
) -> tuple[np.ndarray, np.ndarray]:
    """What attending the RAT does: the board accounts for the year to those present.

    Attendees hear the accounts and the rules (they are informed) and judge the board by the
    year's result: a year with SHU paid is a positive experience (p = 1), a year without a
    disappointment (n = w_d) — :func:`kopsim.trust.update_trust` with the rules' gain factor.
    Members who stay away learn nothing and judge nothing (voice needs presence; Hirschman
    1970; the RAT as the members' supreme authority, UU 25/1992 Pasal 22–23).
    Returns (board trust, informed).
    """
    pos = (attended & shu_paid).astype(float)
    neg = (attended & ~shu_paid) * disappointment
    return update_trust(board_trust, pos, neg, gain_rate, loss_rate, gain_factor), informed | attended


def rat(world: World) -> np.ndarray:
    """The annual members' meeting (RAT): attendance, SHU paid as far as cash allows, the board's
    accountability to those present (:func:`rat_accountability`), willingness to serve, and the
    board election when a term ends. Returns the SHU paid (Rp M) in each world (length ``state.worlds``)."""
    s = world.state
    hw = s.household_world  # parameters per household where the worlds differ
    fp, gp, tp = world.per("finance", hw), world.per("governance", hw), world.per("trust", hw)
    H = s.n_households
    mem = s.member[:H]
    attend = rat_attendance_probability(s.participation[:H, ORGANISATION], gp.rat_mobilisation)
    s.attended_rat[:H] = mem & (world.draw.random(s.household_world) < attend)
    c = np.maximum(s.coop[:H], 0)
    capital = s.savings_mandatory[:H] + s.savings_voluntary[:H]
    payout = shu_payout(
        s.coop_surplus,
        c,
        mem,
        capital,
        s.transactions_year[:H],
        world.per("finance", s.coop_world).shu_member_share,
        fp.shu_capital_share,
    )
    owed = np.bincount(c, payout, minlength=s.n_coops)
    scale = np.where(owed > 0, np.minimum(1.0, s.coop_cash / np.maximum(owed, 1e-12)), 0.0)
    payout = payout * scale[c]
    s.coop_cash, s.cash[:H] = transfer(s.coop_cash, s.cash[:H], c, np.arange(H), payout)
    s.shu_paid = np.bincount(c, payout, minlength=s.n_coops)
    s.trust[:H, BOARD_TRUST], s.informed[:H] = rat_accountability(
        s.trust[:H, BOARD_TRUST],
        s.informed[:H],
        s.attended_rat[:H],
        s.shu_paid[c] > 0,
        rule_gain_factor(s.rule_clarity[c], s.fairness[c]),
        tp.gain_rate,
        tp.loss_rate,
        tp.disappointment_weight,
    )
    # a loss is carried forward; of a profit, the share not paid for want of cash stays owed
    settled = np.where(owed > 0, scale, 1.0)  # nothing owed (e.g. no members): all goes to reserves
    s.coop_surplus = np.where(s.coop_surplus > 0, s.coop_surplus * (1.0 - settled), s.coop_surplus)
    s.transactions_year[:H] = 0.0
    update_willingness(s, world.per("governance", s.world_id).honorarium_cost)
    if world.t - s.last_election >= gp.board_term_months:
        elect(world)
    Hw = H // s.worlds  # households are numbered world by world: each world's total alone
    return np.array([payout[w * Hw : (w + 1) * Hw].sum() for w in range(s.worlds)])


def successors(n: int, old_holder: np.ndarray, new_holder: np.ndarray) -> np.ndarray:
    """Who takes over each agent's office ties: σ(i) = new holder where i held the office and
    lost it, σ(i) = i otherwise (−1 holders are ignored)."""
    out = np.arange(n)
    change = (old_holder >= 0) & (new_holder >= 0) & (old_holder != new_holder)
    out[old_holder[change]] = new_holder[change]
    return out


def office_ties(a: np.ndarray, b: np.ndarray, office_end: np.ndarray, successor: np.ndarray) -> np.ndarray:
    """Ties that move with the office: one end an office's counterpart (``office_end``, e.g. the
    ministry, the village government) and the other end a holder who lost the office."""
    n = np.arange(successor.size)
    return (office_end[a] & (successor[b] != n[b])) | (office_end[b] & (successor[a] != n[a]))


def hand_over_office_ties(world: World, new_chairs: np.ndarray) -> None:
    """Linking ties held by the office, not the person, pass to the new chair.

    The ministry's power tie and the village governments' ties are with the chair of the board
    as office-holder (top-down programmes address the office: Kementerian Koperasi, the desa);
    when the chair loses office they move to the successor: σ(old) = new
    (:func:`successors`, :func:`office_ties`). ``new_chairs``: the chair of each cooperative
    after the election (−1 none).
    """
    s, net_ = world.state, world.network
    ties = net_.ties
    ministry = np.zeros(s.n, dtype=bool)  # each world's ministry
    ministry[s.agency_of("ministry", np.arange(s.worlds))] = True
    power = np.flatnonzero((ties.kind == POWER) & (ministry[ties.a] | ministry[ties.b]))
    holder = np.where(ministry[ties.a[power]], ties.b[power], ties.a[power])
    holder = holder[s.coop[holder] >= 0]
    old = np.full(s.n_coops, -1, dtype=np.int64)
    old[s.coop[holder]] = holder
    successor = successors(s.n, old, new_chairs)
    office_end = np.zeros(s.n, dtype=bool)
    office_end[ministry] = True
    office_end[s.village_government] = True
    move = office_ties(ties.a, ties.b, office_end, successor)
    if not move.any():
        return
    moved = ties.subset(move)
    a, b = successor[moved.a], successor[moved.b]
    moved.a, moved.b = np.minimum(a, b), np.maximum(a, b)
    net_.drop_keys(~move)
    net_.replace(~move, deduplicate(moved, s.n, net_.keys))
    world.board_changed()


def elect(world: World) -> None:
    """Board elections in every cooperative (:func:`elect_board`); incumbents fill seats nobody
    stands for; the cooperative office keeps a linking tie with whoever is on the board, and the
    ties held by the chair's office pass to the new chair (:func:`hand_over_office_ties`)."""
    s = world.state
    s.last_election = world.t
    H = s.n_households
    seats = world.params.population.board_size
    boards = []
    chairs = np.full(s.n_coops, -1, dtype=np.int64)
    for c in range(s.n_coops):  # one election per cooperative
        pool = np.flatnonzero(s.member[:H] & (s.coop[:H] == c) & (s.office[:H] != SUPERVISOR))
        elected = elect_board(world.draw.of(c // s.coops_per_world), pool, s.willingness, s.image, seats)
        if elected.size < seats:  # too few stand: incumbents fill the empty seats
            incumbents = pool[s.office[pool] == BOARD]
            elected = np.concatenate((elected, np.setdiff1d(incumbents, elected)[: seats - elected.size]))
        old = pool[s.office[pool] == BOARD]
        s.office[old] = NO_OFFICE
        s.office[elected] = BOARD
        boards.append(elected)
        if elected.size:
            chairs[c] = elected[0]  # the most reputed of those elected chairs the board
    board = np.concatenate(boards)
    world.add_ties(
        board,
        s.agency_of("cooperative_office", s.world_id[board]),
        INTEREST,
        world.per("network", s.world_id[board]).new_tie_strength,
        origin=ORIGIN_AGENCY,  # the cooperative office registers and supervises the new board
    )
    hand_over_office_ties(world, chairs)
    world.board_changed()
