"""The cooperative's books: a balance sheet and an income statement, as its RAT report states them.

A read-only observation of the money the model already moves (:mod:`kopsim.finance`,
:mod:`kopsim.units`, :mod:`kopsim.enterprise`, :mod:`kopsim.interventions`): booking changes no
draw and no decision, so every other outcome is the same with or without it. It gives field
data of the kind cooperatives publish (Mandiri Jaya's 2015–2017 finances in
``../shared/data/mandiri_jaya_2018.toml``) a quantity of the model to be compared with.

Balance sheet of cooperative c at the end of a month (Rp M), classified as Indonesian
cooperative accounting does (PSAK 27 *Akuntansi Perkoperasian*, IAI 1998; its successor SAK
ETAP keeps the split): member capital savings (simpanan pokok and wajib) are equity, voluntary
savings (simpanan sukarela) are debts to members, donated capital (hibah, e.g. a PUAP grant) is
equity of its own kind::

    assets_c      = cash_c + Σ_{i: coop_i = c} L_i                   (L: outstanding loan principal)
    liabilities_c = Σ_{i: coop_i = c} V_i + B_c                      (V: voluntary savings; B: bank credit lines)
    savings_c     = Σ_{i: coop_i = c} M_i                            (M: pokok + wajib savings)
    donated_c     = K0_c + Σ grants_c − Σ grants withdrawn_c           (K0: initial capital)
    equity_c      = assets_c − liabilities_c − donated_c              (member savings + reserves + surplus)

Savings of members who left and were not yet refunded stay owed, so the sums run over every
household booked with c, not only its members. Income statement, per calendar year to date
(months 12k … 12k + 11 are year k; reset in its first month, like the agencies' budgets)::

    operating income_c = interest received_c + shop margin_c + Σ_u revenue_u
    operating cost_c   = running cost_c + Σ_u cost_u

Loan write-offs and cash taken by a misbehaving board are losses, not operating cost (they
reach equity through cash and loans). The year-end figures a report states are those of a
year's last month, 12k + 11.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .state import State
    from .world import World

MONTHS_PER_YEAR = 12

# metrics columns (totals over the model's cooperatives, Rp M): balance sheet, then income statement
BALANCE_SHEET = ("coop_assets", "coop_liabilities", "coop_savings", "coop_equity", "coop_donated_capital")
INCOME_STATEMENT = ("coop_operating_income_ytd", "coop_operating_cost_ytd")


def new_year(world: World) -> None:
    """The income statement starts afresh in the first month of every year."""
    if world.t % MONTHS_PER_YEAR == 0:
        world.state.coop_income_ytd[:] = 0.0
        world.state.coop_cost_ytd[:] = 0.0


def book(s: State, coop: np.ndarray, amount: np.ndarray, *, income: bool) -> None:
    """Book ``amount[k]`` of cooperative ``coop[k]`` as operating income (or cost) of this year."""
    target = s.coop_income_ytd if income else s.coop_cost_ytd
    target += np.bincount(coop, amount, minlength=s.n_coops)


def balance_sheet(s: State) -> dict[str, np.ndarray]:
    """Assets, liabilities, member savings, equity and donated capital of every cooperative (Rp M;
    equations in the module docstring). Equity is the residual, so the sheet balances by construction:
    assets = liabilities + equity + donated capital."""
    H = s.n_households
    booked = s.coop[:H] >= 0
    c = s.coop[:H][booked]

    def per_coop(values: np.ndarray) -> np.ndarray:
        return np.bincount(c, values[:H][booked], minlength=s.n_coops)

    assets = s.coop_cash + per_coop(s.coop_loan)
    liabilities = per_coop(s.savings_voluntary) + s.coop_borrowed
    return {
        "assets": assets,
        "liabilities": liabilities,
        "savings": per_coop(s.savings_mandatory),
        "equity": assets - liabilities - s.coop_donated,
        "donated_capital": s.coop_donated.copy(),
    }


def accounts_rows(s: State) -> dict[str, np.ndarray]:
    """The metrics columns :data:`BALANCE_SHEET` and :data:`INCOME_STATEMENT`: totals over each world's
    cooperatives (cooperatives are numbered world by world, as many in each), one value per world."""
    W = s.worlds
    row = {f"coop_{k}": np.add.reduce(v.reshape(W, -1), axis=1) for k, v in balance_sheet(s).items()}
    row["coop_operating_income_ytd"] = np.add.reduce(s.coop_income_ytd.reshape(W, -1), axis=1)
    row["coop_operating_cost_ytd"] = np.add.reduce(s.coop_cost_ytd.reshape(W, -1), axis=1)
    return row
