"""What non-members hear and see of the cooperative, and their trust in it.

Non-members decide to join on their trust in the cooperative
(:func:`kopsim.membership.join_probability`); that trust moves with what their member contacts
say (word of mouth) and with what the village sees: SHU paid at the RAT, loans written off,
a board scandal (:func:`kopsim.trust.nonmember_experience`; Coleman 1988; Granovetter 1973).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .network import LINKING
from .state import INSTITUTION
from .trust import nonmember_experience, update_trust

if TYPE_CHECKING:
    from .world import World


def seen_by_village(
    shu_paid: np.ndarray,
    after_rat: bool,
    default_share: np.ndarray,
    scandal: np.ndarray,
    visibility: tuple[float | np.ndarray, float | np.ndarray, float | np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """What the village sees of cooperative c this month, per cooperative: (s⁺_c, s⁻_c).

    s⁺_c = v_SHU · 1[month after the RAT and SHU paid_c > 0]; s⁻_c = min(1, h_d · d_c) + v_S · x_c, with
    d_c the share of members who defaulted, x_c the scandal experience and (v_SHU, h_d, v_S) =
    ``visibility`` (SHU visibility, default harm, scandal visibility).
    """
    v_shu, harm, v_scandal = visibility
    positive = v_shu * ((shu_paid > 0) & after_rat)
    negative = np.minimum(1.0, harm * default_share) + v_scandal * scandal
    return positive.astype(float), negative


def nonmember_trust(world: World, used: np.ndarray, default_share: np.ndarray, after_rat: bool) -> None:
    """Non-members' trust in the cooperative after this month's contacts (indices ``used`` of the
    ties used) and what the village saw (:func:`seen_by_village`); ``after_rat``: the month after the
    RAT, when the SHU paid there is seen."""
    s = world.state
    hw = s.household_world  # parameters per household, and per cooperative (gpc), where the worlds differ
    gp, tp, gpc = world.per("governance", hw), world.per("trust", hw), world.per("governance", s.coop_world)
    H = s.n_households
    ties = world.ties
    personal = used[ties.layer[used] != LINKING]
    a, b = ties.a[personal], ties.b[personal]
    inside = (a < H) & (b < H)
    scandal = world.conditions.scandal * gpc.scandal_trust_hit
    pos_c, neg_c = seen_by_village(
        s.shu_paid,
        after_rat,
        default_share,
        scandal,
        (gpc.shu_visibility, world.per("finance", s.coop_world).default_harm, gpc.scandal_visibility),
    )
    c = np.maximum(s.coop[:H], 0)
    pos, neg = nonmember_experience(
        H, a[inside], b[inside], s.member[:H], s.trust[:H, INSTITUTION], pos_c[c], neg_c[c], gp.hearsay_weight
    )
    out = ~s.member[:H]
    s.trust[:H, INSTITUTION] = np.where(
        out, update_trust(s.trust[:H, INSTITUTION], pos, neg, tp.gain_rate, tp.loss_rate), s.trust[:H, INSTITUTION]
    )
