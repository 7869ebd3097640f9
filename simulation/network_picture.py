"""The one network painter: which agents to draw, and how (one marker set, one palette).

Used by the experiment report (:func:`network_picture`: a static figure of one simulated
cooperative, a subgraph of at most ``max_nodes`` agents in a seeded spring layout) and by the
classroom app (:class:`NetworkPainter` on its own axes, every agent in village clusters at
fixed positions, updated in place each month and labelled in Bahasa Indonesia or English).

What a picture shows (:class:`NetworkView`) is plain arrays, so both callers describe their
nodes the same way. Node colour: the household's trust on the colour-blind-safe viridis scale
(:data:`TRUST_CMAP`: dark purple low, yellow high; the report's legend uses the same scale; one
grey for agencies, village governments, moneylenders and partner firms). Node size: mean
participation over the three domains; non-members small and faded. Marker: actor type.
Board members have a thick black rim. Edge colour and line style: tie layer (bonding grey
solid, bridging blue dashed, linking purple dotted); edge opacity and width: tie strength.

Figures are made without ``pyplot`` (no window, no global figure registry); matplotlib and
networkx are imported only when a picture is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import network as net
from .network_layout import spring_layout
from .palette import LAYER_COLOURS, TRUST_CMAP
from .state import AGENCY, BOARD, FARMER, INSTITUTION, MONEYLENDER, PARTNER, TRADER, UMKM

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .model import CooperativeModel

MARKERS = {TRADER: "o", FARMER: "s", UMKM: "^", AGENCY: "D", MONEYLENDER: "X", PARTNER: "P"}
HOUSEHOLD_ROLES = (TRADER, FARMER, UMKM)
INSTITUTIONS = (AGENCY, MONEYLENDER, PARTNER)
# English legend labels of the report (the app passes its own, bilingual ones)
ROLE_LABELS = {
    TRADER: "trader",
    FARMER: "farmer",
    UMKM: "UMKM owner",
    AGENCY: "agency / village government",
    MONEYLENDER: "moneylender",
    PARTNER: "partner firm",
}
INSTITUTION_COLOUR = (0.3, 0.3, 0.3, 1.0)
LAYER_STYLE: dict[int, tuple[str, Any]] = {
    net.BONDING: (LAYER_COLOURS[net.BONDING], "solid"),
    net.BRIDGING: (LAYER_COLOURS[net.BRIDGING], (0, (4, 2))),
    net.LINKING: (LAYER_COLOURS[net.LINKING], (0, (1, 1.5))),
}


@dataclass
class NetworkView:
    """What one picture shows, one row per drawn node (ties index those rows)."""

    pos: np.ndarray  # (n, 2)
    role: np.ndarray  # (n,) role codes
    member: np.ndarray  # (n,) bool
    board: np.ndarray  # (n,) bool
    trust: np.ndarray  # (n,) trust colouring the households, in [0, 1]
    participation: np.ndarray  # (n,) mean over the three domains
    tie_a: np.ndarray
    tie_b: np.ndarray
    tie_layer: np.ndarray
    tie_strength: np.ndarray


class NetworkPainter:
    """Draws a :class:`NetworkView` on ``ax``: one line collection per tie layer, one scatter per
    actor type, updated in place by :meth:`update` (the nodes and their roles stay the same).

    ``scale`` multiplies node sizes and edge widths (bigger figures, bigger dots).
    """

    def __init__(self, ax: Axes, view: NetworkView, *, scale: float = 1.0) -> None:
        from matplotlib import colormaps
        from matplotlib.cm import ScalarMappable
        from matplotlib.collections import LineCollection
        from matplotlib.colors import Normalize, to_rgba

        self.scale = scale
        self.cmap, self.norm = colormaps[TRUST_CMAP], Normalize(0.0, 1.0)
        self.mappable = ScalarMappable(norm=self.norm, cmap=self.cmap)  # for a colour bar
        self._layer_rgba = {layer: np.array(to_rgba(colour)) for layer, (colour, _) in LAYER_STYLE.items()}
        self.edges: dict[int, Any] = {
            layer: ax.add_collection(LineCollection([], linestyles=style, zorder=1))
            for layer, (_, style) in LAYER_STYLE.items()
        }
        self.nodes: dict[int, tuple[np.ndarray, Any]] = {}
        for role, marker in MARKERS.items():
            idx = np.flatnonzero(view.role == role)
            if idx.size:
                self.nodes[role] = (
                    idx,
                    ax.scatter(
                        view.pos[idx, 0],
                        view.pos[idx, 1],
                        marker=marker,
                        edgecolors="black",
                        zorder=2 if role in HOUSEHOLD_ROLES else 3,
                    ),
                )
        self.update(view)

    @property
    def artists(self) -> list[Any]:
        """The artists :meth:`update` changes."""
        return [*self.edges.values(), *(coll for _, coll in self.nodes.values())]

    def update(self, view: NetworkView) -> None:
        """Move the view's positions, colours, sizes and ties into the artists."""
        pos, scale = view.pos, self.scale
        for layer, coll in self.edges.items():
            sel = view.tie_layer == layer
            w = np.clip(view.tie_strength[sel], 0.0, 1.0)
            rgba = np.tile(self._layer_rgba[layer], (w.size, 1))
            rgba[:, 3] = 0.15 + 0.55 * w
            coll.set_segments(np.stack((pos[view.tie_a[sel]], pos[view.tie_b[sel]]), axis=1))
            coll.set_color(rgba)
            coll.set_linewidths(scale * (0.2 + 1.2 * w))
        for role, (idx, coll) in self.nodes.items():
            order = idx[np.argsort(view.member[idx], kind="stable")]  # members drawn on top
            member = view.member[order]
            if role in INSTITUTIONS:
                colours = np.tile(INSTITUTION_COLOUR, (order.size, 1))
                sizes = np.full(order.size, 45.0)
                widths = np.full(order.size, 0.6)
            else:
                colours = self.cmap(self.norm(view.trust[order]))
                colours[:, 3] = np.where(member, 0.95, 0.3)
                sizes = np.where(member, 6.0 + 70.0 * view.participation[order], 7.0)
                widths = np.where(view.board[order], 1.8, np.where(member, 0.35, 0.0))
            coll.set_offsets(pos[order])
            coll.set_facecolors(colours)
            coll.set_sizes(scale * sizes)
            coll.set_linewidths(widths)

    def legend_handles(
        self, role_labels: Mapping[int, str], layer_labels: Mapping[int, str], board_label: str | None = None
    ) -> list[Any]:
        """Legend entries: the actor types drawn, the board rim (if ``board_label``), the tie layers."""
        from matplotlib.lines import Line2D

        handles = [
            Line2D(
                [],
                [],
                marker=MARKERS[r],
                linestyle="",
                markeredgecolor="black",
                markersize=7,
                markerfacecolor="#aaaaaa" if r in HOUSEHOLD_ROLES else INSTITUTION_COLOUR,
                label=role_labels[r],
            )
            for r in MARKERS
            if r in self.nodes
        ]
        if board_label:
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markerfacecolor="#dddddd",
                    markeredgecolor="black",
                    markeredgewidth=1.8,
                    markersize=7,
                    label=board_label,
                )
            )
        handles += [
            Line2D([], [], color=LAYER_STYLE[k][0], linestyle=LAYER_STYLE[k][1], linewidth=1.8, label=layer_labels[k])
            for k in LAYER_STYLE
        ]
        return handles


# ---- the report's picture: a subgraph in a spring layout ------------------------------------
def network_subgraph(model: CooperativeModel, max_nodes: int = 400) -> nx.Graph:
    """The ties to draw, as a graph whose nodes carry role, trust, participation and office.

    A model with at most ``max_nodes`` agents is drawn whole (isolated institutional actors
    left out). A larger one is cut down to the first cooperative's households (members first,
    then the others evenly over the villages if there are too many) plus the agencies,
    village governments, moneylenders and partner firms they are tied to.
    """
    import networkx as nx

    s, ties = model.state, model.ties
    H = s.n_households
    inst_mask = np.arange(s.n) >= H
    keep = np.zeros(s.n, dtype=bool)
    if s.n <= max_nodes:
        keep[:H] = True
    else:
        c0 = np.flatnonzero(s.coop[:H] == 0)
        keep[c0] = True
        # room for the institutional actors tied to this cooperative's households, households get the rest
        room = max(max_nodes - _linked(ties, keep, inst_mask).size, max_nodes // 2)
        if c0.size > room:
            members, others = c0[s.member[c0]], c0[~s.member[c0]]
            if members.size >= room:
                chosen = _evenly(members, room)
            else:
                chosen = np.concatenate((members, _evenly(others, room - members.size)))
            keep[:] = False
            keep[chosen] = True
    # institutional actors enter only through a tie to a drawn household
    linked = _linked(ties, keep, inst_mask)
    linked = linked[: max(0, max_nodes - int(keep.sum()))] if s.n > max_nodes else linked
    keep[linked] = True
    part = s.participation.mean(axis=1)
    g = nx.Graph()
    for i in map(int, np.flatnonzero(keep)):
        g.add_node(
            i,
            role=int(s.role[i]),
            household=i < H,
            trust=float(s.trust[i, INSTITUTION]),
            participation=float(part[i]),
            member=bool(s.member[i]),
            board=bool(s.member[i] and s.office[i] == BOARD),
        )
    inside = keep[ties.a] & keep[ties.b]
    for a, b, layer, w in zip(ties.a[inside], ties.b[inside], ties.layer[inside], ties.strength[inside], strict=True):
        g.add_edge(int(a), int(b), layer=int(layer), strength=float(w))
    return g


def _linked(ties: net.Ties, keep: np.ndarray, inst_mask: np.ndarray) -> np.ndarray:
    """Institutional actors with a tie to an agent in ``keep``."""
    touch = (keep[ties.a] & inst_mask[ties.b]) | (keep[ties.b] & inst_mask[ties.a])
    ends = np.unique(np.concatenate((ties.a[touch], ties.b[touch])))
    return ends[inst_mask[ends]]


def _evenly(items: np.ndarray, count: int) -> np.ndarray:
    """``count`` items spread evenly over ``items`` (households are ordered village by village)."""
    if count >= items.size:
        return items
    return items[np.linspace(0, items.size - 1, max(count, 0)).astype(np.int64)]


def graph_view(g: nx.Graph, pos: Mapping[int, np.ndarray]) -> NetworkView:
    """The :class:`NetworkView` of a graph from :func:`network_subgraph` at positions ``pos``."""
    nodes = list(g.nodes)
    index = {node: j for j, node in enumerate(nodes)}
    data = [g.nodes[i] for i in nodes]
    edges = list(g.edges(data=True))
    return NetworkView(
        pos=np.array([pos[i] for i in nodes], dtype=float).reshape(len(nodes), 2),
        role=np.array([d["role"] for d in data], dtype=np.int64),
        member=np.array([d["member"] for d in data], dtype=bool),
        board=np.array([d["board"] for d in data], dtype=bool),
        trust=np.array([d["trust"] for d in data], dtype=float),
        participation=np.array([d["participation"] for d in data], dtype=float),
        tie_a=np.array([index[a] for a, _, _ in edges], dtype=np.int64),
        tie_b=np.array([index[b] for _, b, _ in edges], dtype=np.int64),
        tie_layer=np.array([d["layer"] for _, _, d in edges], dtype=np.int64),
        tie_strength=np.array([d["strength"] for _, _, d in edges], dtype=float),
    )


def network_picture(
    model: CooperativeModel,
    max_nodes: int = 400,
    seed: int = 1,
    title: str | None = None,
) -> Figure:
    """The social network of one simulated cooperative (deterministic spring layout, ``seed``),
    drawn by :class:`NetworkPainter`; nodes and ties from :func:`network_subgraph`.

    Node colour: trust in the cooperative (households; one fixed colour for agencies, village
    governments, moneylenders and partner firms). Node size: mean participation over the
    three domains (non-members have none). Marker: actor type. Board members have a black
    outline. Edge style: bonding solid, bridging dashed, linking dotted; edge opacity: tie
    strength.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    g = network_subgraph(model, max_nodes)
    s = model.state
    fig = Figure(figsize=(9.5, 8.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()
    if not g.number_of_nodes():
        ax.text(0.5, 0.5, "no agents to draw", ha="center", va="center", transform=ax.transAxes)
        return fig
    view = graph_view(g, spring_layout(g, seed))
    painter = NetworkPainter(ax, view, scale=1.4)
    ax.autoscale_view()
    cbar = fig.colorbar(painter.mappable, ax=ax, shrink=0.6, pad=0.01)
    cbar.set_label("household trust in the cooperative (institution)", fontsize=9)
    layer_count = {la: int((view.tie_layer == la).sum()) for la in LAYER_STYLE}
    layer_labels = {la: f"{net.LAYER_NAMES[la]} tie ({layer_count[la]})" for la in LAYER_STYLE}
    ax.legend(
        handles=painter.legend_handles(ROLE_LABELS, layer_labels, board_label="board member"),
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=4,
        fontsize=8,
        frameon=False,
        title="marker size: mean participation (non-members small, faded); edge opacity: tie strength",
        title_fontsize=8,
    )
    n_h = sum(1 for _, d in g.nodes(data=True) if d["household"])
    n_m = int(view.member.sum())
    whole = s.n <= max_nodes
    default = (
        f"{'All cooperatives' if whole else 'Cooperative 0'} after {model.steps} months: {n_h} households "
        f"({n_m} members), {g.number_of_nodes() - n_h} institutional actors, {g.number_of_edges()} ties"
    )
    ax.set_title(title if title is not None else default, fontsize=10)
    return fig
