"""Figures of experiment results: time series with confidence bands, a forest plot of
differences from the reference, and a picture of one cooperative's social network.

Every function returns a :class:`matplotlib.figure.Figure` drawn on the Agg canvas. Figures
are made without ``pyplot``, so nothing opens a window, no global figure registry grows and
the caller owns the figure (save it with ``fig.savefig(...)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from kopsim import network as net
from kopsim.state import (
    AGENCY,
    BOARD,
    FARMER,
    INSTITUTION,
    MONEYLENDER,
    PARTNER,
    TRADER,
    UMKM,
)

if TYPE_CHECKING:
    from kopsim.model import CooperativeModel

# Readable names (with units) of the outcomes; others fall back to the column name.
OUTCOME_LABELS: dict[str, str] = {
    "members": "members",
    "households": "households",
    "membership_share": "membership share of households",
    "participation_organisation": "participation: organisation",
    "participation_business": "participation: business unit",
    "participation_capital": "participation: capital",
    "rat_attendance": "attendance at the annual meeting (RAT)",
    "trust_peer_mean": "trust in peers (mean)",
    "trust_board_mean": "trust in the board (mean)",
    "trust_institution_mean": "trust in the cooperative (mean)",
    "reciprocity_rate": "reciprocity rate",
    "reputation_mean": "reputation as a helper (mean)",
    "benefit_mean": "perceived benefit (mean)",
    "savings_mandatory": "mandatory savings (Rp M)",
    "savings_voluntary": "voluntary savings (Rp M)",
    "coop_loans_outstanding": "cooperative loans outstanding (Rp M)",
    "moneylender_loans_outstanding": "moneylender loans outstanding (Rp M)",
    "coop_borrowers": "households borrowing from the cooperative",
    "moneylender_borrowers": "households borrowing from moneylenders",
    "arrears_share": "arrears share of borrowers",
    "arrears_share_of_members": "arrears share of members",
    "coop_cash": "cooperative cash (Rp M)",
    "shu_paid": "SHU paid this month (Rp M)",
    "umkm_revenue": "UMKM revenue this month (Rp M)",
    "harvest": "harvest this month (Rp M)",
    "household_income_mean": "household income (mean, Rp M/month)",
    "skill_mean": "skill of households (mean)",
    "skill_members": "skill of members (mean)",
    "information_reach": "information reach",
    "information_reach_needy": "information reach among needy households",
    "free_rider_share": "free-rider share",
    "board_willingness": "willingness to serve on the board",
    "ties": "ties",
    "ties_bonding": "bonding ties",
    "ties_bridging": "bridging ties",
    "ties_linking": "linking ties",
    "density": "network density",
    "ei_index": "E-I index (bonding -1 .. bridging +1)",
    "linking_share": "share of linking ties",
    "tie_strength_mean": "tie strength (mean)",
    "partner_ties": "partnership ties",
    "partner_ties_in_contact": "partnership ties in contact",
    "partner_tie_strength": "partnership tie strength (mean)",
    "clustering": "clustering coefficient",
    "board_betweenness": "board betweenness (mean)",
}

MARKERS = {TRADER: "o", FARMER: "s", UMKM: "^", AGENCY: "D", MONEYLENDER: "v", PARTNER: "P"}
ROLE_LABELS = {TRADER: "trader", FARMER: "farmer", UMKM: "UMKM owner", AGENCY: "agency / village government",
               MONEYLENDER: "moneylender", PARTNER: "partner firm"}
INSTITUTION_COLOUR = "#e66101"
LAYER_STYLES = {net.BONDING: "solid", net.BRIDGING: "dashed", net.LINKING: "dotted"}
TRUST_CMAP = "viridis"


def outcome_label(name: str) -> str:
    """The readable name of an outcome column (with its unit where it has one)."""
    if name in OUTCOME_LABELS:
        return OUTCOME_LABELS[name]
    for prefix, what in (("trust_", "trust"), ("benefit_", "perceived benefit")):
        if name.startswith(prefix):
            return f"{what}: {name[len(prefix):].replace('_', ' ')}"
    return name.replace("_", " ")


def palette(labels: Sequence[str]) -> dict[str, Any]:
    """One colour per configuration label, in order (tab10, or tab20 beyond ten)."""
    cmap = colormaps["tab10" if len(labels) <= 10 else "tab20"]
    return {lab: cmap(k % cmap.N) for k, lab in enumerate(labels)}


def new_figure(width: float, height: float, **kwargs: Any) -> Figure:
    """A figure on the Agg canvas, outside pyplot (no window, no global registry)."""
    fig = Figure(figsize=(width, height), **kwargs)
    FigureCanvasAgg(fig)
    return fig


def _label_order(frame: pd.DataFrame, labels: Sequence[str] | None) -> list[str]:
    present = list(dict.fromkeys(frame["label"].astype(str)))
    if labels is None:
        return present
    return [lab for lab in labels if lab in set(present)]


# ---- time series ------------------------------------------------------------------------
def time_series(
    summary: pd.DataFrame, outcome: str, labels: Sequence[str] | None = None, *, ax: Axes | None = None,
    colours: dict[str, Any] | None = None, legend: bool = True, title: str | None = None,
) -> Figure:
    """Mean of ``outcome`` per month with its shaded 95% confidence band, one line per configuration.

    ``summary`` is the tidy table of :func:`experiments.stats.summary` (label, step, outcome,
    mean, ci_low, ci_high). ``labels`` orders and selects the configurations (default: order of
    appearance). Months where the outcome is not computed (NaN) are left out; an outcome that
    is NaN in every month raises ValueError.
    """
    rows = summary[summary["outcome"] == outcome]
    if rows.empty or not rows["mean"].notna().any():
        raise ValueError(f"outcome {outcome!r} has no values in the summary")
    order = _label_order(rows, labels)
    colours = colours or palette(order)
    if ax is None:
        fig = new_figure(5.0, 3.2)
        fig.subplots_adjust(left=0.15, right=0.97, top=0.9, bottom=0.15)  # fixed: a layout engine draws twice
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    band_alpha = 0.2 if len(order) <= 3 else 0.1  # many overlapping bands turn to mud
    for z, lab in enumerate(order):
        part = rows[rows["label"].astype(str) == lab].sort_values("step")
        part = part[part["mean"].notna()]
        if part.empty:
            continue
        x = part["step"].to_numpy(dtype=float)
        sparse = len(part) < 0.5 * (x.max() - x.min() + 1) or len(part) <= 3
        colour = colours.get(lab)
        # the first configuration (the reference) on top: under common random numbers the others
        # coincide with it until they diverge
        ax.plot(x, part["mean"].to_numpy(dtype=float), color=colour, lw=1.6, label=lab,
                marker="o" if sparse else None, ms=3, zorder=3 + len(order) - z)
        lo, hi = part["ci_low"].to_numpy(dtype=float), part["ci_high"].to_numpy(dtype=float)
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.any():
            ax.fill_between(x, lo, hi, where=ok, color=colour, alpha=band_alpha, lw=0, interpolate=False)
    ax.set_title(title if title is not None else outcome_label(outcome), fontsize=10)
    ax.set_xlabel("month", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(True, lw=0.4, alpha=0.5)
    ax.margins(x=0.01)
    if legend and len(order) > 1:
        ax.legend(fontsize=7, frameon=False, loc="best")
    return fig


# ---- forest plot ------------------------------------------------------------------------
def forest_plot(
    differences: pd.DataFrame, outcomes: Sequence[str] | None = None, labels: Sequence[str] | None = None,
    *, colours: dict[str, Any] | None = None, ncols: int = 3,
) -> Figure:
    """Mean difference from the reference (final month, paired by replication) with its 95% CI.

    One small panel per outcome, each on its own scale (the outcome's units), so outcomes of
    very different sizes stay readable; within a panel one horizontal error bar per
    non-reference configuration and a vertical line at zero. A filled marker means the
    interval excludes zero; an open marker that it does not. ``differences`` is the table of
    :func:`experiments.stats.differences`. Outcomes without any finite difference are skipped.
    """
    if differences.empty:
        raise ValueError("no differences to plot (only one configuration, or no finished runs)")
    diffs = differences.copy()
    diffs["label"] = diffs["label"].astype(str)
    if outcomes is None:
        outcomes = list(dict.fromkeys(diffs["outcome"]))
    outcomes = [o for o in outcomes if diffs.loc[diffs["outcome"] == o, "mean_difference"].notna().any()]
    if not outcomes:
        raise ValueError("every difference is NaN")
    order = _label_order(diffs, labels)
    if colours is None:  # the reference takes the first colour, as in time_series
        ref_label = str(diffs["reference"].iloc[0]) if "reference" in diffs else ""
        colours = palette([ref_label, *order])
    k = len(order)
    ncols = max(1, min(ncols, len(outcomes)))
    nrows = math.ceil(len(outcomes) / ncols)
    longest = max(len(lab) for lab in order)
    panel_h = 0.9 + 0.28 * k
    fig = new_figure(min(4.2 * ncols + 0.07 * longest, 18.0), panel_h * nrows + 0.6, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    ref = diffs["reference"].iloc[0] if "reference" in diffs else "the reference"
    for pos, outcome in enumerate(outcomes):
        ax = axes[pos // ncols][pos % ncols]
        rows = diffs[diffs["outcome"] == outcome].set_index("label")
        for y, lab in enumerate(order):
            if lab not in rows.index:
                continue
            r = rows.loc[lab]
            m, lo, hi = float(r["mean_difference"]), float(r["ci_low"]), float(r["ci_high"])
            if not np.isfinite(m):
                continue
            has_ci = np.isfinite(lo) and np.isfinite(hi)
            xerr = np.array([[m - lo], [hi - m]]) if has_ci else None
            excludes = has_ci and (lo > 0 or hi < 0)
            colour = colours.get(lab)
            ax.errorbar([m], [y], xerr=xerr, fmt="o", color=colour, mfc=colour if excludes else "white",
                        mec=colour, ms=5, capsize=3, lw=1.4)
        ax.axvline(0.0, color="0.3", lw=0.9, ls="-", zorder=0)
        ax.set_yticks(range(k))
        ax.set_yticklabels(order if pos % ncols == 0 else [""] * k, fontsize=8)
        ax.set_ylim(k - 0.5, -0.5)
        ax.set_title(outcome_label(outcome), fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(True, axis="x", lw=0.4, alpha=0.5)
        lo_x, hi_x = ax.get_xlim()
        span = max(abs(lo_x), abs(hi_x))
        if span > 0:  # keep zero in view with some room on both sides
            ax.set_xlim(min(lo_x, -0.05 * span), max(hi_x, 0.05 * span))
    for pos in range(len(outcomes), nrows * ncols):
        axes[pos // ncols][pos % ncols].set_visible(False)
    fig.suptitle(f"Difference from {ref} in the final month (mean and 95% CI, paired by replication; "
                 "each panel in the outcome's own units; filled marker: CI excludes 0)", fontsize=9)
    return fig


# ---- network picture --------------------------------------------------------------------
def network_subgraph(model: CooperativeModel, max_nodes: int = 400) -> nx.Graph:
    """The ties to draw, as a graph whose nodes carry role, trust, participation and office.

    A model with at most ``max_nodes`` agents is drawn whole (isolated institutional actors
    left out). A larger one is cut down to the first cooperative's households (members first,
    then the others evenly over the villages if there are too many) plus the agencies,
    village governments, moneylenders and partner firms they are tied to.
    """
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
    for i in np.flatnonzero(keep):
        i = int(i)
        g.add_node(i, role=int(s.role[i]), household=i < H, trust=float(s.trust[i, INSTITUTION]),
                   participation=float(part[i]), member=bool(s.member[i]),
                   board=bool(s.member[i] and s.office[i] == BOARD))
    inside = keep[ties.a] & keep[ties.b]
    for a, b, layer, w in zip(ties.a[inside], ties.b[inside], ties.layer[inside], ties.strength[inside],
                              strict=True):
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


def _layout(g: nx.Graph, seed: int) -> dict[int, np.ndarray]:
    """Spring layout (seeded, so deterministic) of the connected nodes; isolated nodes, which a
    spring layout flings far out, go in rows under the picture."""
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


def network_picture(
    model: CooperativeModel, max_nodes: int = 400, seed: int = 1, title: str | None = None,
) -> Figure:
    """The social network of one simulated cooperative (deterministic spring layout, ``seed``).

    Node colour: trust in the cooperative (households; one fixed colour for agencies, village
    governments, moneylenders and partner firms). Node size: mean participation over the
    three domains (non-members have none). Marker: actor type. Board members have a black
    outline. Edge style: bonding solid, bridging dashed, linking dotted; edge opacity: tie
    strength.
    """
    g = network_subgraph(model, max_nodes)
    s = model.state
    fig = new_figure(9.5, 8.0, layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    nodes = list(g.nodes)
    if not nodes:
        ax.text(0.5, 0.5, "no agents to draw", ha="center", va="center", transform=ax.transAxes)
        return fig
    pos = _layout(g, seed)
    xy = np.array([pos[i] for i in nodes])
    index = {node: j for j, node in enumerate(nodes)}
    # edges: one collection per layer, opacity from strength
    layer_count = {}
    for layer, style in LAYER_STYLES.items():
        edges = [(a, b, d["strength"]) for a, b, d in g.edges(data=True) if d["layer"] == layer]
        layer_count[layer] = len(edges)
        if not edges:
            continue
        segs = [(xy[index[a]], xy[index[b]]) for a, b, _ in edges]
        w = np.array([e[2] for e in edges])
        rgba = np.zeros((len(edges), 4))
        rgba[:, :3] = (0.15, 0.15, 0.2) if layer != net.LINKING else (0.55, 0.2, 0.05)
        rgba[:, 3] = 0.08 + 0.62 * np.clip(w, 0.0, 1.0)
        ax.add_collection(LineCollection(segs, colors=rgba, linestyles=style, linewidths=0.5 + 1.0 * w,
                                         zorder=1))
    norm = Normalize(0.0, 1.0)
    cmap = colormaps[TRUST_CMAP]
    data = [g.nodes[i] for i in nodes]
    roles = np.array([d["role"] for d in data])
    is_h = np.array([d["household"] for d in data])
    trust_v = np.array([d["trust"] for d in data])
    size = np.where(is_h, 8.0 + 100.0 * np.array([d["participation"] for d in data]), 110.0)
    board = np.array([d["board"] for d in data])
    for role, marker in MARKERS.items():
        sel = roles == role
        if not sel.any():
            continue
        h = sel & is_h
        if h.any():
            ax.scatter(xy[h, 0], xy[h, 1], s=size[h], c=trust_v[h], cmap=cmap, norm=norm, marker=marker,
                       edgecolors=np.where(board[h], "black", "none").tolist(), linewidths=1.2, zorder=3)
        o = sel & ~is_h
        if o.any():
            ax.scatter(xy[o, 0], xy[o, 1], s=size[o], c=INSTITUTION_COLOUR, marker=marker, edgecolors="black",
                       linewidths=0.6, zorder=4)
    ax.autoscale_view()
    sm = ax.scatter([], [], c=[], cmap=cmap, norm=norm)
    cbar = fig.colorbar(sm, ax=ax, shrink=0.6, pad=0.01)
    cbar.set_label("household trust in the cooperative (institution)", fontsize=9)
    handles = [Line2D([], [], ls="", marker=MARKERS[r], color="0.55", ms=7, label=ROLE_LABELS[r])
               for r in MARKERS if (roles == r).any() and (r in (TRADER, FARMER, UMKM))]
    handles += [Line2D([], [], ls="", marker=MARKERS[r], mfc=INSTITUTION_COLOUR, mec="black", ms=7,
                       label=ROLE_LABELS[r]) for r in MARKERS if (roles == r).any() and r not in (TRADER, FARMER, UMKM)]
    handles += [Line2D([], [], ls="", marker="o", mfc="0.85", mec="black", mew=1.2, ms=7, label="board member")]
    handles += [Line2D([], [], color="0.2", ls=LAYER_STYLES[la], lw=1.2,
                       label=f"{net.LAYER_NAMES[la]} tie ({layer_count.get(la, 0)})") for la in LAYER_STYLES]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncols=4, fontsize=8, frameon=False,
              title="marker size: mean participation (non-members smallest); edge opacity: tie strength",
              title_fontsize=8)
    n_h = int(is_h.sum())
    n_m = int(sum(d["member"] for d in data))
    whole = s.n <= max_nodes
    default = (f"{'All cooperatives' if whole else 'Cooperative 0'} after {model.steps} months: {n_h} households "
               f"({n_m} members), {len(nodes) - n_h} institutional actors, {g.number_of_edges()} ties")
    ax.set_title(title if title is not None else default, fontsize=10)
    return fig

