"""Typed, validated model parameters: every default, unit and allowed range in one place.

Parameters are grouped (``population``, ``network``, ``trust`` …) as frozen dataclasses.
Each field is declared with :func:`param`, which records its unit, allowed range and a
one-line description; :func:`describe` turns those into the schema table used by the
docs and the CLI. Money is in millions of rupiah (``Rp M``); time is in months (one
model step = one month); rates named ``*_rate`` are per month unless stated.

Mechanism modules never hard-code numbers: they receive these values as arguments.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from .errors import ParameterError


def param(
    default: Any,
    lo: float | None = None,
    hi: float | None = None,
    unit: str = "",
    doc: str = "",
    choices: tuple[str, ...] | None = None,
) -> Any:
    """Declare a parameter field with its default, unit, allowed range and description."""
    meta = {"lo": lo, "hi": hi, "unit": unit, "doc": doc, "choices": choices}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def _range_text(meta: Mapping[str, Any]) -> str:
    if meta.get("choices"):
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is not None and hi is not None:
        return f"[{lo:g}, {hi:g}]"
    if lo is not None:
        return f">= {lo:g}"
    if hi is not None:
        return f"<= {hi:g}"
    return "any"


def _check_value(path: str, value: Any, default: Any, meta: Mapping[str, Any]) -> Any:
    """Coerce ``value`` to the type of ``default`` and check it against ``meta``."""
    allowed = _range_text(meta)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ParameterError(path, f"expected true or false, got {value!r}")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise ParameterError(path, f"expected a whole number in {allowed}, got {value!r}")
        value = int(value)
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParameterError(path, f"expected a number in {allowed}, got {value!r}")
        try:
            value = float(value)
        except OverflowError:  # an integer with hundreds of digits
            raise ParameterError(
                path,
                f"expected a number in {allowed}, got an integer too large for a float "
                f"(about {int(value.bit_length() * 0.30103)} digits)",
            ) from None
        if not math.isfinite(value):
            raise ParameterError(path, f"expected a finite number in {allowed}, got {value!r}")
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ParameterError(path, f"expected text ({allowed}), got {value!r}")
        if meta.get("choices") and value not in meta["choices"]:
            hint = difflib.get_close_matches(value, meta["choices"], n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ParameterError(path, f"{value!r} is not allowed; {allowed}{extra}")
        return value
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        unit = f" {meta['unit']}" if meta.get("unit") else ""
        raise ParameterError(path, f"{value!r} is outside the allowed range {allowed}{unit}")
    return value


class _Group:
    """Mixin: validate every declared field after construction."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            if f.default is MISSING:
                continue
            value = getattr(self, f.name)
            checked = _check_value(f.name, value, f.default, f.metadata)
            object.__setattr__(self, f.name, checked)
        self._check_relations()

    def _check_relations(self) -> None:  # overridden where fields constrain each other
        return None


# Domain bounds of the population: a desa rarely has more than a few thousand households, and one
# run models a district at most (the 100k-household benchmark takes minutes per simulated year).
MAX_HOUSEHOLDS_PER_VILLAGE = 20_000
MAX_HOUSEHOLDS = 1_000_000


@dataclass(frozen=True)
class Population(_Group):
    """Who lives in the model world and how they are grouped."""

    n_villages: int = param(1, 1, 10_000, "villages", "number of villages (desa)")
    n_cooperatives: int = param(
        1, 1, 10_000, "cooperatives", "number of cooperatives; village v belongs to cooperative v mod n"
    )
    households_per_village: int = param(
        200,
        1,
        MAX_HOUSEHOLDS_PER_VILLAGE,
        "households",
        "households (persons) per village (Indonesia's largest desa have a "
        "few thousand; all villages together at most "
        f"{MAX_HOUSEHOLDS:,} households)",
    )
    members_per_cooperative: int = param(133, 0, 1_000_000, "members", "initial members (anggota) per cooperative")
    farmer_share: float = param(0.55, 0.0, 1.0, "share", "share of households that farm (petani)")
    umkm_share: float = param(0.10, 0.0, 1.0, "share", "share of households running a food-processing UMKM")
    board_size: int = param(5, 1, 50, "persons", "board members (pengurus) per cooperative")
    supervisors: int = param(3, 0, 50, "persons", "supervisors (pengawas) per cooperative")
    age_min: float = param(20.0, 15.0, 100.0, "years", "youngest household head")
    age_max: float = param(70.0, 15.0, 100.0, "years", "oldest household head")
    productive_age_max: float = param(55.0, 15.0, 100.0, "years", "upper end of productive age (usia produktif)")
    wealth_median: float = param(5.0, 0.0, 1e6, "Rp M", "median household wealth")
    wealth_sigma: float = param(0.8, 0.0, 5.0, "log units", "log-normal spread of wealth")
    needy_share: float = param(0.3, 0.0, 1.0, "share", "poorest share counted as needy households")
    moneylenders_per_village: int = param(1, 0, 100, "lenders", "tengkulak per village")
    village_government_responsiveness: float = param(
        0.5,
        0.0,
        1.0,
        "probability",
        "how far the village government (pemerintah desa) relays information about membership and credit",
    )
    village_spacing_km: float = param(5.0, 0.0, 1000.0, "km", "distance between neighbouring villages")

    @property
    def catchment(self) -> int:
        """Households in one cooperative's villages: the most members it can ever have."""
        return self.households_per_village * (self.n_villages // self.n_cooperatives)

    def _check_relations(self) -> None:
        if self.n_cooperatives > self.n_villages:
            raise ParameterError(
                "n_cooperatives",
                f"{self.n_cooperatives} exceeds n_villages ({self.n_villages}); allowed: 1..n_villages",
            )
        if self.farmer_share + self.umkm_share > 1.0:
            raise ParameterError("umkm_share", "farmer_share + umkm_share must be <= 1")
        if self.age_max < self.age_min:
            raise ParameterError("age_max", f"must be >= age_min ({self.age_min:g})")
        total = self.households_per_village * self.n_villages
        if total > MAX_HOUSEHOLDS:
            raise ParameterError(
                "households_per_village",
                f"{self.n_villages} villages x "
                f"{self.households_per_village} households = {total:,} households exceeds "
                f"the limit of {MAX_HOUSEHOLDS:,}",
            )
        catchment = self.households_per_village * (self.n_villages // self.n_cooperatives)
        if self.members_per_cooperative > catchment:
            raise ParameterError(
                "members_per_cooperative",
                f"{self.members_per_cooperative} exceeds the households in one cooperative's villages ({catchment})",
            )
        if self.board_size + self.supervisors > max(self.members_per_cooperative, 1):
            raise ParameterError("board_size", "board_size + supervisors must not exceed members_per_cooperative")


@dataclass(frozen=True)
class Network(_Group):
    """Multiplex social network: formation, contact and decay of ties."""

    kin_degree: float = param(
        4.0, 0.0, 100.0, "ties/household", "mean bonding kin and neighbour ties (sentiment) per household"
    )
    coop_degree: float = param(
        3.0, 0.0, 100.0, "ties/member", "mean bonding ties among members of the same cooperative (interest)"
    )
    bridging_degree: float = param(
        0.6, 0.0, 100.0, "ties/household", "mean bridging ties to households of other villages"
    )
    board_sentiment_share: float = param(
        0.3, 0.0, 1.0, "share", "share of members with a sentiment tie to a board member"
    )
    agency_link_share: float = param(
        0.3,
        0.0,
        1.0,
        "share",
        "share of UMKM owners tied to each market agency (state bank, "
        "partnership office) and of farmers tied to the moneylender",
    )
    contact_rate: float = param(
        0.6, 0.0, 1.0, "probability/month", "chance that a tie of strength 1 is used in a month"
    )
    reinforcement_rate: float = param(0.10, 0.0, 1.0, "per contact", "tie strength gain per contact: w += r (1 - w)")
    decay_rate: float = param(0.04, 0.0, 1.0, "per month", "tie strength loss without contact")
    min_strength: float = param(0.05, 0.001, 1.0, "strength", "ties weaker than this dissolve")
    new_tie_strength: float = param(0.3, 0.001, 1.0, "strength", "strength of a newly formed tie")
    formation_attempts: float = param(
        0.02, 0.0, 10.0, "attempts/household/month", "candidate new ties proposed per household per month"
    )
    triadic_share: float = param(0.5, 0.0, 1.0, "share", "share of candidates proposed by triadic closure")
    bridging_share: float = param(0.15, 0.0, 1.0, "share", "share of proximity candidates drawn from another village")
    homophily: float = param(2.0, 0.0, 50.0, "1/dissimilarity", "acceptance falls as exp(-homophily * dissimilarity)")
    proximity_scale_km: float = param(10.0, 0.001, 1e5, "km", "acceptance falls as exp(-distance / scale)")


@dataclass(frozen=True)
class Trust(_Group):
    """Asymmetric trust toward peers, the board and the institution."""

    initial_peer: float = param(0.6, 0.0, 1.0, "trust", "mean initial trust in peers")
    initial_board: float = param(0.6, 0.0, 1.0, "trust", "mean initial trust in the board")
    initial_institution: float = param(
        0.6, 0.0, 1.0, "trust", "mean initial trust in the cooperative as an institution"
    )
    initial_spread: float = param(0.15, 0.0, 0.5, "trust", "s.d. of initial trust")
    gain_rate: float = param(0.08, 0.0, 1.0, "per month", "trust gain at full positive experience")
    loss_rate: float = param(0.25, 0.0, 1.0, "per month", "trust loss at full negative experience")
    rule_clarity: float = param(0.7, 0.0, 1.0, "index", "clarity of the cooperative's rules")
    fairness: float = param(0.7, 0.0, 1.0, "index", "fairness of rule implementation")
    low_threshold: float = param(1 / 3, 0.0, 1.0, "trust", "trust below this is 'low'")
    high_threshold: float = param(2 / 3, 0.0, 1.0, "trust", "trust at or above this is 'high'")

    def _check_relations(self) -> None:
        if self.high_threshold < self.low_threshold:
            raise ParameterError("high_threshold", f"must be >= low_threshold ({self.low_threshold:g})")


@dataclass(frozen=True)
class Reciprocity(_Group):
    """Direct and indirect (reputation) reciprocity in exchanges along ties."""

    helping_norm: float = param(
        0.85, 0.0, 1.0, "probability", "chance of helping an average partner (gotong royong norm)"
    )
    trust_weight: float = param(2.0, 0.0, 50.0, "logit/trust", "effect of own peer trust on helping")
    image_weight: float = param(2.0, 0.0, 50.0, "logit/image", "effect of the partner's reputation")
    direct_weight: float = param(2.0, 0.0, 50.0, "logit", "effect of what the partner did last time (tit-for-tat)")
    image_update_rate: float = param(0.2, 0.0, 1.0, "per month", "how fast reputation follows observed helping")


@dataclass(frozen=True)
class Participation(_Group):
    """Participation in the organisation, business unit and capital domains."""

    intercept_organisation: float = param(-1.0, -20.0, 20.0, "logit", "baseline propensity")
    intercept_business: float = param(-1.2, -20.0, 20.0, "logit", "baseline propensity")
    intercept_capital: float = param(-0.6, -20.0, 20.0, "logit", "baseline propensity")
    benefit_weight: float = param(3.0, 0.0, 50.0, "logit/benefit", "effect of perceived benefit")
    norm_weight: float = param(1.5, 0.0, 50.0, "logit/share", "effect of neighbours' participation")
    trust_weight: float = param(1.0, 0.0, 50.0, "logit/trust", "effect of institutional trust")
    cost_organisation: float = param(0.8, 0.0, 50.0, "logit", "time cost of meetings")
    cost_business: float = param(0.5, 0.0, 50.0, "logit", "cost of transacting with the unit")
    cost_capital: float = param(0.6, 0.0, 50.0, "logit", "cost of tying up savings")
    adjustment_rate: float = param(0.2, 0.0, 1.0, "per month", "partial adjustment toward the target propensity")
    benefit_memory: float = param(
        0.15, 0.0, 1.0, "per observation", "weight of a new observation in perceived benefit (EMA)"
    )
    join_rate: float = param(
        0.02, 0.0, 1.0, "probability/month", "informed non-members join at rate join_rate * trust * member benefit"
    )
    exit_rate: float = param(
        0.01, 0.0, 1.0, "probability/month", "members leave at rate exit_rate * (1 - trust) * (1 - benefit)"
    )


@dataclass(frozen=True)
class Governance(_Group):
    """Free-riding, sanction, board service, the RAT and board elections."""

    free_ride_threshold: float = param(
        0.25, 0.0, 1.0, "propensity", "members below this organisation participation free-ride"
    )
    sanction_probability: float = param(
        0.5, 0.0, 1.0, "probability/month", "chance a free-rider is sanctioned when rules are clear"
    )
    sanction_effect: float = param(
        0.3, 0.0, 1.0, "share", "share of the gap to full participation closed by a sanction"
    )
    free_ride_harm: float = param(
        1.0, 0.0, 10.0, "experience/share", "negative institutional experience per unsanctioned free-rider share"
    )
    honorarium_cost: float = param(1.2, 0.0, 50.0, "logit", "low honorarium: cost of serving")
    rat_month: int = param(12, 1, 12, "month of year", "month of the annual members' meeting (RAT)")
    rat_mobilisation: float = param(
        0.0,
        0.0,
        1.0,
        "probability",
        "chance a member attends the RAT because the board mobilises a quorum, "
        "whatever their organisation participation",
    )
    board_term_months: int = param(36, 1, 600, "months", "board elected every this many months")
    service_quality: float = param(0.8, 0.0, 1.0, "index", "quality of the cooperative's service")
    scandal_trust_hit: float = param(0.8, 0.0, 1.0, "experience", "negative board experience in a month with a scandal")


@dataclass(frozen=True)
class Finance(_Group):
    """Savings, loans, repayment and SHU (amounts in millions of rupiah)."""

    mandatory_saving: float = param(0.005, 0.0, 1e3, "Rp M/month", "simpanan wajib")
    voluntary_saving_share: float = param(
        0.005, 0.0, 1.0, "share of cash", "simpanan sukarela deposited when a member saves"
    )
    withdrawal_rate: float = param(0.05, 0.0, 1.0, "per month", "share of voluntary savings withdrawn each month")
    cash_spending_rate: float = param(
        0.1, 0.0, 1.0, "per month", "share of cash at hand spent on lumpy needs each month"
    )
    coop_interest_rate: float = param(0.02, 0.0, 1.0, "per month", "cooperative loan rate (flat)")
    moneylender_interest_rate: float = param(0.10, 0.0, 1.0, "per month", "tengkulak rate (flat)")
    loan_need_rate: float = param(0.06, 0.0, 1.0, "probability/month", "chance a household without a loan needs credit")
    loan_size: float = param(3.0, 0.0, 1e4, "Rp M", "typical loan principal")
    loan_term_months: int = param(12, 1, 600, "months", "loan term")
    liquidity_reserve: float = param(
        0.3, 0.0, 1.0, "share of savings", "share of members' savings the cooperative keeps in cash, not lent"
    )
    approval_rate: float = param(
        0.9, 0.0, 1.0, "probability", "board approval of an eligible application under fair rules"
    )
    favouritism: float = param(
        0.5, 0.0, 1.0, "share", "approval lost by applicants without a tie to the board when rules are unfair"
    )
    moneylender_uptake: float = param(
        0.6, 0.0, 1.0, "probability", "refused or non-member borrowers who turn to the tengkulak"
    )
    loan_return: float = param(
        0.04, 0.0, 1.0, "per month", "business return on borrowed capital (income from a productive loan)"
    )
    mandatory_compliance: float = param(
        0.5,
        0.0,
        1.0,
        "probability",
        "chance a member pays simpanan wajib regardless of capital participation; the rest follows participation",
    )
    repayment_discipline: float = param(
        0.9, 0.0, 1.0, "probability", "chance a borrower with enough cash pays the instalment on time"
    )
    base_income: float = param(1.5, 0.0, 1e4, "Rp M/month", "household income outside business")
    consumption_share: float = param(0.85, 0.0, 1.0, "share", "share of income consumed")
    operating_cost: float = param(1.4, 0.0, 1e6, "Rp M/month per cooperative", "cooperative running cost")
    initial_coop_capital: float = param(100.0, 0.0, 1e9, "Rp M", "lendable capital per cooperative (e.g. a PUAP grant)")
    shu_member_share: float = param(0.6, 0.0, 1.0, "share", "share of surplus paid out as SHU")
    shu_capital_share: float = param(
        0.4, 0.0, 1.0, "share", "share of paid SHU divided by members' savings (jasa modal)"
    )


@dataclass(frozen=True)
class Enterprise(_Group):
    """Farm harvests, UMKM production and sales channels."""

    farm_output: float = param(1.2, 0.0, 1e4, "Rp M/month", "mean farm harvest value")
    weather_sigma: float = param(0.25, 0.0, 3.0, "log units", "monthly weather shock spread")
    harvest_multiplier: float = param(1.0, 0.0, 10.0, "factor", "scenario factor on all harvests")
    umkm_capacity: float = param(4.0, 0.0, 1e4, "Rp M/month", "UMKM output at full inputs and skill")
    input_share: float = param(0.5, 0.0, 1.0, "share", "raw material cost share of output")
    supply_share: float = param(0.5, 0.0, 1.0, "share", "share of harvest offered to local UMKM")
    price_index: float = param(1.0, 0.0, 10.0, "factor", "market price level of UMKM products")
    shop_premium: float = param(0.10, 0.0, 5.0, "share", "extra margin through the cooperative shop")
    partner_premium: float = param(0.25, 0.0, 5.0, "share", "extra margin through partners")
    shop_margin: float = param(0.05, 0.0, 1.0, "share", "cooperative's margin on shop sales")
    partner_offtake: float = param(
        0.3, 0.0, 1.0, "share per tie strength", "share of output one full-strength bridging partner tie takes"
    )
    licensed_share: float = param(0.3, 0.0, 1.0, "share", "UMKM with halal / food-safety licences")


@dataclass(frozen=True)
class Partnership(_Group):
    """Kemitraan partnerships as relational behaviour: each UMKM–partner pair's monthly decision
    to keep in contact (kopsim.partnership)."""

    distance_cost: float = param(
        0.0001,
        0.0,
        1.0,
        "Rp M per km and month",
        "cost of keeping in contact with a partner over the distance (phone, samples, courier, visits)",
    )
    monitoring_cost: float = param(
        0.5,
        0.0,
        10.0,
        "share of traded value",
        "cost of monitoring an untrusted buyer far away, per value traded (local buyers cost ~0)",
    )
    monitoring_distance_km: float = param(
        50.0, 0.001, 1e5, "km", "monitoring need rises with distance as 1 - exp(-distance / scale)"
    )
    decision_sensitivity: float = param(
        60.0, 0.0, 1e4, "logit per Rp M", "P(contact) = logistic(sensitivity * net monthly benefit)"
    )
    lapse_months: int = param(
        12, 1, 1200, "months", "a partner (market-access interest) tie lapses after this many months without contact"
    )
    end_rate: float = param(
        0.04,
        0.0,
        1.0,
        "probability/month",
        "chance a pair's trade ends (the buyer changes supplier or product); the tie then lapses",
    )


@dataclass(frozen=True)
class Information(_Group):
    """Diffusion of information about membership and credit."""

    initial_informed: float = param(0.3, 0.0, 1.0, "share", "non-members informed at start")
    transmission_rate: float = param(
        0.05, 0.0, 10.0, "per contact", "hazard of learning from each contact with an informed agent this month"
    )
    village_broadcast_rate: float = param(
        0.05, 0.0, 10.0, "per month", "hazard of learning from a responsive village government"
    )
    coop_outreach_rate: float = param(
        0.01, 0.0, 10.0, "per month", "hazard of learning from the cooperative's own outreach"
    )


@dataclass(frozen=True)
class Skills(_Group):
    """Training, peer teaching and fading of skills."""

    initial_mean: float = param(0.35, 0.0, 1.0, "skill", "mean initial skill")
    initial_spread: float = param(0.12, 0.0, 0.5, "skill", "s.d. of initial skill")
    training_every_months: int = param(12, 0, 600, "months", "Diklat held every this many months (0 = never)")
    training_quota: int = param(
        10,
        0,
        1_000_000,
        "persons/cooperative",
        "trainees per session; at most the households of one cooperative's villages",
    )
    training_selection: str = param(
        "productive_age", doc="who the board sends", choices=("random", "productive_age", "board_choice", "neediest")
    )
    training_gain: float = param(0.4, 0.0, 1.0, "share of gap", "skill gain: s += g (1 - s)")
    peer_teaching_rate: float = param(
        0.05, 0.0, 1.0, "per month", "share of the gap to the best-skilled contact of the month closed"
    )
    fade_rate: float = param(0.06, 0.0, 1.0, "per month", "decay of trained skill toward baseline")
    follow_up: bool = param(False, doc="post-test and revisit after training")
    follow_up_fade_factor: float = param(0.25, 0.0, 1.0, "factor", "fade rate multiplier with follow-up monitoring")


@dataclass(frozen=True)
class Metrics(_Group):
    """What is measured and how often the costly network metrics run."""

    network_every: int = param(
        12,
        0,
        100_000,
        "months",
        "clustering every N months and in month 1 (0 = never); tie counts, "
        "density and E-I index are computed every month",
    )
    centrality_every: int = param(12, 0, 100_000, "months", "board betweenness every N months (0 = never)")
    betweenness_samples: int = param(64, 1, 1_000_000, "sources", "sampled sources for betweenness (exact if >= nodes)")
    contact_window_months: int = param(
        6, 1, 1200, "months", "a tie used within this many months counts as 'in contact'"
    )
    partner_follow_up_months: int = param(
        12,
        1,
        1200,
        "months",
        "partner_contact_share: share of an event's participants still in contact with a partner met there "
        "this many months later",
    )


GROUPS: dict[str, type] = {
    "population": Population,
    "network": Network,
    "trust": Trust,
    "reciprocity": Reciprocity,
    "participation": Participation,
    "governance": Governance,
    "finance": Finance,
    "enterprise": Enterprise,
    "partnership": Partnership,
    "information": Information,
    "skills": Skills,
    "metrics": Metrics,
}


@dataclass(frozen=True)
class Parameters:
    """All model parameters, grouped. Build with ``Parameters()`` or :meth:`from_dict`."""

    population: Population = field(default_factory=Population)
    network: Network = field(default_factory=Network)
    trust: Trust = field(default_factory=Trust)
    reciprocity: Reciprocity = field(default_factory=Reciprocity)
    participation: Participation = field(default_factory=Participation)
    governance: Governance = field(default_factory=Governance)
    finance: Finance = field(default_factory=Finance)
    enterprise: Enterprise = field(default_factory=Enterprise)
    partnership: Partnership = field(default_factory=Partnership)
    information: Information = field(default_factory=Information)
    skills: Skills = field(default_factory=Skills)
    metrics: Metrics = field(default_factory=Metrics)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None = None, source: str | None = None) -> Parameters:
        """Build parameters from a nested mapping ``{group: {name: value}}``.

        Unknown groups or names raise :class:`ParameterError` suggesting the nearest valid key.
        """
        data = dict(data or {})
        groups = {}
        for gname, values in data.items():
            if gname not in GROUPS:
                raise ParameterError(gname, unknown_key(gname, GROUPS), source)
            if not isinstance(values, Mapping):
                raise ParameterError(gname, f"expected a table of parameters, got {values!r}", source)
            gcls = GROUPS[gname]
            names = {f.name for f in fields(gcls)}
            for key in values:
                if key not in names:
                    raise ParameterError(f"{gname}.{key}", unknown_key(key, names), source)
            try:
                groups[gname] = gcls(**values)
            except ParameterError as err:
                raise ParameterError(f"{gname}.{err.path}", err.reason, source) from None
        return cls(**groups)

    def __post_init__(self) -> None:
        # Bounds across groups: a training quota can never be filled beyond the households who could
        # be members of one cooperative (members join during a run, up to that catchment).
        quota = self.skills.training_quota
        catchment = self.population.catchment
        if self.skills.training_every_months > 0 and quota > catchment:
            raise ParameterError(
                "skills.training_quota",
                f"{quota} exceeds the households one cooperative can "
                f"have as members ({catchment} = population.households_per_village x villages "
                f"per cooperative); allowed: 0..{catchment}",
            )

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Nested plain-dict form (for manifests and TOML)."""
        return asdict(self)

    def replace(self, overrides: Mapping[str, Any] | None = None) -> Parameters:
        """Return a copy with ``{group: {name: value}}`` or ``{"group.name": value}`` applied."""
        merged = self.to_dict()
        for key, value in (overrides or {}).items():
            if "." in key:
                gname, name = key.split(".", 1)
                merged.setdefault(gname, {})[name] = value
            elif isinstance(value, Mapping):
                if key not in merged:
                    raise ParameterError(key, unknown_key(key, GROUPS))
                merged[key].update(value)
            else:
                raise ParameterError(key, "expected 'group.name' or a table {group: {name: value}}")
        return Parameters.from_dict(merged)


def unknown_key(key: str, valid: Any) -> str:
    """'unknown key' with the nearest valid key suggested (or the list of valid keys)."""
    valid = sorted(valid)
    hint = difflib.get_close_matches(key, valid, n=1)
    if hint:
        return f"unknown key; did you mean {hint[0]!r}?"
    return "unknown key; allowed: " + ", ".join(valid)


def describe() -> list[dict[str, Any]]:
    """One row per parameter: key, default, unit, allowed range and description."""
    rows = []
    for gname, gcls in GROUPS.items():
        for f in fields(gcls):
            rows.append(
                {
                    "key": f"{gname}.{f.name}",
                    "default": f.default,
                    "unit": f.metadata.get("unit", ""),
                    "allowed": _range_text(f.metadata),
                    "description": f.metadata.get("doc", ""),
                }
            )
    return rows


__all__ = ["GROUPS", "ParameterError", "Parameters", "describe", "param", "unknown_key"]
