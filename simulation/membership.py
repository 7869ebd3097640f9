"""Membership: informed households join, members leave.

Informed non-members join at a rate that grows with their trust in the cooperative and with
the benefit its members perceive (what they hear from members; participation follows
perceived benefit, Firdaus & Baga 2019); members without office leave at a rate that grows with
distrust and lack of benefit (exit when voice fails; Hirschman 1970, *Exit, Voice, and
Loyalty*). Only households the cooperative's rules admit, with the cash for its entry fee,
join (:mod:`kopsim.cooperatives`). Leavers get their savings back as far as the cooperative's cash allows; newcomers
take up the cooperative's habits (its members' mean participation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .finance import transfer
from .state import INSTITUTION, NO_OFFICE

if TYPE_CHECKING:
    from .world import World


def join_probability(rate: float | np.ndarray, trust: np.ndarray, members_benefit: np.ndarray) -> np.ndarray:
    """P(join this month) = j · T_inst · B̄_c, for informed non-members (B̄_c: mean perceived
    benefit of the cooperative's members)."""
    return rate * trust * members_benefit


def exit_probability(rate: float | np.ndarray, trust: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """P(leave this month) = e · (1 − T_inst) · (1 − B̄_i), for members without office."""
    return rate * (1.0 - trust) * (1.0 - benefit)


def admitted(eligible: np.ndarray, cash: np.ndarray, entry_fee: np.ndarray) -> np.ndarray:
    """Who the cooperative may admit: households its statutes' rules admit
    (:func:`kopsim.cooperatives.eligible`) with the cash for the entry fee (simpanan pokok)."""
    return eligible & (cash >= entry_fee)


def membership(world: World, benefit: np.ndarray) -> None:
    """Phase 8: joins and exits (see module docstring); ``benefit`` is B̄ of every household from
    the participation phase (the benefit items do not change in between)."""
    s = world.state
    pp = world.per("participation", s.household_world)  # per household where the worlds differ
    H = s.n_households
    mem = s.member[:H]
    c = np.maximum(s.coop[:H], 0)
    cm = c[mem]
    count = np.maximum(np.bincount(cm, minlength=s.n_coops), 1)
    coop_benefit = np.bincount(cm, benefit[mem], minlength=s.n_coops) / count
    u = world.draw.random(s.household_world, rows=2)
    inst = s.trust[:H, INSTITUTION]
    join = ~mem & s.informed[:H] & (u[0] < join_probability(pp.join_rate, inst, coop_benefit[c]))
    join &= admitted(s.eligible[:H], s.cash[:H], s.entry_fee[c])
    leave = mem & (s.office[:H] == NO_OFFICE) & (u[1] < exit_probability(pp.exit_rate, inst, benefit))
    if join.any():
        # newcomers take up the cooperative's habits: its members' mean participation
        pm = s.participation[:H][mem]
        mean_part = np.stack([np.bincount(cm, pm[:, k], minlength=s.n_coops) for k in range(3)], axis=1)
        s.member[:H] |= join
        fee = np.where(join, s.entry_fee[c], 0.0)  # simpanan pokok: member capital, refunded on leaving
        s.cash[:H], s.coop_cash = transfer(s.cash[:H], s.coop_cash, np.arange(H), c, fee)
        s.savings_mandatory[:H] += fee
        s.participation[:H][join] = (mean_part / count[:, None])[c[join]]
    if leave.any():
        refund = np.where(leave, s.savings_mandatory[:H] + s.savings_voluntary[:H], 0.0)
        # the cooperative pays back what its cash allows; the rest stays owed as savings
        avail = s.coop_cash[c] / np.maximum(np.bincount(c, refund, minlength=s.n_coops)[c], 1e-12)
        frac = np.where(leave, np.minimum(1.0, avail), 0.0)
        pay = refund * frac
        s.coop_cash, s.cash[:H] = transfer(s.coop_cash, s.cash[:H], c, np.arange(H), pay)
        s.savings_mandatory[:H] *= 1.0 - frac
        s.savings_voluntary[:H] *= 1.0 - frac
        s.member[:H] &= ~leave
        s.participation[:H][leave] = 0.0
        s.attended_rat[:H] &= ~leave
    if join.any() or leave.any():
        world.board_changed()
