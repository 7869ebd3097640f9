"""Skills: gained in training (Diklat), spread by peer teaching, fading without follow-up.

Trained skill decays toward its pre-training level when not used or monitored (Arthur,
Bennett, Stanush & McNelly 1998, "Factors that influence skill decay and retention",
Human Performance 11:57); follow-up monitoring (post-test, revisit) slows the decay.
Members learn from better-skilled contacts (social learning; Bandura 1977) — in one
cooperative two trained seamstresses taught members and a sewing unit grew from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .network import INTEREST
from .participation import B_TRAINING, observe_benefit

if TYPE_CHECKING:
    from .world import World


def train(skill: np.ndarray, trainees: np.ndarray, gain: float) -> np.ndarray:
    """Training closes a share of the gap to mastery: S' = S + g·(1 − S) for trainees."""
    return np.where(trainees, skill + gain * (1.0 - skill), skill)


def peer_teaching(n: int, skill: np.ndarray, a: np.ndarray, b: np.ndarray, rate: float) -> np.ndarray:
    """Learning along this month's contacts: S'_i = S_i + τ · max_j∈C(i) (S_j − S_i)⁺.

    C(i): agents i met this month. Only the best teacher met counts (one cannot learn the
    same skill twice in a month), so S' ≤ max(S_i, S_j) and skill stays in [0, 1].
    """
    best = skill.copy()
    np.maximum.at(best, a, skill[b])
    np.maximum.at(best, b, skill[a])
    return skill + rate * (best - skill)


def fade(skill: np.ndarray, baseline: np.ndarray, rate: np.ndarray | float) -> np.ndarray:
    """Decay toward the pre-training level: S' = S − δ·(S − S₀) where S > S₀ (Arthur et al. 1998)."""
    return np.where(skill > baseline, skill - rate * (skill - baseline), skill)


def select_trainees(
    rng: np.random.Generator,
    eligible: np.ndarray,
    quota: int,
    rule: str,
    age: np.ndarray,
    productive_age_max: float,
    wealth: np.ndarray,
    board_tie: np.ndarray,
) -> np.ndarray:
    """Pick up to ``quota`` trainees among ``eligible`` indices by the selection rule.

    ``random``: uniform; ``productive_age``: those of productive age first (the rule one
    studied board used); ``board_choice``: members tied to the board first; ``neediest``:
    poorest first. Ties are broken at random.
    """
    if quota <= 0 or eligible.size == 0:
        return eligible[:0]
    noise = rng.random(eligible.size)
    if rule == "productive_age":
        key = (age[eligible] > productive_age_max).astype(float) + noise
    elif rule == "board_choice":
        key = (1.0 - board_tie[eligible]) + noise
    elif rule == "neediest":
        key = wealth[eligible] + 1e-9 * noise
    else:
        key = noise
    return eligible[np.argsort(key, kind="stable")[:quota]]


def select_per_cooperative(world: World, eligible: np.ndarray, quota: int, rule: str) -> np.ndarray:
    """Trainees of one session: up to ``quota`` per cooperative among the ``eligible`` households
    (boolean over households), each cooperative's board choosing by ``rule`` (:func:`select_trainees`)."""
    world.refresh_board_tie()  # the board_choice rule reads it
    s = world.state
    H = s.n_households
    chosen = []
    for c in range(s.n_coops):  # quota per cooperative: loop over cooperatives, not agents
        pool = np.flatnonzero(eligible & (s.coop[:H] == c))
        chosen.append(
            select_trainees(
                world.rng, pool, quota, rule, s.age, world.params.population.productive_age_max, s.wealth, s.board_tie
            )
        )
    return np.concatenate(chosen)


def train_households(world: World, trainees: np.ndarray, gain: float, follow_up: bool, provider: str) -> None:
    """Train ``trainees`` (indices): skill gain (:func:`train`), the level fading returns to, the
    follow-up flag, every member's training-satisfaction observation and a linking tie to the
    ``provider`` agency."""
    s = world.state
    H = s.n_households
    mask = np.zeros(s.n, dtype=bool)
    mask[trainees] = True
    s.skill_base = np.where(mask, s.skill, s.skill_base)
    s.skill = train(s.skill, mask, gain)
    s.trained_at[mask] = world.t
    s.followed_up[mask] = follow_up
    observe_benefit(
        s.benefit, B_TRAINING, mask[:H].astype(float), s.member[:H], world.params.participation.benefit_memory
    )
    world.add_ties(
        trainees, np.full(trainees.size, s.agency_index[provider]), INTEREST, world.params.network.new_tie_strength
    )


def training(world: World) -> None:
    """Phase 9: the cooperative office's Diklat on its timetable (``skills.training_every_months``),
    then fading of trained skill (slower with follow-up monitoring)."""
    s, kp = world.state, world.params.skills
    H = s.n_households
    t = world.t
    if kp.training_every_months and t % kp.training_every_months == 0 and kp.training_quota:
        chosen = select_per_cooperative(world, s.member[:H], kp.training_quota, kp.training_selection)
        train_households(world, chosen, kp.training_gain, kp.follow_up, "cooperative_office")
    rate = np.where(s.followed_up, kp.fade_rate * kp.follow_up_fade_factor, kp.fade_rate)
    s.skill = fade(s.skill, s.skill_base, rate)
