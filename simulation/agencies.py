"""Agencies: what their interest ties deliver, who uses them, and how agencies spend (issue #10, item 6).

Three kinds of network surround a cooperative (DOMAIN: interest, sentiment, power ties). This module
gives the interest and power ties to the regional agencies their consequences:

* **Use follows who sought the tie.** A tie the household or its board sought (bottom-up) is used
  with the contact model's probability c·w·ρ; a tie the agency started (top-down, ``top_down``)
  with u·c·w·ρ, u = ``agencies.top_down_use`` < 1: a cooperative that "only receives aid" (BMT
  Trans) waits for the agency instead of asking (:func:`use_factor`). Unused ties decay and lapse
  (:func:`kopsim.network.network_dynamics`), so a programme's top-down ties fade once the programme
  is over, while ties that members sought stay in use — the difference Gittell & Vidal (1998,
  *Community Organizing: Building Social Capital as a Development Strategy*, Sage) draw between
  linking ties built from below and from above.
* **A used interest tie delivers what it was formed for** (:func:`serve`): advice from the
  cooperative and labour offices (skill S += g (1 − S), g = ``extension_gain``; it fades like
  training does), credit information from the state bank (the household knows how to borrow), and
  a licence from the halal certifier (an unlicensed UMKM with a product is licensed with
  probability ``certification_rate``). A licence is valid L = ``licence_years`` (MUI halal
  certificates: two years before Law 33/2014 took effect); a contact with the certifier while it
  is valid renews it for L more, and a licence nobody renews runs out.
* **Agencies decide by their own rules and budget** (:func:`programme_quotas`): a training
  programme costs its provider ``cost_per_trainee`` per trainee out of a yearly
  ``programme_budget``; when the budget is short the agency serves cooperatives in the order of its
  rule — ``applicants`` (cooperatives whose board sought the agency: a bottom-up tie), ``neediest``
  (least cash per member) or ``random``. A power or programme tie carries conditions: with
  ``withhold_on_misconduct`` no programme (training, grant) reaches a cooperative whose board
  misconduct an audit has found (:func:`conditions_met`; reprimand by withholding, as the
  cooperative office's pembinaan does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import skills
from .state import AGENCY, AGENCY_KINDS, BOARD, State

if TYPE_CHECKING:
    from .world import World

EXTENSION_AGENCIES = ("cooperative_office", "labour_office")  # advice on business and skills
CREDIT_AGENCY = "state_bank"  # capital, bookkeeping, KUR credit: how to borrow
CERTIFIER = "halal_certifier"  # MUI: product licences
MONTHS_PER_YEAR = 12


def use_factor(top_down: np.ndarray, touches_agency: np.ndarray, factor: float | np.ndarray) -> np.ndarray:
    """Per-tie multiplier of the monthly contact probability: u for ties the agency started, 1 for
    every other tie (bottom-up ties to agencies, ties between households):
    m_ij = u if (top-down and one end an agency) else 1."""
    return np.where(top_down & touches_agency, factor, 1.0)


def contact_weights(world: World) -> np.ndarray:
    """ρ_ij · m_ij of every tie this month: reach times :func:`use_factor`."""
    s, ties = world.state, world.ties
    agency = s.role == AGENCY
    touches = agency[ties.a] | agency[ties.b]
    return ties.reach * use_factor(ties.top_down, touches, world.per("agencies", s.world_id[ties.a]).top_down_use)


def regional_agencies(s: State) -> np.ndarray:
    """Boolean over agents: the regional agencies of AGENCY_KINDS (village governments excluded)."""
    return (s.role == AGENCY) & (s.agency_kind >= 0) & (s.agency_kind < len(AGENCY_KINDS))


def agency_contacts(world: World, used: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The households and the agency kind (index into AGENCY_KINDS) of this month's used ties
    between a household and a regional agency (village governments excluded)."""
    s, ties = world.state, world.ties
    a, b = ties.a[used], ties.b[used]
    H = s.n_households
    regional = regional_agencies(s)
    a_agency = regional[a] & (b < H)
    b_agency = regional[b] & (a < H)
    household = np.concatenate((b[a_agency], a[b_agency]))
    kind = np.concatenate((s.agency_kind[a[a_agency]], s.agency_kind[b[b_agency]])).astype(np.int64)
    return household, kind


def _purpose(names: tuple[str, ...]) -> np.ndarray:
    """Boolean lookup over agency kinds: True for the kinds in ``names``."""
    return np.isin(np.arange(len(AGENCY_KINDS)), [AGENCY_KINDS.index(k) for k in names])


ADVISES, INFORMS, CERTIFIES = _purpose(EXTENSION_AGENCIES), _purpose((CREDIT_AGENCY,)), _purpose((CERTIFIER,))


def serve(world: World, used: np.ndarray) -> None:
    """What this month's used ties to agencies deliver (module docstring): advice, credit
    information, licences and their renewal; then licences past their validity run out.
    ``used``: indices of the ties used this month."""
    s = world.state
    household, kind = agency_contacts(world, used)
    advised = np.zeros(s.n, dtype=bool)
    advised[household[ADVISES[kind]]] = True
    s.skill = skills.train(s.skill, advised, world.per("agencies", s.world_id).extension_gain)
    s.informed[household[INFORMS[kind]]] = True
    asked = np.zeros(s.n, dtype=bool)
    asked[household[CERTIFIES[kind]]] = True
    renew = np.flatnonzero(asked & s.licensed)
    candidates = np.flatnonzero(asked & ~s.licensed & (s.product > 0))
    new = (
        candidates[
            world.draw.random(s.world_id[candidates]) < world.per("agencies", s.world_id[candidates]).certification_rate
        ]
        if candidates.size
        else candidates
    )
    grant_licences(world, np.concatenate((renew, new)))
    expire_licences(world)


def licence_end(t: int, licence_years: float | np.ndarray) -> int | np.ndarray:
    """Month a licence granted or renewed in month t runs out: t + 12·L (−1, never, for L = 0);
    one per holder where ``licence_years`` is an array."""
    months = np.rint(MONTHS_PER_YEAR * np.asarray(licence_years)).astype(np.int64)
    end = np.where(months > 0, t + months, -1)
    return int(end) if end.ndim == 0 else end


def grant_licences(world: World, holders: np.ndarray) -> None:
    """License ``holders`` (indices) from this month, or renew their licences, for ``licence_years``."""
    s = world.state
    s.licensed[holders] = True
    s.licence_until[holders] = licence_end(world.t, world.per("agencies", s.world_id[holders]).licence_years)


def expire_licences(world: World) -> None:
    """Licences whose validity has run out lapse: licensed ∧ 0 ≤ until < t."""
    s = world.state
    out = s.licensed & (s.licence_until >= 0) & (s.licence_until < world.t)
    s.licensed[out] = False
    s.licence_until[out] = -1


def new_year(world: World) -> None:
    """Agencies' budgets start afresh in the first month of every year."""
    if world.t % MONTHS_PER_YEAR == 0:
        world.state.agency_spent[:] = 0.0


def conditions_met(world: World) -> np.ndarray:
    """Cooperatives a programme may reach (boolean over cooperatives): all, or with
    ``withhold_on_misconduct`` those whose board misconduct no audit has found."""
    s = world.state
    if world.params.agencies.withhold_on_misconduct:
        return ~s.misconduct_detected
    return np.ones(s.n_coops, dtype=bool)


def applicants(world: World, provider: str) -> np.ndarray:
    """Cooperatives (boolean over cooperatives) whose board holds a tie to ``provider`` that the
    board or a member sought (bottom-up): the cooperatives that apply to the agency."""
    s, ties = world.state, world.ties
    agency = np.zeros(s.n, dtype=bool)  # the provider of each world
    agency[s.agency_of(provider, np.arange(s.worlds))] = True
    on_board = (s.office == BOARD) & s.member
    sought = ~ties.top_down & (agency[ties.a] | agency[ties.b])
    holder = np.where(agency[ties.a[sought]], ties.b[sought], ties.a[sought])
    holder = holder[on_board[holder] & (s.coop[holder] >= 0)]
    out = np.zeros(s.n_coops, dtype=bool)
    out[s.coop[holder]] = True
    return out


def allocate(demand: np.ndarray, order: np.ndarray, affordable: int) -> np.ndarray:
    """Trainees granted to each cooperative of one world when the budget buys ``affordable``:
    served in ``order``, each gets min(d_c, what is left): g_(k) = clip(A − Σ_{j<k} d_(j), 0, d_(k))."""
    d = demand[order]
    before = np.concatenate(([0], np.cumsum(d)[:-1]))
    granted = np.empty_like(demand)
    granted[order] = np.clip(affordable - before, 0, d)
    return granted


def programme_quotas(world: World, eligible: np.ndarray, quota: int, provider: str) -> np.ndarray:
    """Trainees per cooperative of one session of ``provider``'s training programme: the quota where
    the conditions are met (:func:`conditions_met`), cut to what the provider's remaining budget
    buys in each world and shared out by its ``allocation`` rule (:func:`allocate`). Spending is
    booked in ``state.agency_spent``. ``eligible``: boolean over households."""
    s, ap = world.state, world.per("agencies")  # (W,) values where the worlds differ
    H = s.n_households
    inside = s.coop[:H] >= 0
    pool = np.bincount(s.coop[:H][eligible & inside], minlength=s.n_coops)
    demand = np.where(conditions_met(world), np.minimum(pool, quota), 0).astype(np.int64)
    budget, cost = np.broadcast_to(ap.programme_budget, s.worlds), np.broadcast_to(ap.cost_per_trainee, s.worlds)
    limited = (budget > 0) & (cost > 0)  # worlds whose agency has a budget
    if world.targets is not None:  # and whose timetable holds the programme
        limited &= world.targets
    if not limited.any():
        return demand
    k = AGENCY_KINDS.index(provider)
    C = s.coops_per_world
    if ap.allocation == "applicants":
        key = (~applicants(world, provider)).astype(float)
    elif ap.allocation == "neediest":
        members = np.bincount(s.coop[:H][s.member[:H] & inside], minlength=s.n_coops)
        key = s.coop_cash / np.maximum(members, 1)
    else:
        key = np.zeros(s.n_coops)
    coop_world = np.repeat(np.arange(s.worlds), C)
    noise = np.zeros(s.n_coops)
    noise[limited[coop_world]] = world.draw.random(coop_world[limited[coop_world]])  # ties broken at random
    granted = demand.copy()
    for w in np.flatnonzero(limited):  # each world's agencies have their own budget: a loop over worlds
        rows = slice(w * C, (w + 1) * C)
        left = budget[w] - s.agency_spent[w, k]
        affordable = int(np.floor(max(left, 0.0) / cost[w] + 1e-9))
        order = np.lexsort((noise[rows], key[rows]))
        granted[rows] = allocate(demand[rows], order, affordable)
        s.agency_spent[w, k] += granted[rows].sum() * cost[w]
    return granted


__all__ = [
    "agency_contacts",
    "allocate",
    "applicants",
    "conditions_met",
    "contact_weights",
    "expire_licences",
    "grant_licences",
    "licence_end",
    "new_year",
    "programme_quotas",
    "regional_agencies",
    "serve",
    "use_factor",
]
