"""Who starts a tie (issue #16): counts by origin, board–member sentiment ties apart from kin, and
the share of linking ties agencies started.

The BMT Trans study (KTM Telang) separates interest ties (bank, halal certifier, labour office),
a power tie (the ministry's grant) and sentiment ties (the chairman's with members), and finds
its networking top-down: the cooperative "only receives aid". Every tie records its origin
(:data:`kopsim.network.ORIGIN_NAMES`) and whether it was initiated from above, so these outcomes
can be read off the tie arrays each month:

* ``ties_origin_<origin>``: ties started by members, the board, agencies, programmes, or
  inherited (kin and neighbours, there before the model starts);
* ``ties_board_member_sentiment``: sentiment ties between a board member and a member of the same
  cooperative that are not kinship (origin ≠ inheritance);
* ``ties_kin``: sentiment ties of kin and neighbours (origin = inheritance);
* ``linking_agency_started_share``: of the linking ties, the share started by an agency or one of
  its programmes (origin ∈ {agency, programme}); ``top_down_share``: share of all ties initiated
  from above.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import network as net
from .state import BOARD, State

if TYPE_CHECKING:
    from .metrics import WorldCut


def origin_counts(s: State, ties: net.Ties, cut: WorldCut) -> dict[str, np.ndarray]:
    """The outcomes of the module docstring for the current ties (vectorised, every month), one value
    per world of ``cut`` (:class:`kopsim.metrics.WorldCut`)."""
    by_origin = cut.tie_counts(ties.origin, len(net.ORIGIN_NAMES))
    out: dict[str, np.ndarray] = {f"ties_origin_{name}": by_origin[:, k] for k, name in enumerate(net.ORIGIN_NAMES)}
    sentiment = ties.kind == net.SENTIMENT
    kin = sentiment & (ties.origin == net.ORIGIN_INHERITANCE)
    on_board = (s.office == BOARD) & s.member
    a, b = ties.a, ties.b
    board_member = (on_board[a] ^ on_board[b]) & s.member[a] & s.member[b] & (s.coop[a] == s.coop[b])
    out["ties_board_member_sentiment"] = cut.count_ties(sentiment & ~kin & board_member)
    out["ties_kin"] = cut.count_ties(kin)
    linking = ties.layer == net.LINKING
    n_link = cut.count_ties(linking)
    from_agency = cut.count_ties(linking & ((ties.origin == net.ORIGIN_AGENCY) | (ties.origin == net.ORIGIN_PROGRAMME)))
    out["linking_agency_started_share"] = np.where(n_link > 0, from_agency / np.maximum(n_link, 1), np.nan)
    n_ties = by_origin.sum(axis=1)
    out["top_down_share"] = np.where(n_ties > 0, cut.count_ties(ties.top_down) / np.maximum(n_ties, 1), np.nan)
    return out


__all__ = ["origin_counts"]
