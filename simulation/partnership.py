"""Kemitraan partnerships as relational behaviour: each UMKM–partner pair decides each month
whether to keep in contact.

After a kemitraan event (:class:`kopsim.interventions.Kemitraan`) the owner of a UMKM and each
partner firm met there hold a market-access **interest** tie. Every month the pair keeps in
contact, or not, by weighing the premium earned by trading through the partner against the
cost of distance (phone, samples, courier, visits) and the cost of monitoring a far-away
buyer, which falls with trust (:func:`net_benefit`, :func:`contact_probability`). Only pairs
in contact this month trade (:func:`trading_strength`); ties without contact weaken
(:func:`kopsim.network.reinforce_and_decay`) and a market-access tie lapses once it has gone
``partnership.lapse_months`` without contact (:func:`lapsed`). A pair's trade also ends with a
monthly hazard (the buyer changes supplier, :func:`purpose_ends`): an interest tie ends when it
no longer delivers what it was formed for. Local buyers need no such monitoring, so they win
wherever distance makes monitoring costly — the Pasuruan finding that owners prefer local
buyers because they are easier to monitor.

A same-trade **association** (the remedy the study suggests) works by its meetings, not by a
constant: members attend each meeting with a probability; attendees meet (their association
ties are used) and pool the contact with and monitoring of partners — one delegate, shared
shipments, shared news of which buyer pays — so the distance and monitoring costs of each
attendee are divided among the attendees of the same trade (:func:`association_attendees`;
collective action for market access, Markelova et al. 2009, Food Policy 34:1; multilateral
monitoring in a traders' coalition, Greif 1993, AER 83:525).

Relational properties (Franke 2005): frequency = contacts per month (the reach ρ of a partner
tie is its contact probability this month), intensity = tie strength, spatial proximity = km.
The follow-up measure: of the participants of an event, the share still in contact with a
partner met there ``metrics.partner_follow_up_months`` months later (:func:`follow_up_share`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from .skills import business_skills
from .state import PARTNER, PEER

if TYPE_CHECKING:
    from .world import World


# ---- pure functions ------------------------------------------------------------------------------
def trade_value(offtake: float, strength: np.ndarray, expected_output: np.ndarray, price: np.ndarray) -> np.ndarray:
    """Value traded through one partner in a month of contact: V = q · w · Ŷ · p (Rp M/month).

    q = ``enterprise.partner_offtake`` (share of output one full-strength partner tie takes),
    w the tie's strength (intensity, Franke 2005), Ŷ the owner's expected output at base prices,
    p the price level.
    """
    return offtake * strength * expected_output * price


def monitoring_need(distance_km: np.ndarray, scale_km: float) -> np.ndarray:
    """How hard a buyer is to monitor at a distance: g(d) = 1 − exp(−d / L_m) ∈ [0, 1).

    A buyer in the same village (d ≈ 0) is watched at no cost; one in another province
    (d ≫ L_m) must be checked from afar (Pasuruan kemitraan study: owners prefer local buyers,
    who are easier to monitor; transaction costs of distance, Williamson 1985).
    """
    return -np.expm1(-distance_km / scale_km)


def partner_trust(generalised: np.ndarray, strength: np.ndarray) -> np.ndarray:
    """Trust of the owner in one partner: τ = T · w.

    T the owner's generalised (peer) trust, w the tie's strength: familiarity from repeated
    exchange breeds trust between firms (Gulati 1995, "Does familiarity breed trust?",
    Acad. Manage. J. 38:85), so a tie left unused loses the trust that made it cheap to keep.
    """
    return generalised * strength


def net_benefit(
    value: np.ndarray,
    premium: float,
    distance_km: np.ndarray,
    distance_cost: float,
    monitoring_cost: float,
    need: np.ndarray,
    trust: np.ndarray,
    sharers: np.ndarray,
) -> np.ndarray:
    """Net monthly benefit of keeping in contact with a partner (Rp M/month):

        U = π_P · V − (κ · d + μ · (1 − τ) · g(d) · V) / n

    π_P · V: the partner's premium over local buyers on the value V traded (market access);
    κ · d: the cost of keeping in contact over d km (``partnership.distance_cost``, Rp M per km
    and month); μ (1 − τ) g(d) V: the cost of monitoring a buyer one does not trust τ at a
    distance that makes it hard g(d) (``partnership.monitoring_cost``); n ≥ 1 the association
    members sharing both costs this month (1 without an association meeting). Relational
    properties of Franke (2005): intensity (w in V and τ), spatial proximity (d).
    """
    return premium * value - (distance_cost * distance_km + monitoring_cost * (1.0 - trust) * need * value) / sharers


def purpose_ends(rng: np.random.Generator, size: int, hazard: float) -> np.ndarray:
    """Pairs whose trade stops delivering this month: Bernoulli(h) each, h = ``partnership.end_rate``.

    The buyer finds another supplier or drops the product: inter-organisational attachments end
    with a hazard (Levinthal & Fichman 1988, "Dynamics of interorganizational attachments",
    Adm. Sci. Q. 33:345). From then on the pair's trade value is 0 and it does not call (its
    contact probability is 0 in :func:`partnerships`), so the tie decays and lapses (:func:`lapsed`);
    meeting again at an event restores it.
    """
    return rng.random(size) < hazard


def contact_probability(net: np.ndarray, sensitivity: float) -> np.ndarray:
    """P(keep in contact this month) = 1 / (1 + exp(−β · U)): a binary logit on the net benefit U
    (random utility, McFadden 1974), β = ``partnership.decision_sensitivity`` per Rp M."""
    return expit(sensitivity * net)


def lapsed(last_contact: np.ndarray, t: int, lapse_months: int) -> np.ndarray:
    """Market-access interest ties that no longer deliver: no contact for more than L months,
    t − last_contact > L (``partnership.lapse_months``). An interest tie is formed for a purpose
    and ends with it (the three network kinds of the BMT Trans study)."""
    return t - last_contact > lapse_months


def association_attendees(group: np.ndarray, attends: np.ndarray) -> np.ndarray:
    """Attendees of this month's meeting in each agent's association group: n_i = #{j : g_j = g_i,
    j attends} for attendees (they share the costs of partner contact), 1 for everyone else."""
    n = np.ones(group.size)
    at = attends & (group >= 0)
    if at.any():
        size = np.bincount(group[at])
        n[at] = size[group[at]]
    return n


def follow_up_share(participants: np.ndarray, in_contact: np.ndarray) -> float:
    """Share of an event's participants in contact with at least one partner met there:
    #{i : some pair (i, f) of the event in contact} / #{i} (NaN without participants)."""
    if participants.size == 0:
        return float("nan")
    people, pos = np.unique(participants, return_inverse=True)
    any_contact = np.bincount(pos, in_contact.astype(float), minlength=people.size) > 0
    return float(any_contact.mean())


# ---- state ---------------------------------------------------------------------------------------
@dataclass
class Partnerships:
    """Who met whom at which event, the same-trade associations, and this month's trade contacts."""

    n: int
    assoc_group: np.ndarray  # (n,) association group (a product), −1 none
    assoc_every: np.ndarray  # (n,) months between the meetings of the member's association
    assoc_attendance: np.ndarray  # (n,) probability of attending a meeting
    # one row per (participant, partner) pair met at an event
    pair_household: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_firm: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    pair_event: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    pair_last: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # last trade contact, −1
    contacted_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # this month's
    ended_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # trade ended, sorted
    follow_up: dict[int, float] = field(default_factory=dict)  # event month -> share still in contact
    sales_share: float = 0.0  # share of UMKM output sold through partners last month

    @classmethod
    def empty(cls, n: int) -> Partnerships:
        return cls(n, np.full(n, -1, dtype=np.int64), np.ones(n, dtype=np.int64), np.zeros(n))

    def latest_follow_up(self) -> float:
        """The follow-up share of the latest event measured so far (NaN before the first)."""
        return self.follow_up[max(self.follow_up)] if self.follow_up else float("nan")


def partner_mask(world: World) -> np.ndarray:
    """Ties with a partner firm at one end."""
    role, ties = world.state.role, world.ties
    return (role[ties.a] == PARTNER) | (role[ties.b] == PARTNER)


def _state(world: World) -> Partnerships:
    if world.partnership is None:
        world.partnership = Partnerships.empty(world.state.n)
    return world.partnership


# ---- what the kemitraan intervention calls ------------------------------------------------------
def register_event(
    world: World,
    households: np.ndarray,
    firms: np.ndarray,
    association: bool,
    meeting_every: int,
    attendance: float,
    strength: float,
) -> None:
    """A kemitraan event this month: pairs (household, firm) met, and, with an association, the
    participants join the same-trade association of their product and are tied (interest) to its
    other members."""
    from . import network as net

    ps = _state(world)
    t = world.t
    m = households.size
    ps.pair_household = np.concatenate((ps.pair_household, households))
    ps.pair_firm = np.concatenate((ps.pair_firm, firms))
    ps.pair_event = np.concatenate((ps.pair_event, np.full(m, t, dtype=np.int32)))
    ps.pair_last = np.concatenate((ps.pair_last, np.full(m, -1, dtype=np.int32)))
    n = world.state.n
    met = np.minimum(households, firms) * n + np.maximum(households, firms)
    ps.ended_keys = ps.ended_keys[~np.isin(ps.ended_keys, met)]  # meeting again restores the trade
    if not association:
        return
    s = world.state
    chosen = np.unique(households)
    ps.assoc_group[chosen] = s.product[chosen]
    ps.assoc_every[chosen] = meeting_every
    ps.assoc_attendance[chosen] = attendance
    members = np.flatnonzero(ps.assoc_group >= 0)
    a, b = np.meshgrid(chosen, members, indexing="ij")
    a, b = a.ravel(), b.ravel()
    same = (ps.assoc_group[a] == ps.assoc_group[b]) & (a != b)
    world.add_ties(a[same], b[same], net.INTEREST, strength)


# ---- the month -----------------------------------------------------------------------------------
def partnerships(world: World) -> None:
    """Phase 0b of the month (after the interventions): lapse of market-access ties without
    contact, association meetings, each pair's contact decision, and the follow-up record."""
    ps = world.partnership
    if ps is None:
        return
    s, rng, t = world.state, world.rng, world.t
    pp, ep = world.params.partnership, world.params.enterprise
    net_ = world.network
    partner = partner_mask(world)
    ties = world.ties
    gone = partner & lapsed(ties.last_contact, t, pp.lapse_months)
    if gone.any():
        keep = ~gone
        net_.drop_keys(keep)
        net_.replace(keep, None)
        world.board_changed()
        ties, partner = world.ties, partner[keep]
    # association meetings: who attends this month
    meets = (ps.assoc_group >= 0) & (t % ps.assoc_every == 0)
    attends = meets & (rng.random(s.n) < ps.assoc_attendance)
    sharers = association_attendees(ps.assoc_group, attends)
    # each pair decides whether to keep in contact
    k = np.flatnonzero(partner)
    hh = np.where(s.role[ties.a[k]] == PARTNER, ties.b[k], ties.a[k])
    firm = ties.a[k] + ties.b[k] - hh
    w = ties.strength[k]
    dist = np.hypot(s.x[hh] - s.x[firm], s.y[hh] - s.y[firm])
    expected = s.umkm_capacity[hh] * (0.5 + 0.5 * business_skills(world)[0][hh])  # its product's skill
    price = ep.price_index * world.conditions.price[np.maximum(s.coop[hh], 0)]
    keys_k = ties.keys(s.n)[k]
    ended = np.isin(keys_k, ps.ended_keys) | purpose_ends(rng, k.size, pp.end_rate)
    ps.ended_keys = np.union1d(ps.ended_keys, keys_k[ended])
    value = np.where(ended, 0.0, trade_value(ep.partner_offtake, w, expected, price))
    u = net_benefit(
        value,
        ep.partner_premium,
        dist,
        pp.distance_cost,
        pp.monitoring_cost,
        monitoring_need(dist, pp.monitoring_distance_km),
        partner_trust(s.trust[hh, PEER], w),
        sharers[hh],
    )
    # a pair whose trade has ended has nothing to call about: without this, U = −κd/n ≈ 0 for it
    # and the logit gave it a coin-flip chance of contact every month, so ended ties never lapsed
    prob = np.where(ended, 0.0, contact_probability(u, pp.decision_sensitivity))
    ties.reach[k] = prob  # ease of contact of a partner tie: this month's contact probability
    contact = rng.random(k.size) < prob
    ties.last_contact[k[contact]] = t
    keys = [keys_k[contact]]
    # association meetings: attendees meet each other (their association ties are used)
    if attends.any():
        ga, gb = ps.assoc_group[ties.a], ps.assoc_group[ties.b]
        met = np.flatnonzero((ga >= 0) & (ga == gb) & attends[ties.a] & attends[ties.b])
        ties.last_contact[met] = t
        keys.append(ties.keys(s.n)[met])
    ps.contacted_keys = np.unique(np.concatenate(keys))
    # the follow-up record of each event's pairs
    if ps.pair_household.size:
        lo = np.minimum(ps.pair_household, ps.pair_firm)
        hi = np.maximum(ps.pair_household, ps.pair_firm)
        traded = np.isin(lo * s.n + hi, ps.contacted_keys) & (ps.pair_event < t)
        ps.pair_last[traded] = t
        n_months = world.params.metrics.partner_follow_up_months
        window = world.params.metrics.contact_window_months
        cohort = ps.pair_event == t - n_months
        if cohort.any():
            recent = ps.pair_last[cohort] > t - window
            ps.follow_up[t - n_months] = follow_up_share(ps.pair_household[cohort], recent)


def with_trade_contacts(world: World, used: np.ndarray) -> np.ndarray:
    """This month's used ties (indices) with the partnership contacts and meetings added, for the
    strengthening and decay of ties (:func:`kopsim.network.network_dynamics`)."""
    ps = world.partnership
    if ps is None or ps.contacted_keys.size == 0:
        return used
    extra = np.flatnonzero(np.isin(world.ties.keys(world.state.n), ps.contacted_keys))
    return np.union1d(used, extra)


def exclude_decided(world: World, active: np.ndarray) -> np.ndarray:
    """Random contacts (:func:`kopsim.network.contacts`) without partner ties: whether a pair with a
    partner firm is in contact is their decision (:func:`partnerships`), not chance."""
    if world.partnership is None:
        return active
    return active & ~partner_mask(world)


def trading_strength(world: World) -> np.ndarray:
    """Σ strength of each agent's partner ties in contact this month: only they trade."""
    ties, n = world.ties, world.state.n
    if world.partnership is None:
        return np.zeros(n)
    live = partner_mask(world) & (ties.last_contact == world.t)
    w = ties.strength[live]
    return np.bincount(ties.a[live], w, minlength=n) + np.bincount(ties.b[live], w, minlength=n)


def record_sales(world: World, output: np.ndarray, partner_share: np.ndarray) -> None:
    """Remember the share of UMKM output sold through partners this month (a metric)."""
    if world.partnership is not None:
        total = float(output.sum())
        world.partnership.sales_share = float((output * partner_share).sum()) / total if total > 0 else 0.0


def metrics_row(world: World) -> dict[str, float]:
    """Partnership outcomes: the follow-up share of the latest measured event and the partner
    share of UMKM sales this month (NaN / 0 without a kemitraan programme)."""
    ps = world.partnership
    if ps is None:
        return {"partner_contact_share": float("nan"), "partner_sales_share": 0.0}
    return {"partner_contact_share": ps.latest_follow_up(), "partner_sales_share": ps.sales_share}
