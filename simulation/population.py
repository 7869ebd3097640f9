"""Initialisation: the households, cooperatives, agencies and ties of month 0.

Villages sit on a square grid ``village_spacing_km`` apart; village v belongs to
cooperative v mod n_cooperatives. Livelihoods, age, wealth (log-normal) and skill vary
between households; each cooperative recruits its initial members, board and
supervisors from its villages. Ties: kin and neighbour ties in local clusters (bonding,
sentiment), ties among members of a cooperative (bonding, interest), ties across villages
(bridging, interest), board friendships (sentiment) and linking ties to agencies
(interest; the ministry's tie to each board chair is a permanent power tie).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from . import cooperatives, households
from . import network as net
from .parameters import Parameters
from .participation import B_TRAINING, BENEFIT_ITEMS
from .state import (
    AGENCY,
    AGENCY_KINDS,
    BOARD,
    FARMER,
    MONEYLENDER,
    PARTNER,
    PEER,
    PRODUCTS,
    SUPERVISOR,
    TRADER,
    UMKM,
    State,
)

# Initial perceived benefit of every item (neutral prior before experience).
NEUTRAL_BENEFIT = 0.5
KIN_CLUSTER_SPAN = 5  # kin and neighbours: offsets of 1 .. 2·span households along the village
HOME_SCATTER_KM = 1.0  # spread of homes around the village centre
CAPACITY_SPREAD = 0.3  # log-normal spread of farm and UMKM capacity between households
INITIAL_PARTICIPATION = (0.6, 0.15)  # mean and s.d. of founding members' propensities


def _group(idx: np.ndarray, key: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """``idx`` grouped by ``key[idx]`` (0..groups−1), in their order within a group, and the
    group bounds: group g is ``out[bounds[g]:bounds[g + 1]]``."""
    out = idx[np.argsort(key[idx], kind="stable")]
    return out, np.searchsorted(key[out], np.arange(groups + 1))


def coop_of_village(village: np.ndarray, villages_per_world: int, coops_per_world: int) -> np.ndarray:
    """Cooperative of each village: village v of a world belongs to its cooperative v mod C."""
    return (village // villages_per_world) * coops_per_world + (village % villages_per_world) % coops_per_world


def _clipped_normal(rng: np.random.Generator, mean: float, sd: float, n: int) -> np.ndarray:
    return np.clip(rng.normal(mean, sd, n), 0.0, 1.0)


def build(
    params: Parameters,
    rng: np.random.Generator,
    partner_pools: tuple[tuple[int, float], ...] = (),
) -> tuple[State, net.Ties]:
    """Create the month-0 state and ties of one world from parameters using ``rng`` only.

    ``partner_pools``: (firms, distance_km) per kemitraan programme — partner firms in
    another province, placed ``distance_km`` east of the district, appended after the
    moneylenders. A batch of worlds is built world by world (:func:`build_worlds`).
    """
    pp, fp = params.population, params.finance
    V, C, hpv = pp.n_villages, pp.n_cooperatives, pp.households_per_village
    H = V * hpv
    n_ml = V * pp.moneylenders_per_village
    n_agency = len(AGENCY_KINDS)
    n_partner = sum(size for size, _ in partner_pools)
    n = H + n_agency + V + n_ml + n_partner

    village = np.full(n, -1, dtype=np.int64)
    village[:H] = np.repeat(np.arange(V), hpv)
    gov = H + n_agency + np.arange(V)
    village[gov] = np.arange(V)
    ml_idx = H + n_agency + V + np.arange(n_ml)
    village[ml_idx] = np.repeat(np.arange(V), pp.moneylenders_per_village)
    moneylender_of = np.full(V, -1, dtype=np.int64)
    if n_ml:
        moneylender_of[:] = ml_idx[:: pp.moneylenders_per_village]

    role = np.full(n, TRADER, dtype=np.int8)
    u = rng.random(H)
    role[:H][u < pp.farmer_share] = FARMER
    role[:H][(u >= pp.farmer_share) & (u < pp.farmer_share + pp.umkm_share)] = UMKM
    role[H : H + n_agency + V] = AGENCY
    role[ml_idx] = MONEYLENDER
    role[n - n_partner :] = PARTNER
    agency_kind = np.full(n, -1, dtype=np.int8)
    agency_kind[H : H + n_agency] = np.arange(n_agency)
    agency_kind[gov] = n_agency  # village government

    coop = np.full(n, -1, dtype=np.int64)
    coop[:H] = coop_of_village(village[:H], V, C)

    side = int(np.ceil(np.sqrt(V)))
    vx = (np.arange(V) % side) * pp.village_spacing_km
    vy = (np.arange(V) // side) * pp.village_spacing_km
    x = np.zeros(n)
    y = np.zeros(n)
    hv = village[:H]
    x[:H] = vx[hv] + rng.normal(0.0, HOME_SCATTER_KM, H)
    y[:H] = vy[hv] + rng.normal(0.0, HOME_SCATTER_KM, H)
    x[gov], y[gov] = vx, vy
    x[ml_idx], y[ml_idx] = vx[village[ml_idx]], vy[village[ml_idx]]
    start = n - n_partner
    for size, distance in partner_pools:
        x[start : start + size] = distance
        start += size
    # regional agencies sit in the district town at the centre of the grid
    x[H : H + n_agency] = vx.mean() if V else 0.0
    y[H : H + n_agency] = vy.mean() if V else 0.0

    age = np.zeros(n)
    age[:H] = rng.uniform(pp.age_min, pp.age_max, H)
    wealth = np.zeros(n)
    wealth[:H] = pp.wealth_median * np.exp(rng.normal(0.0, pp.wealth_sigma, H))
    # attributes of issue #16 from a spawned generator: the model's own stream is not advanced
    attrs = households.draw(params.households, rng.spawn(1)[0], village[:H], role[:H])
    wealth[:H] *= attrs.wealth_factor
    needy = np.zeros(n, dtype=bool)
    if H:  # the poorest share
        needy[:H] = wealth[:H] <= np.quantile(wealth[:H], pp.needy_share)
    ep = params.enterprise
    spread = np.exp(rng.normal(0.0, CAPACITY_SPREAD, n))
    farm_capacity = np.where(role == FARMER, ep.farm_output * spread, 0.0)
    umkm_capacity = np.where(role == UMKM, ep.umkm_capacity * spread, 0.0)
    licensed = (role == UMKM) & (rng.random(n) < ep.licensed_share)
    product = np.where((role == UMKM) | (role == PARTNER), rng.integers(1, len(PRODUCTS), n), 0).astype(np.int8)
    if attrs.product is not None:
        product[:H] = attrs.product
    eligible = np.zeros(n, dtype=bool)
    eligible[:H] = cooperatives.eligible(params.cooperative, attrs.female, attrs.occupation, village[:H])

    # members, board and supervisors per cooperative
    member = np.zeros(n, dtype=bool)
    office = np.zeros(n, dtype=np.int8)
    skill = np.zeros(n)
    skill[:H] = _clipped_normal(rng, params.skills.initial_mean, params.skills.initial_spread, H)
    order, bounds = _group(rng.permutation(H), coop, C)
    for c in range(C):  # loop over cooperatives, not agents
        pool = order[bounds[c] : bounds[c + 1]]
        chosen = pool[eligible[pool]][: pp.members_per_cooperative]  # founding members meet the rules
        member[chosen] = True
        # the board and supervisors are the most skilled of the founding members
        ranked = chosen[np.argsort(-skill[chosen], kind="stable")]
        office[ranked[: pp.board_size]] = BOARD
        office[ranked[pp.board_size : pp.board_size + pp.supervisors]] = SUPERVISOR

    tp = params.trust
    trust = np.zeros((n, 3))
    for k, mean in enumerate((tp.initial_peer, tp.initial_board, tp.initial_institution)):
        trust[:H, k] = _clipped_normal(rng, mean, tp.initial_spread, H)
    trust[role == PARTNER, PEER] = tp.initial_peer  # partner firms trust like an average household
    participation = np.zeros((n, 3))
    participation[member] = _clipped_normal(rng, *INITIAL_PARTICIPATION, 3 * int(member.sum())).reshape(-1, 3)
    informed = member.copy()
    informed[:H] |= rng.random(H) < params.information.initial_informed
    helpfulness, time_cost = dispositions(rng, params, n, H)
    # every item has its neutral prior except training, which only trainees ever judge
    benefit_seen = np.ones((n, len(BENEFIT_ITEMS)), dtype=bool)
    benefit_seen[:, B_TRAINING] = False

    cash = np.zeros(n)
    cash[:H] = 0.2 * wealth[:H]
    # each tengkulak lends from finite cash
    cash[ml_idx] = fp.moneylender_capital
    rules = params.cooperative
    entry_fee = cooperatives.per_cooperative(rules.entry_fee, C, C)
    mandatory_saving = cooperatives.per_cooperative(rules.mandatory_saving or [fp.mandatory_saving], C, C)
    # two years of simpanan wajib (and the simpanan pokok) already paid by the founding members
    savings_mandatory = np.zeros(n)
    savings_mandatory[:H] = np.where(member[:H], mandatory_saving[coop[:H]] * 24.0 + entry_fee[coop[:H]], 0.0)
    coop_cash = fp.initial_coop_capital + np.bincount(coop[member], savings_mandatory[member], minlength=C)

    base_income = fp.base_income * np.ones(n)
    state = State(
        n=n,
        n_households=H,
        n_coops=C,
        n_villages=V,
        role=role,
        village=village,
        coop=coop,
        agency_kind=agency_kind,
        x=x,
        y=y,
        village_start=np.arange(V, dtype=np.int64) * hpv,
        village_size=np.full(V, hpv, dtype=np.int64),
        responsiveness=np.full(V, pp.village_government_responsiveness),
        moneylender_of=moneylender_of,
        agency_index={k: H + i for i, k in enumerate(AGENCY_KINDS)},
        village_government=gov,
        age=age,
        wealth=wealth,
        needy=needy,
        farm_capacity=farm_capacity,
        umkm_capacity=umkm_capacity,
        licensed=licensed,
        product=product,
        member=member,
        office=office,
        board_tie=np.zeros(n),
        trust=trust,
        image=np.full(n, 0.5),
        participation=participation,
        benefit=np.full((n, len(BENEFIT_ITEMS)), NEUTRAL_BENEFIT),
        willingness=np.zeros(n),
        attended_rat=np.zeros(n, dtype=bool),
        informed=informed,
        benefit_seen=benefit_seen,
        helpfulness=helpfulness,
        time_cost=time_cost,
        skill=skill,
        skill_base=skill.copy(),
        trained_at=np.full(n, -1, dtype=np.int64),
        follow_up_until=np.full(n, -1, dtype=np.int64),
        fade_factor=np.ones(n),
        cash=cash,
        savings_mandatory=savings_mandatory,
        savings_voluntary=np.zeros(n),
        coop_loan=np.zeros(n),
        coop_principal_part=np.zeros(n),
        coop_interest_part=np.zeros(n),
        coop_loan_rate=np.zeros(n),
        coop_arrears=np.zeros(n, dtype=np.int64),
        ml_loan=np.zeros(n),
        ml_principal_part=np.zeros(n),
        ml_interest_part=np.zeros(n),
        ml_arrears=np.zeros(n, dtype=np.int64),
        transactions_year=np.zeros(n),
        income=base_income.copy(),
        income_ref=base_income.copy(),
        revenue=np.zeros(n),
        harvest=np.zeros(n),
        coop_cash=coop_cash,
        coop_surplus=np.zeros(C),
        rule_clarity=np.full(C, tp.rule_clarity),
        fairness=np.full(C, tp.fairness),
        service_quality=np.full(C, params.governance.service_quality),
        shu_paid=np.zeros(C),
    )
    state.female = _pad(attrs.female, n, False)
    state.female_head = _pad(attrs.female_head, n, False)
    state.occupation = _pad(attrs.occupation, n, -1)
    state.crop = _pad(attrs.crop, n, -1)
    state.education = _pad(attrs.education, n, -1)
    state.eligible = eligible
    state.entry_fee = entry_fee
    state.coop_donated = np.full(C, float(fp.initial_coop_capital))  # the founding grant, donated capital
    state.mandatory_saving = mandatory_saving
    n_units = C * len(rules.units)
    state.unit_open = np.zeros(n_units, dtype=bool)
    state.unit_users = np.zeros(n_units, dtype=np.int64)
    state.unit_revenue = np.zeros(n_units)
    state.unit_cost = np.zeros(n_units)
    state.unit_used = np.full(n, -1, dtype=np.int64)
    ties = build_ties(params, state, rng)
    _licence_expiry(params, state, rng.spawn(1)[0])
    return state, ties


def dispositions(rng: np.random.Generator, params: Parameters, n: int, H: int) -> tuple[np.ndarray, np.ndarray]:
    """Households' persistent dispositions (logit offsets, mean 0; 0 for other agents):
    helpfulness ~ N(0, reciprocity.helping_spread) and time cost ~ N(0, participation.cost_spread).

    People differ stably in how much they cooperate (Fischbacher, Gächter & Fehr 2001, Econ.
    Letters 71:397: about half conditional cooperators, a third free-riders) and in what taking
    part costs them (time, distance, work; random-utility heterogeneity, McFadden 1974). Without
    it, everyone converges to the same level and the survey's minorities (13 of 30 rarely give
    suggestions; 10% report a poor relation with the board) cannot arise.
    """
    helpfulness = np.zeros(n)
    time_cost = np.zeros(n)
    helpfulness[:H] = rng.normal(0.0, params.reciprocity.helping_spread, H)
    time_cost[:H] = rng.normal(0.0, params.participation.cost_spread, H)
    return helpfulness, time_cost


def _pad(values: np.ndarray, n: int, fill: object) -> np.ndarray:
    """Household values followed by ``fill`` for the institutional agents (length n)."""
    out = np.full(n, fill, dtype=values.dtype)
    out[: values.size] = values
    return out


def build_ties(params: Parameters, s: State, rng: np.random.Generator) -> net.Ties:
    """Initial multiplex network (see module docstring)."""
    np_ = params.network
    H, V = s.n_households, s.n_villages
    parts = []
    # kin and neighbours: local clusters within the village (high clustering, as in villages)
    m = round(H * np_.kin_degree / 2)
    if m and H:
        i = rng.integers(0, H, m)
        v = s.village[i]
        off = rng.integers(1, KIN_CLUSTER_SPAN * 2 + 1, m) * np.where(rng.random(m) < 0.5, -1, 1)
        j = s.village_start[v] + (i - s.village_start[v] + off) % s.village_size[v]
        parts.append(
            net.make_ties(i, j, net.BONDING, net.SENTIMENT, rng.uniform(0.3, 0.9, m), origin=net.ORIGIN_INHERITANCE)
        )
    # ties among members of the same cooperative
    members = np.flatnonzero(s.member)
    m = round(members.size * np_.coop_degree / 2)
    if m and members.size > 1:
        i = members[rng.integers(0, members.size, m)]
        flat, bounds = _group(members, s.coop, s.n_coops)
        starts, sizes = bounds[:-1], np.diff(bounds)
        c = s.coop[i]
        j = flat[starts[c] + (rng.random(m) * sizes[c]).astype(np.int64)]
        parts.append(net.make_ties(i, j, net.BONDING, net.INTEREST, 0.5))
    # bridging ties across villages
    m = round(H * np_.bridging_degree / 2)
    if m and V > 1:  # to another village
        i = rng.integers(0, H, m)
        v = (s.village[i] + rng.integers(1, V, m)) % V
        j = s.village_start[v] + (rng.random(m) * s.village_size[v]).astype(np.int64)
        parts.append(net.make_ties(i, j, net.BRIDGING, net.INTEREST, 0.5))
    # board friendships and kinship (sentiment)
    board = np.flatnonzero(s.office == BOARD)
    plain = members[(s.office[members] != BOARD) & (rng.random(members.size) < np_.board_sentiment_share)]
    if plain.size and board.size:
        by_coop, bounds = _group(board, s.coop, s.n_coops)
        boards_by_coop = [by_coop[bounds[c] : bounds[c + 1]] for c in range(s.n_coops)]
        pick = np.array(
            [bc[rng.integers(0, bc.size)] if bc.size else -1 for bc in (boards_by_coop[c] for c in s.coop[plain])],
            dtype=np.int64,
        )
        ok = pick >= 0
        parts.append(net.make_ties(plain[ok], pick[ok], net.BONDING, net.SENTIMENT, 0.7, origin=net.ORIGIN_BOARD))
    # linking ties
    ai = s.agency_index
    chairs = np.array(
        [bc[0] for bc in (board[s.coop[board] == c] for c in range(s.n_coops)) if bc.size], dtype=np.int64
    )
    if board.size:
        parts.append(
            net.make_ties(board, np.full(board.size, ai["cooperative_office"]), net.LINKING, net.INTEREST, 0.5)
        )
    if chairs.size:
        parts.append(net.make_ties(chairs, np.full(chairs.size, ai["state_bank"]), net.LINKING, net.INTEREST, 0.5))
        parts.append(
            net.make_ties(
                chairs,
                np.full(chairs.size, ai["ministry"]),
                net.LINKING,
                net.POWER,
                1.0,
                permanent=True,
                origin=net.ORIGIN_AGENCY,
                top_down=True,
            )
        )
        # village governments that respond keep a tie with the board chair serving them
        gv = np.arange(V)
        chair_of_coop = np.full(s.n_coops, -1, dtype=np.int64)
        chair_of_coop[s.coop[chairs]] = chairs
        ch = chair_of_coop[coop_of_village(gv, V, s.n_coops)]
        ok = (ch >= 0) & (rng.random(V) < s.responsiveness)
        parts.append(net.make_ties(s.village_government[ok], ch[ok], net.LINKING, net.INTEREST, 0.5))
    umkm = np.flatnonzero(s.role == UMKM)
    lic = umkm[s.licensed[umkm]]
    parts.append(net.make_ties(lic, np.full(lic.size, ai["halal_certifier"]), net.LINKING, net.INTEREST, 0.5))
    for kind in ("state_bank", "partnership_office"):
        pick = umkm[rng.random(umkm.size) < np_.agency_link_share]
        parts.append(net.make_ties(pick, np.full(pick.size, ai[kind]), net.LINKING, net.INTEREST, 0.5))
    farmers = np.flatnonzero(s.role == FARMER)
    ml = s.moneylender_of[s.village[farmers]]
    ok = (ml >= 0) & (rng.random(farmers.size) < np_.agency_link_share)
    parts.append(net.make_ties(farmers[ok], ml[ok], net.LINKING, net.INTEREST, 0.5))

    ties = net.Ties.empty()
    for p in parts:
        ties = ties.extend(p)
    ties = net.deduplicate(ties, s.n)
    _agency_origins(params, s, ties, rng.spawn(1)[0])
    institutional = s.institutional
    ties.layer = np.where(
        ties.kind == net.POWER,
        net.LINKING,
        net.classify_layer(s.village[ties.a], s.village[ties.b], institutional[ties.a], institutional[ties.b]),
    ).astype(np.int8)
    return ties


def _licence_expiry(params: Parameters, s: State, rng: np.random.Generator) -> None:
    """Month-0 licences were obtained at different times: each runs out at a month drawn uniformly
    over its validity, 0 .. 12·``agencies.licence_years`` − 1 (never with 0 years). ``rng`` is
    spawned off the model's, whose stream is not advanced."""
    months = round(12 * params.agencies.licence_years)
    held = np.flatnonzero(s.licensed)
    s.licence_until[:] = -1
    if months > 0 and held.size:
        s.licence_until[held] = rng.integers(0, months, held.size)


def _agency_origins(params: Parameters, s: State, ties: net.Ties, rng: np.random.Generator) -> None:
    """Who started each month-0 tie to an agency (issue #16): the agency (top-down) with probability
    ``cooperative.agency_initiated_share``, else the household's side (the board if it holds
    office, else the member). Power ties stay the ministry's; ties to moneylenders stay the
    borrowers'. ``rng`` is spawned off the model's, whose stream is not advanced."""
    agency = s.role == AGENCY
    touch = (agency[ties.a] | agency[ties.b]) & (ties.kind != net.POWER)
    idx = np.flatnonzero(touch)
    household = np.where(agency[ties.a[idx]], ties.b[idx], ties.a[idx])
    from_above = rng.random(idx.size) < params.cooperative.agency_initiated_share
    side = np.where(s.office[household] == BOARD, net.ORIGIN_BOARD, net.ORIGIN_MEMBER)
    ties.origin[idx] = np.where(from_above, net.ORIGIN_AGENCY, side)
    ties.top_down[idx] = from_above


# Index-valued state arrays (−1: none) and what they index: renumbered when worlds are stacked
# (:func:`stack`) or one is cut out again (:func:`world_views`).
_INDEX_FIELDS = {
    "village": "village",
    "coop": "coop",
    "unit_used": "unit",
    "village_start": "agent",
    "moneylender_of": "agent",
    "village_government": "agent",
    "ml_lender": "agent",
}


def _renumber(
    values: np.ndarray, kind: str, w: int, per_world: dict[str, int], agents: Callable[[np.ndarray], Any]
) -> np.ndarray:
    """World ``w``'s index-valued ``values`` in the other numbering: villages, cooperatives and units
    shifted by w·``per_world[kind]``, agent indices through ``agents``; −1 stays −1."""
    inside = np.maximum(values, 0)
    moved = agents(inside) if kind == "agent" else inside + w * per_world[kind]
    return np.where(values >= 0, moved, values)


def build_worlds(
    params: Parameters | Sequence[Parameters],
    generators: Sequence[np.random.Generator],
    partner_pools: tuple[tuple[int, float], ...] = (),
) -> tuple[State, net.Ties]:
    """Month 0 of one world per generator (with its own parameters, if ``params`` is a sequence),
    each built alone (:func:`build`) and laid side by side (:func:`stack`): world w is
    bit-identical to the single world ``build`` makes from its parameters and generator."""
    per_world = list(params) if isinstance(params, Sequence) else [params] * len(generators)
    built = [build(p, g, partner_pools) for p, g in zip(per_world, generators, strict=True)]
    if len(built) == 1:
        return built[0]
    if partner_pools:
        raise ValueError("partner firms (kemitraan) are not supported with several worlds")
    return stack([s for s, _ in built], [t for _, t in built])


def stack(states: list[State], ties: list[net.Ties]) -> tuple[State, net.Ties]:
    """Independent single worlds as one state of ``len(states)`` worlds.

    Layout (as a single world's, block by block): the households of world 0, 1, …; then each
    world's regional agencies, village governments and moneylenders, world by world. Cooperatives,
    villages and business units are numbered world by world. The map from a world's own agent
    index to the batch's is increasing, so every world's agents, ties, cooperatives and villages
    keep their relative order, which is what makes a world's draws (:mod:`kopsim.streams`) and
    results the same alone and in the batch. ``agency_index`` holds world 0's agencies; use
    :meth:`State.agency_of` for an agency of any world.
    """
    W = len(states)
    s0 = states[0]
    n0, H0, C0, V0 = s0.n, s0.n_households, s0.n_coops, s0.n_villages
    if any((s.n, s.n_households, s.n_coops, s.n_villages) != (n0, H0, C0, V0) for s in states):
        raise ValueError("stack: worlds of different sizes")
    n_agency = len(AGENCY_KINDS)
    # class blocks of a single world: households, agencies, village governments, moneylenders
    local_start = np.array([0, H0, H0 + n_agency, H0 + n_agency + V0, n0])
    sizes = np.diff(local_start)
    global_start = np.concatenate(([0], np.cumsum(sizes * W)))
    cls = np.searchsorted(local_start, np.arange(n0), side="right") - 1
    offset = np.arange(n0) - local_start[cls]
    # where agent i of world w goes: gmap[w, i]
    gmap = global_start[cls][None, :] + np.arange(W)[:, None] * sizes[cls][None, :] + offset[None, :]
    order = np.empty(n0 * W, dtype=np.int64)
    order[gmap.ravel()] = np.arange(n0 * W)  # batch index -> position in the worlds' concatenation
    n = n0 * W
    U = s0.unit_open.size // max(C0, 1)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(State):
        name = f.name
        first = getattr(s0, name)
        if not isinstance(first, np.ndarray):
            continue
        parts = [getattr(s, name) for s in states]
        if name in _INDEX_FIELDS:  # into the batch's numbering
            offsets = {"village": V0, "coop": C0, "unit": C0 * U}
            parts = [_renumber(p, _INDEX_FIELDS[name], w, offsets, gmap[w].__getitem__) for w, p in enumerate(parts)]
        joined = np.concatenate(parts, axis=0)
        if first.ndim >= 1 and first.shape[0] == n0:  # per agent: into the batch layout
            joined = joined[order]
        values[name] = joined
    state = dataclasses.replace(
        s0,
        n=n,
        n_households=H0 * W,
        n_coops=C0 * W,
        n_villages=V0 * W,
        worlds=W,
        agency_index={k: int(gmap[0][i]) for k, i in s0.agency_index.items()},
        **values,
    )
    state.world_id = np.repeat(np.arange(W), n0)[order]
    fields = net._FIELDS
    joined_ties = net.Ties(
        *(
            np.concatenate([gmap[w][getattr(t, f)] if f in ("a", "b") else getattr(t, f) for w, t in enumerate(ties)])
            for f in fields
        )
    )
    return state, joined_ties


_UNIT_FIELDS = ("unit_open", "unit_users", "unit_revenue", "unit_cost")  # per business unit, world by world


def unstack(state: State, ties: net.Ties, w: int) -> tuple[State, net.Ties]:
    """World ``w`` of a batch as a single world, in its own numbering: the inverse of :func:`stack`.

    Agents, ties, cooperatives, villages and business units of world ``w`` keep their order (the
    map from the world's own index to the batch's is increasing), so the arrays are those of the
    world run alone, value for value and in the same order. The arrays are copies; a single world
    is returned as it is.
    """
    return next(world_views(state, ties, (w,)))


def own_numbering(state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(agents, bounds, own): the batch's agents world by world (``agents[bounds[w]:bounds[w + 1]]``
    are world w's, increasing), and each agent's index in its own world's numbering: its rank among
    its world's agents, since a world's agents keep their order in the batch (:func:`stack`)."""
    agents = np.argsort(state.world_id, kind="stable")
    bounds = np.searchsorted(state.world_id[agents], np.arange(state.worlds + 1))
    own = np.empty(state.n, dtype=np.int64)
    own[agents] = np.arange(state.n) - bounds[state.world_id[agents]]
    return agents, bounds, own


def world_views(state: State, ties: net.Ties, worlds: Iterable[int] | None = None) -> Iterator[tuple[State, net.Ties]]:
    """:func:`unstack` of each of ``worlds`` (all if None), in order: agents and ties are grouped by
    world once (stable sorts), so all W views cost O(n + L) and a sort, not W scans of the batch."""
    W = state.worlds
    if W == 1:
        yield from ((state, ties) for _ in (worlds if worlds is not None else (0,)))
        return
    agents, agent_bounds, own_index = own_numbering(state)
    tie_world = state.world_id[ties.a]
    tie_order = np.argsort(tie_world, kind="stable")  # each world's ties in their order
    tie_bounds = np.searchsorted(tie_world[tie_order], np.arange(W + 1))
    C0, V0 = state.coops_per_world, state.villages_per_world
    U = state.unit_open.size // max(state.n_coops, 1)
    per_agent, per_block = [], []  # the state's arrays, by how a world's part is cut out
    for f in dataclasses.fields(State):
        v = getattr(state, f.name)
        if not isinstance(v, np.ndarray) or f.name == "world_id":
            continue
        if v.ndim and v.shape[0] == state.n and f.name not in _UNIT_FIELDS:
            per_agent.append((f.name, v))
        else:  # per cooperative, village, unit or world: world by world (k of them in each)
            per_block.append((f.name, v, v.shape[0] // W if v.ndim else 0))
    for w in range(W) if worlds is None else worlds:
        idx = agents[agent_bounds[w] : agent_bounds[w + 1]]

        values: dict[str, Any] = {name: v[idx] for name, v in per_agent}
        values.update({name: v[w * k : (w + 1) * k].copy() if k else v for name, v, k in per_block})
        back = {"village": -V0, "coop": -C0, "unit": -C0 * U}  # to the world's own numbering
        for name, kind in _INDEX_FIELDS.items():
            values[name] = _renumber(values[name], kind, w, back, own_index.__getitem__)
        view = dataclasses.replace(
            state,
            n=idx.size,
            n_households=state.n_households // W,
            n_coops=C0,
            n_villages=V0,
            worlds=1,
            agency_index={k: int(own_index[state.agency_of(k, w)]) for k in state.agency_index},
            world_id=np.zeros(idx.size, dtype=np.int64),
            **values,
        )
        mine = ties.subset(tie_order[tie_bounds[w] : tie_bounds[w + 1]])
        mine.a = own_index[mine.a].astype(mine.a.dtype)
        mine.b = own_index[mine.b].astype(mine.b.dtype)
        yield view, mine
