"""Participation (partisipasi) in the organisation, business-unit and capital domains.

Members take part as far as they perceive socio-economic benefit (Firdaus & Baga 2019:
Spearman r_s 0.46–0.53 between benefit and each participation domain in Koperasi
Mandiri Jaya), as their neighbours do (descriptive norms; Cialdini, Reno & Kallgren 1990,
J. Pers. Soc. Psych. 58:1015) and as they trust the institution, against the cost of
taking part (time at meetings, tied-up savings). Propensities move toward their target
by partial adjustment, as habits do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .state import BUSINESS, CAPITAL, INSTITUTION, ORGANISATION

if TYPE_CHECKING:
    from .state import State
    from .world import World

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
# Columns of State.benefit, in BENEFIT_ITEMS order.
B_LOANS, B_INCOME, B_LOAN_SAT, B_SERVICE, B_TRAINING, B_PEERS, B_BOARD = range(len(BENEFIT_ITEMS))
DOMAIN_COLUMNS = (ORGANISATION, BUSINESS, CAPITAL)


def logistic(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(−x))."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def target_propensity(
    intercept: np.ndarray,
    benefit: np.ndarray,
    norm: np.ndarray,
    trust: np.ndarray,
    cost: np.ndarray,
    benefit_weight: float | np.ndarray,
    norm_weight: float | np.ndarray,
    trust_weight: float | np.ndarray,
) -> np.ndarray:
    """Target participation P*_d = σ(a_d + β_B·B + β_N·N_d + β_T·T_inst − c_d).

    B: perceived benefit ∈ [0, 1]; N_d: tie-weighted mean participation of network
    neighbours in domain d; T_inst: trust in the institution; c_d: cost of the domain (the
    model passes c_d + u_i, the household's own persistent time cost u_i ~ N(0, σ_c)).
    Increasing in B for β_B > 0 (Firdaus & Baga 2019; norms: Cialdini et al. 1990).
    Arrays broadcast: ``intercept`` and ``cost`` of shape (3,) against (n, 1) state.
    """
    return logistic(intercept - cost + benefit_weight * benefit + norm_weight * norm + trust_weight * trust)


def adjust(current: np.ndarray, target: np.ndarray, rate: float | np.ndarray) -> np.ndarray:
    """Partial adjustment: P' = P + λ·(P* − P), λ ∈ [0, 1]; stays in [0, 1] if both are."""
    return current + rate * (target - current)


def update_benefit(
    benefit: np.ndarray, observed: np.ndarray | float, mask: np.ndarray | bool, memory: float | np.ndarray
) -> np.ndarray:
    """Perceived benefit item as an exponential moving average of what was experienced.

    B'_k = B_k + μ·(b_k − B_k) where item k was observed this month (``mask``), else B_k.
    μ = ``memory``: weight of the newest observation.
    """
    return np.where(mask, benefit + memory * (observed - benefit), benefit)


def neighbour_mean(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    w: np.ndarray,
    values: np.ndarray,
    include: np.ndarray | None = None,
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


def observe_benefit(
    benefit: np.ndarray, item: int, observed: np.ndarray | float, mask: np.ndarray, memory: float | np.ndarray
) -> None:
    """Update (in place) column ``item`` of the perceived-benefit matrix where it was observed
    this month (``mask``; :func:`update_benefit`). Few households observe an item in a month, so
    only their rows are touched."""
    at = np.flatnonzero(mask)
    seen = observed[at] if isinstance(observed, np.ndarray) and observed.ndim else observed
    mu = np.asarray(memory)[at] if np.ndim(memory) else memory  # one per household where the worlds differ
    col = benefit[:, item]
    col[at] = update_benefit(col[at], seen, True, mu)


def observe_experience(
    state: State, item: int, observed: np.ndarray | float, mask: np.ndarray, memory: float | np.ndarray
) -> None:
    """:func:`observe_benefit` on the state's benefit matrix, also marking item ``item`` as
    experienced (``State.benefit_seen``) by the households in ``mask``."""
    observe_benefit(state.benefit, item, observed, mask, memory)
    state.benefit_seen[: mask.shape[0], item] |= mask


def income_perception(income: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Perceived income increase b = clip(½ + (Y − Ȳ) / Ȳ, 0, 1): ½ = as before, → 1 well above
    the household's reference income Ȳ (a moving average: :func:`update_reference`).

    Income is judged against one's own recent income (reference dependence; Kahneman & Tversky
    1979, Econometrica 47:263) — the survey's "income increase since joining" item.
    """
    rel = (income - reference) / np.maximum(reference, 1e-9)
    return np.clip(0.5 + rel, 0.0, 1.0)


def update_reference(reference: np.ndarray, income: np.ndarray, memory: float) -> np.ndarray:
    """Reference income as an exponential moving average: Ȳ' = Ȳ + μ·(Y − Ȳ)."""
    return reference + memory * (income - reference)


def mean_benefit(benefit: np.ndarray, seen: np.ndarray | None = None) -> np.ndarray:
    """B̄_i: the mean of household i's perceived-benefit items over the items it has experienced.

    B̄_i = Σ_k s_ik B_ik / Σ_k s_ik, with s_ik = 1 if item k was ever experienced (``seen``; all
    items if None). An item one never met (training one was not offered) is not a zero benefit:
    the survey asks it only of those who took part. Households who experienced nothing get ½.
    """
    if seen is None:
        return benefit @ np.full(benefit.shape[1], 1.0 / benefit.shape[1])
    count = seen.sum(axis=1)
    total = np.einsum("ij,ij->i", benefit, seen)
    return np.where(count > 0, total / np.maximum(count, 1), 0.5)


def _column(value: float | np.ndarray) -> float | np.ndarray:
    """A number, or per-household values as a column against (H, 3) arrays."""
    return np.asarray(value)[:, None] if np.ndim(value) else value


def participation_phase(world: World) -> np.ndarray:
    """Members move their three propensities toward :func:`target_propensity`; returns B̄ of
    every household (:func:`mean_benefit`), which membership uses in the same month."""
    s, ties = world.state, world.ties
    pp = world.per("participation", s.household_world)
    H = s.n_households
    mem = s.member[:H]
    benefit = mean_benefit(s.benefit[:H], s.benefit_seen[:H])
    # the norm is what fellow members do: non-members, agencies and firms do not count
    norm = neighbour_mean(s.n, ties.a, ties.b, ties.strength, s.participation, include=s.member)[:H]
    # (3,) per domain, or (H, 3) where the worlds differ; weights a number or (H, 1)
    intercepts = np.stack([pp.intercept_organisation, pp.intercept_business, pp.intercept_capital], axis=-1)
    costs = np.stack([pp.cost_organisation, pp.cost_business, pp.cost_capital], axis=-1)
    target = target_propensity(
        intercepts,
        benefit[:, None],
        norm,
        s.trust[:H, INSTITUTION][:, None],
        costs + s.time_cost[:H, None],
        _column(pp.benefit_weight),
        _column(pp.norm_weight),
        _column(pp.trust_weight),
    )
    new = adjust(s.participation[:H], target, _column(pp.adjustment_rate))
    s.participation[:H] = np.where(mem[:, None], new, 0.0)
    return benefit
