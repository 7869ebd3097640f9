"""Business units of a cooperative (issue #16 item 3): savings and loans, a shop, a workshop or
processing unit with its product, input supply, marketing of members' products.

Every cooperative runs the units listed in ``[[parameters.cooperative.units]]``. A unit opens

* at founding (``opened_by = "founding"``, from month 1),
* when a programme opens it (``"programme"``, in month ``start``), or
* when trained members can run it (``"trained_members"``: once at least ``trained_members``
  members of the cooperative have the unit's ``skill`` ≥ ``skill_threshold``, from month
  ``start``) — the field case of two trained seamstresses who taught members and started a
  sewing unit. ``skill`` is ``general`` or a programme's (``sewing``, ``tie_dye``; issue #16
  item 4), so only a training of that programme (and peer teaching from its trainees) opens it.

Once open, a unit stays open. **Taking part** (business-unit participation, one of the three
survey domains; Firdaus & Baga 2019): each month a member uses one open unit of its
cooperative, drawn uniformly, with probability equal to its business-unit participation
propensity p_B, and pays the unit's ``margin`` from cash if it can. Per unit and month:

    revenue_u = margin_u · users_u,   cost_u = fixed_cost_u + staff_u · wage_u,
    coop_cash_c += Σ_u (revenue_u − cost_u),   coop_surplus_c likewise (shared out as SHU at the RAT).

Staff pay and running costs leave the model (as ``finance.operating_cost`` does). Without units
this phase does nothing and draws nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .finance import transfer
from .skills import skill_of
from .state import BUSINESS

if TYPE_CHECKING:
    from .world import World


def opens(opened_by: str, start: int, t: int, trained: np.ndarray, needed: int) -> np.ndarray:
    """Which cooperatives' copy of one unit opens in month ``t`` (``trained``: members per
    cooperative with the unit's skill): founding → always; programme → t ≥ start;
    trained_members → t ≥ start and trained ≥ needed."""
    if opened_by == "founding":
        return np.ones(trained.size, dtype=bool)
    if t < start:
        return np.zeros(trained.size, dtype=bool)
    if opened_by == "programme":
        return np.ones(trained.size, dtype=bool)
    return trained >= needed


def business_units(world: World) -> None:
    """The month of the business units (module docstring); the unit of cooperative c and list
    position u is ``state.unit_open[c * U + u]``."""
    units = world.params.cooperative.units
    if not units:
        return
    s, t = world.state, world.t
    H, C, U = s.n_households, s.n_coops, len(units)
    mem = s.member[:H]
    c = np.maximum(s.coop[:H], 0)
    open_ = s.unit_open.reshape(C, U)
    for u, spec in enumerate(units):  # loop over the few unit kinds, not over agents
        if open_[:, u].all():
            continue
        skilled = mem & (skill_of(s, spec["skill"])[:H] >= spec["skill_threshold"])
        trained = np.bincount(c[skilled], minlength=C)
        open_[:, u] |= opens(spec["opened_by"], spec["start"], t, trained, spec["trained_members"])
    n_open = open_.sum(axis=1)
    draw = world.draw.random(s.household_world, rows=2)
    uses = mem & (n_open[c] > 0) & (draw[0] < s.participation[:H, BUSINESS])
    # the k-th open unit of the member's cooperative, k uniform over its open units
    k = np.minimum((draw[1] * n_open[c]).astype(np.int64), np.maximum(n_open[c] - 1, 0))
    rank = np.cumsum(open_, axis=1) - 1  # rank of each open unit among its cooperative's open units
    pick = np.argmax((rank[c] == k[:, None]) & open_[c], axis=1)
    margin = np.array([spec["margin"] for spec in units])
    pays = uses & (s.cash[:H] >= margin[pick])
    unit = np.where(pays, c * U + pick, -1)
    paid = np.where(pays, margin[pick], 0.0)
    s.cash[:H], s.coop_cash = transfer(s.cash[:H], s.coop_cash, np.arange(H), c, paid)
    s.unit_users = np.bincount(unit[pays], minlength=C * U)
    s.unit_used = np.full(s.n, -1, dtype=np.int64)
    s.unit_used[:H] = unit
    revenue = np.bincount(unit[pays], paid[pays], minlength=C * U)
    fixed = np.array([spec["fixed_cost"] + spec["staff"] * spec["wage"] for spec in units])
    cost = np.where(s.unit_open, np.tile(fixed, C), 0.0)
    s.unit_revenue, s.unit_cost = revenue, cost
    s.coop_cash = s.coop_cash - cost.reshape(C, U).sum(axis=1)
    s.coop_surplus += (revenue - cost).reshape(C, U).sum(axis=1)
    s.coop_income_ytd += revenue.reshape(C, U).sum(axis=1)  # the income statement (kopsim.accounts)
    s.coop_cost_ytd += cost.reshape(C, U).sum(axis=1)


__all__ = ["business_units", "opens"]
