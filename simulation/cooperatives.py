"""Cooperative types and membership rules (issue #16): who may join, and what joining costs.

Indonesian cooperatives set their membership in their statutes (anggaran dasar; UU 25/1992
Art. 18: members are persons meeting the requirements the statutes set): a koperasi wanita
admits women, Koperasi Mandiri Jaya (Bogor) admits households running a farm-based business
(Firdaus & Baga 2019), a cooperative serves the villages of its working area. A household is
eligible when it satisfies every rule of the scenario's ``[parameters.cooperative]``::

    eligible_i = sex_ok_i ∧ occupation_ok_i ∧ business_ok_i ∧ residence_ok_i

enforced at founding (the first members are drawn among the eligible) and at every join
(:mod:`kopsim.membership`); a joiner pays the entry fee (simpanan pokok) from cash and it
counts as member capital (refunded on leaving like the other savings). With the defaults (no
rules, no fee) every household is eligible and nothing changes.
"""

from __future__ import annotations

import numpy as np

from .households import FARMER_OCC, UMKM_OCC, WORKER_OCC
from .parameters import OCCUPATIONS, Cooperative


def eligible(
    rules: Cooperative,
    female: np.ndarray,
    occupation: np.ndarray,
    village_in_world: np.ndarray,
) -> np.ndarray:
    """Households the cooperative may admit (the conjunction in the module docstring).

    sex: 'female' → female, 'male' → not female; occupations: occupation ∈ the list (empty = all);
    business: any_business → not a wage worker, farm → farmer, farm_based → farmer or UMKM owner
    (the studied UMKM all process farm produce); residence: village ∈ the list (empty = all)."""
    ok = np.ones(female.size, dtype=bool)
    if rules.eligible_sex == "female":
        ok &= female
    elif rules.eligible_sex == "male":
        ok &= ~female
    if rules.eligible_occupations:
        allowed = np.array([OCCUPATIONS.index(o) for o in rules.eligible_occupations])
        ok &= np.isin(occupation, allowed)
    req = rules.business_requirement
    if req == "any_business":
        ok &= occupation != WORKER_OCC
    elif req == "farm":
        ok &= occupation == FARMER_OCC
    elif req == "farm_based":
        ok &= (occupation == FARMER_OCC) | (occupation == UMKM_OCC)
    if rules.residence_villages:
        ok &= np.isin(village_in_world, np.asarray(rules.residence_villages))
    return ok


def per_cooperative(values: list[float], n_coops: int, coops_per_world: int) -> np.ndarray:
    """A per-cooperative list (length 1 = every cooperative) for every cooperative of every world."""
    arr = np.asarray(values, dtype=float)
    one = np.full(coops_per_world, arr[0]) if arr.size == 1 else arr
    return np.tile(one, n_coops // max(coops_per_world, 1))


__all__ = ["eligible", "per_cooperative"]
