"""The intervention library: programmes and shocks a scenario applies on a timetable.

Each intervention is a validated, frozen dataclass with a ``kind`` (its name in scenario
files), a timetable (``start``, ``end``, ``every``) and targeting (``cooperatives``), and an
``apply(world, memo)`` method that the model calls at the start of every month it is active.
An intervention sees only the :class:`~kopsim.world.World` (state, ties, conditions, rng,
parameters, month) and acts only through the model's mechanisms: it changes state (skills,
ties, cash, rule clarity) or this month's exogenous conditions (``world.conditions``: harvest
and price factors, scandals, extra sales channels, outreach), never outcomes directly. What a
programme must remember between months (e.g. levels before it started) is its ``memo``,
made by :meth:`Intervention.init` once per run; a programme that brings agents of its own (the
partner firms of kemitraan) says how many in :meth:`Intervention.partner_firms`.

Timetable: months are 1-based. ``end = 0`` means "to the end of the run". Event-type
interventions (training, kemitraan, grant, grant_ending, management) fire at ``start`` and
then every ``every`` months up to ``end`` (``every = 0``: once); unmeasured management gains
also fade in the months between and after its sessions. Period-type interventions (credit,
policy, village_engagement, digital_marketing, market_access, harvest_failure, price_drop,
board_scandal) hold in every month from ``start`` to ``end``. ``policy`` acts on the whole
model; every other kind can be limited to some ``cooperatives``.
"""

from __future__ import annotations

import difflib
from dataclasses import MISSING, dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

# numpy, network (scipy.sparse) and skills are imported where an intervention acts, so that reading
# a scenario (kopsim.scenario -> kopsim.interventions) stays light for `kopsim validate`
from .parameters import ParameterError, Parameters, _Group, _range_text, param, unknown_key

if TYPE_CHECKING:
    import numpy as np

    from .state import State
    from .world import World


@dataclass(frozen=True)
class Intervention(_Group):
    """Base: timetable and targeting shared by all interventions."""

    kind: ClassVar[str] = ""
    recurring: ClassVar[bool] = True  # fires on a timetable (True) or holds over a period (False)
    batch_safe: ClassVar[bool] = True  # may run in a batch of worlds (acts per cooperative, brings no agents)

    start: int = param(1, 1, 100_000, "month", "first month it acts (1 = the first month)")
    end: int = param(0, 0, 100_000, "month", "last month it acts (0 = to the end of the run)")
    every: int = param(0, 0, 100_000, "months", "repeat every N months from start (0 = once)")
    cooperatives: list = param([], doc="cooperative indices it targets (empty = all)")  # noqa: RUF009

    def _check_relations(self) -> None:
        if self.end and self.end < self.start:
            raise ParameterError(
                "end", f"{self.end} is before start ({self.start}); allowed: end >= start, or 0 for the end of the run"
            )
        if not isinstance(self.cooperatives, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in self.cooperatives
        ):
            raise ParameterError(
                "cooperatives", f"expected a list of cooperative indices >= 0, got {self.cooperatives!r}"
            )
        self._check()

    def _check(self) -> None:  # kind-specific relations
        return None

    def covers(self, t: int) -> bool:
        """Month t lies within [start, end]."""
        return t >= self.start and (self.end == 0 or t <= self.end)

    def fires(self, t: int) -> bool:
        """Month t is one of the timetable's event months."""
        if not self.covers(t):
            return False
        return t == self.start if self.every == 0 else (t - self.start) % self.every == 0

    def active(self, t: int) -> bool:
        return self.fires(t) if self.recurring else self.covers(t)

    def coop_mask(self, world: World) -> np.ndarray:
        """Households in the targeted cooperatives of the worlds it acts in (boolean over households)."""
        import numpy as np

        s = world.state
        c = s.coop[: s.n_households]
        mask = np.ones(c.size, dtype=bool)
        if self.cooperatives:
            # cooperatives are numbered within a world; in a batch, world r's c-th is r·C + c
            mask = (c >= 0) & np.isin(c % s.coops_per_world, self.cooperatives)
        if world.targets is not None:  # a batch whose worlds have their own timetables
            mask &= world.targets[s.world_id[: s.n_households]]
        return mask

    def coops(self, world: World) -> np.ndarray:
        """Indices of the targeted cooperatives, world by world (of the worlds it acts in)."""
        import numpy as np

        s = world.state
        C = s.coops_per_world
        own = np.array(self.cooperatives or range(C), dtype=np.int64)
        return (world.acting_worlds()[:, None] * C + own[None, :]).ravel()

    def world_coops(self, world: World) -> np.ndarray:
        """Every cooperative of the worlds it acts in (targeted or not), world by world."""
        import numpy as np

        C = world.state.coops_per_world
        return (world.acting_worlds()[:, None] * C + np.arange(C)[None, :]).ravel()

    def validate_for(self, state: State) -> None:
        C = state.coops_per_world
        bad = [c for c in self.cooperatives if c >= C]
        if bad:
            raise ParameterError(f"{self.kind}.cooperatives", f"{bad} out of range; allowed 0..{C - 1}")

    def partner_firms(self) -> tuple[int, float]:
        """Agents this programme brings into the world: (number of partner firms, their distance in km)."""
        return 0, 0.0

    def init(self, world: World, firms: np.ndarray) -> Any:
        """This programme's memory for one run (``firms``: the agent indices of its partner firms)."""
        return None

    def apply(self, world: World, memo: Any) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


# ---- capacity building ---------------------------------------------------------------------
@dataclass(frozen=True)
class Training(Intervention):
    """Diklat by an office: a quota of trainees per cooperative, chosen by a rule.

    Runs :func:`kopsim.skills.session` — the one path of every training, the cooperative's own
    standing Diklat (``skills.training_*``) included: skill gain S += g (1 − S), peer teaching
    afterwards (the contacts mechanism), fading toward the pre-training level, slowed while
    ``follow_up`` revisits and post-tests last (``follow_up_months``; Arthur et al. 1998).
    Trainees, and only they, judge the training (satisfaction = ``quality``) and get a linking
    tie to the provider. Without a timetable it runs once, at ``start``. The provider pays for it
    from its yearly budget and, when that is short, serves cooperatives by its own rule; a
    cooperative whose board misconduct an audit found gets none (:func:`kopsim.agencies.programme_quotas`).

    ``skill`` names the skill the programme builds: ``general`` (the one business and finance
    skill, the default) or the programme's own (``tie_dye`` for the Prabumulih office's jumputan
    course), which only the businesses whose product needs it use (``enterprise.product_skills``,
    ``enterprise.crop_skills``, a unit's ``skill``).
    """

    kind: ClassVar[str] = "training"
    quota: int = param(10, 0, 1_000_000, "persons/cooperative", "trainees per session")
    selection: str = param(
        "productive_age", doc="who is sent", choices=("random", "productive_age", "board_choice", "neediest")
    )
    target: str = param("members", doc="who is eligible", choices=("members", "umkm", "all"))
    gain: float = param(0.4, 0.0, 1.0, "share of gap", "skill gain S += g (1 - S)")
    quality: float = param(
        0.8, 0.0, 1.0, "index", "quality of the sessions as trainees judge it (training satisfaction)"
    )
    follow_up: bool = param(False, doc="post-tests and revisits after each session (slow fading while they last)")
    follow_up_months: int = param(12, 0, 600, "months", "how long revisits and post-tests go on after a session")
    follow_up_fade_factor: float = param(0.25, 0.0, 1.0, "factor", "fade-rate multiplier while the follow-up lasts")
    provider: str = param(
        "labour_office", doc="the office running it", choices=("labour_office", "cooperative_office", "state_bank")
    )
    skill: str = param("general", doc="the skill it builds: general, or the programme's (lowercase, e.g. tie_dye)")

    def _check(self) -> None:
        from .parameters import check_skill_name

        check_skill_name("skill", self.skill)

    def apply(self, world: World, memo: Any) -> None:
        from . import agencies, skills

        eligible = self.coop_mask(world) & _target(world.state, self.target)
        skills.session(
            world,
            eligible,
            agencies.programme_quotas(world, eligible, self.quota, self.provider),  # the provider's budget and rule
            self.selection,
            self.gain,
            self.provider,
            self.quality,
            self.follow_up,
            self.follow_up_months,
            self.follow_up_fade_factor,
            self.skill,
        )


@dataclass(frozen=True)
class Kemitraan(Intervention):
    """Partnership facilitation: an office takes selected UMKM to a multi-day event far away.

    Selection: UMKM owners with their own product, and optionally a licence and a minimum
    quality (skill). During the event each participant meets ``partners_each`` partner firms
    (bridging interest ties of strength 1 − exp(−days · exchange_per_day)) and learns
    (technology transfer: S += tech_gain (1 − S)). Afterwards each pair decides every month
    whether to keep in contact, from the premium of trade, the cost of distance and of
    monitoring, and trust (:mod:`kopsim.partnership`); only pairs in contact trade, and ties
    without contact weaken and lapse. A same-trade ``association`` enrols the participants in
    the association of their product (tied to its members); it meets every ``meeting_every``
    months, members attend with probability ``meeting_attendance``, and attendees meet and
    share the cost of contacting and monitoring partners. Default timetable: yearly.
    """

    kind: ClassVar[str] = "kemitraan"
    batch_safe: ClassVar[bool] = False  # brings partner firms of its own: one world per run
    every: int = param(12, 0, 100_000, "months", "repeat every N months (yearly event)")
    participants: int = param(6, 0, 1_000_000, "UMKM/event", "UMKM taken to each event")
    require_licence: bool = param(False, doc="only UMKM with halal / food-safety licences")
    min_skill: float = param(0.0, 0.0, 1.0, "skill", "minimum product quality (skill)")
    days: float = param(3.0, 0.0, 365.0, "days", "length of the event")
    exchange_per_day: float = param(0.25, 0.0, 10.0, "per day", "tie strength built per day of exchange")
    partners_each: int = param(2, 0, 1000, "partners", "partner firms met per participant")
    partner_pool: int = param(20, 1, 100_000, "firms", "partner firms in the other province")
    distance_km: float = param(500.0, 0.0, 20_000.0, "km", "distance to the partners")
    tech_gain: float = param(0.1, 0.0, 1.0, "share of gap", "skill gained at the event")
    association: bool = param(False, doc="participants join a same-trade association that meets regularly")
    meeting_every: int = param(3, 1, 120, "months", "the association meets every N months")
    meeting_attendance: float = param(
        0.7, 0.0, 1.0, "probability", "chance an association member attends a meeting (and shares partner costs)"
    )

    def partner_firms(self) -> tuple[int, float]:
        return self.partner_pool, self.distance_km

    def init(self, world: World, firms: np.ndarray) -> np.ndarray:
        return firms  # the programme's partner firms

    def apply(self, world: World, memo: Any) -> None:
        import numpy as np

        from . import network as net
        from . import partnership, skills

        s = world.state
        H = s.n_households
        ok = self.coop_mask(world) & (s.product[:H] > 0) & (s.skill[:H] >= self.min_skill)
        if self.require_licence:
            ok &= s.licensed[:H]
        pool = np.flatnonzero(ok)
        chosen = pool[world.rng.permutation(pool.size)[: self.participants]]
        partners = memo
        if chosen.size == 0 or partners.size == 0:
            return
        k = min(self.partners_each, partners.size)
        picks = np.stack([world.rng.permutation(partners.size)[:k] for _ in range(chosen.size)]).ravel()
        strength = -np.expm1(-self.days * self.exchange_per_day)
        households, firms = np.repeat(chosen, k), partners[picks]
        world.add_ties(households, firms, net.INTEREST, strength)
        s.skill = skills.train(s.skill, np.isin(np.arange(s.n), chosen), self.tech_gain)
        partnership.register_event(
            world, households, firms, self.association, self.meeting_every, self.meeting_attendance, strength
        )


# ---- capital ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grant(Intervention):
    """Capital grants: cash to the cooperative's lending fund (e.g. PUAP Rp 100 million), cash to
    targeted households (ministry grants that must reach members in real need), or in-kind
    (computers, accounting software) that raises service quality and rule clarity.

    Cash to the cooperative acts through credit rationing (more loans granted instead of the
    tengkulak); cash to households through their cash; in-kind through service experience and
    the rule factor on trust gains.
    """

    kind: ClassVar[str] = "grant"
    form: str = param("cash", doc="cash or in-kind", choices=("cash", "in_kind"))
    recipient: str = param("cooperative", doc="who receives it", choices=("cooperative", "households"))
    amount: float = param(100.0, 0.0, 1e9, "Rp M", "cash per cooperative (split among targeted households)")
    target: str = param("needy", doc="households targeted", choices=("needy", "members", "umkm", "all"))
    quality_gain: float = param(0.3, 0.0, 1.0, "share of gap", "in-kind: service quality and rule clarity gain")

    def apply(self, world: World, memo: Any) -> None:
        import numpy as np

        from . import agencies

        s = world.state
        coops = self.coops(world)
        coops = coops[agencies.conditions_met(world)[coops]]  # withheld where an audit found misconduct
        if self.form == "in_kind":
            for arr in (s.service_quality, s.rule_clarity):
                arr[coops] += self.quality_gain * (1.0 - arr[coops])
            return
        if self.recipient == "cooperative":
            s.coop_cash[coops] += self.amount
            s.coop_donated[coops] += self.amount  # a grant is donated capital (kopsim.accounts)
            return
        H = s.n_households
        who = self.coop_mask(world) & _target(s, self.target)
        who &= agencies.conditions_met(world)[np.maximum(s.coop[:H], 0)] | (s.coop[:H] < 0)
        count = np.bincount(s.coop[:H][who], minlength=s.n_coops)
        each = np.where(count > 0, self.amount / np.maximum(count, 1), 0.0)
        s.cash[:H] += np.where(who, each[s.coop[:H]], 0.0)


@dataclass(frozen=True)
class Credit(Intervention):
    """Subsidised bank credit (KUR-style) channelled through the cooperative.

    The state bank opens a credit line to the cooperative (its lending fund grows by
    ``credit_line``) and the subsidy lowers the rate members pay to ``member_rate`` while the
    scheme holds. Acts through credit rationing, loan satisfaction and the moneylender's
    share of borrowing. Holds from ``start`` to ``end``; the line is drawn at ``start``.
    """

    kind: ClassVar[str] = "credit"
    recurring: ClassVar[bool] = False
    credit_line: float = param(100.0, 0.0, 1e9, "Rp M", "credit line per cooperative")
    member_rate: float = param(0.005, 0.0, 1.0, "per month", "rate members pay under the scheme")

    def apply(self, world: World, memo: Any) -> None:
        coops = self.coops(world)
        if world.t == self.start:
            world.state.coop_cash[coops] += self.credit_line
            world.state.coop_borrowed[coops] += self.credit_line  # owed to the bank (kopsim.accounts)
        world.conditions.coop_rate[coops] = self.member_rate


@dataclass(frozen=True)
class Policy(Intervention):
    """Any parameter changed while the policy holds, e.g. the cooperative's own lending rate:
    ``set = {"finance.coop_interest_rate" = 0.015}``. Acts through whichever mechanism reads it."""

    kind: ClassVar[str] = "policy"
    recurring: ClassVar[bool] = False
    set: dict = param({}, doc='parameter overrides {"group.name" = value} while it holds')  # noqa: RUF009

    def _check(self) -> None:
        if not self.set or not isinstance(self.set, dict):
            raise ParameterError(
                "set", 'expected a table of parameter overrides, e.g. {"finance.coop_interest_rate" = 0.015}'
            )
        Parameters().replace(self.set)  # validates names and values

    def apply(self, world: World, memo: Any) -> None:
        world.override(self.set, world.targets)


# ---- management --------------------------------------------------------------------------
@dataclass(frozen=True)
class Management(Intervention):
    """Management support (pembinaan) and action research on rules and service.

    Each session — a diagnose → act → measure cycle — raises rule clarity, fairness and
    service quality: x += gain (1 − x) (SOPs, extension, advocacy). If ``measure`` is false
    (the office skips measuring again) the gains fade back toward their level when the
    programme started, at ``fade_rate`` per month, between and after sessions. Acts through
    the rule factor on trust gains, loan approval fairness, sanctions and service experience.
    """

    kind: ClassVar[str] = "management"
    every: int = param(12, 0, 100_000, "months", "sessions every N months")
    gain: float = param(0.3, 0.0, 1.0, "share of gap", "improvement per session")
    measure: bool = param(True, doc="measure again after acting (keeps the gains)")
    fade_rate: float = param(0.05, 0.0, 1.0, "per month", "loss of unmeasured gains")

    def apply(self, world: World, memo: Any) -> None:
        import numpy as np

        s = world.state
        coops = self.coops(world)
        targets = (s.rule_clarity, s.fairness, s.service_quality)
        # levels when the programme started: what unmeasured gains fade back to
        base = memo.setdefault("base", tuple(arr.copy() for arr in targets))
        if self.fires(world.t):
            for arr in targets:
                arr[coops] += self.gain * (1.0 - arr[coops])
        elif not self.measure:
            for arr, b in zip(targets, base, strict=True):
                gap = np.maximum(arr[coops] - b[coops], 0.0)  # only gains fade, not later losses
                arr[coops] -= self.fade_rate * gap

    def init(self, world: World, firms: np.ndarray) -> dict[str, Any]:
        return {}  # "base": the levels when the programme started (its first month)

    def active(self, t: int) -> bool:  # fading happens between sessions and after the programme
        return t >= self.start


# ---- village and market ------------------------------------------------------------------
@dataclass(frozen=True)
class VillageEngagement(Intervention):
    """Reaching the village apparatus: its government relays information about membership
    and credit (to needy households first) and adds social control.

    While it holds, village responsiveness is ``responsiveness``, needy households get an
    extra information hazard ``needy_outreach``, free-riders are sanctioned more often
    (sanction probability × (1 + social_control)) and the village government refers needy
    households who need credit to the cooperative (each month with probability
    ``credit_referral``): an informed, referred household may apply as a non-member and joins
    with the loan (:func:`kopsim.finance.credit`), instead of borrowing from the tengkulak.
    """

    kind: ClassVar[str] = "village_engagement"
    recurring: ClassVar[bool] = False
    responsiveness: float = param(1.0, 0.0, 1.0, "probability", "village government responsiveness")
    needy_outreach: float = param(0.1, 0.0, 10.0, "per month", "extra hazard of learning for needy households")
    social_control: float = param(0.5, 0.0, 10.0, "factor", "relative increase of sanctioning")
    credit_referral: float = param(
        1.0,
        0.0,
        1.0,
        "probability/month",
        "chance the village government refers a needy household that needs credit to the cooperative",
    )

    def apply(self, world: World, memo: Any) -> None:
        import numpy as np

        cond = world.conditions
        villages = np.unique(world.state.village[: world.state.n_households][self.coop_mask(world)])
        coops = self.coops(world)
        cond.responsiveness[villages] = self.responsiveness
        cond.needy_outreach[villages] = np.maximum(cond.needy_outreach[villages], self.needy_outreach)
        cond.social_control[coops] = np.maximum(cond.social_control[coops], self.social_control)
        cond.credit_referral[villages] = np.maximum(cond.credit_referral[villages], self.credit_referral)


@dataclass(frozen=True)
class DigitalMarketing(Intervention):
    """Young people sell members' products on social media: an online channel for member UMKM.

    While it holds, a share ``online_share`` of member UMKM output is sold online at
    ``online_premium`` over local prices.
    """

    kind: ClassVar[str] = "digital_marketing"
    recurring: ClassVar[bool] = False
    online_share: float = param(0.3, 0.0, 1.0, "share of output", "output sold online")
    online_premium: float = param(0.2, 0.0, 5.0, "share", "online price premium")

    def apply(self, world: World, memo: Any) -> None:
        import numpy as np

        s = world.state
        H = s.n_households
        who = self.coop_mask(world) & s.member[:H] & (s.product[:H] > 0)
        world.conditions.premium[:H] += np.where(who, self.online_share * self.online_premium, 0.0)


@dataclass(frozen=True)
class MarketAccess(Intervention):
    """Market access: branding and packaging (a price premium for member UMKM) and licences
    (halal, food safety) obtained for up to ``licences`` unlicensed UMKM at ``start``; licensed
    products earn ``licence_premium``. Without ``shop`` the cooperative shop is closed."""

    kind: ClassVar[str] = "market_access"
    recurring: ClassVar[bool] = False
    shop: bool = param(True, doc="the cooperative shop (UKM Mart) is open")
    branding_premium: float = param(0.1, 0.0, 5.0, "share", "premium from branding and packaging")
    licences: int = param(5, 0, 1_000_000, "UMKM/cooperative", "licences obtained at start")
    licence_premium: float = param(0.05, 0.0, 5.0, "share", "premium of licensed products")

    def apply(self, world: World, memo: Any) -> None:
        import numpy as np

        from . import agencies
        from . import network as net

        s = world.state
        H = s.n_households
        target = self.coop_mask(world) & (s.product[:H] > 0)
        if world.t == self.start and self.licences:
            for c in self.world_coops(world):  # per-cooperative quota
                pool = np.flatnonzero(target & ~s.licensed[:H] & (s.coop[:H] == c))
                got = pool[world.draw.of(c // s.coops_per_world).permutation(pool.size)[: self.licences]]
                agencies.grant_licences(world, got)
                world.add_ties(
                    got,
                    s.agency_of("halal_certifier", s.world_id[got]),
                    net.INTEREST,
                    world.per("network", s.world_id[got]).new_tie_strength,
                )
        prem = np.where(target & s.member[:H], self.branding_premium, 0.0)
        prem += np.where(target & s.licensed[:H], self.licence_premium, 0.0)
        world.conditions.premium[:H] += prem
        if not self.shop:
            world.conditions.shop_open[self.coops(world)] = False


# ---- shocks ------------------------------------------------------------------------------
@dataclass(frozen=True)
class HarvestFailure(Intervention):
    """Bad weather / harvest failure: harvests × ``factor`` in the targeted villages while it holds."""

    kind: ClassVar[str] = "harvest_failure"
    recurring: ClassVar[bool] = False
    factor: float = param(0.3, 0.0, 10.0, "factor", "harvest multiplier during the shock")

    def apply(self, world: World, memo: Any) -> None:
        import numpy as np

        villages = np.unique(world.state.village[: world.state.n_households][self.coop_mask(world)])
        world.conditions.harvest[villages] *= self.factor


@dataclass(frozen=True)
class PriceDrop(Intervention):
    """A price drop: UMKM product prices × ``factor`` while it holds."""

    kind: ClassVar[str] = "price_drop"
    recurring: ClassVar[bool] = False
    factor: float = param(0.7, 0.0, 10.0, "factor", "price multiplier during the shock")

    def apply(self, world: World, memo: Any) -> None:
        coops = self.coops(world)
        world.conditions.price[coops] *= self.factor


@dataclass(frozen=True)
class BoardScandal(Intervention):
    """Board misconduct and its scandal: from ``start`` the board's fairness drops by
    ``fairness_loss`` and, while the misconduct runs, members' board and institutional
    experience is negative (``governance.scandal_trust_hit``) and the board takes a share of the
    cooperative's cash (:mod:`kopsim.supervision`). It runs to ``end`` unless the supervisors
    (pengawas) detect it earlier; detection stops it and the board is reprimanded."""

    kind: ClassVar[str] = "board_scandal"
    recurring: ClassVar[bool] = False
    fairness_loss: float = param(0.3, 0.0, 1.0, "share", "fairness lost at the scandal")

    def apply(self, world: World, memo: Any) -> None:
        s = world.state
        coops = self.coops(world)
        if world.t == self.start:
            s.misconduct_detected[coops] = False
            s.misconduct_fairness[coops] = s.fairness[coops]
            s.fairness[coops] *= 1.0 - self.fairness_loss
        running = coops[~s.misconduct_detected[coops]]  # until the supervisors find it
        world.conditions.scandal[running] = 1.0


@dataclass(frozen=True)
class GrantEnding(Intervention):
    """A grant ends: the funder withdraws ``amount`` from the cooperative's lending fund at
    ``start`` (as far as its cash allows). Acts through credit rationing."""

    kind: ClassVar[str] = "grant_ending"
    amount: float = param(100.0, 0.0, 1e9, "Rp M", "capital withdrawn per cooperative")

    def apply(self, world: World, memo: Any) -> None:
        import numpy as np

        s = world.state
        coops = self.coops(world)
        taken = np.minimum(self.amount, s.coop_cash[coops])
        s.coop_cash[coops] -= taken
        s.coop_donated[coops] -= taken  # the donated capital leaves the books with it


KINDS: dict[str, type[Intervention]] = {
    cls.kind: cls
    for cls in (
        Training,
        Kemitraan,
        Grant,
        Credit,
        Policy,
        Management,
        VillageEngagement,
        DigitalMarketing,
        MarketAccess,
        HarvestFailure,
        PriceDrop,
        BoardScandal,
        GrantEnding,
    )
}


def _target(s: Any, target: str) -> np.ndarray:
    import numpy as np

    H = s.n_households
    if target == "members":
        return s.member[:H].copy()
    if target == "umkm":
        return s.product[:H] > 0
    if target == "needy":
        return s.needy[:H].copy()
    return np.ones(H, dtype=bool)


def from_dict(data: dict[str, Any]) -> Intervention:
    """Build an intervention from ``{"kind": ..., field: value}``; errors name the field."""
    if not isinstance(data, dict):
        raise ParameterError("kind", f"expected a table with a 'kind', got {data!r}")
    kind = data.get("kind")
    if kind not in KINDS:
        hint = difflib.get_close_matches(str(kind), KINDS, n=1)
        extra = f"did you mean {hint[0]!r}?" if hint else "allowed: " + ", ".join(KINDS)
        raise ParameterError("kind", f"{kind!r} is not an intervention kind; {extra}")
    cls = KINDS[kind]
    names = {f.name for f in fields(cls)}
    for key in data:
        if key != "kind" and key not in names:
            raise ParameterError(key, unknown_key(key, names))
    values = {k: v for k, v in data.items() if k != "kind"}
    return cls(**values)


def describe() -> list[dict[str, Any]]:
    """One row per intervention field: kind, key, default, unit, allowed, description."""
    rows = []
    for kind, cls in KINDS.items():
        for f in fields(cls):
            default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[operator]
            rows.append(
                {
                    "kind": kind,
                    "key": f.name,
                    "default": default,
                    "unit": f.metadata.get("unit", ""),
                    "allowed": _range_text(f.metadata),
                    "description": f.metadata.get("doc", ""),
                }
            )
    return rows
