"""Metrics: one row of named outcomes per month, computed from the state arrays.

Cheap outcomes are vectorised reductions every step. Costly network metrics (clustering,
board betweenness) run every ``metrics.network_every`` / ``metrics.centrality_every``
months and are NaN in between. Definitions:

* E-I index (Krackhardt & Stern 1988, Soc. Psych. Quarterly 51:123) over person–person
  ties: (E − I) / (E + I), E = bridging ties (across villages), I = bonding ties;
  −1 = all bonding, +1 = all bridging.
* Density: 2L / (N (N − 1)) over all agents and ties.
* Clustering: mean local clustering coefficient (Watts & Strogatz 1998), with igraph.
* Board betweenness: mean normalised betweenness centrality of board members
  (Freeman 1977; Brandes 2001), estimated from ``betweenness_samples`` sampled sources
  (Brandes & Pich 2007), computed with igraph (see :func:`board_betweenness`).

networkx is imported only by :func:`to_networkx` (for users' own analysis); the metrics
themselves use scipy.sparse and igraph.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import igraph as ig
import numpy as np

from . import network as net
from . import partnership
from .accounts import accounts_rows
from .agencies import regional_agencies
from .participation import BENEFIT_ITEMS, mean_benefit
from .population import own_numbering
from .state import BOARD, INSTITUTION, MONEYLENDER, PARTNER, TRUST_TARGETS, State
from .ties import origin_counts
from .trust import trust_levels

if TYPE_CHECKING:
    import networkx as nx

    from .model import CooperativeModel

DOMAIN_COLUMNS = ("participation_organisation", "participation_business", "participation_capital")


def clustering(n: int, a: np.ndarray, b: np.ndarray, graph: ig.Graph | None = None) -> float:
    """Mean local clustering coefficient C = mean_i t_i / (k_i (k_i − 1) / 2) (0 for k_i < 2).

    t_i = triangles through i, k_i = degree, over the simple graph of the ties (Watts & Strogatz
    1998); igraph's ``transitivity_local_undirected(mode="zero")``, about 2× faster than
    triangles = diag(A³)/2 with scipy.sparse at 200 agents and 1.3× at 10k (same values).
    """
    if a.size == 0:
        return 0.0
    graph = to_igraph(n, a, b) if graph is None else graph  # the graph of these ties, if the caller has it
    return float(np.mean(graph.transitivity_local_undirected(mode="zero")))


def to_networkx(n: int, ties: net.Ties) -> nx.Graph:
    """The tie list as a networkx graph with layer, kind and strength on each edge."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(
        (int(a), int(b), {"layer": net.LAYER_NAMES[la], "kind": net.KIND_NAMES[k], "strength": float(w)})
        for a, b, la, k, w in zip(ties.a, ties.b, ties.layer, ties.kind, ties.strength, strict=True)
    )
    return g


def to_igraph(n: int, a: np.ndarray, b: np.ndarray) -> ig.Graph:
    """The ties as a simple undirected igraph graph on vertices 0..n−1 (duplicate ties and loops dropped,
    as in a networkx ``Graph``)."""
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    key = np.unique((lo * n + hi)[lo != hi])  # one code per unordered pair, sorted
    return ig.Graph(n=n, edges=list(zip((key // n).tolist(), (key % n).tolist(), strict=True)), directed=False)


def sampled_sources(n: int, samples: int, seed: int) -> list[int] | None:
    """The source vertices of the betweenness estimate: ``samples`` of 0..n−1 drawn without
    replacement by ``random.Random(seed).sample`` (None = all, when ``samples >= n``).

    This is the draw ``networkx.betweenness_centrality(G, k=samples, seed=seed)`` makes for a
    graph whose nodes were added as 0..n−1, so both libraries use the same sources."""
    if samples >= n:
        return None
    return random.Random(seed).sample(range(n), samples)


def betweenness(
    n: int, a: np.ndarray, b: np.ndarray, samples: int, seed: int, graph: ig.Graph | None = None
) -> np.ndarray:
    """Normalised betweenness of every vertex, exact or estimated from sampled sources (seeded).

    Exact (Freeman 1977; Brandes 2001), for an undirected graph of n vertices:
    c_B(v) = 1 / ((n − 1)(n − 2)) Σ_{s ≠ v} δ_s(v),  δ_s(v) = Σ_{t ∉ {s, v}} σ_st(v) / σ_st,
    σ_st = number of shortest s–t paths, σ_st(v) = those through v; each unordered pair is
    counted from both ends, which the 1/((n − 1)(n − 2)) normalisation (ordered pairs) expects.

    Sampled (Brandes & Pich 2007, "Centrality estimation in large networks", Int. J.
    Bifurcation and Chaos 17:2303): the sum over all sources is replaced by one over a
    uniform sample K of k sources (:func:`sampled_sources`), rescaled to an unbiased estimate;
    a source contributes nothing to its own betweenness, so a sampled vertex has k − 1
    informative sources: c_B(v) ≈ Σ_{s ∈ K} δ_s(v) / ((k − 1)(n − 2)) for v ∈ K and
    / (k (n − 2)) otherwise (as networkx 3.6 rescales; earlier networkx releases multiplied the
    exact normalisation by n / k for every vertex).

    The dependencies δ_s are accumulated by igraph's subset betweenness (``Graph.betweenness(
    sources=K)``, Brandes' algorithm from each source; igraph halves sums on undirected graphs,
    hence the factor 2). With the same seed this gives networkx's ``betweenness_centrality(G,
    k=samples, normalized=True, seed=seed)`` to rounding (relative differences ≤ 4e-16 in the shipped
    scenarios), 25–45× faster in CPU time including building the graph (``python -m benchmarks``).

    Why sampled rather than exact: exact betweenness costs n BFS passes (O(n m)); igraph's exact
    betweenness took 7.6 s on a 10k-node small-world graph here, 64 sampled sources at 10k agents 0.1–0.3 s.
    """
    if n <= 2:
        return np.zeros(n)
    g = to_igraph(n, a, b) if graph is None else graph
    sources = sampled_sources(n, samples, seed)
    if sources is None:
        raw = np.asarray(g.betweenness(directed=False), dtype=float)
        return raw * 2.0 / ((n - 1) * (n - 2))
    k = len(sources)
    raw = np.asarray(g.betweenness(directed=False, sources=sources), dtype=float) * 2.0
    sampled = np.zeros(n, dtype=bool)
    sampled[sources] = True
    scale = np.where(sampled, 1.0 / ((k - 1) * (n - 2)) if k > 1 else np.nan, 1.0 / (k * (n - 2)))
    return raw * scale


def board_betweenness(
    n: int, a: np.ndarray, b: np.ndarray, board: np.ndarray, samples: int, seed: int, graph: ig.Graph | None = None
) -> float:
    """Mean normalised betweenness of board members over the ties a–b (sampled sources, seeded;
    :func:`betweenness`)."""
    if board.size == 0:
        return float("nan")
    return float(np.mean(betweenness(n, a, b, samples, seed, graph)[board]))


class WorldCut:
    """Each world's part of the batch's arrays, in the world's own order (the order its run alone has).

    Households are numbered world by world, as many in each, so a household array is a (W, H_w)
    block and its reductions along the rows are those of each world's own array, value for value;
    members and ties are grouped by world (members are in household order, ties by a stable sort),
    and a world's part is a contiguous slice, reduced as the world's own array would be. Counts are
    exact whatever the order; shares are count ÷ count, as ``mask.mean()`` gives them.
    """

    def __init__(self, s: State, ties: net.Ties) -> None:
        W = self.W = s.worlds
        H = self.H = s.n_households
        self.Hw = H // W
        self.m_idx = np.flatnonzero(s.member[:H])
        self.m_bounds = np.searchsorted(self.m_idx, np.arange(W + 1) * self.Hw)
        self.n_mem = np.diff(self.m_bounds)
        self.tie_world = s.world_id[ties.a]
        self.tie_order: np.ndarray | None = None
        self.tie_bounds = np.array([0, len(ties)])
        if W > 1:
            self.tie_order = np.argsort(self.tie_world, kind="stable")
            self.tie_bounds = np.searchsorted(self.tie_world[self.tie_order], np.arange(W + 1))

    def households(self, x: np.ndarray) -> np.ndarray:
        """(W, H_w, …): each world's households' values."""
        return x[: self.H].reshape(self.W, self.Hw, *x.shape[1:])

    def per_world(self, x: np.ndarray) -> np.ndarray:
        """(W, k, …): an array laid out world by world in blocks of k (cooperatives, villages, units)."""
        return x.reshape(self.W, -1, *x.shape[1:])

    def count_households(self, mask: np.ndarray) -> np.ndarray:
        """(W,) int: each world's households where ``mask`` (over the batch's households)."""
        return np.add.reduce(self.households(mask), axis=1)

    def household_sum(self, x: np.ndarray) -> np.ndarray:
        """(W,): each world's sum of ``x`` over its households (``ndarray.sum``'s own reduction, called
        directly: the wrappers cost more than the sum at these sizes)."""
        return np.add.reduce(self.households(x), axis=1)

    def household_mean(self, x: np.ndarray) -> np.ndarray:
        """(W,): each world's mean of ``x`` over its households (NaN without households), as ``mean``."""
        return np.add.reduce(self.households(x), axis=1) / self.Hw if self.Hw else np.full(self.W, np.nan)

    def world_sum(self, x: np.ndarray) -> np.ndarray:
        """(W,): each world's sum of an array laid out world by world (:meth:`per_world`)."""
        return np.add.reduce(self.per_world(x), axis=1)

    def count_ties(self, mask: np.ndarray) -> np.ndarray:
        """(W,) int: each world's ties where ``mask``."""
        if self.W == 1:
            return np.array([np.count_nonzero(mask)])
        return np.bincount(self.tie_world[mask], minlength=self.W)

    def tie_counts(self, codes: np.ndarray, k: int) -> np.ndarray:
        """(W, k) int: each world's ties with each code 0 … k − 1 (a tie's layer, kind, origin)."""
        by_world = self.tie_world * k if self.W > 1 else 0
        return np.bincount(by_world + codes, minlength=self.W * k).reshape(self.W, k)

    def members(self, x: np.ndarray) -> list[np.ndarray]:
        """Each world's members' values (the world's ``x[members]``)."""
        got = x[self.m_idx]
        if self.W == 1:
            return [got]
        return [got[lo:hi] for lo, hi in zip(self.m_bounds[:-1], self.m_bounds[1:], strict=True)]

    def networks(self, s: State, ties: net.Ties) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
        """Each world's network in its own numbering: agents, ties (in the world's tie order) and the
        board members, numbered as :func:`kopsim.population.world_views` numbers them
        (:func:`kopsim.population.own_numbering`)."""
        W, n = self.W, s.n
        if W == 1:
            yield n, ties.a, ties.b, np.flatnonzero(s.office == BOARD)
            return
        rank = own_numbering(s)[2]
        board = np.flatnonzero(s.office == BOARD)
        board_world = s.world_id[board]
        assert self.tie_order is not None
        a, b = rank[ties.a[self.tie_order]], rank[ties.b[self.tie_order]]
        for w, (lo, hi) in enumerate(zip(self.tie_bounds[:-1], self.tie_bounds[1:], strict=True)):
            yield n // W, a[lo:hi], b[lo:hi], rank[board[board_world == w]]

    def ties_of(self, x: np.ndarray) -> list[np.ndarray]:
        """Each world's ties' values, in the world's tie order."""
        if self.tie_order is None:
            return [x]
        got = x[self.tie_order]
        return [got[lo:hi] for lo, hi in zip(self.tie_bounds[:-1], self.tie_bounds[1:], strict=True)]


def _mean(parts: list[np.ndarray], width: int = 0) -> np.ndarray:
    """Each part's mean along its first axis, (W,) or (W, width) (NaN for an empty part)."""
    empty = float("nan") if not width else np.full(width, np.nan)
    # the sum along the first axis ÷ n is ndarray.mean's own computation, without its wrapper's overhead
    return np.array([np.add.reduce(part, axis=0) / part.shape[0] if part.shape[0] else empty for part in parts])


def _share(hits: np.ndarray, total: np.ndarray, empty: float = float("nan")) -> np.ndarray:
    """hits ÷ total per world, as the world's own ``mask.mean()`` gives it (``empty`` where total = 0)."""
    if hits.shape[0] == 1:  # one world: Python's int ÷ int is the same correctly rounded quotient
        t = int(total[0])
        return np.array([int(hits[0]) / t if t else empty])
    some = total > 0
    return np.where(some, hits / np.where(some, total, 1), empty)


def collect_worlds(model: CooperativeModel) -> list[dict[str, Any]]:
    """All outcomes of the current month, one row (flat dict) per world of the batch (one for a single run).

    World w's row is, value for value, the row world w run alone gives: each outcome is reduced over
    the world's own elements in their own order (:class:`WorldCut`), from its own parameters and the
    world's outcomes of the month; the network metrics of their months read each world's network in
    its own numbering (:meth:`WorldCut.networks`).
    """
    s: State = model.state
    ties = model.ties
    W, H = s.worlds, s.n_households
    cut = WorldCut(s, ties)
    Hw, n_mem = cut.Hw, cut.n_mem
    nan = np.full(W, np.nan)
    cols: dict[str, Any] = {  # name -> one value per world (an array, or a list)
        "step": [model.steps] * W,
        "members": n_mem,
        "households": [Hw] * W,
        "membership_share": n_mem / Hw if Hw else nan,
    }
    mem = s.member[:H]
    if s.female.size:  # household attributes (issue #16)
        cols["members_female_share"] = _share(cut.count_households(mem & s.female[:H]), n_mem)
    part = _mean(cut.members(s.participation), 3)
    for k, name in enumerate(DOMAIN_COLUMNS):
        cols[name] = part[:, k]
    cols["rat_attendance"] = _share(cut.count_households(mem & s.attended_rat[:H]), n_mem)
    trust_parts = cut.members(s.trust)
    means = _mean(trust_parts, 3)
    levels = np.empty((3, W, 3))  # low, medium, high × world × target
    for w, tr in enumerate(trust_parts):
        tp = model.world.params_of(w).trust
        levels[:, w] = trust_levels(tr, tp.low_threshold, tp.high_threshold)
    for k, target in enumerate(TRUST_TARGETS):
        cols[f"trust_{target}_mean"] = means[:, k]
        for band, name in enumerate(("low", "medium", "high")):
            cols[f"trust_{target}_{name}"] = levels[band, :, k]
    cols["reciprocity_rate"] = np.asarray(model.last_reciprocity, dtype=float)
    cols["reputation_mean"] = cut.household_mean(s.image)
    # each item among the members who experienced it (training: those trained); B̄ as members weigh it
    ben, ben_mean = [], []
    for b, seen in zip(cut.members(s.benefit), cut.members(s.benefit_seen), strict=True):
        with np.errstate(invalid="ignore", divide="ignore"):
            ben.append(np.einsum("ij,ij->j", b, seen) / seen.sum(axis=0))
        ben_mean.append(mean_benefit(b, seen).mean() if b.shape[0] else np.nan)
    cols["benefit_mean"] = np.array(ben_mean, dtype=float)
    items = np.array(ben)
    for k, item in enumerate(BENEFIT_ITEMS):
        cols[f"benefit_{item}"] = items[:, k]
    cols["savings_mandatory"] = cut.household_sum(s.savings_mandatory)
    cols["savings_voluntary"] = cut.household_sum(s.savings_voluntary)
    cols["coop_loans_outstanding"] = cut.household_sum(s.coop_loan)
    cols["moneylender_loans_outstanding"] = cut.household_sum(s.ml_loan)
    borrowers = s.coop_loan[:H] > 0
    nb = cut.count_households(borrowers)
    arrears = s.coop_arrears[:H] > 0
    cols["coop_borrowers"] = nb
    cols["arrears_share"] = _share(cut.count_households(borrowers & arrears), nb, 0.0)
    cols["arrears_share_of_members"] = _share(cut.count_households(mem & arrears), n_mem, 0.0)
    cols["moneylender_borrowers"] = cut.count_households(s.ml_loan[:H] > 0)
    cols["coop_cash"] = cut.world_sum(s.coop_cash)
    cols.update(accounts_rows(s))  # the cooperatives' books (kopsim.accounts)
    cols["shu_paid"] = np.asarray(model.last_shu, dtype=float)
    cols["umkm_revenue"] = cut.household_sum(s.revenue)
    cols["harvest"] = cut.household_sum(s.harvest)
    cols["household_income_mean"] = cut.household_mean(s.income)
    cols["skill_mean"] = cut.household_mean(s.skill)
    cols["skill_members"] = _mean(cut.members(s.skill))
    for k, name in enumerate(s.skill_names):  # each programme's skill among members (issue #16 item 4)
        cols[f"skill_{name}_members"] = _mean(cut.members(s.programme_skill[:, k]))
    informed, needy = s.informed[:H], s.needy[:H]
    cols["information_reach"] = _share(cut.count_households(informed), np.full(W, Hw))
    cols["information_reach_needy"] = _share(cut.count_households(informed & needy), cut.count_households(needy))
    cols["free_rider_share"] = np.asarray(model.last_free_rider_share, dtype=float)
    cols["board_willingness"] = _mean(cut.members(s.willingness))
    cols.update(network_counts(s, ties, cut))
    cols.update(origin_counts(s, ties, cut))  # who started the ties (issue #16)
    if s.unit_open.size:  # business units (issue #16)
        cols["units_open"] = cut.world_sum(s.unit_open)
        cols["unit_users"] = cut.world_sum(s.unit_users)
        cols["unit_users_share"] = _share(cut.count_households(mem & (s.unit_used[:H] >= 0)), n_mem)
        cols["unit_revenue"] = cut.world_sum(s.unit_revenue)
        cols["unit_cost"] = cut.world_sum(s.unit_cost)
    cols.update(credit_counts(s, cut))
    cols.update(agency_counts(s, ties, cut))
    metric_p = model.world.params_of(0).metrics  # the metrics group is the same in every world
    cols.update(partnership_counts(s, ties, model.steps, metric_p.contact_window_months, cut))
    cols.update({name: [value] * W for name, value in partnership.metrics_row(model.world).items()})
    every, cevery = metric_p.network_every, metric_p.centrality_every
    due = every > 0 and model.steps >= 1 and (model.steps % every == 0 or model.steps == 1)
    cdue = cevery > 0 and model.steps >= 1 and (model.steps % cevery == 0 or model.steps == 1)
    clus, betw = nan.copy(), nan.copy()
    if due or cdue:
        for w, (n_w, a, b, board) in enumerate(cut.networks(s, ties)):
            graph = to_igraph(n_w, a, b)  # one graph for both measures
            if due:
                clus[w] = clustering(n_w, a, b, graph)
            if cdue:
                samples, seed = metric_p.betweenness_samples, model.metric_seeds[w]
                betw[w] = board_betweenness(n_w, a, b, board, samples, seed, graph)
    cols["clustering"], cols["board_betweenness"] = clus, betw
    # numpy values become Python ints and floats (tolist), as the columns of a row always were
    lists = [v.tolist() if isinstance(v, np.ndarray) else list(v) for v in cols.values()]
    return [dict(zip(cols, values, strict=True)) for values in zip(*lists, strict=True)]


def collect(model: CooperativeModel, world: int = 0) -> dict[str, Any]:
    """All outcomes of the current month in world ``world`` as a flat dict (one row of the metrics
    table): the row world ``world`` run alone with its seed gives, value for value (:func:`collect_worlds`)."""
    return collect_worlds(model)[world]


def network_counts(s: State, ties: net.Ties, cut: WorldCut) -> dict[str, np.ndarray]:
    """Per world: tie counts by layer and kind, density, E-I index, linking share, mean tie strength."""
    W = cut.W
    counts = cut.tie_counts(ties.layer, len(net.LAYER_NAMES))
    kinds = cut.tie_counts(ties.kind, len(net.KIND_NAMES))
    n = s.n // W  # agents per world
    total = counts.sum(axis=1)
    out: dict[str, np.ndarray] = {"ties": total}
    for k, name in enumerate(net.LAYER_NAMES):
        out[f"ties_{name}"] = counts[:, k]
    for k, name in enumerate(net.KIND_NAMES):
        out[f"ties_{name}"] = kinds[:, k]
    out["density"] = 2.0 * total / (n * (n - 1)) if n > 1 else np.zeros(W)
    bonding, bridging, linking = counts[:, 0], counts[:, 1], counts[:, 2]
    out["ei_index"] = _share(bridging - bonding, bonding + bridging)
    out["linking_share"] = _share(linking, total)
    out["tie_strength_mean"] = _mean(cut.ties_of(ties.strength))
    return out


def agency_counts(s: State, ties: net.Ties, cut: WorldCut) -> dict[str, np.ndarray]:
    """Per world: households' ties to the regional agencies, those of them the household or board
    sought (bottom-up; :mod:`kopsim.agencies`), and the share of UMKM with a product whose product
    is licensed (what the certifier's ties deliver)."""
    H = s.n_households
    regional = regional_agencies(s)
    to_agency = (regional[ties.a] & (ties.b < H)) | (regional[ties.b] & (ties.a < H))
    makers = s.product[:H] > 0
    return {
        "agency_ties": cut.count_ties(to_agency),
        "agency_ties_sought": cut.count_ties(to_agency & ~ties.top_down),
        "licensed_share": _share(cut.count_households(makers & s.licensed[:H]), cut.count_households(makers)),
    }


def partnership_counts(s: State, ties: net.Ties, t: int, window: int, cut: WorldCut) -> dict[str, np.ndarray]:
    """Per world: partnership ties (to partner firms met through kemitraan), how many were used in
    the last ``window`` months (still in contact, Franke 2005), their mean strength."""
    partner = (s.role[ties.a] == PARTNER) | (s.role[ties.b] == PARTNER)
    in_contact = partner & (ties.last_contact > t - window) & (ties.last_contact > ties.born)
    strength = [st[p] for st, p in zip(cut.ties_of(ties.strength), cut.ties_of(partner), strict=True)]
    return {
        "partner_ties": cut.count_ties(partner),
        "partner_ties_in_contact": cut.count_ties(in_contact),
        "partner_tie_strength": _mean(strength),
    }


def credit_counts(s: State, cut: WorldCut) -> dict[str, np.ndarray]:
    """Per world: default, write-off, the tengkulak market, needy households' borrowing, board
    misconduct and non-members' trust in the cooperative (issue #10 item 5)."""
    H = s.n_households
    needy, mem = s.needy[:H], s.member[:H]
    # the moneylenders of a world are one block of the batch, world by world, as many in each
    ml_cash = s.cash[s.role == MONEYLENDER].reshape(cut.W, -1)
    trust_inst = cut.households(s.trust[:, INSTITUTION])
    non_trust = [row[~m] for row, m in zip(trust_inst, cut.households(mem), strict=True)]
    return {
        "defaults": cut.world_sum(s.coop_defaults),
        "moneylender_defaults": cut.world_sum(s.ml_defaults),
        "written_off": cut.world_sum(s.coop_written_off),
        "needy_coop_borrowers": cut.count_households(needy & (s.coop_loan[:H] > 0)),
        "needy_moneylender_borrowers": cut.count_households(needy & (s.ml_loan[:H] > 0)),
        "member_moneylender_borrowers": cut.count_households(mem & (s.ml_loan[:H] > 0)),
        "moneylender_cash": np.add.reduce(ml_cash, axis=1),
        "misconduct_months": cut.world_sum(s.misconduct_months),
        "misconduct_loss": cut.world_sum(s.misconduct_loss),
        "trust_institution_nonmembers": _mean(non_trust),
    }
