"""Information diffusion: who learns about membership and credit.

An uninformed household learns from each informed contact independently (the independent
cascade model; Kempe, Kleinberg & Tardos 2003, KDD), from its village government when that
government relays information (linking social capital; where it ignores the cooperative,
needy households never hear: BMT Trans case), and from the cooperative's own outreach.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .streams import Tagged


def exposure(n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, informed: np.ndarray) -> np.ndarray:
    """Weighted informed contacts: E_i = Σ_j w_ij · 1[j informed] over the ties (a, b) given.

    The model passes this month's used ties with w = 1, so E_i counts contacts with informed agents.
    """
    inf = informed.astype(float)
    return np.bincount(a, w * inf[b], minlength=n) + np.bincount(b, w * inf[a], minlength=n)


def learn_probability(exposure_: np.ndarray, transmission: float, broadcast: np.ndarray) -> np.ndarray:
    """P(learn this month) = 1 − exp(−(β·E_i + b_i)).

    β: transmission hazard per informed contact; b_i: hazard from the
    village government's relay and the cooperative's outreach. The continuous-time
    form of the independent cascade (1 − Π_j (1 − β w_ij) ≈ 1 − e^(−β Σ w_ij)).
    """
    return -np.expm1(-(transmission * exposure_ + broadcast))


def broadcast_hazard(
    village_rate: float,
    responsiveness: np.ndarray,
    outreach_rate: float,
    needy_outreach: np.ndarray,
    needy: np.ndarray,
) -> np.ndarray:
    """Hazard of learning outside one's contacts: b_i = β_v·r_v(i) + β_c + o_v(i)·1[i needy].

    β_v·r_v: the village government's relay (r_v its responsiveness; linking social capital —
    where it ignores the cooperative, needy households never hear: BMT Trans case); β_c: the
    cooperative's own outreach; o_v: extra outreach to needy households (village engagement).
    """
    return village_rate * responsiveness + outreach_rate + needy_outreach * needy


def lapse(
    rng: np.random.Generator | Tagged, informed: np.ndarray, keeps: np.ndarray, rate: float | np.ndarray
) -> np.ndarray:
    """Knowledge that lapses: an informed household not in ``keeps`` (members, who hear at every
    meeting) forgets with probability φ a month (``information.forget_rate``).

    Terms, rates and rules change, so what a non-member once heard goes stale unless heard again:
    the susceptible–infected–susceptible form of diffusion (Pastor-Satorras & Vespignani 2001,
    PRL 86:3200). Reach then settles where learning (contacts, relays, outreach) balances
    forgetting, below 1 and lower where relays are missing, instead of reaching everyone
    whatever the village government does. Returns the new ``informed``.
    """
    return informed & (keeps | (rng.random(informed.shape[0]) >= rate))
