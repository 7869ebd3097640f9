"""This month's contacts and what travels along them: favours, trust, reputation, skills, news.

A tie is used in a month with probability c·w·ρ·m (:func:`kopsim.network.contacts`: strong,
near ties more often — frequency of contact, Franke 2005; m < 1 for a tie an agency started,
:func:`kopsim.agencies.use_factor`). Along each used personal tie both
sides may help each other (:mod:`kopsim.reciprocity`); the experience moves peer trust
(:func:`kopsim.trust.update_trust`), reputation and the member–member relations item; meeting a
board member of one's cooperative is the member–board relation (treated fairly or not, which
also moves trust in the board); skills spread from the better
skilled contact (:func:`kopsim.skills.peer_teaching`) and information about membership and
credit from informed contacts (:mod:`kopsim.information`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import agencies, information, partnership, reciprocity, skills, trust
from .governance import board_relation
from .network import LINKING
from .network import contacts as used_ties
from .participation import B_BOARD, B_PEERS, observe_benefit, observe_experience
from .state import BOARD, BOARD_TRUST, PEER

if TYPE_CHECKING:
    from .world import World


@dataclass(frozen=True)
class Contacts:
    """The month's contacts: indices of the ties used and the reciprocity rate of the exchanges,
    one per world (length ``state.worlds``)."""

    used: np.ndarray
    reciprocity: np.ndarray


def contacts(world: World) -> Contacts:
    """Phase 4 of the month (see module docstring)."""
    s, ties, draw = world.state, world.ties, world.draw
    # parameters per tie, per agent (tp, rp) and per household (hw), where the worlds differ
    tie_world, hw = s.world_id[ties.a], s.household_world
    tp, rp = world.per("trust", s.world_id), world.per("reciprocity", s.world_id)
    memory = world.per("participation", hw).benefit_memory
    contact_rate = world.per("network", tie_world).contact_rate
    active = partnership.exclude_decided(
        world, used_ties(draw.tagged(tie_world), ties.strength, agencies.contact_weights(world), contact_rate)
    )  # ties an agency started are used less: the household waits for it
    used = np.flatnonzero(active)  # indices, not masks: each is used many times below
    all_a, all_b = ties.a[used], ties.b[used]
    personal = used[ties.layer[used] != LINKING]
    A, B = ties.a[personal], ties.b[personal]
    peer = s.trust[:, PEER]
    rpa = world.per("reciprocity", s.world_id[A])  # a personal tie's world is its ends'
    weights = (rpa.helping_norm, rpa.trust_weight, rpa.image_weight, rpa.direct_weight)
    p_ab = reciprocity.help_probability(peer[A], s.image[B], ties.last_ba[personal], *weights, s.helpfulness[A])
    p_ba = reciprocity.help_probability(peer[B], s.image[A], ties.last_ab[personal], *weights, s.helpfulness[B])
    u = draw.random(s.world_id[A], rows=2)
    a_h, b_h = u[0] < p_ab, u[1] < p_ba
    ties.last_ab[personal] = a_h
    ties.last_ba[personal] = b_h
    pos, neg, gave, cnt = reciprocity.exchange_experiences(s.n, A, B, a_h, b_h)
    s.trust[:, PEER] = trust.update_trust(peer, pos, neg, tp.gain_rate, tp.loss_rate)
    s.image = reciprocity.update_image(s.image, gave, cnt, rp.image_update_rate)
    rate = reciprocity.reciprocity_rates(a_h, b_h, s.world_id[A], s.worlds)
    H = s.n_households
    observe_benefit(s.benefit, B_PEERS, pos[:H], (cnt[:H] > 0) & s.member[:H], memory)
    # board contact: the member–board relation
    on_board = (s.office == BOARD) & s.member
    same = s.coop[A] == s.coop[B]
    met_board = np.zeros(s.n, dtype=bool)
    met_board[A[on_board[B] & same]] = True
    met_board[B[on_board[A] & same]] = True
    # each member who met the board this month was treated fairly or not (the board's fairness,
    # marred in a scandal month): the member-board relation item and trust in the board follow
    c = np.maximum(s.coop[:H], 0)
    met = met_board[:H] & s.member[:H]
    fair = met & (draw.random(s.household_world) < board_relation(s.fairness[c], world.conditions.scandal[c]))
    observe_experience(s, B_BOARD, fair.astype(float), met, memory)
    tph = world.per("trust", hw)
    s.trust[:H, BOARD_TRUST] = trust.update_trust(
        s.trust[:H, BOARD_TRUST],
        fair.astype(float),
        (met & ~fair) * tph.unfair_treatment_weight,
        tph.gain_rate,
        tph.loss_rate,
        trust.rule_gain_factor(s.rule_clarity[c], s.fairness[c]),
    )
    teaching = world.per("skills", s.world_id).peer_teaching_rate
    s.skill = skills.peer_teaching(s.n, s.skill, A, B, teaching)
    skills.peer_teaching_programmes(s, A, B, teaching)
    # information about membership and credit travels along this month's contacts
    ip = world.per("information", hw)
    expo = information.exposure(s.n, all_a, all_b, np.ones(all_a.size), s.informed)[:H]
    cond = world.conditions
    broadcast = information.broadcast_hazard(
        ip.village_broadcast_rate,
        cond.responsiveness[s.village[:H]],
        ip.coop_outreach_rate,
        cond.needy_outreach[s.village[:H]],
        s.needy[:H],
    )
    learn = ~s.informed[:H] & (
        draw.random(s.household_world) < information.learn_probability(expo, ip.transmission_rate, broadcast)
    )
    kept = information.lapse(draw.tagged(s.household_world), s.informed[:H], s.member[:H], ip.forget_rate)
    s.informed[:H] = kept | learn
    return Contacts(used, rate)
