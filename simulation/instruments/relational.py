"""Instrument 3, relational properties of partnerships (Franke 2005): :func:`partnership_properties`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..state import PARTNER
from .survey_analysis import number_text
from .trust_survey import sample_group

if TYPE_CHECKING:
    from ..model import CooperativeModel


FOLLOW_UP_MONTHS = 12
# what a study of partnerships asks its respondents (Franke 2005), :func:`relational_survey`
RELATIONAL_PROPERTIES = ("frequency", "intensity", "proximity", "in_contact")


@dataclass(frozen=True)
class PartnershipProperties:
    """Relational properties (Franke 2005) of the ties to partner firms met through kemitraan.

    ``contacts_per_month``: mean expected contacts per tie and month — the reach ρ of a partner
    tie, which is the pair's probability of keeping in contact this month (kopsim.partnership) —
    frequency; ``intensity``: mean tie strength w (what has been exchanged and kept);
    ``distance_km``: mean distance between the ends — spatial proximity; ``followed_up``: the
    (participant, partner) pairs met at an event at least 12 months ago, whether or not their
    tie has since lapsed; ``still_in_contact``: of those, the pairs in contact in the last 12
    months (after the event month); ``share_in_contact`` = still_in_contact / followed_up (NaN
    when no event is 12 months old).
    """

    ties: int
    contacts_per_month: float
    intensity: float
    distance_km: float
    followed_up: int
    still_in_contact: int
    share_in_contact: float

    def format(self) -> str:
        if self.ties == 0:
            return "no ties to partner firms"
        return "\n".join(
            [
                f"ties to partner firms                      {self.ties:>8d}",
                f"frequency: contacts per tie and month      {self.contacts_per_month:>8.3f}",
                f"intensity: mean tie strength               {self.intensity:>8.3f}",
                f"spatial proximity: mean distance (km)      {self.distance_km:>8.1f}",
                f"ties formed >= {FOLLOW_UP_MONTHS} months ago               {self.followed_up:>8d}",
                f"  of which in contact in the last {FOLLOW_UP_MONTHS} months {self.still_in_contact:>8d}"
                f"  ({number_text(self.share_in_contact, '.1%')})",
            ]
        )


def partnership_properties(model: CooperativeModel, cooperative: int | None = None) -> PartnershipProperties:
    """Frequency, intensity, distance and follow-up contact of the ties to partner firms (of the
    households of ``cooperative``, or all households when None) at the current month."""
    s, ties = model.state, model.ties
    partner = (s.role[ties.a] == PARTNER) | (s.role[ties.b] == PARTNER)
    if cooperative is not None:
        home = np.where(s.role[ties.a] == PARTNER, ties.b, ties.a)
        partner &= s.coop[home] == cooperative
    k = np.flatnonzero(partner)
    t = model.steps
    n_old = n_used = 0
    ps = model.world.partnership
    if ps is not None:  # every pair met at an event, whether or not its tie has since lapsed
        pairs = ps.pair_event <= t - FOLLOW_UP_MONTHS
        if cooperative is not None:
            pairs &= s.coop[ps.pair_household] == cooperative
        n_old = int(pairs.sum())
        n_used = int((pairs & (ps.pair_last > t - FOLLOW_UP_MONTHS)).sum())
    share = n_used / n_old if n_old else float("nan")
    if k.size == 0:
        return PartnershipProperties(0, float("nan"), float("nan"), float("nan"), n_old, n_used, share)
    a, b = ties.a[k], ties.b[k]
    dist = np.hypot(s.x[a] - s.x[b], s.y[a] - s.y[b])
    return PartnershipProperties(
        int(k.size),
        float(ties.reach[k].mean()),
        float(ties.strength[k].mean()),
        float(dist.mean()),
        n_old,
        n_used,
        share,
    )


def relational_survey(
    model: CooperativeModel,
    group: str,
    n: int,
    seed: int | None,
    cooperative: int = 0,
    months_after: int = FOLLOW_UP_MONTHS,
) -> tuple[dict[str, float], int]:
    """A study's sample of ``n`` (capped at the group's size) drawn without replacement from
    ``group`` (:data:`kopsim.instruments.trust_survey.GROUPS`) with ``numpy.random.default_rng(seed)``,
    asked about their ties to partner firms (Franke 2005). Returns ({property: value}, m):

    * ``in_contact``: of the sampled households who met a partner at a kemitraan event at least
      N = ``months_after`` months ago, the share in contact with at least one of them within the
      last N months (the partnership record: ``pair_event`` ≤ t − N, ``pair_last`` > t − N);
    * ``frequency``, ``intensity``, ``proximity``: over the sampled households' current ties to
      partner firms, the mean expected contacts per month (the tie's reach ρ), the mean strength w
      and the mean distance in km;

    a property nobody in the sample can answer is NaN (missing); m is the sample's size. The model is
    only read."""
    s, ties = model.state, model.ties
    chosen = sample_group(model, group, n, seed, cooperative)
    asked = np.zeros(s.n, dtype=bool)
    asked[chosen] = True
    out = dict.fromkeys(RELATIONAL_PROPERTIES, float("nan"))
    t = model.steps
    record = model.world.partnership
    if record is not None:
        met = asked[record.pair_household] & (record.pair_event <= t - months_after)
        if met.any():
            who = record.pair_household[met]
            kept = np.zeros(s.n, dtype=bool)
            kept[who[record.pair_last[met] > t - months_after]] = True
            out["in_contact"] = float(kept[np.unique(who)].mean())
    partner_a, partner_b = s.role[ties.a] == PARTNER, s.role[ties.b] == PARTNER
    k = np.flatnonzero((partner_a & asked[ties.b]) | (partner_b & asked[ties.a]))
    if k.size:
        a, b = ties.a[k], ties.b[k]
        out["frequency"] = float(ties.reach[k].mean())
        out["intensity"] = float(ties.strength[k].mean())
        out["proximity"] = float(np.hypot(s.x[a] - s.x[b], s.y[a] - s.y[b]).mean())
    return out, int(chosen.size)


__all__ = [
    "FOLLOW_UP_MONTHS",
    "RELATIONAL_PROPERTIES",
    "PartnershipProperties",
    "partnership_properties",
    "relational_survey",
]
