"""Supervisors (pengawas): audits that detect board misconduct.

Every cooperative elects supervisors who audit the board's management (UU 25/1992 tentang
Perkoperasian, Pasal 38–39). Board misconduct (:class:`kopsim.interventions.BoardScandal`)
takes a share of the cooperative's cash each month and harms members' trust while it runs;
an audit detects it with some probability, which ends it and brings a reprimand that restores
part of the fairness lost. Without supervisors (or audits that never find anything) misconduct
runs its full course. Monitoring and graduated sanctions by accountable monitors are Ostrom's
(1990, *Governing the Commons*) design principles 4 and 5.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .finance import transfer
from .state import BOARD, SUPERVISOR

if TYPE_CHECKING:
    from .world import World


def detection_probability(supervisors: np.ndarray, audit_rate: float, per_audit: float) -> np.ndarray:
    """Chance the supervisors detect running misconduct this month: 1 − (1 − a·d)^k.

    k: active supervisors of the cooperative, each auditing with probability a per month, an
    audit finding the misconduct with probability d (independent audits). k = 0 gives 0.
    """
    return 1.0 - (1.0 - audit_rate * per_audit) ** supervisors


def leak(coop_cash: np.ndarray, running: np.ndarray, share: float) -> np.ndarray:
    """Cash the board takes this month in each cooperative: L_c = λ·cash_c where misconduct runs."""
    return np.where(running, share * np.maximum(coop_cash, 0.0), 0.0)


def reprimand(fairness: np.ndarray, before: np.ndarray, detected: np.ndarray, restore: float) -> np.ndarray:
    """Fairness after a reprimand: F' = F + ρ·max(F₀ − F, 0) where detected (F₀: before the misconduct)."""
    return np.where(detected, fairness + restore * np.maximum(before - fairness, 0.0), fairness)


def audit(world: World) -> None:
    """Phase 0b (after the interventions): running misconduct takes cash (moved to the board),
    supervisors audit, and a detection ends it with a reprimand (see module docstring)."""
    s = world.state
    gp = world.per("governance", s.coop_world)  # per cooperative where the worlds differ
    H = s.n_households
    running = world.conditions.scandal > 0
    s.misconduct = running & ~s.misconduct_detected
    u = world.draw.random(s.coop_world)  # drawn every month: the same stream with or without misconduct
    if not s.misconduct.any():
        return
    s.misconduct_months += s.misconduct
    c = s.coop[:H]
    on_board = s.member[:H] & (s.office[:H] == BOARD)
    taken = leak(s.coop_cash, s.misconduct, gp.misconduct_leak)
    board_size = np.bincount(c[on_board], minlength=s.n_coops)
    taken = np.where(board_size > 0, taken, 0.0)
    share = np.where(on_board, taken[np.maximum(c, 0)] / np.maximum(board_size[np.maximum(c, 0)], 1), 0.0)
    who = np.flatnonzero(on_board)
    s.coop_cash, s.cash[:H] = transfer(s.coop_cash, s.cash[:H], c[who], who, share[who])
    s.misconduct_loss += taken
    k = np.bincount(c[s.member[:H] & (s.office[:H] == SUPERVISOR)], minlength=s.n_coops)
    found = s.misconduct & (u < detection_probability(k, gp.audit_rate, gp.detection_probability))
    s.misconduct_detected |= found
    s.fairness = reprimand(s.fairness, s.misconduct_fairness, found, gp.reprimand_restore)
