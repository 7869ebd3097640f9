"""A trust survey of a group: the share of a sample with low, medium or high trust in a target.

Field studies report trust as categories among a group they chose (members of a cooperative,
UMKM owners, the participants of a programme), e.g. "of 20 UMKM owners, 20% have low trust in
the cooperative". :func:`trust_survey` draws such a sample from a run model and reads each
respondent's trust (``State.trust``: peer, board, institution) into three categories:

    low: T < 1/3,   medium: 1/3 ≤ T < 2/3,   high: T ≥ 2/3   (thirds of [0, 1])

(:data:`TRUST_CUTS`; the same cut points as the model's default ``trust.low_threshold`` and
``trust.high_threshold``, fixed here so that an observed category does not move with a fitted
parameter). Groups (:data:`GROUPS`), always among the households of the surveyed cooperative's
catchment (``State.coop``):

* ``members``: its current members;
* ``umkm``: owners of a food enterprise (``State.product > 0``, as the interventions' ``umkm``
  target);
* ``participants:training``: households trained at least once in the run (``State.trained_at``;
  a training intervention or the cooperative's own Diklat: the state does not tell them apart);
* ``participants:kemitraan``: households taken to a kemitraan event (the pairs the partnership
  record holds).
* ``village:<k>``: every household of village k (0-based; members or not), as a village
  study would ask them; not limited to the cooperative's catchment.

Other interventions leave no record of who took part, so they cannot define a group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..state import TRUST_TARGETS

if TYPE_CHECKING:
    from ..model import CooperativeModel

TRUST_CUTS = (1.0 / 3.0, 2.0 / 3.0)  # low below the first, high from the second (thirds of [0, 1])
TRUST_CATEGORIES = ("low", "medium", "high")
PARTICIPANTS = "participants:"
PARTICIPANT_KINDS = ("training", "kemitraan")  # interventions whose participants the state records
VILLAGE = "village:"
GROUPS = ("members", "umkm", *(PARTICIPANTS + k for k in PARTICIPANT_KINDS), VILLAGE + "<k>")


def trust_category_shares(trust: np.ndarray, cuts: tuple[float, float] = TRUST_CUTS) -> np.ndarray:
    """Shares (low, medium, high) of the trust values ``trust`` (1-D): low T < c₁, medium
    c₁ ≤ T < c₂, high T ≥ c₂; NaN for an empty sample."""
    if trust.size == 0:
        return np.full(len(TRUST_CATEGORIES), np.nan)
    low = float(np.mean(trust < cuts[0]))
    high = float(np.mean(trust >= cuts[1]))
    return np.array([low, 1.0 - low - high, high])


def group_members(model: CooperativeModel, group: str, cooperative: int = 0) -> np.ndarray:
    """Agent indices (ascending) of ``group`` (:data:`GROUPS`) among the households of
    ``cooperative``'s catchment; ValueError for an unknown group."""
    s = model.state
    H = s.n_households
    here = s.coop[:H] == cooperative
    if group == "members":
        mask = here & s.member[:H]
    elif group == "umkm":
        mask = here & (s.product[:H] > 0)
    elif group == PARTICIPANTS + "training":
        mask = here & (s.trained_at[:H] >= 0)
    elif group == PARTICIPANTS + "kemitraan":
        took_part = np.zeros(H, dtype=bool)
        record = model.world.partnership
        if record is not None:
            took_part[record.pair_household[record.pair_household < H]] = True
        mask = here & took_part
    elif group.startswith(VILLAGE) and group[len(VILLAGE) :].isdigit():
        k = int(group[len(VILLAGE) :])
        if k >= s.villages_per_world:
            raise ValueError(f"group {group!r}: village {k} does not exist; allowed: 0..{s.villages_per_world - 1}")
        return np.flatnonzero(s.village[:H] == k)
    else:
        raise ValueError(f"unknown group {group!r}; allowed: {', '.join(GROUPS)}")
    return np.flatnonzero(mask)


def sample_group(model: CooperativeModel, group: str, n: int, seed: int | None, cooperative: int = 0) -> np.ndarray:
    """A study's sample: ``n`` (capped at the group's size) agent indices drawn without replacement from
    ``group`` (:func:`group_members`) with ``numpy.random.default_rng(seed)``, ascending."""
    pool = group_members(model, group, cooperative)
    m = min(n, pool.size)
    return np.sort(np.random.default_rng(seed).choice(pool, size=m, replace=False)) if m else pool[:0]


def trust_survey(
    model: CooperativeModel, of: str, group: str, n: int, seed: int | None, cooperative: int = 0
) -> tuple[np.ndarray, int]:
    """A sample of ``n`` (capped at the group's size) drawn without replacement from ``group`` with
    ``numpy.random.default_rng(seed)``: the shares (low, medium, high) of its trust in ``of``
    (peer | board | institution; :func:`trust_category_shares`) and the sample's size m (0 and
    NaN shares for an empty group). The model is only read."""
    if of not in TRUST_TARGETS:
        raise ValueError(f"unknown trust target {of!r}; allowed: {', '.join(TRUST_TARGETS)}")
    chosen = sample_group(model, group, n, seed, cooperative)
    return trust_category_shares(model.state.trust[chosen, TRUST_TARGETS.index(of)]), int(chosen.size)


__all__ = [
    "GROUPS",
    "PARTICIPANTS",
    "PARTICIPANT_KINDS",
    "TRUST_CATEGORIES",
    "TRUST_CUTS",
    "VILLAGE",
    "group_members",
    "sample_group",
    "trust_category_shares",
    "trust_survey",
]
