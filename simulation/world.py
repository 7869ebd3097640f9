"""The world a month acts on: the interface that mechanisms and interventions share.

A :class:`World` bundles what a phase of the month or an intervention may read and change:

* ``state`` — the agents' state arrays (:class:`~kopsim.state.State`);
* ``network`` — the ties with their index (:class:`~kopsim.network.TieSet`): ``network.ties``
  are the arrays, ``add_ties`` adds ties;
* ``conditions`` — this month's exogenous conditions, reset to neutral each month;
* ``draw`` — the worlds' random streams (:class:`~kopsim.streams.Streams`): every draw comes from
  the generator of the world it is for, in a fixed order; ``rng`` is the generator of a single world;
* ``params`` — this month's parameters (the scenario's, with any policy overrides); in a batch
  whose worlds differ in some parameters, ``params`` holds world 0's and :meth:`per` gives each
  element its own world's values;
* ``t`` — the month (1-based).

It is the only thing interventions see: they never reach into the model. The model
(:class:`~kopsim.model.CooperativeModel`) owns one World and composes the phases over it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .network import ORIGIN_PROGRAMME, Ties, TieSet
from .parameters import Parameters
from .state import BOARD, Conditions, State
from .streams import Blocks, Streams

if TYPE_CHECKING:
    from .partnership import Partnerships


@dataclass
class World:
    """State, ties, conditions, generator and parameters of one model (see module docstring)."""

    state: State
    network: TieSet
    draw: Streams
    base_params: Parameters
    params: Parameters
    conditions: Conditions
    t: int = 0
    # agent indices of each kemitraan programme's partner firms, by programme (position in the timetable)
    partner_pools: dict[int, np.ndarray] = field(default_factory=dict)
    # kemitraan pairs, associations and this month's trade contacts (kopsim.partnership); None without events
    partnership: Partnerships | None = None
    _board_tie_stale: bool = True
    # parameters that differ between the worlds of a batch ("group.name" -> (W,) values): the
    # scenario's (base_varying) and this month's, without any a policy overrides for every world
    base_varying: dict[str, np.ndarray] = field(default_factory=dict)
    varying: dict[str, np.ndarray] = field(default_factory=dict)
    # while an intervention acts: the worlds whose timetable holds it ((W,) bool; None: every world)
    targets: np.ndarray | None = None

    @property
    def rng(self) -> np.random.Generator:
        """The generator of a single world (a batch of worlds draws per world: :attr:`draw`)."""
        g = self.draw.single
        if g is None:
            raise ValueError("a batch of worlds draws per world: use world.draw (kopsim.streams.Streams)")
        return g

    @property
    def ties(self) -> Ties:
        """The tie arrays (:class:`~kopsim.network.Ties`)."""
        return self.network.ties

    def __post_init__(self) -> None:
        self.params = _guarded(self.params, self.varying)

    def begin_month(self, t: int) -> None:
        """Month ``t`` starts: neutral conditions, the scenario's parameters."""
        self.t = t
        self.conditions = Conditions.neutral(self.state)
        self.varying = self.base_varying
        self.params = _guarded(self.base_params, self.varying)

    def acting_worlds(self) -> np.ndarray:
        """Indices of the worlds the intervention acting now acts in (:attr:`targets`; all if None)."""
        if self.targets is None:
            return np.arange(self.state.worlds)
        return np.flatnonzero(self.targets)

    def override(self, overrides: Mapping[str, Any], worlds: np.ndarray | None = None) -> None:
        """Use ``overrides`` ({"group.name": value}) on top of this month's parameters, in every world
        or only in ``worlds`` ((W,) bool; then only real-valued parameters may be set)."""
        if worlds is not None and not worlds.all():
            self._override_some(overrides, worlds)
            return
        self.params = _raw(self.params).replace(overrides)
        if self.varying:  # a policy in force sets the value of every world
            names = set(_override_names(overrides))
            self.varying = {k: v for k, v in self.varying.items() if k not in names}
        self.params = _guarded(self.params, self.varying)

    def _override_some(self, overrides: Mapping[str, Any], worlds: np.ndarray) -> None:
        from .parameters import GROUPS

        raw = _raw(self.params)
        new = raw.replace(overrides)  # validates names and values
        varying = dict(self.varying)
        for name in _override_names(overrides):
            gname, fname = name.split(".", 1)
            kind = {f.name: f.type for f in dataclasses.fields(GROUPS[gname])}[fname]
            if kind != "float":
                raise ValueError(
                    f"policy: {name} ({kind}) cannot be set in some worlds of a batch only; "
                    "allowed: real-valued parameters"
                )
            old = varying.get(name)
            if old is None:
                old = np.full(self.state.worlds, float(getattr(getattr(raw, gname), fname)))
            varying[name] = np.where(worlds, float(getattr(getattr(new, gname), fname)), old)
        self.varying = varying
        self.params = _guarded(new if worlds[0] else raw, varying)

    def params_of(self, w: int) -> Parameters:
        """This month's parameters of world ``w`` (every group with its own values)."""
        raw = _raw(self.params)
        if not self.varying:
            return raw
        groups = {k.split(".", 1)[0] for k in self.varying}
        return dataclasses.replace(raw, **{g: self.of_world(g, w) for g in groups})

    def of_world(self, group: str, w: int) -> Any:
        """Parameter group ``group`` with world ``w``'s values (for a loop over worlds or cooperatives)."""
        values = getattr(_raw(self.params), group)
        own = {k.split(".", 1)[1]: v[w].item() for k, v in self.varying.items() if k.startswith(group + ".")}
        return dataclasses.replace(values, **own) if own else values

    def per(self, group: str, tags: Blocks | np.ndarray | None = None) -> Any:
        """Parameter group ``group`` as read for the elements tagged ``tags`` (their worlds:
        :class:`~kopsim.streams.Blocks` or an array): a parameter all worlds share reads as its
        number; one that differs between worlds reads as each element's world's value (an array
        aligned with the elements; the (W,) values with ``tags`` None). In a single world this is
        ``params.<group>`` itself."""
        values = getattr(_raw(self.params), group)
        if not self.varying:
            return values
        own = {k.split(".", 1)[1]: v for k, v in self.varying.items() if k.startswith(group + ".")}
        return PerWorld(values, own, tags) if own else values

    def add_ties(
        self,
        a: np.ndarray,
        b: np.ndarray,
        kind: int,
        strength: float,
        reach: float | None = None,
        permanent: bool = False,
        origin: int = ORIGIN_PROGRAMME,
        top_down: bool = True,
    ) -> None:
        """Add ties a–b formed this month (existing pairs are skipped); see :meth:`TieSet.add_ties`.
        Ties added here come from interventions unless ``origin`` says otherwise (a programme, top-down)."""
        if self.network.add_ties(
            self.state,
            a,
            b,
            kind,
            strength,
            self.t,
            self.per("network").proximity_scale_km,  # (W,) values where the worlds differ
            reach,
            permanent,
            origin,
            top_down,
        ):
            self.board_changed()

    def board_changed(self) -> None:
        """Offices, membership or ties changed: :attr:`State.board_tie` must be recomputed before use."""
        self._board_tie_stale = True

    def refresh_board_tie(self) -> None:
        """``state.board_tie`` = 1 for agents with a tie to a board member of their own cooperative.

        Ties and offices change several times a month; the flag is recomputed only where it is
        read (credit, training) and at the end of the month, if anything changed since.
        """
        if not self._board_tie_stale:
            return
        self._board_tie_stale = False
        s, ties = self.state, self.network.ties
        on_board = (s.office == BOARD) & s.member
        touch = np.flatnonzero(on_board[ties.a] | on_board[ties.b])
        a, b = ties.a[touch], ties.b[touch]
        same = s.coop[a] == s.coop[b]
        tie = np.zeros(s.n)
        tie[a[on_board[b] & same]] = 1.0
        tie[b[on_board[a] & same]] = 1.0
        s.board_tie = tie


def _override_names(overrides: Mapping[str, Any]) -> list[str]:
    """The "group.name" of every parameter ``overrides`` sets ({"group.name": v} or {group: {name: v}})."""
    return [
        key if "." in key else f"{key}.{name}"
        for key, value in overrides.items()
        for name in (value if isinstance(value, Mapping) else [None])
    ]


def expand(values: Any, tags: Blocks | np.ndarray | None) -> Any:
    """``values`` as read for elements tagged ``tags``: a number stays a number; (W,) per-world
    values become each element's world's value (``tags`` None: unchanged)."""
    if np.ndim(values) == 0 or tags is None:
        return values
    if isinstance(tags, Blocks):
        return np.repeat(values, tags.size)
    return values[tags]


class PerWorld:
    """A parameter group read per element: the group's attributes, with those that differ between
    worlds expanded to each element's world's value (:meth:`World.per`)."""

    __slots__ = ("_group", "_own", "_tags")

    def __init__(self, group: Any, own: dict[str, np.ndarray], tags: Blocks | np.ndarray | None) -> None:
        self._group, self._own, self._tags = group, own, tags

    def __getattr__(self, name: str) -> Any:
        values = self._own.get(name)
        if values is None:
            return getattr(self._group, name)
        return expand(values, self._tags)


class DiffersBetweenWorlds(AttributeError):
    """A mechanism read a parameter that differs between the worlds of a batch as one number."""


class _Guarded:
    """This month's parameters of a batch whose worlds differ in some: reading one of those as a
    plain attribute raises :class:`DiffersBetweenWorlds` (it must be read per element, with
    :meth:`World.per`), so a mechanism can never silently use world 0's value for every world."""

    __slots__ = ("_params", "_varying")

    def __init__(self, params: Parameters, varying: dict[str, np.ndarray]) -> None:
        self._params, self._varying = params, varying

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._params, name)
        prefix = name + "."
        own = {k[len(prefix) :] for k in self._varying if k.startswith(prefix)}
        return _GuardedGroup(name, value, own) if own else value


class _GuardedGroup:
    __slots__ = ("_group", "_name", "_own")

    def __init__(self, name: str, group: Any, own: set[str]) -> None:
        self._name, self._group, self._own = name, group, own

    def __getattr__(self, name: str) -> Any:
        if name in self._own:
            raise DiffersBetweenWorlds(
                f"{self._name}.{name} differs between the worlds of this batch: read it per element with World.per"
            )
        return getattr(self._group, name)


def _guarded(params: Parameters | _Guarded, varying: dict[str, np.ndarray]) -> Any:
    params = _raw(params)
    return _Guarded(params, varying) if varying else params


def _raw(params: Parameters | _Guarded) -> Parameters:
    return params._params if isinstance(params, _Guarded) else params


__all__ = ["DiffersBetweenWorlds", "PerWorld", "World", "expand"]
