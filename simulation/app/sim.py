"""The classroom session behind the page: settings → model, stepping, snapshots and pictures.

Nothing here imports Solara, so it can be tested (and timed) without a browser. One
:class:`Classroom` per browser tab holds a :class:`~simulation.model.CooperativeModel`
built from a scenario, a class-size population (:func:`classroom_parameters`) and the
interventions chosen with the page's sliders (:class:`Settings`). Node positions are
computed once per reset (:func:`layout`: one cluster per village, seeded), so the network
picture stays put while colours, sizes and ties change.

:class:`Painter` draws two matplotlib figures (no pyplot state) from a :class:`Snapshot`
copied under the session lock, so a running loop never draws half a month. It builds the
figures once and afterwards redraws only the moving artists over a cached background
(blitting), which keeps a step + redraw at ~300 agents around 35 ms.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..interventions import Grant, HarvestFailure, Intervention, Kemitraan, Training, VillageEngagement
from ..parameters import ParameterError, Parameters
from ..scenario import Scenario, ScenarioError, load
from ..state import AGENCY, BOARD, FARMER, MONEYLENDER, PARTNER, TRADER, TRUST_TARGETS, UMKM
from .labels import text

# When the slider interventions act (months are 1-based); shown in the labels.
TRAINING_START, TRAINING_EVERY = 1, 12
KEMITRAAN_START, KEMITRAAN_EVERY = 3, 12
GRANT_MONTH = 3
HARVEST_START, HARVEST_END = 6, 11
PARTNER_X = 1.3  # x of the partner firms' column in the network picture
DEFAULT_HOUSEHOLDS = 290  # + agencies, village governments and moneylenders ≈ 300 agents

# Series drawn in the charts (and reported in the page's data element for tests).
PARTICIPATION = ("participation_organisation", "participation_business", "participation_capital")
TIES = ("ties_bonding", "ties_bridging", "ties_linking")


class AppError(ValueError):
    """A problem the page shows as one readable sentence (bad scenario, invalid setting)."""


@dataclass(frozen=True)
class Settings:
    """What the page's controls choose; a new model is built from them at every reset."""

    scenario: str = "baseline"
    seed: int | None = None          # None: the scenario's seed
    households: int = DEFAULT_HOUSEHOLDS  # 0: the scenario's own population
    training_quota: int = 0          # trainees per cooperative per session; 0 = no extra training
    training_follow_up: bool = True
    kemitraan: bool = False
    association: bool = False
    grant: int = 0                   # Rp M per cooperative; 0 = no grant
    village_engagement: bool = False
    harvest_loss: int = 0            # percent of the harvest lost in the shock months; 0 = no shock

    def interventions(self) -> list[Intervention]:
        """The slider interventions, appended to the scenario's own."""
        out: list[Intervention] = []
        if self.training_quota > 0:
            out.append(Training(start=TRAINING_START, every=TRAINING_EVERY, quota=self.training_quota,
                                follow_up=self.training_follow_up))
        if self.kemitraan:
            out.append(Kemitraan(start=KEMITRAAN_START, every=KEMITRAAN_EVERY, association=self.association))
        if self.grant > 0:
            out.append(Grant(start=GRANT_MONTH, amount=float(self.grant)))
        if self.village_engagement:
            out.append(VillageEngagement(start=1))
        if self.harvest_loss > 0:
            out.append(HarvestFailure(start=HARVEST_START, end=HARVEST_END, factor=1.0 - self.harvest_loss / 100.0))
        return out

    def describe(self, lang: str) -> str:
        """The active slider interventions in a few words."""
        items = []
        if self.training_quota > 0:
            items.append(text("short_training", lang, quota=self.training_quota)
                         + (text("short_follow_up", lang) if self.training_follow_up else ""))
        if self.kemitraan:
            items.append(text("short_kemitraan", lang) + (text("short_association", lang) if self.association else ""))
        if self.grant > 0:
            items.append(text("short_grant", lang, amount=self.grant))
        if self.village_engagement:
            items.append(text("short_village", lang))
        if self.harvest_loss > 0:
            items.append(text("short_harvest", lang, loss=self.harvest_loss))
        return text("applied", lang, items="; ".join(items) if items else text("none", lang))


MIN_VILLAGE = 40  # households per village at least, when a scenario is shrunk to class size


def classroom_parameters(scen: Scenario, households: int) -> Parameters:
    """The scenario's parameters resized to about ``households`` households (0: unchanged), with
    the costly network metrics switched off (the page does not show them).

    Villages keep their number unless they would drop below MIN_VILLAGE households (then fewer
    villages, and cooperatives in proportion); the members' share of each cooperative's
    households stays the scenario's.
    """
    params = scen.params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    if households <= 0:
        return params
    pop = params.population
    villages = max(1, min(pop.n_villages, households // MIN_VILLAGE))
    coops = max(1, min(villages, round(pop.n_cooperatives * villages / pop.n_villages)))
    targeted = max((max(iv.cooperatives) + 1 for iv in scen.interventions if iv.cooperatives), default=1)
    coops = max(coops, min(targeted, villages))  # keep the cooperatives the scenario's programmes target
    per_village = max(1, round(households / villages))
    share = pop.members_per_cooperative / (pop.households_per_village * (pop.n_villages // pop.n_cooperatives))
    catchment = per_village * (villages // coops)
    members = min(catchment, max(round(share * catchment), pop.board_size + pop.supervisors))
    return params.replace({"population.n_villages": villages, "population.n_cooperatives": coops,
                           "population.households_per_village": per_village,
                           "population.members_per_cooperative": members})


@dataclass
class Snapshot:
    """Everything the figures need, copied at one moment."""

    month: int
    steps: int
    n_agents: int
    history: dict[str, np.ndarray]   # column -> values for months 0..month
    pos: np.ndarray                  # (n, 2)
    role: np.ndarray
    member: np.ndarray
    board: np.ndarray
    trust: np.ndarray                # (n, 3)
    participation: np.ndarray        # (n,) mean over the three domains
    tie_a: np.ndarray
    tie_b: np.ndarray
    tie_layer: np.ndarray
    tie_strength: np.ndarray
    village_labels: list[tuple[float, float]] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    scenario_name: str = ""
    scenario_description: str = ""

    def last(self, column: str) -> float:
        return float(self.history[column][-1])

    def data(self) -> dict[str, Any]:
        """The current month and the charts' latest values (shown in the page for tests and teachers)."""
        cols = (*PARTICIPATION, *(f"trust_{t}_{b}" for t in TRUST_TARGETS for b in ("low", "medium", "high")),
                *TIES, "members", "trust_institution_mean")
        out: dict[str, Any] = {"month": self.month, "steps": self.steps, "agents": self.n_agents,
                               "scenario": self.scenario_name}
        out.update({c: round(self.last(c), 6) for c in cols})
        return out


class Classroom:
    """One browser tab's simulation: build from :class:`Settings`, step, snapshot. Thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self._lock = threading.RLock()
        self.settings = settings
        self.reset(settings)

    def reset(self, settings: Settings) -> None:
        """Build a new model from ``settings``; raises :class:`AppError` with a readable message."""
        from ..metrics import collect
        from ..model import CooperativeModel

        if settings.seed is not None and settings.seed < 0:
            raise AppError(f"seed: {settings.seed} is negative; allowed: a whole number >= 0")
        try:
            scen = load(settings.scenario)
        except ScenarioError as err:
            raise AppError(str(err)) from None
        try:
            params = classroom_parameters(scen, settings.households)
        except ParameterError as err:
            raise AppError(f"{settings.households} households are too few for scenario {scen.name!r} ({err})") from None
        try:
            seed = scen.seed if settings.seed is None else settings.seed
            model = CooperativeModel(params, seed=seed, interventions=(*scen.interventions, *settings.interventions()))
        except (ScenarioError, ParameterError) as err:
            raise AppError(str(err)) from None
        first = collect(model)  # month 0: the starting state
        with self._lock:
            self.settings = replace(settings, seed=seed)
            self.scenario = scen
            self.model = model
            self.steps = scen.steps
            self._history = {k: [v] for k, v in first.items()}
            self.pos = layout(model)
            self.village_labels = village_label_positions(model, self.pos)

    @property
    def month(self) -> int:
        return int(self.model.steps)

    @property
    def finished(self) -> bool:
        return self.month >= self.steps

    def step(self, n: int = 1) -> int:
        """Advance up to ``n`` months (not past the scenario's length); returns the months done."""
        done = 0
        with self._lock:
            for _ in range(n):
                if self.finished:
                    break
                try:
                    self.model.step()
                except (ScenarioError, ParameterError) as err:
                    raise AppError(str(err)) from None
                row = self.model.metrics_frame().iloc[-1]
                for k, values in self._history.items():
                    values.append(row.get(k, np.nan))
                done += 1
        return done

    def snapshot(self) -> Snapshot:
        with self._lock:
            s, ties = self.model.state, self.model.ties
            H = s.n_households
            member = s.member.copy()
            member[H:] = False
            return Snapshot(
                month=self.month, steps=self.steps, n_agents=s.n,
                history={k: np.asarray(v, dtype=float) for k, v in self._history.items()},
                pos=self.pos, role=s.role.copy(), member=member, board=member & (s.office == BOARD),
                trust=s.trust.copy(), participation=s.participation.mean(axis=1),
                tie_a=ties.a.copy(), tie_b=ties.b.copy(), tie_layer=ties.layer.copy(),
                tie_strength=ties.strength.copy(), village_labels=self.village_labels, settings=self.settings,
                scenario_name=self.scenario.name,
                scenario_description=self.scenario.description)


def layout(model: Any) -> np.ndarray:
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


# ---- figures -----------------------------------------------------------------------------------
MARKERS = {TRADER: "o", FARMER: "s", UMKM: "^", AGENCY: "D", MONEYLENDER: "X", PARTNER: "P"}
ROLE_KEYS = {TRADER: "trader", FARMER: "farmer", UMKM: "umkm", AGENCY: "agency", MONEYLENDER: "moneylender",
             PARTNER: "partner"}
INSTITUTIONS = (AGENCY, MONEYLENDER, PARTNER)
LAYER_KEYS = ("bonding", "bridging", "linking")
LAYER_STYLE = {0: ("#8c8c8c", "solid"), 1: ("#1f77b4", (0, (4, 2))), 2: ("#9467bd", (0, (1, 1.5)))}
PARTICIPATION_COLOURS = ("#1b9e77", "#d95f02", "#7570b3")
BAND_COLOURS = ("#d73027", "#fee08b", "#1a9850")
TIE_LINE = {0: ("#333333", "solid"), 1: ("#1f77b4", (0, (4, 2))), 2: ("#9467bd", (0, (1, 1.5)))}
TRUST_COLUMN = {name: k for k, name in enumerate(TRUST_TARGETS)}
INSTITUTIONAL_COLOUR = (0.3, 0.3, 0.3, 1.0)


class Painter:
    """The two figures of one session (network; three charts), built once and updated in place.

    Building a figure (axes, ticks, legends, layout) costs several times more than drawing it,
    so :meth:`draw` only moves data into the existing artists and renders them to PNG bytes.
    A new painter is made at reset, and when the language or the trust target changes.
    """

    def __init__(self, snap: Snapshot, lang: str, target: str = "institution", dpi: int = 80) -> None:
        from matplotlib import colormaps
        from matplotlib.colors import Normalize

        self.lang, self.target, self.dpi = lang, target, dpi
        self.cmap, self.norm = colormaps["RdYlGn"], Normalize(0.0, 1.0)
        self._lock = threading.Lock()
        self._backgrounds: dict[str, Any] = {}
        self._build_network(snap)
        self._build_charts(snap)

    # network ------------------------------------------------------------------------------
    def _build_network(self, snap: Snapshot) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.cm import ScalarMappable
        from matplotlib.collections import LineCollection
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D

        lang = self.lang
        fig = Figure(figsize=(7.6, 6.6), dpi=self.dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 0.11, 0.83, 0.83))
        ax.set_axis_off()
        ax.set_xlim(-1.12, PARTNER_X + 0.08)
        ax.set_ylim(-1.12, 1.12)
        for k, (x, y) in enumerate(snap.village_labels):
            ax.text(x, y, text("village_label", lang, n=k + 1), ha="center", va="center", fontsize=9,
                    color="#222222", zorder=4)
        ax.set_aspect("equal")
        self.edges = {}
        for layer, (colour, style) in LAYER_STYLE.items():
            alpha = 0.3 if layer == 1 else 0.45  # bridging ties cross the middle: lighter
            self.edges[layer] = ax.add_collection(LineCollection([], colors=colour, linestyles=style, alpha=alpha,
                                                                 zorder=1))
        self.nodes = {}
        for role, marker in MARKERS.items():
            idx = np.flatnonzero(snap.role == role)
            if idx.size:
                self.nodes[role] = (idx, ax.scatter(snap.pos[idx, 0], snap.pos[idx, 1], marker=marker, zorder=2,
                                                    edgecolors="black"))
        self.net_title = ax.set_title("", fontsize=13, loc="left")
        cax = fig.add_axes((0.87, 0.3, 0.025, 0.5))
        bar = fig.colorbar(ScalarMappable(norm=self.norm, cmap=self.cmap), cax=cax)
        bar.set_label(text("trust_axis", lang, target=text(f"trust_{self.target}", lang)))
        handles = [Line2D([], [], marker=MARKERS[r], linestyle="", color="#aaaaaa", markeredgecolor="black",
                          markersize=7, label=text(ROLE_KEYS[r], lang)) for r in MARKERS if r in self.nodes]
        handles += [Line2D([], [], color=LAYER_STYLE[k][0], linestyle=LAYER_STYLE[k][1], linewidth=1.8,
                           label=text(LAYER_KEYS[k], lang)) for k in LAYER_STYLE]
        fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.01, 0.03), ncol=3, fontsize=8,
                   frameon=False, handlelength=2.5)
        fig.text(0.015, 0.01, text("size_note", lang), fontsize=8, color="#444444")
        self.net_fig = fig

    def _update_network(self, snap: Snapshot) -> None:
        pos = snap.pos
        for layer, coll in self.edges.items():
            sel = snap.tie_layer == layer
            coll.set_segments(np.stack((pos[snap.tie_a[sel]], pos[snap.tie_b[sel]]), axis=1))
            coll.set_linewidths(0.2 + 1.2 * snap.tie_strength[sel])
        trust = snap.trust[:, TRUST_COLUMN[self.target]]
        for role, (idx, coll) in self.nodes.items():
            order = idx[np.argsort(snap.member[idx], kind="stable")]  # members drawn on top
            member = snap.member[order]
            if role in INSTITUTIONS:
                colours = np.tile(INSTITUTIONAL_COLOUR, (order.size, 1))
                sizes = np.full(order.size, 45.0)
                widths = np.full(order.size, 0.6)
            else:
                colours = self.cmap(self.norm(trust[order]))
                colours[:, 3] = np.where(member, 0.95, 0.3)
                sizes = np.where(member, 6.0 + 70.0 * snap.participation[order], 7.0)
                widths = np.where(snap.board[order], 1.8, np.where(member, 0.35, 0.0))
            coll.set_offsets(pos[order])
            coll.set_facecolors(colours)
            coll.set_sizes(sizes)
            coll.set_linewidths(widths)
        self.net_title.set_text(text("network_title", self.lang, month=snap.month))

    # charts -------------------------------------------------------------------------------
    def _build_charts(self, snap: Snapshot) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch

        lang = self.lang
        fig = Figure(figsize=(5.6, 6.6), dpi=self.dpi)
        FigureCanvasAgg(fig)
        fig.subplots_adjust(left=0.13, right=0.97, top=0.92, bottom=0.08, hspace=0.55)
        ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True)
        xmax = max(snap.steps, 1)
        self.part_lines = [ax1.plot([], [], color=c, linewidth=1.8, label=text(col.split("_", 1)[1], lang))[0]
                           for col, c in zip(PARTICIPATION, PARTICIPATION_COLOURS, strict=True)]
        ax1.set_ylim(0, 1.05)
        ax1.set_title(text("participation_title", lang), fontsize=10, loc="left", pad=17)
        above = {"fontsize": 8, "loc": "lower left", "bbox_to_anchor": (0.0, 1.0), "ncol": 3, "frameon": False,
                 "borderaxespad": 0.1, "handlelength": 2.2, "columnspacing": 1.2}
        ax1.legend(**above)  # legends sit between title and plot: static, never over the data
        ax2.set_ylim(0, 1)
        ax2.set_title(text("trust_title", lang, target=text(f"trust_{self.target}", lang)), fontsize=10, loc="left",
                      pad=17)
        ax2.legend(handles=[Patch(color=c, label=text(b, lang)) for c, b in
                            zip(BAND_COLOURS, ("low", "medium", "high"), strict=True)], **above)
        self.bands: list[Any] = []
        self.tie_lines = [ax3.plot([], [], color=TIE_LINE[k][0], linestyle=TIE_LINE[k][1], linewidth=1.8,
                                   label=text(LAYER_KEYS[k], lang))[0] for k in range(3)]
        ax3.set_title(text("ties_title", lang), fontsize=10, loc="left", pad=17)
        ax3.legend(**above)
        ax3.set_xlabel(text("month_axis", lang))
        ax3.set_xlim(0, xmax)
        self.ties_top = 1.0
        for ax, label in ((ax1, "share_axis"), (ax2, "share_axis"), (ax3, "ties_axis")):
            ax.set_ylabel(text(label, lang), fontsize=9)
            ax.grid(alpha=0.3)
        self.now_lines = [ax.axvline(0, color="#555555", linewidth=0.8) for ax in (ax1, ax2, ax3)]
        self.chart_axes = (ax1, ax2, ax3)
        self.charts_fig = fig

    def _update_charts(self, snap: Snapshot) -> None:
        h = snap.history
        months = np.arange(len(h["step"]))
        for line, col in zip(self.part_lines, PARTICIPATION, strict=True):
            line.set_data(months, h[col])
        for poly in self.bands:
            poly.remove()
        bands = [np.nan_to_num(h[f"trust_{self.target}_{b}"]) for b in ("low", "medium", "high")]
        self.bands = self.chart_axes[1].stackplot(months, *bands, colors=BAND_COLOURS, alpha=0.85)
        for line, col in zip(self.tie_lines, TIES, strict=True):
            line.set_data(months, h[col])
        top = float(max(np.nanmax(h[c]) for c in TIES))
        if top > self.ties_top or top < 0.5 * self.ties_top:
            self.ties_top = max(top * 1.25, 1.0)  # rescaled only when needed (it redraws the ticks)
            self.chart_axes[2].set_ylim(0, self.ties_top)
            self._backgrounds.pop("charts", None)  # new tick labels: redraw the static part
        for line in self.now_lines:
            line.set_xdata([snap.month, snap.month])

    def draw(self, snap: Snapshot) -> tuple[bytes, bytes]:
        """JPEG bytes of the network and of the charts at ``snap``."""
        with self._lock:
            self._update_network(snap)
            self._update_charts(snap)
            net_artists = [*self.edges.values(), *(coll for _, coll in self.nodes.values()), self.net_title]
            chart_artists = [*self.part_lines, *self.bands, *self.tie_lines, *self.now_lines]
            return (self._blit("network", self.net_fig, net_artists),
                    self._blit("charts", self.charts_fig, chart_artists))

    def _blit(self, name: str, fig: Any, artists: list[Any]) -> bytes:
        """Render ``fig``: the static part (axes, ticks, legends) once into a cached background,
        then only the moving ``artists`` (marked animated) on top of it — text is what is slow."""
        import io

        from PIL import Image

        canvas = fig.canvas
        for art in artists:
            art.set_animated(True)
        background = self._backgrounds.get(name)
        if background is None:
            canvas.draw()
            self._backgrounds[name] = canvas.copy_from_bbox(fig.bbox)
        else:
            canvas.restore_region(background)
        for art in artists:
            fig.draw_artist(art)
        buf = io.BytesIO()
        # JPEG: a fifth of PNG's encoding time and size for these pictures, at no visible cost
        Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3]).save(buf, format="JPEG", quality=90)
        return buf.getvalue()


def png(fig: Any) -> bytes:
    """A figure as PNG bytes (what the page shows); light compression, as speed matters more here."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()
