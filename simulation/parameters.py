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
import re
from collections.abc import Mapping, Sequence
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
    elif isinstance(default, (list, dict)):  # checked element by element in the group's _check_relations
        return value
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
    disappointment_weight: float = param(
        0.5, 0.0, 1.0, "experience", "negative institutional experience of a month with unsatisfactory service"
    )
    unfair_treatment_weight: float = param(
        1.0, 0.0, 1.0, "experience", "negative board experience of being treated unfairly by a board member"
    )
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
    helping_spread: float = param(
        1.5, 0.0, 10.0, "logit", "s.d. of households' own disposition to help (persistent, around the norm)"
    )


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
    cost_spread: float = param(
        2.0, 0.0, 10.0, "logit", "s.d. of households' own cost of taking part (time, distance; persistent)"
    )
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
    sentiment_control: float = param(
        1.0, 0.0, 50.0, "factor", "relative increase of sanctioning for free-riders with a sentiment tie to the board"
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
    # supervisors (pengawas), misconduct, office-held ties, what non-members hear and see (issue #10 items 5-6)
    audit_rate: float = param(0.25, 0.0, 1.0, "audits/month per supervisor", "chance a supervisor audits the books")
    detection_probability: float = param(
        0.5, 0.0, 1.0, "probability per audit", "chance an audit detects running board misconduct"
    )
    misconduct_leak: float = param(
        0.05, 0.0, 1.0, "share of cash/month", "share of the cooperative's cash taken each month of board misconduct"
    )
    reprimand_restore: float = param(
        0.5, 0.0, 1.0, "share", "share of the fairness lost to misconduct restored when supervisors reprimand the board"
    )
    hearsay_weight: float = param(
        0.5, 0.0, 1.0, "experience", "weight of what a non-member hears from member contacts about the cooperative"
    )
    shu_visibility: float = param(
        0.5, 0.0, 1.0, "experience", "positive experience of non-members seeing SHU paid to members at the RAT"
    )
    scandal_visibility: float = param(
        0.5, 0.0, 1.0, "share", "share of members' scandal experience that non-members see"
    )


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
    # default and write-off, the tengkulak market, the choice of lender (issue #10 item 5)
    shortfall_sensitivity: float = param(
        1.5,
        0.0,
        10.0,
        "per unit shortfall",
        "fall in the chance of paying an instalment per unit income shortfall against income when the loan was granted",
    )
    default_after_months: int = param(
        3, 1, 120, "months", "consecutive missed instalments after which a loan is in default and written off"
    )
    default_exclusion_months: int = param(
        24, 0, 600, "months", "months a defaulter is refused new loans by the lender it defaulted on"
    )
    default_harm: float = param(
        20.0, 0.0, 100.0, "experience/share", "negative institutional experience per share of members defaulting"
    )
    moneylender_capital: float = param(60.0, 0.0, 1e9, "Rp M per lender", "each tengkulak's lending cash at start")
    choice_constant: float = param(
        -1.0,
        -50.0,
        50.0,
        "logit",
        "preference for the cooperative over the tengkulak all else equal (< 0: the tengkulak is fast, no paperwork)",
    )
    choice_rate_weight: float = param(
        2.0, 0.0, 50.0, "logit per unit", "weight of the cooperative's rate advantage (r_ML − r_c)/r_ML"
    )
    choice_trust_weight: float = param(
        4.0, 0.0, 50.0, "logit per unit", "weight of trust in the cooperative (institution) in the choice of lender"
    )
    choice_participation_weight: float = param(
        4.0, 0.0, 50.0, "logit per unit", "weight of business participation in the choice of lender"
    )


GENERAL_SKILL = "general"
_SKILL_NAME = re.compile(r"[a-z][a-z_]*")


def check_skill_name(path: str, value: Any) -> str:
    """A skill's name: 'general' (the one business and finance skill) or a programme's skill,
    lowercase letters and underscores (e.g. 'tie_dye')."""
    if not isinstance(value, str) or not _SKILL_NAME.fullmatch(value):
        raise ParameterError(
            path,
            f"{value!r} is not a skill name; allowed: 'general' or a programme's skill in lowercase letters "
            "and underscores (e.g. 'tie_dye')",
        )
    return value


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
    product_skills: dict = param(  # noqa: RUF009
        {},
        unit="names",
        doc="the programme skill a UMKM product needs, {product = skill} (e.g. cassava_chips = 'food_processing'); "
        "its owners produce with that skill instead of the general one",
    )
    crop_skills: dict = param(  # noqa: RUF009
        {},
        unit="names",
        doc="the programme skill a farm crop needs, {crop = skill} (e.g. rubber = 'rubber_processing'); "
        "its farmers' harvest rises with that skill instead of the general one",
    )

    def _check_relations(self) -> None:
        from .state import PRODUCTS

        for name, keys in (("product_skills", PRODUCTS[1:]), ("crop_skills", CROPS)):
            table = getattr(self, name)
            if not isinstance(table, Mapping):
                raise ParameterError(name, f"expected a table {{name = skill}} with names from {', '.join(keys)}")
            for key, skill in table.items():
                if key not in keys:
                    hint = difflib.get_close_matches(str(key), keys, n=1)
                    extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                    raise ParameterError(
                        f"{name}.{key}", f"unknown name; allowed: {', '.join(repr(k) for k in keys)}{extra}"
                    )
                check_skill_name(f"{name}.{key}", skill)


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
    forget_rate: float = param(
        0.03, 0.0, 1.0, "per month", "chance an informed non-member's knowledge lapses (rules, terms change)"
    )


@dataclass(frozen=True)
class Skills(_Group):
    """Skills: the cooperative's own standing Diklat, peer teaching, fading and use of skills.

    The standing Diklat (``training_*``, off unless ``training_every_months`` > 0) runs through
    the same session as a ``training`` intervention (:func:`kopsim.skills.session`) with the
    cooperative office as provider; its fields can be swept like any parameter. Defaults of the
    two agree (no follow-up unless asked).
    """

    initial_mean: float = param(0.35, 0.0, 1.0, "skill", "mean initial skill")
    initial_spread: float = param(0.12, 0.0, 0.5, "skill", "s.d. of initial skill")
    training_every_months: int = param(
        0, 0, 600, "months", "the cooperative's own Diklat every this many months (0 = none)"
    )
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
    training_quality: float = param(
        0.8, 0.0, 1.0, "index", "quality of the sessions as trainees judge it (their training satisfaction)"
    )
    follow_up: bool = param(False, doc="post-tests and revisits after each session")
    follow_up_months: int = param(12, 0, 600, "months", "how long revisits and post-tests go on after a session")
    follow_up_fade_factor: float = param(0.25, 0.0, 1.0, "factor", "fade-rate multiplier while the follow-up lasts")
    peer_teaching_rate: float = param(
        0.05, 0.0, 1.0, "per month", "share of the gap to the best-skilled contact of the month closed"
    )
    fade_rate: float = param(0.06, 0.0, 1.0, "per month", "decay of trained skill toward baseline")
    farm_skill_return: float = param(
        0.5, 0.0, 10.0, "share/skill", "harvest rises by this share per unit of skill above the initial mean"
    )


@dataclass(frozen=True)
class Agencies(_Group):
    """What agencies do through their interest ties and how they spend (issue #10, item 6;
    :mod:`kopsim.agencies`).

    A tie the household or board sought (bottom-up) is used as the contact model says; a tie the
    agency started (top-down: the cooperative "only receives aid") is used ``top_down_use`` times as
    often, because the household waits for the agency. A used interest tie delivers what it was
    formed for: advice (skill) from the cooperative and labour offices, credit information from the
    state bank, a licence from the halal certifier. Agencies pay for their training programmes from a
    yearly budget, serve cooperatives in the order of their own rule, and withhold programmes from a
    cooperative whose board misconduct an audit has found (the conditions of a power tie).
    """

    top_down_use: float = param(
        0.25, 0.0, 1.0, "factor", "how often a tie the agency started is used, relative to one the household sought"
    )
    extension_gain: float = param(
        0.02, 0.0, 1.0, "share of gap", "skill gained from a month's contact with the cooperative or labour office"
    )
    certification_rate: float = param(
        0.1, 0.0, 1.0, "per contact", "chance a month's contact with the certifier licenses an UMKM's product"
    )
    licence_years: float = param(
        2.0,
        0.0,
        100.0,
        "years",
        "validity of a halal licence; a month's contact with the certifier renews it (0 = for ever)",
    )
    programme_budget: float = param(
        0.0, 0.0, 1e9, "Rp M per year", "what each agency spends on training programmes a year (0 = what quotas need)"
    )
    cost_per_trainee: float = param(1.0, 0.0, 1e6, "Rp M", "what one trainee costs the agency that trains")
    allocation: str = param(
        "applicants",
        doc="whom an agency with too little budget serves first: cooperatives whose board sought it "
        "(applicants), the poorest cooperatives (neediest) or at random",
        choices=("applicants", "neediest", "random"),
    )
    withhold_on_misconduct: bool = param(
        True, doc="no programmes (training, grants) for a cooperative whose board misconduct an audit found"
    )


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


# Household attributes and cooperative rules (issue #16): the vocabularies a scenario may name.
OCCUPATIONS = ("farmer", "trader", "umkm", "worker")
CROPS = ("rice", "rubber", "oil_palm", "vegetables", "cassava", "maize", "other")
EDUCATION_LEVELS = ("none", "primary", "junior_secondary", "senior_secondary", "tertiary")
COOPERATIVE_TYPES = ("savings_and_loan", "sharia_bmt", "producer", "consumer", "womens", "multipurpose")
SEX_RULES = ("any", "female", "male")
UNIT_KINDS = ("savings_and_loan", "shop", "workshop", "processing", "input_supply", "marketing")
UNIT_OPENERS = ("founding", "programme", "trained_members")
# keys of one business unit table: (default, lo, hi, unit, meaning)
UNIT_FIELDS: dict[str, tuple[Any, float | None, float | None, str, str]] = {
    "kind": ("shop", None, None, "", "one of " + ", ".join(UNIT_KINDS)),
    "product": ("", None, None, "", "what a workshop or processing unit makes (free text, e.g. 'sewing')"),
    "opened_by": ("founding", None, None, "", "one of " + ", ".join(UNIT_OPENERS)),
    "start": (0, 0, 100_000, "month", "first month it may open (programme: the month it opens)"),
    "trained_members": (2, 1, 1_000_000, "members", "trained_members: members with the skill needed to open it"),
    "skill_threshold": (0.7, 0.0, 1.0, "skill", "trained_members: skill a member needs to count"),
    "skill": (
        "general",
        None,
        None,
        "",
        "trained_members: the skill counted, 'general' or a programme's (e.g. 'tie_dye')",
    ),
    "margin": (0.01, 0.0, 1e4, "Rp M/month per user", "what a member using it pays the cooperative (its margin)"),
    "fixed_cost": (0.1, 0.0, 1e6, "Rp M/month", "running cost besides staff"),
    "staff": (0, 0, 10_000, "persons", "staff (from the members)"),
    "wage": (0.5, 0.0, 1e4, "Rp M/month per staff", "staff pay"),
}


def _unit_list(value: Any) -> list[dict[str, Any]]:
    """Business units: a list of tables with the keys of UNIT_FIELDS, validated and completed."""
    if not isinstance(value, list):
        raise ParameterError("units", f"expected an array of tables ([[parameters.cooperative.units]]), got {value!r}")
    out = []
    for k, raw in enumerate(value):
        if not isinstance(raw, Mapping):
            raise ParameterError(f"units[{k}]", f"expected a table with keys {', '.join(UNIT_FIELDS)}, got {raw!r}")
        unit = {}
        for key in raw:
            if key not in UNIT_FIELDS:
                raise ParameterError(f"units[{k}].{key}", unknown_key(key, UNIT_FIELDS))
        for key, (default, lo, hi, unit_name, _) in UNIT_FIELDS.items():
            choices = {"kind": UNIT_KINDS, "opened_by": UNIT_OPENERS}.get(key)
            meta = {"lo": lo, "hi": hi, "unit": unit_name, "choices": choices}
            try:
                unit[key] = _check_value(key, raw.get(key, default), default, meta)
            except ParameterError as err:
                raise ParameterError(f"units[{k}].{err.path}", err.reason) from None
        check_skill_name(f"units[{k}].skill", unit["skill"])
        if unit["kind"] in ("workshop", "processing") and not unit["product"]:
            raise ParameterError(f"units[{k}].product", f"a {unit['kind']} unit names its product (e.g. 'sewing')")
        out.append(unit)
    return out


BUSINESS_RULES = ("none", "any_business", "farm", "farm_based")


def _share_list(path: str, value: Any, lo: float, hi: float, unit: str) -> list[float]:
    """A non-empty list of numbers in [lo, hi] (one per village, or one for all)."""
    if not isinstance(value, list) or not value:
        raise ParameterError(path, f"expected a list of numbers in [{lo:g}, {hi:g}] {unit}, got {value!r}")
    out = []
    for k, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
            raise ParameterError(f"{path}[{k}]", f"{v!r} is not a number in [{lo:g}, {hi:g}] {unit}")
        out.append(float(v))
    return out


def _distribution(path: str, value: Any, names: tuple[str, ...], allow_empty: bool = False) -> dict[str, float]:
    """A table {name: weight} over ``names`` with weights >= 0 and a positive total."""
    allowed = ", ".join(repr(n) for n in names)
    if not isinstance(value, Mapping):
        raise ParameterError(path, f"expected a table {{name = share}} with names from {allowed}, got {value!r}")
    for key, v in value.items():
        if key not in names:
            hint = difflib.get_close_matches(str(key), names, n=1)
            extra = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ParameterError(f"{path}.{key}", f"unknown name; allowed: {allowed}{extra}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ParameterError(f"{path}.{key}", f"{v!r} is not a share >= 0")
    if not allow_empty and not any(v > 0 for v in value.values()):
        raise ParameterError(path, f"at least one share must be > 0; names: {allowed}")
    return {k: float(v) for k, v in value.items()}


@dataclass(frozen=True)
class Households(_Group):
    """Household attributes: sex of the member and of the household head, occupation (worker), crop,
    education, wealth by village, UMKM product. Lists are per village: one value for every village,
    or one per village of the scenario (``population.n_villages``). Tables are shares by name,
    normalised to sum to 1. Drawn once at month 0 from a generator spawned off the model's, so
    the model's own draws (and every scenario written before these attributes) stay the same."""

    female_share: list = param([0.5], 0.0, 1.0, "share per village", "members (persons modelled) who are women")  # noqa: RUF009
    female_head_share: list = param(  # noqa: RUF009
        [0.15], 0.0, 1.0, "share per village", "households headed by a woman (her household's member is she)"
    )
    worker_share: list = param(  # noqa: RUF009
        [0.0],
        0.0,
        1.0,
        "share per village",
        "of the households neither farming nor running a UMKM: wage workers (buruh), the rest trade",
    )
    wealth_factor: list = param(  # noqa: RUF009
        [1.0], 0.0, 1000.0, "factor per village", "multiplies population.wealth_median in the village"
    )
    crops: dict = param({"rice": 1.0}, unit="shares", doc="farmers' main crop: {" + ", ".join(CROPS) + "}")  # noqa: RUF009
    education: dict = param(  # noqa: RUF009
        {"none": 0.05, "primary": 0.45, "junior_secondary": 0.25, "senior_secondary": 0.2, "tertiary": 0.05},
        unit="shares",
        doc="highest schooling of the member: {" + ", ".join(EDUCATION_LEVELS) + "}",
    )
    umkm_products: dict = param(  # noqa: RUF009
        {}, unit="shares", doc="UMKM owners' product (empty = each food product equally likely)"
    )

    def _check_relations(self) -> None:
        from .state import PRODUCTS

        for name in ("female_share", "female_head_share", "worker_share"):
            object.__setattr__(self, name, _share_list(name, getattr(self, name), 0.0, 1.0, "share"))
        object.__setattr__(
            self, "wealth_factor", _share_list("wealth_factor", self.wealth_factor, 0.0, 1000.0, "factor")
        )
        object.__setattr__(self, "crops", _distribution("crops", self.crops, CROPS))
        object.__setattr__(self, "education", _distribution("education", self.education, EDUCATION_LEVELS))
        object.__setattr__(
            self, "umkm_products", _distribution("umkm_products", self.umkm_products, PRODUCTS[1:], True)
        )
        if not any(self.umkm_products.values()) and self.umkm_products:
            raise ParameterError("umkm_products", "at least one share must be > 0 (or leave the table empty)")
        for k, (f, h) in enumerate(zip(*_aligned(self.female_share, self.female_head_share), strict=True)):
            if h > f:
                raise ParameterError(
                    f"female_head_share[{k}]" if len(self.female_head_share) > 1 else "female_head_share",
                    f"{h:g} exceeds female_share ({f:g}): a woman heading a household is its member; "
                    "allowed: <= female_share",
                )


def _aligned(*lists: list[float]) -> tuple[list[float], ...]:
    """Lists of length 1 or L stretched to the longest length L."""
    size = max(len(x) for x in lists)
    return tuple(x * size if len(x) == 1 else x for x in lists)


@dataclass(frozen=True)
class Cooperative(_Group):
    """The cooperative's type, who may join it and what joining costs (issue #16).

    The eligibility rules hold for every cooperative of the scenario and are enforced when it is
    founded (its first members) and whenever a household joins. ``entry_fee`` and
    ``mandatory_saving`` are lists: one value for every cooperative, or one per cooperative."""

    type: str = param("savings_and_loan", doc="kind of cooperative", choices=COOPERATIVE_TYPES)
    eligible_sex: str = param("any", doc="sex of the members it admits (koperasi wanita: female)", choices=SEX_RULES)
    eligible_occupations: list = param(  # noqa: RUF009
        [], unit="names", doc="occupations it admits, from " + ", ".join(OCCUPATIONS) + " (empty = all)"
    )
    business_requirement: str = param(
        "none",
        doc="a business members must run: any_business (not wage workers), farm (farmers), "
        "farm_based (farmers and UMKM processing farm produce)",
        choices=BUSINESS_RULES,
    )
    residence_villages: list = param(  # noqa: RUF009
        [], unit="villages", doc="villages (0-based) whose households may join (empty = all its villages)"
    )
    entry_fee: list = param([0.0], 0.0, 1e4, "Rp M per cooperative", "simpanan pokok, paid once on joining from cash")  # noqa: RUF009
    mandatory_saving: list = param(  # noqa: RUF009
        [], 0.0, 1e3, "Rp M/month per cooperative", "simpanan wajib (empty = finance.mandatory_saving)"
    )

    units: list = param(  # noqa: RUF009
        [],
        unit="tables",
        doc="business units every cooperative runs ([[parameters.cooperative.units]]: kind, product, opened_by, "
        "start, trained_members, skill_threshold, skill, margin, fixed_cost, staff, wage)",
    )
    agency_initiated_share: float = param(
        0.5,
        0.0,
        1.0,
        "share",
        "of the month-0 interest ties between households and agencies, the share the agency started "
        "(top-down; BMT Trans 'only receives aid': 1); the rest the members or board sought",
    )

    def _check_relations(self) -> None:
        occ = self.eligible_occupations
        if not isinstance(occ, list):
            raise ParameterError(
                "eligible_occupations", f"expected a list of names from {', '.join(OCCUPATIONS)}, got {occ!r}"
            )
        for k, name in enumerate(occ):
            if name not in OCCUPATIONS:
                hint = difflib.get_close_matches(str(name), OCCUPATIONS, n=1)
                extra = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ParameterError(
                    f"eligible_occupations[{k}]",
                    f"{name!r} is not an occupation; allowed: {', '.join(repr(o) for o in OCCUPATIONS)}{extra}",
                )
        vil = self.residence_villages
        if not isinstance(vil, list) or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in vil):
            raise ParameterError("residence_villages", f"expected a list of village indices >= 0, got {vil!r}")
        object.__setattr__(self, "entry_fee", _share_list("entry_fee", self.entry_fee, 0.0, 1e4, "Rp M"))
        if self.mandatory_saving != []:
            object.__setattr__(
                self, "mandatory_saving", _share_list("mandatory_saving", self.mandatory_saving, 0.0, 1e3, "Rp M/month")
            )
        object.__setattr__(self, "units", _unit_list(self.units))
        if self.type == "womens" and self.eligible_sex != "female":
            raise ParameterError(
                "eligible_sex",
                f"{self.eligible_sex!r}: a women's cooperative (type = 'womens') admits women; allowed: 'female'",
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
    "households": Households,
    "cooperative": Cooperative,
    "agencies": Agencies,
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
    households: Households = field(default_factory=Households)
    cooperative: Cooperative = field(default_factory=Cooperative)
    agencies: Agencies = field(default_factory=Agencies)

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

        _check_rules(self)

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


ELIGIBLE_TOLERANCE = 1e-6  # households: rounding slack in the expected number of eligible households


def expected_eligible_share(p: Parameters) -> float:
    """Expected share of one cooperative's households its rules admit (village shares averaged;
    occupations assumed independent of sex, as they are drawn)."""
    pp, hp, rules = p.population, p.households, p.cooperative
    V0, C0 = pp.n_villages, pp.n_cooperatives
    villages = [v for v in range(V0) if not rules.residence_villages or v in rules.residence_villages]
    business = {
        "none": set(OCCUPATIONS),
        "any_business": {"farmer", "trader", "umkm"},
        "farm": {"farmer"},
        "farm_based": {"farmer", "umkm"},
    }[rules.business_requirement]
    names = [o for o in (rules.eligible_occupations or OCCUPATIONS) if o in business]
    rest = 1.0 - pp.farmer_share - pp.umkm_share
    total = 0.0
    for v in villages:
        f = hp.female_share[v if len(hp.female_share) > 1 else 0]
        w = hp.worker_share[v if len(hp.worker_share) > 1 else 0]
        sex = {"any": 1.0, "female": f, "male": 1.0 - f}[rules.eligible_sex]
        share = {"farmer": pp.farmer_share, "umkm": pp.umkm_share, "trader": rest * (1.0 - w), "worker": rest * w}
        total += sex * sum(share[o] for o in names)
    return total / V0 * C0  # the villages kept, over one cooperative's share of the villages


def _check_rules(p: Parameters) -> None:
    """Cross-group checks: per-village lists fit the villages, per-cooperative lists the
    cooperatives, residence villages exist, and the rules admit enough households to found
    each cooperative with ``population.members_per_cooperative`` members (expected count)."""
    pp, hp, rules = p.population, p.households, p.cooperative
    V0, C0 = pp.n_villages, pp.n_cooperatives
    for name in ("female_share", "female_head_share", "worker_share", "wealth_factor"):
        k = len(getattr(hp, name))
        if k not in (1, V0):
            raise ParameterError(
                f"households.{name}", f"{k} values for {V0} villages; allowed: one value, or one per village ({V0})"
            )
    for name in ("entry_fee", "mandatory_saving"):
        k = len(getattr(rules, name))
        if k not in ((0, 1, C0) if name == "mandatory_saving" else (1, C0)):
            raise ParameterError(
                f"cooperative.{name}",
                f"{k} values for {C0} cooperatives; allowed: one value, or one per cooperative ({C0})",
            )
    bad = [v for v in rules.residence_villages if v >= V0]
    if bad:
        raise ParameterError("cooperative.residence_villages", f"{bad} out of range; allowed: 0..{V0 - 1}")
    if rules.residence_villages:
        served = {v % C0 for v in rules.residence_villages}
        if len(served) < C0:
            missing = sorted(set(range(C0)) - served)
            raise ParameterError(
                "cooperative.residence_villages",
                f"cooperatives {missing} would keep none of their villages (village v belongs to cooperative "
                f"v mod {C0}); allowed: at least one village of every cooperative",
            )
    share = expected_eligible_share(p)
    catchment = pp.catchment
    expected = share * catchment
    if expected <= 0.0:
        raise ParameterError(
            "cooperative",
            f"no household satisfies the eligibility rules (eligible_sex = {rules.eligible_sex!r}, "
            f"eligible_occupations = {rules.eligible_occupations}, business_requirement = "
            f"{rules.business_requirement!r}, residence_villages = {rules.residence_villages}) with "
            f"households.female_share = {hp.female_share}, households.worker_share = {hp.worker_share}, "
            f"population.farmer_share = {pp.farmer_share:g}, population.umkm_share = {pp.umkm_share:g}; "
            "allowed: rules that some household satisfies",
        )
    expected += ELIGIBLE_TOLERANCE  # shares that sum to 1 may add up to 0.999… in floating point
    if expected < pp.members_per_cooperative:
        raise ParameterError(
            "population.members_per_cooperative",
            f"{pp.members_per_cooperative} exceeds the households the cooperative's rules admit "
            f"(about {expected:.0f} of {catchment}); allowed: 0..{int(expected)} or looser rules",
        )


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
                    "default": f.default_factory() if f.default is MISSING else f.default,  # type: ignore[operator]
                    "unit": f.metadata.get("unit", ""),
                    "allowed": _range_text(f.metadata),
                    "description": f.metadata.get("doc", ""),
                }
            )
    return rows


__all__ = ["GROUPS", "ParameterError", "Parameters", "describe", "param", "unknown_key"]


# Groups whose values must be the same in every world of a batch: what the metrics report.
SHARED_GROUPS = frozenset({"metrics"})
# Whole-number parameters the mechanisms read per world all the same (a quota per cooperative).
PER_WORLD_INTEGERS = frozenset({"skills.training_quota"})


def may_differ(group: str, name: str, kind: str) -> bool:
    """Whether parameter ``group.name`` (of dataclass type ``kind``) may differ between the worlds of a batch."""
    return group not in SHARED_GROUPS and (kind == "float" or f"{group}.{name}" in PER_WORLD_INTEGERS)


def worlds_varying(params: Sequence[Parameters], source: str | None = None) -> dict[str, Any]:
    """The parameters that differ between the worlds of a batch: ``{"group.name": (W,) values}``.

    Only real-valued parameters (rates, shares, amounts, weights; type ``float``) and the integers
    of :data:`PER_WORLD_INTEGERS` may differ (:func:`may_differ`): they enter the mechanisms as
    numbers, which can be one per world (``World.per``). Other integers (sizes, months), switches,
    rules and lists steer the structure or the timetable and must be the same in every world; a
    batch of worlds that differ in one of them raises :class:`ParameterError`.
    """
    import numpy as np  # here, not at the top: `kopsim params` and `validate` start without numpy

    first = params[0].to_dict()
    rest = [p.to_dict() for p in params[1:]]
    out: dict[str, Any] = {}
    for gname, group in first.items():
        types = {f.name: f.type for f in fields(GROUPS[gname])}
        for name, value in group.items():
            values = [value] + [r[gname][name] for r in rest]
            if all(v == values[0] for v in values[1:]):
                continue
            path = f"{gname}.{name}"
            if not may_differ(gname, name, str(types[name])):
                raise ParameterError(
                    path,
                    "differs between the worlds of a batch; allowed to differ: real-valued parameters "
                    f"(not {types[name]}) outside the groups {sorted(SHARED_GROUPS)}",
                    source,
                )
            out[path] = np.asarray(values, dtype=float if types[name] == "float" else np.int64)
    return out
