"""Participation (partisipasi) in the organisation, business-unit and capital domains.

Members take part as far as they perceive socio-economic benefit (Firdaus & Baga 2019:
Spearman r_s 0.46–0.53 between benefit and each participation domain in Koperasi
Mandiri Jaya), as their neighbours do (descriptive norms; Cialdini, Reno & Kallgren 1990,
J. Pers. Soc. Psych. 58:1015) and as they trust the institution, against the cost of
taking part (time at meetings, tied-up savings). Propensities move toward their target
by partial adjustment, as habits do.
"""

from __future__ import annotations

import numpy as np

DOMAINS = ("organisation", "business", "capital")

# Survey benefit items (Firdaus & Baga 2019), the columns of the benefit matrix.
BENEFIT_ITEMS = (
    "ease_of_loans",
    "income_increase",
    "loan_satisfaction",
    "service_satisfaction",
    "training_satisfaction",
    "member_member_relations",
    "member_board_relations",
)


def logistic(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(−x))."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def target_propensity(
    intercept: np.ndarray,
    benefit: np.ndarray,
    norm: np.ndarray,
    trust: np.ndarray,
    cost: np.ndarray,
    benefit_weight: float,
    norm_weight: float,
    trust_weight: float,
) -> np.ndarray:
    """Target participation P*_d = σ(a_d + β_B·B + β_N·N_d + β_T·T_inst − c_d).

    B: perceived benefit ∈ [0, 1]; N_d: tie-weighted mean participation of network
    neighbours in domain d; T_inst: trust in the institution; c_d: cost of the domain.
    Increasing in B for β_B > 0 (Firdaus & Baga 2019; norms: Cialdini et al. 1990).
    Arrays broadcast: ``intercept`` and ``cost`` of shape (3,) against (n, 1) state.
    """
    return logistic(intercept - cost + benefit_weight * benefit
                    + norm_weight * norm + trust_weight * trust)


def adjust(current: np.ndarray, target: np.ndarray, rate: float) -> np.ndarray:
    """Partial adjustment: P' = P + λ·(P* − P), λ ∈ [0, 1]; stays in [0, 1] if both are."""
    return current + rate * (target - current)


def update_benefit(benefit: np.ndarray, observed: np.ndarray, mask: np.ndarray, memory: float) -> np.ndarray:
    """Perceived benefit item as an exponential moving average of what was experienced.

    B'_k = B_k + μ·(b_k − B_k) where item k was observed this month (``mask``), else B_k.
    μ = ``memory``: weight of the newest observation.
    """
    return np.where(mask, benefit + memory * (observed - benefit), benefit)


def neighbour_mean(
    n: int, a: np.ndarray, b: np.ndarray, w: np.ndarray, values: np.ndarray, include: np.ndarray | None = None,
) -> np.ndarray:
    """Tie-weighted mean of ``values`` over each agent's neighbours: Σ_j w_ij v_j / Σ_j w_ij.

    ``values`` may be (n,) or (n, k). Only neighbours j with ``include[j]`` count (all if
    None). Agents without counted neighbours get their own value.
    """
    if include is None:
        w_ab = w_ba = w  # w_ab: weight of b's value in a's mean
    else:
        w_ab, w_ba = w * include[b], w * include[a]
    wsum = np.bincount(a, w_ab, minlength=n) + np.bincount(b, w_ba, minlength=n)
    has = wsum > 0
    inv = 1.0 / np.where(has, wsum, 1.0)
    cols = np.ascontiguousarray(values.reshape(n, -1).T)  # one contiguous row per column
    out = np.empty_like(cols)
    for k, col in enumerate(cols):  # loop over the (few) columns, not over agents
        tot = np.bincount(a, w_ab * col[b], minlength=n) + np.bincount(b, w_ba * col[a], minlength=n)
        out[k] = np.where(has, tot * inv, col)
    return out.T.reshape(values.shape)
