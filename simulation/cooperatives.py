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

from typing import TYPE_CHECKING

import numpy as np

from .errors import ParameterError
from .households import FARMER_OCC, UMKM_OCC, WORKER_OCC, per_village
from .parameters import OCCUPATIONS, Cooperative

if TYPE_CHECKING:
    from .parameters import Parameters


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


def expected_eligible_share(p: Parameters) -> float:
    """Expected share of one cooperative's households its rules admit (village shares averaged;
    occupations assumed independent of sex, as they are drawn)."""
    pp, hp, rules = p.population, p.households, p.cooperative
    V0, C0 = pp.n_villages, pp.n_cooperatives
    villages = np.arange(V0)
    if rules.residence_villages:
        villages = villages[np.isin(villages, rules.residence_villages)]
    if villages.size == 0:
        return 0.0
    f = per_village(hp.female_share, villages)
    sex = {"any": np.ones_like(f), "female": f, "male": 1.0 - f}[rules.eligible_sex]
    w = per_village(hp.worker_share, villages)
    rest = 1.0 - pp.farmer_share - pp.umkm_share
    occ_share = {
        "farmer": np.full_like(f, pp.farmer_share),
        "umkm": np.full_like(f, pp.umkm_share),
        "trader": rest * (1.0 - w),
        "worker": rest * w,
    }
    names = rules.eligible_occupations or list(OCCUPATIONS)
    business = {
        "none": set(OCCUPATIONS),
        "any_business": {"farmer", "trader", "umkm"},
        "farm": {"farmer"},
        "farm_based": {"farmer", "umkm"},
    }[rules.business_requirement]
    occ = sum((occ_share[o] for o in names if o in business), np.zeros_like(f))
    return float(np.sum(sex * occ) / V0 * C0)  # the villages kept, over one cooperative's share of villages


def check_rules(p: Parameters) -> None:
    """Cross-group checks: per-village lists fit the villages, per-cooperative lists the
    cooperatives, residence villages exist, and the rules admit enough households to found
    each cooperative with ``population.members_per_cooperative`` members (expected count)."""
    pp, hp, rules = p.population, p.households, p.cooperative
    V0, C0 = pp.n_villages, pp.n_cooperatives
    for name in ("female_share", "female_head_share", "worker_share", "wealth_factor"):
        k = len(getattr(hp, name))
        if k not in (1, V0):
            raise ParameterError(
                f"households.{name}", f"{k} values for {V0} villages; allowed: one value, or one per village ({V0})"
            )
    for name in ("entry_fee", "mandatory_saving"):
        k = len(getattr(rules, name))
        if k not in ((0, 1, C0) if name == "mandatory_saving" else (1, C0)):
            raise ParameterError(
                f"cooperative.{name}",
                f"{k} values for {C0} cooperatives; allowed: one value, or one per cooperative ({C0})",
            )
    bad = [v for v in rules.residence_villages if v >= V0]
    if bad:
        raise ParameterError("cooperative.residence_villages", f"{bad} out of range; allowed: 0..{V0 - 1}")
    if rules.residence_villages:
        served = {v % C0 for v in rules.residence_villages}
        if len(served) < C0:
            missing = sorted(set(range(C0)) - served)
            raise ParameterError(
                "cooperative.residence_villages",
                f"cooperatives {missing} would keep none of their villages (village v belongs to cooperative "
                f"v mod {C0}); allowed: at least one village of every cooperative",
            )
    share = expected_eligible_share(p)
    catchment = pp.catchment
    expected = share * catchment
    if expected <= 0.0:
        raise ParameterError(
            "cooperative",
            f"no household satisfies the eligibility rules (eligible_sex = {rules.eligible_sex!r}, "
            f"eligible_occupations = {rules.eligible_occupations}, business_requirement = "
            f"{rules.business_requirement!r}, residence_villages = {rules.residence_villages}) with "
            f"households.female_share = {hp.female_share}, households.worker_share = {hp.worker_share}, "
            f"population.farmer_share = {pp.farmer_share:g}, population.umkm_share = {pp.umkm_share:g}; "
            "allowed: rules that some household satisfies",
        )
    if expected < pp.members_per_cooperative:
        raise ParameterError(
            "population.members_per_cooperative",
            f"{pp.members_per_cooperative} exceeds the households the cooperative's rules admit "
            f"(about {expected:.0f} of {catchment}); allowed: 0..{int(expected)} or looser rules",
        )


__all__ = ["check_rules", "eligible", "expected_eligible_share", "per_cooperative"]
