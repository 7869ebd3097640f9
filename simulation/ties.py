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

import numpy as np

from . import network as net
from .state import BOARD, State


def origin_counts(s: State, ties: net.Ties) -> dict[str, float]:
    """The outcomes of the module docstring for the current ties (vectorised, every month)."""
    out: dict[str, float] = {}
    counts = np.bincount(ties.origin, minlength=len(net.ORIGIN_NAMES))
    for k, name in enumerate(net.ORIGIN_NAMES):
        out[f"ties_origin_{name}"] = int(counts[k])
    sentiment = np.flatnonzero(ties.kind == net.SENTIMENT)
    kin = ties.origin[sentiment] == net.ORIGIN_INHERITANCE
    on_board = (s.office == BOARD) & s.member
    a, b = ties.a[sentiment[~kin]], ties.b[sentiment[~kin]]
    board_member = (on_board[a] ^ on_board[b]) & s.member[a] & s.member[b] & (s.coop[a] == s.coop[b])
    out["ties_board_member_sentiment"] = int(board_member.sum())
    out["ties_kin"] = int(kin.sum())
    linking = np.flatnonzero(ties.layer == net.LINKING)
    origin = ties.origin[linking]
    from_agency = int(((origin == net.ORIGIN_AGENCY) | (origin == net.ORIGIN_PROGRAMME)).sum())
    out["linking_agency_started_share"] = from_agency / linking.size if linking.size else float("nan")
    out["top_down_share"] = float(ties.top_down.mean()) if len(ties) else float("nan")
    return out


__all__ = ["origin_counts"]
