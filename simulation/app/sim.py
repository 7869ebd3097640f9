"""The classroom session behind the page: settings → model, stepping, snapshots and figures.

Nothing here imports Solara, so it can be tested (and timed) without a browser. One
:class:`Classroom` per browser tab holds a :class:`~simulation.model.CooperativeModel`
built from a scenario, a class-size population and the interventions chosen with the
page's sliders (:class:`Settings`). Node positions are computed once per reset (a seeded
spring layout), so the network picture stays put while colours, sizes and ties change.

Figures are plain :class:`matplotlib.figure.Figure` objects (no pyplot state), drawn from a
:class:`Snapshot` copied under the session lock, so a running loop never draws half a month.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..interventions import Grant, HarvestFailure, Intervention, Kemitraan, Training, VillageEngagement
from ..parameters import ParameterError, Parameters
from ..scenario import Scenario, ScenarioError, load
from ..state import AGENCY, BOARD, FARMER, MONEYLENDER, PARTNER, TRADER, TRUST_TARGETS, UMKM
from .labels import text

log = logging.getLogger("kopsim.app")

# When the slider interventions act (months are 1-based); shown in the labels.
TRAINING_START, TRAINING_EVERY = 1, 12
KEMITRAAN_START, KEMITRAAN_EVERY = 3, 12
GRANT_MONTH = 3
HARVEST_START, HARVEST_END = 6, 11
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
            follow = "+" + text("follow_up", lang).split(" (")[0].lower() if self.training_follow_up else ""
            items.append(f"Diklat {self.training_quota}{' ' + follow if follow else ''}")
        if self.kemitraan:
            items.append("kemitraan" + (" + " + text("association", lang).split(" (")[0].lower()
                                        if self.association else ""))
        if self.grant > 0:
            items.append(f"{text('grant', lang).split(' (')[0].split(' pada')[0].split(' in month')[0]} "
                         f"Rp {self.grant} M")
        if self.village_engagement:
            items.append(text("village", lang).split(" (")[0].lower())
        if self.harvest_loss > 0:
            items.append(f"{text('harvest', lang).split(':')[0]} −{self.harvest_loss}%")
        return text("applied", lang, items="; ".join(items) if items else text("none", lang))


def classroom_parameters(scen: Scenario, households: int) -> Parameters:
    """The scenario's parameters resized to about ``households`` households (0: unchanged), with
    the costly network metrics switched off (the page does not show them)."""
    params = scen.params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    if households <= 0:
        return params
    pop = params.population
    per_village = max(1, round(households / pop.n_villages))
    catchment = per_village * (pop.n_villages // pop.n_cooperatives)
    scale = per_village / pop.households_per_village
    members = round(pop.members_per_cooperative * scale)
    members = min(catchment, max(members, pop.board_size + pop.supervisors))
    return params.replace({"population.households_per_village": per_village,
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
    household: np.ndarray            # bool
    tie_a: np.ndarray
    tie_b: np.ndarray
    tie_layer: np.ndarray
    tie_strength: np.ndarray
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

        try:
            scen = load(settings.scenario)
            params = classroom_parameters(scen, settings.households)
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
            household = np.zeros(s.n, dtype=bool)
            household[:H] = True
            member = s.member.copy()
            member[H:] = False
            return Snapshot(
                month=self.month, steps=self.steps, n_agents=s.n,
                history={k: np.asarray(v, dtype=float) for k, v in self._history.items()},
                pos=self.pos, role=s.role.copy(), member=member, board=member & (s.office == BOARD),
                trust=s.trust.copy(), participation=s.participation.mean(axis=1), household=household,
                tie_a=ties.a.copy(), tie_b=ties.b.copy(), tie_layer=ties.layer.copy(),
                tie_strength=ties.strength.copy(), settings=self.settings, scenario_name=self.scenario.name,
                scenario_description=self.scenario.description)


def layout(model: Any) -> np.ndarray:
    """Node positions (n, 2) in [-1, 1]²: a seeded spring layout of the starting network.

    Households start at their homes (villages are clusters), so the layout settles quickly
    and the same scenario and seed always give the same picture.
    """
    import networkx as nx

    s, ties = model.state, model.ties
    g = nx.Graph()
    g.add_nodes_from(range(s.n))
    g.add_weighted_edges_from(zip(ties.a.tolist(), ties.b.tolist(), ties.strength.tolist(), strict=True))
    xy = np.column_stack((s.x, s.y)).astype(float)
    span = np.ptp(xy, axis=0)
    xy = (xy - xy.min(axis=0)) / np.where(span > 0, span, 1.0)
    jitter = np.random.default_rng(model.seed or 0).normal(0.0, 0.05, xy.shape)
    start = {i: tuple(xy[i] + jitter[i]) for i in range(s.n)}
    pos = nx.spring_layout(g, pos=start, k=1.5 / np.sqrt(max(s.n, 1)), iterations=60, seed=model.seed or 0)
    out = np.array([pos[i] for i in range(s.n)])
    out -= out.mean(axis=0)
    return out / max(np.abs(out).max(), 1e-9)


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
        fig = Figure(figsize=(7.4, 6.6), dpi=self.dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 0.11, 0.83, 0.83))
        ax.set_axis_off()
        ax.set_xlim(-1.06, 1.06)
        ax.set_ylim(-1.06, 1.06)
        ax.set_aspect("equal")
        self.edges = {}
        for layer, (colour, style) in LAYER_STYLE.items():
            self.edges[layer] = ax.add_collection(LineCollection([], colors=colour, linestyles=style, alpha=0.5,
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
            coll.set_linewidths(0.3 + 1.4 * snap.tie_strength[sel])
        trust = snap.trust[:, TRUST_COLUMN[self.target]]
        for role, (idx, coll) in self.nodes.items():
            order = idx[np.argsort(snap.member[idx], kind="stable")]  # members drawn on top
            member = snap.member[order]
            if role in INSTITUTIONS:
                colours = np.tile(INSTITUTIONAL_COLOUR, (order.size, 1))
                sizes = np.full(order.size, 55.0)
                widths = np.full(order.size, 0.6)
            else:
                colours = self.cmap(self.norm(trust[order]))
                colours[:, 3] = np.where(member, 0.95, 0.3)
                sizes = np.where(member, 14.0 + 170.0 * snap.participation[order], 12.0)
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
        fig.subplots_adjust(left=0.13, right=0.97, top=0.95, bottom=0.08, hspace=0.38)
        ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True)
        xmax = max(snap.steps, 1)
        self.part_lines = [ax1.plot([], [], color=c, linewidth=1.8, label=text(col.split("_", 1)[1], lang))[0]
                           for col, c in zip(PARTICIPATION, PARTICIPATION_COLOURS, strict=True)]
        ax1.set_ylim(0, 1.05)
        ax1.set_title(text("participation_title", lang), fontsize=10, loc="left")
        ax1.legend(fontsize=8, loc="lower left", ncol=3, frameon=False)
        ax2.set_ylim(0, 1)
        ax2.set_title(text("trust_title", lang, target=text(f"trust_{self.target}", lang)), fontsize=10, loc="left")
        ax2.legend(handles=[Patch(color=c, label=text(b, lang)) for c, b in
                            zip(BAND_COLOURS, ("low", "medium", "high"), strict=True)],
                   fontsize=8, loc="lower left", ncol=3, framealpha=0.8)
        self.bands: list[Any] = []
        self.tie_lines = [ax3.plot([], [], color=TIE_LINE[k][0], linestyle=TIE_LINE[k][1], linewidth=1.8,
                                   label=text(LAYER_KEYS[k], lang))[0] for k in range(3)]
        ax3.set_title(text("ties_title", lang), fontsize=10, loc="left")
        ax3.legend(fontsize=8, loc="lower left", ncol=3, frameon=False)
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
            self.ties_top = max(top * 1.4, 1.0)  # room for the legend; rescaled only when needed
            self.chart_axes[2].set_ylim(0, self.ties_top)
            self._backgrounds.pop("charts", None)  # new tick labels: redraw the static part
        for line in self.now_lines:
            line.set_xdata([snap.month, snap.month])

    def draw(self, snap: Snapshot) -> tuple[bytes, bytes]:
        """PNG bytes of the network and of the charts at ``snap``."""
        with self._lock:
            self._update_network(snap)
            self._update_charts(snap)
            net_artists = [*self.edges.values(), *(coll for _, coll in self.nodes.values()), self.net_title]
            chart_artists = [*self.part_lines, *self.bands, *self.tie_lines, *self.now_lines]
            return self._blit("network", self.net_fig, net_artists), self._blit("charts", self.charts_fig,
                                                                             chart_artists)

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
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buf, format="PNG", compress_level=1)
        return buf.getvalue()


def png(fig: Any) -> bytes:
    """A figure as PNG bytes (what the page shows); light compression, as speed matters more here."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", pil_kwargs={"compress_level": 1})
    return buf.getvalue()
