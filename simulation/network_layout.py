"""Node positions for the network picture (:mod:`kopsim.network_picture`).

Two layouts, one per use: :func:`village_layout` places every agent of a model, one cluster
per village at fixed positions (the classroom app computes it once per reset, so the picture
stays put while colours, sizes and ties change); :func:`spring_layout` places the nodes of a
drawn subgraph (the report's picture of one cooperative). Both are seeded: same model and
seed, same picture.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .state import MONEYLENDER, PARTNER

if TYPE_CHECKING:
    import networkx as nx

PARTNER_X = 1.3  # x of the partner firms' column in the village layout


def village_layout(model: Any) -> np.ndarray:
    """Node positions (n, 2), about [-1.1, 1.1]², fixed for a run so the picture stays put.

    Each village is a cluster (a seeded spring layout of its households' starting ties) placed
    on a circle, so bonding ties stay inside clusters and bridging ties cross between them; the
    village government and moneylender sit at their village's outer edge, the regional agencies
    in the middle (their linking ties radiate out) and partner firms of other provinces in a
    column on the right. Same scenario and seed, same picture.
    """
    import networkx as nx

    s, ties = model.state, model.ties
    seed = int(model.seed or 0)
    V, H = s.n_villages, s.n_households
    pos = np.zeros((s.n, 2))
    angle = np.pi / 2 + 2 * np.pi * np.arange(V) / max(V, 1)  # first village on top
    if V == 1:
        centres, radius = np.zeros((1, 2)), 0.8
    elif V == 2:
        centres, radius = np.array([[-0.52, 0.0], [0.52, 0.0]]), 0.44
    else:
        ring = 0.56
        centres = ring * np.column_stack((np.cos(angle), np.sin(angle)))
        radius = min(0.36, ring * np.sin(np.pi / V) * 0.9)
    person = np.zeros(s.n, dtype=bool)
    person[:H] = True
    inside = person[ties.a] & person[ties.b] & (s.village[ties.a] == s.village[ties.b])
    for v in range(V):
        members = np.arange(s.village_start[v], s.village_start[v] + s.village_size[v])
        g = nx.Graph()
        g.add_nodes_from(members.tolist())
        sel = inside & (s.village[ties.a] == v)
        g.add_edges_from(zip(ties.a[sel].tolist(), ties.b[sel].tolist(), strict=True))
        local = nx.spring_layout(g, k=1.2 / np.sqrt(max(members.size, 1)), iterations=50, seed=seed + v)
        xy = np.array([local[i] for i in members.tolist()]) if members.size else np.zeros((0, 2))
        if xy.size:
            xy -= np.median(xy, axis=0)
            r = np.hypot(xy[:, 0], xy[:, 1])
            scale = max(float(np.quantile(r, 0.9)), 1e-9)
            xy /= scale
            r = r / scale
            xy *= (np.minimum(r, 1.1) / np.maximum(r, 1e-9))[:, None]  # pull stragglers to the rim
            pos[members] = centres[v] + radius * xy
    out_dir = centres / np.maximum(np.hypot(centres[:, 0], centres[:, 1]), 1e-9)[:, None]
    if V == 1:
        out_dir = np.array([[0.0, -1.0]])
    for v in range(V):
        gov = s.village_government[v]
        pos[gov] = centres[v] + out_dir[v] * (radius * 1.25) + np.array([-0.08, 0.0])
        lender = s.moneylender_of[v]
        if lender >= 0:
            for k, i in enumerate(np.flatnonzero((s.role == MONEYLENDER) & (s.village == v))):
                pos[i] = centres[v] + out_dir[v] * (radius * 1.25) + np.array([0.08 + 0.08 * k, 0.0])
    agencies = np.array(sorted(s.agency_index.values()), dtype=np.int64)
    if agencies.size:
        if V == 2:  # a column between the two villages
            pos[agencies] = np.column_stack((np.zeros(agencies.size), np.linspace(0.5, -0.5, agencies.size)))
        else:  # a small ring in the middle (one village: around it)
            a = np.pi / 2 + 2 * np.pi * np.arange(agencies.size) / agencies.size
            pos[agencies] = (0.12 if V > 2 else 0.98) * np.column_stack((np.cos(a), np.sin(a)))
    partners = np.flatnonzero(s.role == PARTNER)
    if partners.size:  # another province: off to the right
        pos[partners] = np.column_stack((np.full(partners.size, PARTNER_X), np.linspace(0.9, -0.9, partners.size)))
    return pos


def village_label_positions(model: Any, pos: np.ndarray) -> list[tuple[float, float]]:
    """Where each village's name goes: just beyond its village government, away from the middle."""
    s = model.state
    out = []
    for v in range(s.n_villages):
        x, y = pos[s.village_government[v]] + np.array([0.08, 0.0])  # between government and moneylender
        out.append((float(np.clip(x, -0.98, 1.0)), float(np.clip(y + 0.07, -1.08, 1.06))))
    return out


def spring_layout(g: nx.Graph, seed: int) -> dict[int, np.ndarray]:
    """Spring layout (seeded, so deterministic) of the connected nodes; isolated nodes, which a
    spring layout flings far out, go in rows under the picture."""
    import networkx as nx

    isolated = sorted(n for n in g.nodes if g.degree(n) == 0)
    core = g.subgraph([n for n in g.nodes if g.degree(n) > 0])
    pos: dict[int, np.ndarray] = {}
    if core.number_of_nodes():
        k = 1.6 / math.sqrt(core.number_of_nodes())
        pos = nx.spring_layout(core, seed=seed, weight="strength", k=k, iterations=60)
    if isolated:
        per_row = max(10, math.ceil(math.sqrt(len(isolated)) * 3))
        for j, n in enumerate(isolated):
            pos[n] = np.array([-1.0 + 2.0 * (j % per_row) / max(per_row - 1, 1), -1.15 - 0.08 * (j // per_row)])
    return pos
