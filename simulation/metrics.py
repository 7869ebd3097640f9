"""Metrics: one row of named outcomes per month, computed from the state arrays.

Cheap outcomes are vectorised reductions every step. Costly network metrics (clustering,
board betweenness) run every ``metrics.network_every`` / ``metrics.centrality_every``
months and are NaN in between. Definitions:

* E-I index (Krackhardt & Stern 1988, Soc. Psych. Quarterly 51:123) over person–person
  ties: (E − I) / (E + I), E = bridging ties (across villages), I = bonding ties;
  −1 = all bonding, +1 = all bridging.
* Density: 2L / (N (N − 1)) over all agents and ties.
* Clustering: mean local clustering coefficient (Watts & Strogatz 1998), from
  triangles = diag(A³)/2 with a sparse matrix product.
* Board betweenness: mean normalised betweenness centrality of board members
  (Freeman 1977; Brandes 2001), sampled over ``betweenness_samples`` sources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from . import network as net
from .participation import BENEFIT_ITEMS
from .state import BOARD, PARTNER, TRUST_TARGETS, State
from .trust import trust_levels

if TYPE_CHECKING:
    from .model import CooperativeModel

DOMAIN_COLUMNS = ("participation_organisation", "participation_business", "participation_capital")


def clustering(n: int, a: np.ndarray, b: np.ndarray) -> float:
    """Mean local clustering coefficient C = mean_i t_i / (k_i (k_i − 1) / 2) (0 for k_i < 2)."""
    if a.size == 0:
        return 0.0
    A = sp.csr_matrix((np.ones(2 * a.size), (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    A.data[:] = 1.0  # collapse any duplicate entries
    k = np.asarray(A.sum(axis=1)).ravel()
    tri = np.asarray((A @ A).multiply(A).sum(axis=1)).ravel() / 2.0
    pairs = k * (k - 1) / 2.0
    return float(np.mean(np.where(pairs > 0, tri / np.maximum(pairs, 1.0), 0.0)))


def to_networkx(n: int, ties: net.Ties) -> nx.Graph:
    """The tie list as a networkx graph with layer, kind and strength on each edge."""
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(
        (int(a), int(b), {"layer": net.LAYER_NAMES[la], "kind": net.KIND_NAMES[k], "strength": float(w)})
        for a, b, la, k, w in zip(ties.a, ties.b, ties.layer, ties.kind, ties.strength, strict=True)
    )
    return g


def board_betweenness(n: int, ties: net.Ties, board: np.ndarray, samples: int, seed: int) -> float:
    """Mean normalised betweenness of board members (sampled sources, seeded)."""
    if board.size == 0:
        return float("nan")
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(zip(ties.a.tolist(), ties.b.tolist(), strict=True))
    k = samples if samples < n else None
    bc = nx.betweenness_centrality(g, k=k, normalized=True, seed=seed)
    return float(np.mean([bc[int(i)] for i in board]))


def collect(model: CooperativeModel) -> dict[str, Any]:
    """All outcomes of the current month as a flat dict (one row of the metrics table)."""
    s: State = model.state
    p = model.p
    ties = model.ties
    H = s.n_households
    mem = s.member[:H]
    n_mem = int(mem.sum())
    row: dict[str, Any] = {"step": model.steps, "members": n_mem, "households": H,
                           "membership_share": n_mem / H if H else float("nan")}
    m_idx = np.flatnonzero(mem)
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
    row["reciprocity_rate"] = model.last_reciprocity
    row["reputation_mean"] = float(s.image[:H].mean()) if H else float("nan")
    ben = s.benefit[m_idx].mean(axis=0) if n_mem else np.full(len(BENEFIT_ITEMS), np.nan)
    row["benefit_mean"] = float(ben.mean())
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
    row["shu_paid"] = float(model.last_shu)
    row["umkm_revenue"] = float(s.revenue[:H].sum())
    row["harvest"] = float(s.harvest[:H].sum())
    row["household_income_mean"] = float(s.income[:H].mean()) if H else float("nan")
    row["skill_mean"] = float(s.skill[:H].mean()) if H else float("nan")
    row["skill_members"] = float(s.skill[m_idx].mean()) if n_mem else float("nan")
    row["information_reach"] = float(s.informed[:H].mean()) if H else float("nan")
    needy = s.needy[:H]
    row["information_reach_needy"] = float(s.informed[:H][needy].mean()) if needy.any() else float("nan")
    row["free_rider_share"] = model.last_free_rider_share
    row["board_willingness"] = float(s.willingness[m_idx].mean()) if n_mem else float("nan")
    row.update(network_counts(s, ties))
    row.update(partnership_counts(s, ties, model.steps, p.metrics.contact_window_months))
    every, cevery = p.metrics.network_every, p.metrics.centrality_every
    due = every > 0 and model.steps >= 1 and (model.steps % every == 0 or model.steps == 1)
    row["clustering"] = clustering(s.n, ties.a, ties.b) if due else float("nan")
    cdue = cevery > 0 and model.steps >= 1 and (model.steps % cevery == 0 or model.steps == 1)
    row["board_betweenness"] = (
        board_betweenness(s.n, ties, np.flatnonzero(s.office == BOARD), p.metrics.betweenness_samples,
                          model.metric_seed) if cdue else float("nan")
    )
    return row


def network_counts(s: State, ties: net.Ties) -> dict[str, float]:
    """Tie counts by layer and kind, density, E-I index and linking share (cheap: every step)."""
    counts = np.bincount(ties.layer, minlength=3)
    kinds = np.bincount(ties.kind, minlength=3)
    total = int(counts.sum())
    bonding, bridging, linking = (int(c) for c in counts)
    out: dict[str, float] = {"ties": total, "ties_bonding": bonding, "ties_bridging": bridging,
                             "ties_linking": linking}
    for k, name in enumerate(net.KIND_NAMES):
        out[f"ties_{name}"] = int(kinds[k])
    out["density"] = 2.0 * total / (s.n * (s.n - 1)) if s.n > 1 else 0.0
    ib = bonding + bridging
    out["ei_index"] = (bridging - bonding) / ib if ib else float("nan")
    out["linking_share"] = linking / total if total else float("nan")
    out["tie_strength_mean"] = float(ties.strength.mean()) if total else float("nan")
    return out


def partnership_counts(s: State, ties: net.Ties, t: int, window: int) -> dict[str, float]:
    """Partnership ties (to partner firms met through kemitraan): how many exist, how many
    were used in the last ``window`` months (still in contact, Franke 2005), their mean strength."""
    partner = (s.role[ties.a] == PARTNER) | (s.role[ties.b] == PARTNER)
    n = int(partner.sum())
    in_contact = int((partner & (ties.last_contact > t - window) & (ties.last_contact > ties.born)).sum())
    return {"partner_ties": n, "partner_ties_in_contact": in_contact,
            "partner_tie_strength": float(ties.strength[partner].mean()) if n else float("nan")}
