"""The world a month acts on: the interface that mechanisms and interventions share.

A :class:`World` bundles what a phase of the month or an intervention may read and change:

* ``state`` — the agents' state arrays (:class:`~kopsim.state.State`);
* ``network`` — the ties with their index (:class:`~kopsim.network.TieSet`): ``network.ties``
  are the arrays, ``add_ties`` adds ties;
* ``conditions`` — this month's exogenous conditions, reset to neutral each month;
* ``draw`` — the worlds' random streams (:class:`~kopsim.streams.Streams`): every draw comes from
  the generator of the world it is for, in a fixed order; ``rng`` is the generator of a single world;
* ``params`` — this month's parameters (the scenario's, with any policy overrides);
* ``t`` — the month (1-based).

It is the only thing interventions see: they never reach into the model. The model
(:class:`~kopsim.model.CooperativeModel`) owns one World and composes the phases over it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .network import ORIGIN_PROGRAMME, Ties, TieSet
from .parameters import Parameters
from .state import BOARD, Conditions, State
from .streams import Streams

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

    def begin_month(self, t: int) -> None:
        """Month ``t`` starts: neutral conditions, the scenario's parameters."""
        self.t = t
        self.conditions = Conditions.neutral(self.state)
        self.params = self.base_params

    def override(self, overrides: Mapping[str, Any]) -> None:
        """Use ``overrides`` ({"group.name": value}) on top of this month's parameters."""
        self.params = self.params.replace(overrides)

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
            self.params.network.proximity_scale_km,
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


__all__ = ["World"]
