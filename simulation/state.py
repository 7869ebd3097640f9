"""Model state: numpy arrays indexed by agent (and by cooperative and village).

Agents are numbered 0..n−1. Households come first, village by village (so each village is
a contiguous block), then the institutional actors: regional agencies, one village
government per village, the moneylenders, and last the partner firms of kemitraan
programmes (if any). Mesa agent objects (``agents.py``) read and
write these arrays through their ``idx``; the mechanisms act on whole arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .streams import Blocks

_EMPTY = np.zeros(0)
_EMPTY_INT = np.zeros(0, dtype=np.int64)
_EMPTY_BOOL = np.zeros(0, dtype=bool)

# Livelihood / actor type of each agent.
TRADER, FARMER, UMKM, AGENCY, MONEYLENDER, PARTNER = 0, 1, 2, 3, 4, 5
ROLE_NAMES = ("trader", "farmer", "umkm", "agency", "moneylender", "partner")

# Office held in the cooperative.
NO_OFFICE, BOARD, SUPERVISOR = 0, 1, 2
OFFICE_NAMES = ("member", "board", "supervisor")

# Trust targets (columns of State.trust).
PEER, BOARD_TRUST, INSTITUTION = 0, 1, 2
TRUST_TARGETS = ("peer", "board", "institution")

# Participation domains (columns of State.participation).
ORGANISATION, BUSINESS, CAPITAL = 0, 1, 2

# What a UMKM makes (0 for households without a food business): the studied enterprises.
PRODUCTS = ("none", "salted_eggs", "cassava_chips", "banana_chips", "kelanting")

AGENCY_KINDS = (
    "cooperative_office",  # Dinas Koperasi/UKM: training, grants, supervision
    "labour_office",  # Dinas Tenaga Kerja dan Transmigrasi: skills training
    "state_bank",  # capital, bookkeeping, KUR credit
    "halal_certifier",  # MUI
    "ministry",  # Kementerian Koperasi: large targeted grants (power tie)
    "partnership_office",  # Diskoperindag-type office brokering kemitraan
)
VILLAGE_GOVERNMENT = "village_government"


@dataclass
class State:
    """All mutable state of one model. Arrays of length ``n`` unless noted."""

    n: int
    n_households: int
    n_coops: int
    n_villages: int
    # identity and place
    role: np.ndarray  # int8, livelihood / actor type
    village: np.ndarray  # int64, −1 for regional agencies
    coop: np.ndarray  # int64, cooperative whose catchment a household lives in; −1 otherwise
    agency_kind: np.ndarray  # int8 index into AGENCY_KINDS (+ village government), −1 otherwise
    x: np.ndarray  # km
    y: np.ndarray  # km
    village_start: np.ndarray  # (n_villages,) first household index of each village
    village_size: np.ndarray  # (n_villages,)
    responsiveness: np.ndarray  # (n_villages,) village government responsiveness ∈ [0, 1]
    moneylender_of: np.ndarray  # (n_villages,) agent index of the village's moneylender, −1 none
    agency_index: dict  # kind name -> agent index (regional agencies)
    village_government: np.ndarray  # (n_villages,) agent index
    # household attributes (heterogeneity)
    age: np.ndarray
    wealth: np.ndarray  # Rp M
    needy: np.ndarray  # bool
    farm_capacity: np.ndarray  # Rp M/month
    umkm_capacity: np.ndarray  # Rp M/month
    licensed: np.ndarray  # bool, halal / food-safety licence
    product: np.ndarray  # int8 index into PRODUCTS
    # cooperative membership and office
    member: np.ndarray  # bool
    office: np.ndarray  # int8
    board_tie: np.ndarray  # float 0/1: has a tie to a board member of own cooperative
    # social capital
    trust: np.ndarray  # (n, 3) peer, board, institution
    image: np.ndarray  # reputation as a helper
    participation: np.ndarray  # (n, 3) organisation, business, capital propensities
    benefit: np.ndarray  # (n, 7) perceived benefit items (participation.BENEFIT_ITEMS)
    willingness: np.ndarray  # to serve on the board
    attended_rat: np.ndarray  # bool, at the last RAT
    informed: np.ndarray  # bool, knows about membership and credit
    benefit_seen: np.ndarray  # (n, 7) bool: benefit item experienced at least once
    # persistent individual dispositions (logit offsets; heterogeneity that keeps levels interior)
    helpfulness: np.ndarray  # own disposition to help, added to the helping norm's logit
    time_cost: np.ndarray  # own cost of taking part (time, distance), added to every domain's cost
    # skills
    skill: np.ndarray
    skill_base: np.ndarray
    trained_at: np.ndarray  # int, month of last training, −1 never
    follow_up_until: np.ndarray  # int, last month of follow-up monitoring of the last training
    fade_factor: np.ndarray  # fade-rate multiplier while followed up (the programme's)
    # money (Rp M)
    cash: np.ndarray  # also the moneylenders' lending cash
    savings_mandatory: np.ndarray
    savings_voluntary: np.ndarray
    coop_loan: np.ndarray  # outstanding principal
    coop_principal_part: np.ndarray
    coop_interest_part: np.ndarray
    coop_loan_rate: np.ndarray  # monthly rate of the running cooperative loan
    coop_arrears: np.ndarray  # consecutive missed instalments
    ml_loan: np.ndarray
    ml_principal_part: np.ndarray
    ml_interest_part: np.ndarray
    ml_arrears: np.ndarray
    transactions_year: np.ndarray
    income: np.ndarray  # last month
    income_ref: np.ndarray  # reference income (moving average)
    revenue: np.ndarray  # UMKM revenue last month
    harvest: np.ndarray  # farm harvest last month
    # cooperatives (n_coops,)
    coop_cash: np.ndarray
    coop_surplus: np.ndarray  # surplus accumulated since the last RAT
    rule_clarity: np.ndarray
    fairness: np.ndarray
    service_quality: np.ndarray
    shu_paid: np.ndarray  # at the last RAT
    # independent worlds in one state (population.build_worlds); villages
    # and cooperatives are numbered world by world, households too
    worlds: int = 1
    last_election: int = 0  # month of the last board election (0: the founding board)
    # household attributes and cooperative rules (kopsim.households, kopsim.cooperatives; issue #16),
    # length n (0 for non-households) or n_coops; set by population.build
    female: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    female_head: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    occupation: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))  # parameters.OCCUPATIONS, −1
    crop: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))  # parameters.CROPS, −1 none
    education: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))  # EDUCATION_LEVELS, −1
    eligible: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # the cooperative's rules admit it
    entry_fee: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_coops,) Rp M, simpanan pokok
    mandatory_saving: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_coops,) Rp M/month
    # business units (kopsim.units): unit u of cooperative c at c * U + u (U = len(cooperative.units))
    unit_open: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    unit_users: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # last month
    unit_revenue: np.ndarray = field(default_factory=lambda: np.zeros(0))  # Rp M last month
    unit_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))  # Rp M last month
    unit_used: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # (n,) unit used, −1
    # programme skills (kopsim.skills; issue #16 item 4): column k is the skill skill_names[k], set by the
    # model from its training interventions and the businesses that need them; "general" is ``skill``
    skill_names: tuple[str, ...] = ()
    programme_skill: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n, K)
    programme_skill_base: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n, K) pre-training level
    programme_follow_up_until: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))  # (n, K)
    programme_fade_factor: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n, K)
    # credit completed (issue #10 item 5); allocated in __post_init__ when not given
    ml_lender: np.ndarray = field(default_factory=lambda: _EMPTY_INT)  # moneylender holding the loan, −1 none
    loan_income_basis: np.ndarray = field(default_factory=lambda: _EMPTY)  # income_ref when the loan was granted
    coop_excluded_until: np.ndarray = field(default_factory=lambda: _EMPTY_INT)  # month a defaulter may borrow again
    ml_excluded_until: np.ndarray = field(default_factory=lambda: _EMPTY_INT)
    coop_written_off: np.ndarray = field(default_factory=lambda: _EMPTY)  # (n_coops,) cumulative write-offs (Rp M)
    coop_defaults: np.ndarray = field(default_factory=lambda: _EMPTY_INT)  # (n_coops,) defaults this month
    ml_defaults: np.ndarray = field(default_factory=lambda: _EMPTY_INT)  # (n_coops,) tengkulak defaults this month
    misconduct: np.ndarray = field(default_factory=lambda: _EMPTY_BOOL)  # (n_coops,) board misconduct running
    misconduct_detected: np.ndarray = field(default_factory=lambda: _EMPTY_BOOL)  # (n_coops,) found by an audit
    misconduct_months: np.ndarray = field(default_factory=lambda: _EMPTY_INT)  # (n_coops,) months it has run
    misconduct_loss: np.ndarray = field(default_factory=lambda: _EMPTY)  # (n_coops,) cumulative cash taken (Rp M)
    misconduct_fairness: np.ndarray = field(default_factory=lambda: _EMPTY)  # (n_coops,) fairness before it began
    licence_until: np.ndarray = field(default_factory=lambda: _EMPTY_INT)  # month a licence runs out (−1: for ever)
    # agencies' programme spending this year (issue #10 item 6), one row per world: (worlds, agency kinds), Rp M
    agency_spent: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    # the cooperative's books (kopsim.accounts), (n_coops,) Rp M: donated capital (initial capital and
    # grants), bank credit lines owed, operating income and cost of this year to date
    coop_donated: np.ndarray = field(default_factory=lambda: _EMPTY)
    coop_borrowed: np.ndarray = field(default_factory=lambda: _EMPTY)
    coop_income_ytd: np.ndarray = field(default_factory=lambda: _EMPTY)
    coop_cost_ytd: np.ndarray = field(default_factory=lambda: _EMPTY)
    # the world each agent belongs to (0 in a single world; kopsim.population.stack sets it)
    world_id: np.ndarray = field(default_factory=lambda: _EMPTY_INT)

    def __post_init__(self) -> None:
        n, c = self.n, self.n_coops
        for name, size, fill, dtype in (
            ("ml_lender", n, -1, np.int64),
            ("licence_until", n, -1, np.int64),
            ("loan_income_basis", n, 0.0, float),
            ("coop_excluded_until", n, -1, np.int64),
            ("ml_excluded_until", n, -1, np.int64),
            ("coop_written_off", c, 0.0, float),
            ("coop_defaults", c, 0, np.int64),
            ("ml_defaults", c, 0, np.int64),
            ("misconduct", c, False, bool),
            ("misconduct_detected", c, False, bool),
            ("misconduct_months", c, 0, np.int64),
            ("misconduct_loss", c, 0.0, float),
            ("misconduct_fairness", c, 0.0, float),
            ("coop_donated", c, 0.0, float),
            ("coop_borrowed", c, 0.0, float),
            ("coop_income_ytd", c, 0.0, float),
            ("coop_cost_ytd", c, 0.0, float),
            ("world_id", n, 0, np.int64),
        ):
            if getattr(self, name).size != size:
                setattr(self, name, np.full(size, fill, dtype=dtype))
        if self.agency_spent.shape != (self.worlds, len(AGENCY_KINDS)):
            self.agency_spent = np.zeros((self.worlds, len(AGENCY_KINDS)))

    @property
    def villages_per_world(self) -> int:
        return self.n_villages // self.worlds

    @property
    def coops_per_world(self) -> int:
        return self.n_coops // self.worlds

    @property
    def household_world(self) -> Blocks:
        """The world of each household, as tags for :class:`kopsim.streams.Streams` (households are
        numbered world by world, as many in each)."""
        return Blocks(self.worlds, self.n_households // self.worlds)

    @property
    def coop_world(self) -> Blocks:
        """The world of each cooperative (tags, as :attr:`household_world`)."""
        return Blocks(self.worlds, self.coops_per_world)

    @property
    def village_world(self) -> Blocks:
        """The world of each village (tags, as :attr:`household_world`)."""
        return Blocks(self.worlds, self.villages_per_world)

    def agency_of(self, kind: str, world: np.ndarray | int = 0) -> Any:
        """Agent index of the regional agency ``kind`` of world ``world`` (an array of worlds gives an
        array): each world has its own agencies, world by world after the households."""
        return self.agency_index[kind] + len(AGENCY_KINDS) * (np.asarray(world) if np.ndim(world) else int(world))

    @property
    def households(self) -> slice:
        return slice(0, self.n_households)

    @property
    def institutional(self) -> np.ndarray:
        """Agencies, village governments and moneylenders: the ends of linking ties."""
        return (self.role == AGENCY) | (self.role == MONEYLENDER)

    def money_total(self) -> float:
        """All cash in the model: households, moneylenders and cooperatives (Rp M)."""
        return float(self.cash.sum() + self.coop_cash.sum())


@dataclass
class Conditions:
    """This month's exogenous conditions, reset to neutral each month and set by interventions."""

    harvest: np.ndarray  # (n_villages,) harvest factor
    price: np.ndarray  # (n_coops,) UMKM price factor in each cooperative's villages
    scandal: np.ndarray  # (n_coops,) 1.0 in a month with a board scandal
    premium: np.ndarray  # (n,) extra price premium (branding, licences, online sales)
    shop_open: np.ndarray  # (n_coops,) bool
    responsiveness: np.ndarray  # (n_villages,) village government responsiveness
    needy_outreach: np.ndarray  # (n_villages,) extra information hazard for needy households
    social_control: np.ndarray  # (n_coops,) relative increase of sanctioning
    coop_rate: np.ndarray  # (n_coops,) loan rate under a credit scheme; NaN = finance.coop_interest_rate
    credit_referral: np.ndarray  # (n_villages,) needy non-members referred to cooperative credit

    @classmethod
    def neutral(cls, s: State) -> Conditions:
        return cls(
            np.ones(s.n_villages),
            np.ones(s.n_coops),
            np.zeros(s.n_coops),
            np.zeros(s.n),
            np.ones(s.n_coops, dtype=bool),
            s.responsiveness.copy(),
            np.zeros(s.n_villages),
            np.zeros(s.n_coops),
            np.full(s.n_coops, np.nan),
            np.zeros(s.n_villages),
        )
