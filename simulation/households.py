"""Household attributes the field cases need (issue #16): sex of the member and of the household
head, occupation (farmer with a crop, trader, UMKM owner with a product, wage worker), education
and wealth by village.

The person modelled is the household's member (anggota): the one who would join, save and
attend the RAT. A household headed by a woman is represented by her, so ``female_head`` implies
``female``. In Indonesia about 15% of households are headed by women (BPS, Susenas) and women are
most members of a koperasi wanita. Occupations refine the livelihood roles of
:mod:`kopsim.population`: farmers (FARMER) get a main crop, UMKM owners (UMKM) keep their
product, and the remaining households (TRADER) are petty traders (bakulan) or wage workers
(buruh); workers earn like traders in the monthly economy (base income only).

Everything is drawn once, at month 0, from a generator spawned off the model's
(``rng.spawn(1)``: it does not advance the model's own stream), so adding these attributes left
every earlier run and calibration unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .parameters import CROPS, EDUCATION_LEVELS, OCCUPATIONS, Households
from .state import FARMER, PRODUCTS, TRADER, UMKM

FARMER_OCC, TRADER_OCC, UMKM_OCC, WORKER_OCC = (OCCUPATIONS.index(o) for o in ("farmer", "trader", "umkm", "worker"))


@dataclass(frozen=True)
class Attributes:
    """Household attribute arrays (length H, households only)."""

    female: np.ndarray  # bool: the member is a woman
    female_head: np.ndarray  # bool: the household is headed by a woman (then the member is she)
    occupation: np.ndarray  # int8 index into parameters.OCCUPATIONS
    crop: np.ndarray  # int8 index into parameters.CROPS, −1 for non-farmers
    education: np.ndarray  # int8 index into parameters.EDUCATION_LEVELS
    wealth_factor: np.ndarray  # float: the village's wealth multiplier
    product: np.ndarray | None  # int8 index into state.PRODUCTS for UMKM owners, None = keep the drawn one


def per_village(values: list[float], village_in_world: np.ndarray) -> np.ndarray:
    """A per-village list (length 1 = every village) as one value per household."""
    arr = np.asarray(values, dtype=float)
    return arr[np.minimum(village_in_world, arr.size - 1)] if arr.size > 1 else np.full(village_in_world.size, arr[0])


def _categorical(rng: np.random.Generator, shares: dict[str, float], names: tuple[str, ...], n: int) -> np.ndarray:
    """``n`` draws of name indices with probabilities proportional to ``shares`` (inverse CDF)."""
    w = np.array([shares.get(name, 0.0) for name in names])
    cdf = np.cumsum(w / w.sum())
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(names) - 1).astype(np.int8)


def draw(hp: Households, rng: np.random.Generator, village_in_world: np.ndarray, role: np.ndarray) -> Attributes:
    """Draw every household's attributes.

    female ~ Bernoulli(f_v); female_head = female ∧ Bernoulli(h_v / f_v) so P(female_head) = h_v;
    worker = TRADER ∧ Bernoulli(w_v); crop ~ Categorical(crops) for farmers; education ~
    Categorical(education); product ~ Categorical(umkm_products) for UMKM owners if given.
    (f_v, h_v, w_v: the village's shares.)
    """
    H = role.size
    u = rng.random((3, H))
    f = per_village(hp.female_share, village_in_world)
    h = per_village(hp.female_head_share, village_in_world)
    female = u[0] < f
    female_head = female & (u[1] * np.maximum(f, 1e-12) < h)
    occupation = np.full(H, TRADER_OCC, dtype=np.int8)
    occupation[role == FARMER] = FARMER_OCC
    occupation[role == UMKM] = UMKM_OCC
    occupation[(role == TRADER) & (u[2] < per_village(hp.worker_share, village_in_world))] = WORKER_OCC
    crop = np.where(role == FARMER, _categorical(rng, hp.crops, CROPS, H), -1).astype(np.int8)
    education = _categorical(rng, hp.education, EDUCATION_LEVELS, H)
    product = None
    if hp.umkm_products:
        product = np.where(role == UMKM, _categorical(rng, hp.umkm_products, PRODUCTS[1:], H) + 1, 0).astype(np.int8)
    return Attributes(
        female, female_head, occupation, crop, education, per_village(hp.wealth_factor, village_in_world), product
    )


__all__ = ["Attributes", "draw", "per_village"]
