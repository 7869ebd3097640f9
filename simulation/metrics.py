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
from typing import TYPE_CHECKING, Any

import igraph as ig
import numpy as np

from . import network as net
from . import partnership
from .accounts import accounts_row
from .agencies import regional_agencies
from .participation import BENEFIT_ITEMS, mean_benefit
from .population import unstack
from .state import BOARD, INSTITUTION, MONEYLENDER, PARTNER, TRUST_TARGETS, State
from .ties import origin_counts
from .trust import trust_levels

if TYPE_CHECKING:
    import networkx as nx

    from .model import CooperativeModel

DOMAIN_COLUMNS = ("participation_organisation", "participation_business", "participation_capital")


def clustering(n: int, a: np.ndarray, b: np.ndarray) -> float:
    """Mean local clustering coefficient C = mean_i t_i / (k_i (k_i − 1) / 2) (0 for k_i < 2).

    t_i = triangles through i, k_i = degree, over the simple graph of the ties (Watts & Strogatz
    1998); igraph's ``transitivity_local_undirected(mode="zero")``, about 2× faster than
    triangles = diag(A³)/2 with scipy.sparse at 200 agents and 1.3× at 10k (same values).
    """
    if a.size == 0:
        return 0.0
    return float(np.mean(to_igraph(n, a, b).transitivity_local_undirected(mode="zero")))


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


def betweenness(n: int, a: np.ndarray, b: np.ndarray, samples: int, seed: int) -> np.ndarray:
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
    g = to_igraph(n, a, b)
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


def board_betweenness(n: int, ties: net.Ties, board: np.ndarray, samples: int, seed: int) -> float:
    """Mean normalised betweenness of board members (sampled sources, seeded; :func:`betweenness`)."""
    if board.size == 0:
        return float("nan")
    return float(np.mean(betweenness(n, ties.a, ties.b, samples, seed)[board]))


def collect(model: CooperativeModel, world: int = 0, view: tuple[State, net.Ties] | None = None) -> dict[str, Any]:
    """All outcomes of the current month in world ``world`` as a flat dict (one row of the metrics table).

    In a batch, from the world's state and ties in its own numbering (``view``, or
    :func:`kopsim.population.unstack`) and the world's own outcomes of the month and metric seed:
    the row world ``world`` run alone with its seed gives, value for value.
    """
    s: State = model.state
    p = model.world.params_of(world)  # the world's own values where the worlds of a batch differ
    ties = model.ties
    if s.worlds > 1:
        s, ties = view if view is not None else unstack(s, ties, world)
    H = s.n_households
    mem = s.member[:H]
    n_mem = int(mem.sum())
    row: dict[str, Any] = {
        "step": model.steps,
        "members": n_mem,
        "households": H,
        "membership_share": n_mem / H if H else float("nan"),
    }
    m_idx = np.flatnonzero(mem)
    if s.female.size:  # household attributes (issue #16)
        row["members_female_share"] = float(s.female[m_idx].mean()) if n_mem else float("nan")
    nan3 = np.full(3, np.nan)
    part = s.participation[m_idx].mean(axis=0) if n_mem else nan3
    for k, name in enumerate(DOMAIN_COLUMNS):
        row[name] = float(part[k])
    row["rat_attendance"] = float(s.attended_rat[m_idx].mean()) if n_mem else float("nan")
    tr = s.trust[m_idx]
    tp = p.trust
    means = tr.mean(axis=0) if n_mem else nan3
    low, medium, high = trust_levels(tr, tp.low_threshold, tp.high_threshold)
    for k, target in enumerate(TRUST_TARGETS):
        row[f"trust_{target}_mean"] = float(means[k])
        row[f"trust_{target}_low"] = float(low[k])
        row[f"trust_{target}_medium"] = float(medium[k])
        row[f"trust_{target}_high"] = float(high[k])
    row["reciprocity_rate"] = float(model.last_reciprocity[world])
    row["reputation_mean"] = float(s.image[:H].mean()) if H else float("nan")
    # each item among the members who experienced it (training: those trained); B̄ as members weigh it
    seen = s.benefit_seen[m_idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        ben = np.einsum("ij,ij->j", s.benefit[m_idx], seen) / seen.sum(axis=0)
    row["benefit_mean"] = float(mean_benefit(s.benefit[m_idx], seen).mean()) if n_mem else float("nan")
    for k, item in enumerate(BENEFIT_ITEMS):
        row[f"benefit_{item}"] = float(ben[k])
    row["savings_mandatory"] = float(s.savings_mandatory[:H].sum())
    row["savings_voluntary"] = float(s.savings_voluntary[:H].sum())
    row["coop_loans_outstanding"] = float(s.coop_loan[:H].sum())
    row["moneylender_loans_outstanding"] = float(s.ml_loan[:H].sum())
    borrowers = s.coop_loan[:H] > 0
    nb = int(borrowers.sum())
    row["coop_borrowers"] = nb
    row["arrears_share"] = float((s.coop_arrears[:H][borrowers] > 0).mean()) if nb else 0.0
    row["arrears_share_of_members"] = float((s.coop_arrears[:H][mem] > 0).mean()) if n_mem else 0.0
    row["moneylender_borrowers"] = int((s.ml_loan[:H] > 0).sum())
    row["coop_cash"] = float(s.coop_cash.sum())
    row.update(accounts_row(s))  # the cooperative's books (kopsim.accounts)
    row["shu_paid"] = float(model.last_shu[world])
    row["umkm_revenue"] = float(s.revenue[:H].sum())
    row["harvest"] = float(s.harvest[:H].sum())
    row["household_income_mean"] = float(s.income[:H].mean()) if H else float("nan")
    row["skill_mean"] = float(s.skill[:H].mean()) if H else float("nan")
    row["skill_members"] = float(s.skill[m_idx].mean()) if n_mem else float("nan")
    for k, name in enumerate(s.skill_names):  # each programme's skill among members (issue #16 item 4)
        row[f"skill_{name}_members"] = float(s.programme_skill[m_idx, k].mean()) if n_mem else float("nan")
    row["information_reach"] = float(s.informed[:H].mean()) if H else float("nan")
    needy = s.needy[:H]
    row["information_reach_needy"] = float(s.informed[:H][needy].mean()) if needy.any() else float("nan")
    row["free_rider_share"] = float(model.last_free_rider_share[world])
    row["board_willingness"] = float(s.willingness[m_idx].mean()) if n_mem else float("nan")
    row.update(network_counts(s, ties))
    row.update(origin_counts(s, ties))  # who started the ties (issue #16)
    if s.unit_open.size:  # business units (issue #16)
        row["units_open"] = int(s.unit_open.sum())
        row["unit_users"] = int(s.unit_users.sum())
        row["unit_users_share"] = float((s.unit_used[m_idx] >= 0).mean()) if n_mem else float("nan")
        row["unit_revenue"] = float(s.unit_revenue.sum())
        row["unit_cost"] = float(s.unit_cost.sum())
    row.update(credit_counts(s))
    row.update(agency_counts(s, ties))
    row.update(partnership_counts(s, ties, model.steps, p.metrics.contact_window_months))
    row.update(partnership.metrics_row(model.world))
    every, cevery = p.metrics.network_every, p.metrics.centrality_every
    due = every > 0 and model.steps >= 1 and (model.steps % every == 0 or model.steps == 1)
    row["clustering"] = clustering(s.n, ties.a, ties.b) if due else float("nan")
    cdue = cevery > 0 and model.steps >= 1 and (model.steps % cevery == 0 or model.steps == 1)
    row["board_betweenness"] = (
        board_betweenness(
            s.n, ties, np.flatnonzero(s.office == BOARD), p.metrics.betweenness_samples, model.metric_seeds[world]
        )
        if cdue
        else float("nan")
    )
    return row


def network_counts(s: State, ties: net.Ties) -> dict[str, float]:
    """Tie counts by layer and kind, density, E-I index and linking share (cheap: every step)."""
    counts = np.bincount(ties.layer, minlength=3)
    kinds = np.bincount(ties.kind, minlength=3)
    total = int(counts.sum())
    bonding, bridging, linking = (int(c) for c in counts)
    out: dict[str, float] = {"ties": total, "ties_bonding": bonding, "ties_bridging": bridging, "ties_linking": linking}
    for k, name in enumerate(net.KIND_NAMES):
        out[f"ties_{name}"] = int(kinds[k])
    out["density"] = 2.0 * total / (s.n * (s.n - 1)) if s.n > 1 else 0.0
    ib = bonding + bridging
    out["ei_index"] = (bridging - bonding) / ib if ib else float("nan")
    out["linking_share"] = linking / total if total else float("nan")
    out["tie_strength_mean"] = float(ties.strength.mean()) if total else float("nan")
    return out


def agency_counts(s: State, ties: net.Ties) -> dict[str, float]:
    """Households' ties to the regional agencies, those of them the household or board sought
    (bottom-up; :mod:`kopsim.agencies`), and the share of UMKM with a product whose product is
    licensed (what the certifier's ties deliver)."""
    H = s.n_households
    regional = regional_agencies(s)
    to_agency = (regional[ties.a] & (ties.b < H)) | (regional[ties.b] & (ties.a < H))
    makers = s.product[:H] > 0
    return {
        "agency_ties": int(to_agency.sum()),
        "agency_ties_sought": int((to_agency & ~ties.top_down).sum()),
        "licensed_share": float(s.licensed[:H][makers].mean()) if makers.any() else float("nan"),
    }


def partnership_counts(s: State, ties: net.Ties, t: int, window: int) -> dict[str, float]:
    """Partnership ties (to partner firms met through kemitraan): how many exist, how many
    were used in the last ``window`` months (still in contact, Franke 2005), their mean strength."""
    partner = (s.role[ties.a] == PARTNER) | (s.role[ties.b] == PARTNER)
    n = int(partner.sum())
    in_contact = int((partner & (ties.last_contact > t - window) & (ties.last_contact > ties.born)).sum())
    return {
        "partner_ties": n,
        "partner_ties_in_contact": in_contact,
        "partner_tie_strength": float(ties.strength[partner].mean()) if n else float("nan"),
    }


def credit_counts(s: State) -> dict[str, float]:
    """Default, write-off, the tengkulak market, needy households' borrowing, board misconduct and
    non-members' trust in the cooperative (issue #10 item 5)."""
    H = s.n_households
    needy, mem = s.needy[:H], s.member[:H]
    ml = s.role == MONEYLENDER
    non = ~mem
    return {
        "defaults": int(s.coop_defaults.sum()),
        "moneylender_defaults": int(s.ml_defaults.sum()),
        "written_off": float(s.coop_written_off.sum()),
        "needy_coop_borrowers": int((s.coop_loan[:H][needy] > 0).sum()),
        "needy_moneylender_borrowers": int((s.ml_loan[:H][needy] > 0).sum()),
        "member_moneylender_borrowers": int((s.ml_loan[:H][mem] > 0).sum()),
        "moneylender_cash": float(s.cash[ml].sum()),
        "misconduct_months": int(s.misconduct_months.sum()),
        "misconduct_loss": float(s.misconduct_loss.sum()),
        "trust_institution_nonmembers": float(s.trust[:H, INSTITUTION][non].mean()) if non.any() else float("nan"),
    }
