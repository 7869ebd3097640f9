"""Skills: gained in training (Diklat), spread by peer teaching, fading without follow-up.

Trained skill decays toward its pre-training level when not used or monitored (Arthur,
Bennett, Stanush & McNelly 1998, "Factors that influence skill decay and retention",
Human Performance 11:57); follow-up monitoring (post-test, revisit) slows the decay.
Members learn from better-skilled contacts (social learning; Bandura 1977) — in one
cooperative two trained seamstresses taught members and a sewing unit grew from it.

Programmes by name (issue #16 item 4): besides the one ``general`` business and finance skill
(``state.skill``), a training may build a programme's own skill (``skill = "tie_dye"`` for the
Prabumulih office's jumputan course). Programme skills are the columns of
``state.programme_skill`` (n × K), K the distinct named skills of the run (its trainings,
``enterprise.product_skills``, ``enterprise.crop_skills`` and the units' ``skill``); they start
at 0 (nobody has taken the programme), and training, peer teaching and fading act on each
column as on the general skill, column by column. A business needs the skill of its product:
a UMKM whose product names skill X produces with S_X, a farmer whose crop names X harvests
with S_X, a unit opened by trained members counts members with S_X ≥ its threshold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .network import INTEREST
from .parameters import GENERAL_SKILL
from .participation import B_TRAINING, observe_experience
from .world import expand

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .parameters import Parameters
    from .state import State
    from .world import World


def named_skills(params: Parameters, trainings: Iterable[str] = ()) -> tuple[str, ...]:
    """The programme skills of a run, sorted: those the ``trainings`` build and those businesses
    need (``enterprise.product_skills``, ``enterprise.crop_skills``, units' ``skill``); 'general' is not one."""
    ep = params.enterprise
    names = {*trainings, *ep.product_skills.values(), *ep.crop_skills.values()}
    names |= {unit["skill"] for unit in params.cooperative.units}
    names.discard(GENERAL_SKILL)
    return tuple(sorted(names))


def init_programme_skills(s: State, names: tuple[str, ...]) -> None:
    """Programme skill columns for ``names``, all at 0 (nobody has taken the programme yet)."""
    K = len(names)
    s.skill_names = names
    s.programme_skill = np.zeros((s.n, K))
    s.programme_skill_base = np.zeros((s.n, K))
    s.programme_follow_up_until = np.full((s.n, K), -1, dtype=np.int64)
    s.programme_fade_factor = np.ones((s.n, K))


def skill_of(s: State, name: str) -> np.ndarray:
    """Every agent's level of skill ``name``: the general skill, or a programme's column (a view)."""
    if name == GENERAL_SKILL:
        return s.skill
    return s.programme_skill[:, s.skill_names.index(name)]


def business_skills(world: World) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Skills households' businesses use (length H): the UMKM's (S_X of its product's skill X, else
    the general S), the farm's (likewise by crop) and the farm's reference S_ref for
    :func:`skill_yield` (``skills.initial_mean`` for the general skill, 0 — a programme skill's
    initial level — for a programme's)."""
    from .parameters import CROPS
    from .state import PRODUCTS

    s, ep = world.state, world.params.enterprise
    H = s.n_households
    umkm, farm = s.skill[:H], s.skill[:H]
    ref: np.ndarray = np.full(H, world.per("skills", s.household_world).initial_mean)
    for product, name in ep.product_skills.items():  # loop over the few products, not agents
        umkm = np.where(s.product[:H] == PRODUCTS.index(product), skill_of(s, name)[:H], umkm)
    for crop, name in ep.crop_skills.items():
        grows = s.crop[:H] == CROPS.index(crop)
        farm = np.where(grows, skill_of(s, name)[:H], farm)
        ref = np.where(grows & (name != GENERAL_SKILL), 0.0, ref)
    return umkm, farm, ref


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


def select_per_cooperative(world: World, eligible: np.ndarray, quota: int | np.ndarray, rule: str) -> np.ndarray:
    """Trainees of one session: up to ``quota`` per cooperative (one number, or one per cooperative)
    among the ``eligible`` households (boolean over households), each cooperative's board choosing
    by ``rule`` (:func:`select_trainees`)."""
    world.refresh_board_tie()  # the board_choice rule reads it
    s = world.state
    H = s.n_households
    chosen = []
    for c in range(s.n_coops):  # quota per cooperative: loop over cooperatives, not agents
        pool = np.flatnonzero(eligible & (s.coop[:H] == c))
        n_c = int(quota[c]) if isinstance(quota, np.ndarray) else int(quota)
        chosen.append(
            select_trainees(
                world.draw.of(c // s.coops_per_world),
                pool,
                n_c,
                rule,
                s.age,
                world.of_world("population", c // s.coops_per_world).productive_age_max,
                s.wealth,
                s.board_tie,
            )
        )
    return np.concatenate(chosen)


def skill_yield(skill: np.ndarray, reference: float | np.ndarray, skill_return: float) -> np.ndarray:
    """Harvest factor of a farmer's skill: f = max(0, 1 + k·(S − S_ref)).

    Better practice (seed, fertiliser, pest control learnt in Diklat or from peers) raises
    yields (Feder, Murgai & Quizon 2004, "Sending farmers back to school", Rev. Agric.
    Econ. 26:45: farmer field schools raise yields of the trained); S_ref is the population's
    initial mean skill, so f = 1 on average before any training and k = 0 cuts the path.
    """
    return np.maximum(0.0, 1.0 + skill_return * (skill - reference))


def train_households(
    world: World,
    trainees: np.ndarray,
    gain: float,
    provider: str,
    quality: float,
    follow_up_months: int,
    follow_up_fade_factor: float,
    skill: str = GENERAL_SKILL,
) -> None:
    """Train ``trainees`` (indices) in ``skill`` (the general skill or a programme's column): skill
    gain (:func:`train`), the level fading returns to, the follow-up monitoring (revisits and
    post-tests for ``follow_up_months``, during which fading is multiplied by
    ``follow_up_fade_factor``), the trainees' satisfaction with the training (its ``quality``;
    only those who took part judge it, as the survey asks) and a linking tie to the ``provider``
    agency. A programme's training leaves the general skill and the other programmes' alone."""
    s = world.state
    H = s.n_households
    mask = np.zeros(s.n, dtype=bool)
    mask[trainees] = True
    # gain, quality and fade factor: numbers, or (W,) values per world (the cooperative's own Diklat)
    gain = expand(gain, s.world_id)
    factor = expand(follow_up_fade_factor, s.world_id[mask])
    if skill == GENERAL_SKILL:
        s.skill_base = np.where(mask, s.skill, s.skill_base)
        s.skill = train(s.skill, mask, gain)
        s.follow_up_until[mask] = world.t + follow_up_months
        s.fade_factor[mask] = factor
    else:
        k = s.skill_names.index(skill)
        col = s.programme_skill[:, k]
        s.programme_skill_base[:, k] = np.where(mask, col, s.programme_skill_base[:, k])
        s.programme_skill[:, k] = train(col, mask, gain)
        s.programme_follow_up_until[mask, k] = world.t + follow_up_months
        s.programme_fade_factor[mask, k] = factor
    s.trained_at[mask] = world.t
    hw = s.household_world
    memory = world.per("participation", hw).benefit_memory
    observe_experience(s, B_TRAINING, expand(quality, hw), mask[:H] & s.member[:H], memory)
    strength = world.per("network", s.world_id[trainees]).new_tie_strength
    world.add_ties(trainees, s.agency_of(provider, s.world_id[trainees]), INTEREST, strength)


def fade_rates(fade_rate: float, followed: np.ndarray, fade_factor: np.ndarray) -> np.ndarray:
    """Monthly fade rate of each agent: δ_i = δ·φ_i while its training is followed up, δ after."""
    return np.where(followed, fade_rate * fade_factor, fade_rate)


def session(
    world: World,
    eligible: np.ndarray,
    quota: int | np.ndarray,
    selection: str,
    gain: float,
    provider: str,
    quality: float,
    follow_up: bool,
    follow_up_months: int,
    follow_up_fade_factor: float,
    skill: str = GENERAL_SKILL,
) -> np.ndarray:
    """One training session, the single path of every training (the ``training`` intervention
    and the cooperative's standing Diklat): up to ``quota`` trainees per cooperative among the
    ``eligible`` households chosen by ``selection`` (:func:`select_per_cooperative`), trained in
    ``skill`` by :func:`train_households`. Returns the trainees."""
    chosen = select_per_cooperative(world, eligible, quota, selection)
    months = follow_up_months if follow_up else -1
    factor = follow_up_fade_factor if follow_up else 1.0
    train_households(world, chosen, gain, provider, quality, months, factor, skill)
    return chosen


def peer_teaching_programmes(s: State, a: np.ndarray, b: np.ndarray, rate: float) -> None:
    """:func:`peer_teaching` of every programme skill along this month's contacts (Bandura 1977),
    column by column: S'_ik = S_ik + τ · max_j∈C(i) (S_jk − S_ik)⁺."""
    for k in range(len(s.skill_names)):  # loop over the few programmes, not agents
        s.programme_skill[:, k] = peer_teaching(s.n, s.programme_skill[:, k], a, b, rate)


def training(world: World) -> None:
    """Phase 9: the cooperative's standing Diklat in its months (``skills.training_every_months``
    > 0; members eligible, the cooperative office as provider: :func:`session`), then fading of
    trained skill toward its pre-training level, slower while a follow-up lasts (Arthur et al. 1998),
    the general skill and each programme's skill (column) alike: S'_k = S_k − δ_ik·(S_k − S₀_k)."""
    s, kp = world.state, world.per("skills")  # (W,) values where the worlds differ
    t = world.t
    quota = kp.training_quota  # a number, or one per world (a quota of 0 trains nobody there)
    if kp.training_every_months and t % kp.training_every_months == 0 and np.any(quota):
        session(
            world,
            s.member[: s.n_households],
            quota if np.ndim(quota) == 0 else np.repeat(quota, s.coops_per_world),
            kp.training_selection,
            kp.training_gain,
            "cooperative_office",
            kp.training_quality,
            kp.follow_up,
            kp.follow_up_months,
            kp.follow_up_fade_factor,
        )
    fade_rate = expand(kp.fade_rate, s.world_id)
    rate = fade_rates(fade_rate, s.follow_up_until >= t, s.fade_factor)
    s.skill = fade(s.skill, s.skill_base, rate)
    for k in range(len(s.skill_names)):  # each programme's skill fades toward its own pre-training level
        rate_k = fade_rates(fade_rate, s.programme_follow_up_until[:, k] >= t, s.programme_fade_factor[:, k])
        s.programme_skill[:, k] = fade(s.programme_skill[:, k], s.programme_skill_base[:, k], rate_k)
