"""Livelihoods: weather, farmers' harvests, UMKM production and where it is sold.

Home food processors (salted eggs, cassava and banana chips, kelanting) buy raw material
from local farmers; their output is limited by that supply, by their skill and by the
weather that sets the harvest (BMT Trans / KTM Telang case, ../shared/DOMAIN.md). They
sell through the cooperative shop (UKM Mart), to local buyers, or to partners met through
kemitraan with whom they are in contact this month (:mod:`kopsim.partnership`); partners and
the shop pay a premium (market access).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import accounts
from .finance import consume
from .participation import B_INCOME, income_perception, observe_benefit, update_reference
from .partnership import record_sales, trading_strength
from .skills import business_skills, skill_yield
from .state import BUSINESS

if TYPE_CHECKING:
    from .streams import Tagged
    from .world import World


def weather(
    rng: np.random.Generator | Tagged, n_villages: int, sigma: float | np.ndarray, multiplier: float | np.ndarray
) -> np.ndarray:
    """Harvest factor per village: m · exp(ε − σ²/2), ε ~ N(0, σ²), so E[factor] = m.

    A log-normal multiplicative shock (Just & Pope 1978, "Stochastic specification of
    production functions", J. Econometrics 7:67); m < 1 imposes a harvest failure.
    """
    return multiplier * np.exp(rng.normal(-0.5 * sigma * sigma, sigma, n_villages))


def harvest(capacity: np.ndarray, village_factor: np.ndarray, village: np.ndarray) -> np.ndarray:
    """Farm output value H_i = capacity_i · factor_v(i) (Rp M)."""
    return capacity * village_factor[village]


def supply_fill(supply: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Share of UMKM raw-material demand met in each village: φ_v = min(1, S_v / D_v) (1 if D_v = 0)."""
    return np.where(demand > 0, np.minimum(1.0, supply / np.maximum(demand, 1e-300)), 1.0)


def umkm_output(capacity: np.ndarray, skill: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """UMKM output value Y_i = capacity_i · (0.5 + 0.5·S_i) · φ_v(i) (Rp M, at base prices).

    Skill raises productivity (finance, production and packaging skills); S_i is the skill its
    product needs (``enterprise.product_skills``: a programme's, else the general one; issue #16
    item 4). Without raw material (φ = 0) nothing is produced (Leontief in the input).
    """
    return capacity * (0.5 + 0.5 * skill) * fill


def sales_revenue(
    output: np.ndarray,
    price_index: float,
    shop: np.ndarray,
    partner: np.ndarray,
    shop_premium: float,
    partner_premium: float,
    extra_premium: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Revenue R_i = Y_i · p · (1 + π_channel + π_i) and the part sold through the cooperative shop.

    Channel: partners take a share ``partner`` ∈ [0, 1] of output (from live partnership
    ties), the rest goes to the shop if the owner sells there this month (``shop``), else to
    local buyers (no channel premium). π_i (``extra_premium``): branding, licences, online
    sales (market-access interventions).
    """
    via_partner = output * partner
    rest = output - via_partner
    via_shop = np.where(shop, rest, 0.0)
    local = rest - via_shop
    revenue = price_index * (
        via_partner * (1.0 + partner_premium) + via_shop * (1.0 + shop_premium) + local + output * extra_premium
    )
    return revenue, price_index * via_shop * (1.0 + shop_premium)


def household_income(
    base: float,
    harvest: np.ndarray,
    revenue: np.ndarray,
    input_cost: np.ndarray,
    shop_margin: np.ndarray,
    loan_return: float,
    loans: np.ndarray,
) -> np.ndarray:
    """Monthly household income Y = y₀ + H + R − input cost − shop margin + r_L·L (Rp M).

    y₀ off-farm income, H harvest value, R UMKM revenue net of raw material and of the
    cooperative's margin on shop sales, r_L the business return on borrowed capital L.
    """
    return base + harvest + revenue - input_cost - shop_margin + loan_return * loans


def livelihoods(world: World) -> None:
    """Phase 1 of the month: weather and harvests, UMKM production and sales by channel, the
    cooperative's shop margin, household income and consumption, and the perceived income item."""
    s, draw = world.state, world.draw
    hw = s.household_world  # parameters are read per household (World.per), the weather per village
    ep, fp = world.per("enterprise", hw), world.per("finance", hw)
    H = s.n_households
    v = s.village[:H]
    cond = world.conditions
    epv = world.per("enterprise", s.village_world)
    factor = weather(draw.tagged(s.village_world), s.n_villages, epv.weather_sigma, epv.harvest_multiplier)
    factor = factor * cond.harvest
    # the skill each business uses: its product's or crop's programme skill, else the general one
    umkm_skill, farm_skill, farm_ref = business_skills(world)
    s.harvest[:H] = harvest(s.farm_capacity[:H], factor, v) * skill_yield(
        farm_skill, farm_ref, world.per("skills", hw).farm_skill_return
    )
    supply = np.bincount(v, s.harvest[:H] * ep.supply_share, minlength=s.n_villages)
    demand = np.bincount(v, s.umkm_capacity[:H] * ep.input_share, minlength=s.n_villages)
    fill = supply_fill(supply, demand)
    output = umkm_output(s.umkm_capacity[:H], umkm_skill, fill[v])
    shop = s.member[:H] & cond.shop_open[s.coop[:H]] & (draw.random(s.household_world) < s.participation[:H, BUSINESS])
    # only partners in contact this month trade (kopsim.partnership)
    partner = np.minimum(1.0, ep.partner_offtake * trading_strength(world)[:H])
    record_sales(world, output, partner)
    revenue, shop_sales = sales_revenue(
        output,
        ep.price_index * cond.price[s.coop[:H]],
        shop,
        partner,
        ep.shop_premium,
        ep.partner_premium,
        cond.premium[:H],
    )
    s.revenue[:H] = revenue
    margin = shop_sales * ep.shop_margin
    s.coop_surplus += np.bincount(s.coop[:H], margin, minlength=s.n_coops)
    s.coop_cash += np.bincount(s.coop[:H], margin, minlength=s.n_coops)
    accounts.book(s, s.coop[:H], margin, income=True)
    s.transactions_year[:H] += shop_sales
    income = household_income(
        fp.base_income,
        s.harvest[:H],
        revenue,
        output * ep.input_share,
        margin,
        fp.loan_return,
        s.coop_loan[:H] + s.ml_loan[:H],
    )
    s.income[:H] = income
    s.cash[:H] = consume(s.cash[:H], income, fp.cash_spending_rate, fp.consumption_share)
    memory = world.per("participation", hw).benefit_memory
    observe_benefit(s.benefit, B_INCOME, income_perception(income, s.income_ref[:H]), s.member[:H], memory)
    s.income_ref[:H] = update_reference(s.income_ref[:H], income, memory)
