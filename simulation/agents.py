"""Mesa agents: thin, readable views of the model's state arrays.

Every actor is a ``mesa.Agent`` registered with the model, so ``model.agents``,
``model.agents_by_type``, ``AgentSet.select`` / ``groupby`` / ``get`` / ``agg`` work as usual.
An agent stores only its index ``idx``; its attributes read (and write) the arrays in
``model.state`` under the same names (``a.member`` is ``model.state.member[a.idx]``), where the
vectorised mechanisms update all agents at once. The month is one vectorised
:meth:`CooperativeModel.step`, so agents have no ``step()`` of their own: calling one
(e.g. ``model.agents.shuffle_do("step")``) raises a TypeError saying so.

Membership and office (board, supervisor) are states that change during
a run (members join and leave, boards are elected), so they are attributes, not classes:
select them with ``model.agents.select(lambda a: a.office == "board")`` or use
:meth:`CooperativeModel.members` / :meth:`CooperativeModel.board`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

from .state import (
    AGENCY,
    AGENCY_KINDS,
    BOARD_TRUST,
    BUSINESS,
    CAPITAL,
    FARMER,
    INSTITUTION,
    MONEYLENDER,
    OFFICE_NAMES,
    ORGANISATION,
    PARTNER,
    PEER,
    PRODUCTS,
    TRADER,
    UMKM,
    VILLAGE_GOVERNMENT,
)

if TYPE_CHECKING:
    from .model import CooperativeModel


def _array(name: str, doc: str, cast: Any = float) -> property:
    def get(self: Actor) -> Any:
        return cast(getattr(self.model.state, name)[self.idx])

    def set_(self: Actor, value: Any) -> None:
        getattr(self.model.state, name)[self.idx] = value

    return property(get, set_, doc=doc)


def _column(name: str, col: int, doc: str) -> property:
    def get(self: Actor) -> float:
        return float(getattr(self.model.state, name)[self.idx, col])

    def set_(self: Actor, value: float) -> None:
        getattr(self.model.state, name)[self.idx, col] = value

    return property(get, set_, doc=doc)


class Actor(mesa.Agent):
    """Base of all kopsim agents: a Mesa agent backed by row ``idx`` of the state arrays."""

    model: CooperativeModel

    def __init__(self, model: CooperativeModel, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    village = _array("village", "village index (−1 for regional agencies)", int)
    x = _array("x", "east position, km")
    y = _array("y", "north position, km")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(idx={self.idx}, unique_id={self.unique_id})"

    def step(self) -> None:
        raise TypeError(
            "kopsim agents are views of the state arrays and have no step of their own: the "
            "month is vectorised over all agents in CooperativeModel.step()"
        )


class Person(Actor):
    """A household (head): member or potential member of a cooperative."""

    coop = _array("coop", "cooperative whose area the household lives in", int)
    age = _array("age", "age in years")
    wealth = _array("wealth", "wealth, Rp M")
    needy = _array("needy", "among the poorest households", bool)
    member = _array("member", "member (anggota) of the cooperative", bool)
    informed = _array("informed", "knows about membership and credit", bool)
    skill = _array("skill", "business and finance skill ∈ [0, 1]")
    cash = _array("cash", "cash at hand, Rp M")
    savings_mandatory = _array("savings_mandatory", "simpanan wajib, Rp M")
    savings_voluntary = _array("savings_voluntary", "simpanan sukarela, Rp M")
    coop_loan = _array("coop_loan", "outstanding cooperative loan, Rp M")
    ml_loan = _array("ml_loan", "outstanding tengkulak loan, Rp M")
    image = _array("image", "image score as a helper ∈ [0, 1]")
    willingness = _array("willingness", "willingness to serve on the board ∈ [0, 1]")
    attended_rat = _array("attended_rat", "attended the last RAT", bool)
    income = _array("income", "income last month, Rp M")
    trust_peer = _column("trust", PEER, "trust in fellow villagers and members ∈ [0, 1]")
    trust_board = _column("trust", BOARD_TRUST, "trust in the board (pengurus) ∈ [0, 1]")
    trust_institution = _column("trust", INSTITUTION, "trust in the cooperative ∈ [0, 1]")
    participation_organisation = _column("participation", ORGANISATION, "propensity ∈ [0, 1]")
    participation_business = _column("participation", BUSINESS, "propensity ∈ [0, 1]")
    participation_capital = _column("participation", CAPITAL, "propensity ∈ [0, 1]")

    @property
    def office(self) -> str | None:
        """'member', 'board' (pengurus), 'supervisor' (pengawas), or None for non-members."""
        if not self.model.state.member[self.idx]:
            return None
        return OFFICE_NAMES[self.model.state.office[self.idx]]

    @property
    def perceived_benefit(self) -> float:
        """Mean perceived benefit over the seven survey benefit items ∈ [0, 1]."""
        return float(self.model.state.benefit[self.idx].mean())


class Trader(Person):
    """Petty trader (bakulan) or other household without a farm or food business."""


class Farmer(Person):
    """Petani: supplies raw material to UMKM; harvest depends on weather."""

    harvest = _array("harvest", "harvest value last month, Rp M")


class UMKMOwner(Person):
    """Owner of a home food-processing enterprise (salted eggs, chips, kelanting)."""

    revenue = _array("revenue", "sales revenue last month, Rp M")
    licensed = _array("licensed", "holds halal / food-safety licences", bool)

    @property
    def product(self) -> str:
        """What the enterprise makes: salted_eggs, cassava_chips, banana_chips or kelanting."""
        return PRODUCTS[int(self.model.state.product[self.idx])]


class Agency(Actor):
    """A facilitating office: cooperative office, labour office, state bank, halal certifier,
    ministry, partnership office, or a village government."""

    @property
    def kind(self) -> str:
        k = int(self.model.state.agency_kind[self.idx])
        return AGENCY_KINDS[k] if k < len(AGENCY_KINDS) else VILLAGE_GOVERNMENT


class Moneylender(Actor):
    """Tengkulak: lends at high interest to whoever the cooperative does not reach."""

    cash = _array("cash", "lending fund at hand, Rp M")


class PartnerFirm(Actor):
    """A firm in another province met through kemitraan (partnership facilitation)."""

    @property
    def product(self) -> str:
        return PRODUCTS[int(self.model.state.product[self.idx])]


# The Mesa agent class of each actor type (kopsim.state role codes).
AGENT_CLASS: dict[int, type[Actor]] = {
    TRADER: Trader,
    FARMER: Farmer,
    UMKM: UMKMOwner,
    AGENCY: Agency,
    MONEYLENDER: Moneylender,
    PARTNER: PartnerFirm,
}
