"""The cooperative's books (kopsim.accounts): every flow of the cooperative's money is booked once.

The balance sheet's equity is a residual, so "it balances" proves nothing. What does: the cash
identity. Over any span, equity − member savings changes by exactly operating income − operating
cost − loan write-offs − SHU paid − cash taken by a misbehaving board. A flow of money that
reaches the cooperative's cash without being booked (or booked twice) breaks it.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import small_params

from kopsim import accounts
from kopsim.interventions import Credit, Grant
from kopsim.model import CooperativeModel
from kopsim.scenario import load


def _by_month(frame):
    frame = frame.copy()
    frame.index = np.arange(1, len(frame) + 1)
    return frame


@pytest.mark.parametrize("name", ["bmt_trans_ktm_telang", "mandiri_jaya", "board_scandal"])
def test_equity_moves_only_by_booked_flows(name: str) -> None:
    """Cash identity over each calendar year (months 12k … 12k + 11), in scenarios with a shop and
    business units (BMT Trans), the calibration case, and board misconduct (a scandal)."""
    scen = load(name)
    f = _by_month(CooperativeModel(scen.params, seed=3, interventions=scen.interventions).run(48))
    assert f["coop_operating_income_ytd"].max() > 0
    for k in (1, 2, 3):
        first, last = 12 * k, 12 * k + 11
        before = f.loc[first - 1]
        year = f.loc[first:last]
        d_equity = f.loc[last, "coop_equity"] - before["coop_equity"]
        d_savings = f.loc[last, "coop_savings"] - before["coop_savings"]
        expected = (
            f.loc[last, "coop_operating_income_ytd"]
            - f.loc[last, "coop_operating_cost_ytd"]
            - (f.loc[last, "written_off"] - before["written_off"])
            - year["shu_paid"].sum()
            - (f.loc[last, "misconduct_loss"] - before["misconduct_loss"])
        )
        assert d_equity - d_savings == pytest.approx(expected, abs=1e-6), f"{name}, year {k}"


def test_income_statement_starts_afresh_each_year() -> None:
    """Year to date: in a cooperative without units or shop, the running cost of m months of the year."""
    p = small_params({"finance": {"operating_cost": 1.5}})
    f = _by_month(CooperativeModel(p, seed=1).run(30))
    assert f.loc[11, "coop_operating_cost_ytd"] == pytest.approx(11 * 1.5)  # months 1..11 of year 0
    assert f.loc[12, "coop_operating_cost_ytd"] == pytest.approx(1.5)  # January: reset
    assert f.loc[23, "coop_operating_cost_ytd"] == pytest.approx(12 * 1.5)  # a whole year


def test_founding_grant_is_donated_capital_and_members_savings_are_equity() -> None:
    """Month 0: cash = initial capital + founders' savings; equity = their savings, nothing yet earned."""
    model = CooperativeModel(small_params({"finance": {"initial_coop_capital": 80.0}}), seed=2)
    sheet = accounts.balance_sheet(model.state)
    assert sheet["donated_capital"][0] == 80.0
    assert sheet["equity"][0] == pytest.approx(sheet["savings"][0])
    assert sheet["savings"][0] > 0


def test_grants_and_credit_lines_are_booked_where_they_belong() -> None:
    """A grant to the cooperative is donated capital; a bank credit line is a debt (liability)."""

    def run(*interventions):
        return _by_month(CooperativeModel(small_params(), seed=4, interventions=interventions).run(6))

    base = run()
    granted = run(Grant(start=3, recipient="cooperative", amount=40.0))
    assert granted.loc[3, "coop_donated_capital"] - base.loc[3, "coop_donated_capital"] == pytest.approx(40.0)
    credit = run(Credit(start=3, credit_line=25.0))
    jump = credit.loc[3, "coop_liabilities"] - base.loc[3, "coop_liabilities"]
    assert jump == pytest.approx(25.0, abs=1.0)  # + the month's voluntary savings, which differ a little


def test_books_change_no_other_outcome() -> None:
    """Booking is an observation: dropping the accounts columns, a run is what it was without them
    (the same columns as the metrics that existed before, compared with the recorded mean of a seed)."""
    scen = load("mandiri_jaya")
    a = CooperativeModel(scen.params, seed=5, interventions=scen.interventions)
    a.run(24)
    s = a.state
    for name in ("coop_income_ytd", "coop_cost_ytd"):
        getattr(s, name)[:] = 1e6  # garbage in the books ...
    a.run(12)
    b = CooperativeModel(scen.params, seed=5, interventions=scen.interventions).run(36)
    cols = [c for c in b.columns if c not in accounts.INCOME_STATEMENT]
    # ... changes nothing else (the books are read by no mechanism)
    assert a.metrics_frame()[cols].equals(b[cols])
